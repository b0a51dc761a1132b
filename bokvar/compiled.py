"""What the statements kept compiled across requests share (issue 22): the case page's
lists (`cases.core.selectors.rows`), its case (`cases.core.selectors.kept`) and the
statistics' cost forecast (`housing.forecast`). Each compiles a queryset once and runs
its text again with new parameters; these are the rules they keep alike."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection
from django.utils import timezone

from .models import User
from .selectors import roles_of


@contextmanager
def reads_watched() -> Iterator[list[str]]:
    """The statements run while a statement to keep is built: one whose building read
    the database is not kept, since that read's answer would be frozen in its text."""
    reads: list[str] = []

    def watch(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        reads.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(watch):
        yield reads


def convert_row(
    values: list[Any],
    converters: tuple[tuple[int, tuple[Callable[..., Any], ...], Any], ...],
    db: Any,
) -> list[Any]:
    """`values` with the compiler's converters applied in place, as the ORM's iterables
    do: (position, converters, expression) of each column that has any."""
    for pos, convs, expression in converters:
        value = values[pos]
        for convert in convs:
            value = convert(value, expression, db)
        values[pos] = value
    return values


def reader_key(user: Any, db: str) -> tuple[Any, ...] | None:
    """What the text of a statement of the reader's permission filters depends on: the
    reader, their account's flags, their roles as loaded for this request (a new
    membership gives a new key), the database and the day. None: not a signed-in user,
    keep nothing."""
    if not isinstance(user, User):
        return None
    return (
        db,
        user.pk,
        user.is_active,
        user.is_superuser,
        roles_of(user),
        timezone.localdate(),
    )
