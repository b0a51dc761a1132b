"""A pager whose count stops a little past the page shown (issue 22, point 2).

Django's Paginator counts every row of the list for "page n of m": on the case list of
a coordinator at national scale that is every visible case of the district, scanned
for each page. `CappedPaginator` counts only up to `cap` rows past the start of the
page asked for: the pages up to there are known exactly, and beyond it the page says
"more than". Every row stays reachable: each page counts again from where it starts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, cast

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.utils.formats import localize
from django.utils.functional import cached_property
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from .rendering import escaped

CAP = 1000


class Pages(Protocol):
    """Rows a slice of which is one page (a queryset, or a reader of pages that is not
    one, given with a queryset `to_count`)."""

    def __getitem__(self, page: slice) -> Any: ...


class CappedPaginator(Paginator[Any]):
    def __init__(
        self,
        object_list: QuerySet[Any] | Pages,
        per_page: int,
        *,
        asked: object = None,
        cap: int = CAP,
        to_count: QuerySet[Any] | Callable[[], QuerySet[Any]] | None = None,
        count_window: Callable[[Callable[[], QuerySet[Any]], slice], int] | None = None,
        page_and_count: Callable[
            [slice, Callable[[], QuerySet[Any]], slice], tuple[list[Any], int | None]
        ]
        | None = None,
    ) -> None:
        """`asked`: the page number asked for (as given); `to_count`: the same rows in a
        form cheaper to count (without the page's columns), when there is one, or a
        function that builds it (called only when the count needs the queryset);
        `count_window`: how to count a window of `to_count`'s ids (`count_window(ids,
        window)`, `ids()` building them, e.g. only where no statement is kept), else the
        ORM's count of the slice; `page_and_count`: how to read a page's rows and the
        count of a window together (`page_and_count(page, ids, window)`, the count None
        where it was not read), else the rows are read first and counted after."""
        # Only sliced here: the count is `to_count`'s, never `len(object_list)`.
        super().__init__(cast(Any, object_list), per_page)
        if to_count is None:
            if not isinstance(object_list, QuerySet):
                raise TypeError("to_count is needed with rows that are not a queryset")
            to_count = object_list
        self._to_count = to_count
        self.asked = _number(asked)
        self.cap = cap
        self.count_window = count_window or _orm_count
        self.page_and_count = page_and_count
        # Whether there are more rows than counted (the total is "more than" `count`).
        self.more = False

    @cached_property
    def to_count(self) -> QuerySet[Any]:
        built = self._to_count
        return built if isinstance(built, QuerySet) else built()

    @cached_property
    def count(self) -> int:
        return self._counted(self.count_window(self._ids, self._window()))

    def _window(self) -> slice:
        """Rows from the page's start, at most one past the cap: a bounded scan."""
        start = (self.asked - 1) * self.per_page
        return slice(start, start + self.cap + 1)

    def _counted(self, ahead: int) -> int:
        """The count, from the rows counted in `_window` (`ahead`)."""
        start = (self.asked - 1) * self.per_page
        if ahead == 0 and start > 0:
            # A page past the end (an old link): the exact total, to land on the last page.
            return int(self.to_count.count())
        self.more = ahead > self.cap
        return int(start + min(ahead, self.cap))

    def get_page(self, number: Any) -> Page[Any]:
        """The page asked for, its rows read first. A page holding fewer rows than a page
        holds ends the list, so the list's count is the page's start and its rows, known
        without a statement: an identity-number search finds a case or two, and counting
        them took as much planning as reading them (1.3 of 3.7 ms of PostgreSQL time at
        national scale, issue 22, the twenty-second round). A full page is counted as
        before, when the page asks how many there are; an empty page past the start is
        an old link, which lands on the last page (`Paginator.get_page`)."""
        asked = _number(number)
        if asked != self.asked:  # the count's window starts at the page made for
            raise ValueError(f"page {number!r} asked of a pager made for page {self.asked}")
        start = (asked - 1) * self.per_page
        page = slice(start, start + self.per_page)
        ahead: int | None = None
        if self.page_and_count is not None:
            found, ahead = self.page_and_count(page, self._ids, self._window())
            rows = list(found)
        else:
            rows = list(self.object_list[page])
        if not rows and start > 0:
            if ahead is not None:
                self.__dict__["count"] = self._counted(ahead)
            return super().get_page(number)
        # The cached property, known.
        if len(rows) < self.per_page:
            self.__dict__["count"] = start + len(rows)
        elif ahead is not None:
            self.__dict__["count"] = self._counted(ahead)
        return Page(rows, asked, self)

    def _ids(self) -> QuerySet[Any]:
        return self.to_count.order_by().values("pk")


def _number(asked: object) -> int:
    """A page's number as `Paginator.get_page` takes it: "last" or garbage is the first."""
    try:
        return max(1, int(str(asked)))
    except ValueError:
        return 1


def _orm_count(ids: Callable[[], QuerySet[Any]], window: slice) -> int:
    return int(ids()[window].count())


def pagination(page: Page[Any], query: str) -> SafeString:
    """templates/includes/pagination.html written in Python, byte for byte (a page of a
    list written in Python writes its pager so: tests/cases/core/test_case_list_page.py
    renders both). `query`: the list's other parameters, URL-encoded."""
    if not page.has_other_pages():
        return mark_safe("\n")  # noqa: S308  the include's last line break alone
    paginator: Any = page.paginator
    query_part = f"{escaped(query)}&amp;" if query else ""
    previous = (
        f'<a href="?{query_part}page={_number_text(page.previous_page_number())}">'
        f"{escaped(gettext('Previous'))}</a>"
        if page.has_previous()
        else ""
    )
    following = (
        f'<a href="?{query_part}page={_number_text(page.next_page_number())}">'
        f"{escaped(gettext('Next'))}</a>"
        if page.has_next()
        else ""
    )
    values = {
        "number": _number_text(page.number),
        "total": _number_text(paginator.num_pages),
    }
    if getattr(paginator, "more", False):
        where = gettext("Page %(number)s of more than %(total)s") % values
    else:
        where = gettext("Page %(number)s of %(total)s") % values
    return mark_safe(  # noqa: S308  every value above is escaped
        f'\n<nav class="pagination" aria-label="{escaped(gettext("Pages"))}">\n'
        f"  {previous}\n"
        f"  <span>{where}</span>\n"
        f"  {following}\n"
        "</nav>\n\n"
    )


def _number_text(value: int) -> str:
    """A number as a template writes it: localised and escaped."""
    return escaped(localize(value))
