"""A pager whose count stops a little past the page shown (issue 22, point 2).

Django's Paginator counts every row of the list for "page n of m": on the case list of
a coordinator at national scale that is every visible case of the district, scanned
for each page. `CappedPaginator` counts only up to `cap` rows past the start of the
page asked for: the pages up to there are known exactly, and beyond it the page says
"more than". Every row stays reachable: each page counts again from where it starts.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property

CAP = 1000


class CappedPaginator(Paginator[Any]):
    def __init__(
        self,
        object_list: QuerySet[Any],
        per_page: int,
        *,
        asked: object = None,
        cap: int = CAP,
        to_count: QuerySet[Any] | None = None,
    ) -> None:
        """`asked`: the page number asked for (as given); `to_count`: the same rows in a
        form cheaper to count (without the page's columns), when there is one."""
        super().__init__(object_list, per_page)
        self.to_count = object_list if to_count is None else to_count
        try:
            self.asked = max(1, int(str(asked)))
        except ValueError:
            self.asked = 1  # "last", garbage: the first page, as get_page does
        self.cap = cap
        # Whether there are more rows than counted (the total is "more than" `count`).
        self.more = False

    @cached_property
    def count(self) -> int:
        start = (self.asked - 1) * self.per_page
        # Rows from the page's start, at most one past the cap: a bounded scan.
        ahead = self.to_count.order_by().values("pk")[start : start + self.cap + 1].count()
        if ahead == 0 and start > 0:
            # A page past the end (an old link): the exact total, to land on the last page.
            return int(self.to_count.count())
        self.more = ahead > self.cap
        return int(start + min(ahead, self.cap))
