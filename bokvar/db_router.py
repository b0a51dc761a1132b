"""Statistics and exports read from a streaming replica when one is configured
(DATABASE_REPLICA_URL), so the steering group's long reads never compete with the
caseworkers' pages on the primary (issue 22, point 7; docs/deploy.md).

Only what a view marks with `replica_reads` goes there, and only the domain's tables:
sessions, accounts, second factors and the access log are always read from the primary,
because a request has just written them (the session, the log entry of the read) and
a replica may lag a moment behind. Every write goes to the primary."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import Any, TypeVar

from django.conf import settings

REPLICA = "replica"
# The apps whose rows statistics and exports read; they may lag the primary by seconds.
REPLICA_APPS = frozenset({"cases", "housing", "partners", "steering"})

_reading_from_replica: ContextVar[bool] = ContextVar("reading_from_replica", default=False)

F = TypeVar("F", bound=Callable[..., Any])


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


@contextmanager
def reads_from_replica() -> Iterator[None]:
    token = _reading_from_replica.set(True)
    try:
        yield
    finally:
        _reading_from_replica.reset(token)


def domain_reads_from_replica() -> bool:
    """Whether reads of the domain's tables go to the replica now (what a statement kept
    across requests must be keyed by, besides its text)."""
    return _reading_from_replica.get() and replica_configured()


def replica_reads(view: F) -> F:
    """A view whose reads of the domain's tables may come from the replica."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with reads_from_replica():
            return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


class ReplicaRouter:
    def db_for_read(self, model: type, **hints: Any) -> str | None:
        if (
            _reading_from_replica.get()
            and replica_configured()
            and model._meta.app_label in REPLICA_APPS  # type: ignore[attr-defined]
        ):
            return REPLICA
        return None

    def db_for_write(self, model: type, **hints: Any) -> str | None:
        return None

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        # The replica holds the primary's rows: an object read there relates to one here.
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        # The replica follows the primary's WAL; migrations run on the primary only.
        return db != REPLICA
