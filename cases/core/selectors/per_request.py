"""Decided and read once per request.

The case page's sections each ask whether the reader may write the case and whether its
household is hidden from them, and several show the same threats, deadlines or
handovers. `once` keeps each answer on the request, which lives as long as one page and
is never shared with another reader: a page decides and reads each thing once, however
many sections ask (issue 22, point 2)."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar, cast

T = TypeVar("T")


def once(request: Any, key: tuple[Hashable, ...], compute: Callable[[], T]) -> T:
    """`compute()` the first time this request asks for `key`, the same answer after."""
    memo = request.__dict__.setdefault("_bokvar_once", {})
    if key not in memo:
        memo[key] = compute()
    return cast(T, memo[key])
