"""One entry of a case's timeline. The parts of the case work yield these from their own
data; `cases/case_page.py` lists the sources and merges them, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class TimelineEvent:
    when: date | datetime
    kind: str
    title: str
    detail: str = ""
    url: str = ""
    is_deadline: bool = False

    @property
    def sort_key(self) -> date:
        when = self.when
        return when.date() if isinstance(when, datetime) else when
