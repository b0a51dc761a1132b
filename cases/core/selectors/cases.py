"""Reads of cases, always scoped to what the user may see.

One way in: views reach a case only through `get_case_for_user` and lists only
through `visible_cases`; both are single SQL queries whatever the number of grants.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

from django.contrib.postgres.expressions import ArraySubquery
from django.core.exceptions import PermissionDenied
from django.db import connections
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.http import Http404

from bokvar.compiled import reader_key
from bokvar.models import Unit, User
from bokvar.prepared import prepares
from bokvar.roles import CASE_STAFF
from bokvar.selectors import roles_of, unit_staff_by_unit

from ...models import (
    Case,
    CaseAssignment,
    CaseGroupObjectPermission,
    CaseUserObjectPermission,
    Person,
    PersonNameToken,
    PersonUserObjectPermission,
)
from ..identity import (
    InvalidPersonalNumber,
    name_search_forms,
    parse_personal_number,
    personal_number_indexes,
)
from .kept import KeptAll, KeptCount, KeptFirst
from .people import (
    PROTECTED_PLACEHOLDER,
    any_member_protected,
    hidden_people,
    may_see_person,
    object_perm,
    persons_visible_q,
)
from .per_request import once
from .rows import CaseRows

CASE_NUMBER_PREFIX = "BK-"


def _granted_case_ids(
    user: User, codename: str, *, constant: bool = False
) -> tuple[QuerySet[Any, Any], QuerySet[Any, Any]]:
    """Subqueries: cases granted to the user directly or to one of their groups.
    `constant`: the permission named in the text (`object_perm`)."""
    permission = object_perm(codename, constant=constant)
    direct = CaseUserObjectPermission.objects.filter(user=user, **permission).values(
        "content_object_id"
    )
    # The user's groups from the membership table alone: `group__user` also joined the
    # groups' own table, looked up once for every grant (314 of a city coordinator's
    # 1,341 buffers for the first page of their list, issue 22, the twentieth round).
    groups = User.groups.through.objects.filter(user_id=user.pk).values("group_id")
    via_group = CaseGroupObjectPermission.objects.filter(group_id__in=groups, **permission).values(
        "content_object_id"
    )
    return direct, via_group


def _case_filter(user: User, codename: str, *, one: bool = False) -> Q:
    """The one rule for the cases a reader may see (`view_case`) or change
    (`change_case`): granted to them, granted to one of their groups, or of a unit in a
    district they coordinate.

    `one`: written for reading one case by its id, each grant as an `EXISTS` on that
    case (an index probe) instead of `IN` the reader's grants. For a list `IN` is right
    (the grants hashed once, the cases walked); for one row PostgreSQL built the hash of
    every grant to test a single case: a coordinator whose unit holds 1,650 grants spent
    1.2 ms a read on it at national scale, 0.3 ms this way (issue 22). The same cases
    either way: a grant's case id is never NULL.

    The one-case form names its permission as constants in the text: it runs on generic
    plans (a case's forms and page, `KeptFirst(generic=True)`), where a bound codename
    and app are estimated at one grant whatever the reader holds. At city scale the
    plan then hashed all of a coordinator's 313 grants, each joined to the content types
    by a scan, to test one case: 1,337 buffers and 3.0 ms on every form of a case,
    1.2 ms with the constants (issue 22, the twentieth round). A list keeps them bound:
    its statements run on custom plans, which see the values anyway."""
    direct, via_group = _granted_case_ids(user, codename, constant=one)
    if one:
        condition = Q(Exists(direct.filter(content_object_id=OuterRef("pk"))))
        condition |= Q(Exists(via_group.filter(content_object_id=OuterRef("pk"))))
    else:
        condition = Q(pk__in=direct)
        condition |= Q(pk__in=via_group)
    district_units = _coordinated_units(user)
    if district_units is not None:
        # A semi-join on the units, not a join: keeps the case index usable.
        condition |= Q(responsible_unit_id__in=district_units)
    return condition


def _coordinated_units(user: User) -> QuerySet[Any, Any] | None:
    """The ids of the units in the districts the user coordinates (a subquery), None
    where they coordinate none: the third source of the rule, in each of its forms."""
    district_ids = roles_of(user).coordinator_district_ids
    if not district_ids:
        return None
    return Unit.objects.filter(district_id__in=district_ids).values("pk")


def _one_case(user: User, codename: str) -> QuerySet[Case]:
    """`visible_cases` ("view_case") or `writable_cases` ("change_case") for reading one
    case by its id (`_case_filter(one=True)`)."""
    if not user.is_authenticated or not user.is_active:
        return Case.objects.none()
    return Case.objects.filter(_case_filter(user, codename, one=True))


def visible_cases(user: User) -> QuerySet[Case]:
    if not user.is_authenticated or not user.is_active:
        return Case.objects.none()
    return Case.objects.filter(_case_filter(user, "view_case"))


def visible_case(user: User) -> QuerySet[Case]:
    """`visible_cases` in the form for one case (`_case_filter(one=True)`), for an
    `Exists` on the case of another row (a handover's): each grant an index probe on
    that case. Written with `visible_cases`, PostgreSQL hashed every grant the reader
    holds to test the one case: 2,200 grants of a caseworker, 0.8 ms of the handover
    page's 1 ms statement at national scale (issue 22)."""
    return _one_case(user, "view_case")


def visible_cases_by_grants(user: User) -> QuerySet[Case]:
    """The same cases as `visible_cases`, the same three sources (grants to the user,
    grants to their groups, a coordinator's districts), written as one `IN` over their
    `UNION`: PostgreSQL reads the user's grants by their indexes and looks the cases up
    by key, instead of testing every case of the table against the grants (issue 22,
    point 2: a caseworker's list counted 500,000 cases at national scale to find a few
    hundred). For a coordinator, whose district holds most of the cases they see, the
    other form walks the list's index in order and stops at the page: `case_list`
    chooses."""
    if not user.is_authenticated or not user.is_active:
        return Case.objects.none()
    direct, via_group = _granted_case_ids(user, "view_case")
    sources = [via_group]
    units = _coordinated_units(user)
    if units is not None:
        sources.append(Case.objects.filter(responsible_unit_id__in=units).values("pk"))
    # No ORDER BY inside the UNION's parts (SQLite refuses one in a compound statement).
    return Case.objects.filter(pk__in=direct.order_by().union(*(s.order_by() for s in sources)))


def writable_cases(user: User) -> QuerySet[Case]:
    if not user.is_authenticated or not user.is_active:
        return Case.objects.none()
    return Case.objects.filter(_case_filter(user, "change_case"))


# A page that reads its cases by one statement (a case's page and forms, the case list)
# reads with them what the access log says of each (`cases.core.audit.subjects`): its
# main tenant, unit and district come with the case (select_related household and
# responsible_unit), its protection as this annotation. Describing the reads then reads
# nothing more: the facts query was a query, and 0.46 ms of planning at national scale,
# on every page and form of a case and every case list page (issue 22).
PROTECTED_WITH_THE_CASE = "access_log_any_protected"


def facts_with_the_case(*, constant: bool = False) -> dict[str, Any]:
    """The annotation of a case read whose facts the access log takes from it (with
    `select_related("household", "responsible_unit")`). `constant`: for a statement on
    its generic plan (`any_member_protected`)."""
    return {PROTECTED_WITH_THE_CASE: any_member_protected(constant=constant)}


def facts_with_its_case(relation: str, *, constant: bool = False) -> dict[str, Any]:
    """`facts_with_the_case` for a row that reads its case by `relation` (a handover's
    "case", with `select_related` of the case's household and responsible unit): an
    annotation of the row, which `facts_to_its_case` gives the case once read. The
    handover page described the case it reads in a query of its own (0.9 ms at
    national scale, issue 22, the twenty-fourth round)."""
    return {
        f"{relation}_{PROTECTED_WITH_THE_CASE}": any_member_protected(
            constant=constant, household=f"{relation}__household_id"
        )
    }


def facts_to_its_case(row: Any, relation: str) -> None:
    """Give the case of `row` what `facts_with_its_case` read of it."""
    protected = getattr(row, f"{relation}_{PROTECTED_WITH_THE_CASE}", None)
    if protected is not None:
        setattr(getattr(row, relation), PROTECTED_WITH_THE_CASE, protected)


def get_case_for_user(user: User, case_id: int, *, write: bool = False) -> Case:
    """404 where the user may not know the case exists; 403 where they may read but not write."""

    def build(pk: int) -> QuerySet[Case]:
        found = (
            _one_case(user, "view_case")
            .select_related(
                "household", "household__head", "responsible_unit", "responsible_caseworker"
            )
            .annotate(**facts_with_the_case(constant=True))
        )
        if write:
            # Whether the user may write, read with the case (one query, not two).
            found = found.annotate(
                user_may_write=Exists(_one_case(user, "change_case").filter(pk=OuterRef("pk")))
            )
        return found.filter(pk=pk)

    # Every form and sub-page of a case reads it so: the statement is compiled once per
    # reader (kept.KeptFirst), as the case page's, and run with each page's id.
    key = reader_key(user, Case.objects.all().db)
    case: Case | None = _CASE_FOR_USER.first(None if key is None else (key, write), build, case_id)
    if case is None:
        raise Http404
    if write and not getattr(case, "user_may_write", False):
        raise PermissionDenied
    return case


# On its generic plan: PostgreSQL planned it afresh on every form and sub-page of a case,
# 0.5-0.9 ms of planning for 0.15-0.45 ms of execution at national scale, and the
# generic plan read fewer buffers for readers of each role (issue 22, the nineteenth
# round). The same for the case page's statement below.
_CASE_FOR_USER = KeptFirst(generic=True)


def can_write_case(user: User, case: Case) -> bool:
    return _one_case(user, "change_case").filter(pk=case.pk).exists()


# --- One page, one decision (per_request.once) -----------------------------------------


def get_case_for_page(request: Any, case_id: int) -> Case:
    """`get_case_for_user` for a page of the case, in the same one query: whether the
    reader may write it and whether its household is hidden from them (a member's
    protected identity not granted, `people.Sight`), kept for the page's sections
    (`may_write`, `hides_household`)."""
    user = request.user

    def build(pk: int) -> QuerySet[Case]:
        return (
            _one_case(user, "view_case")
            .select_related(
                "household", "household__head", "responsible_unit", "responsible_caseworker"
            )
            .annotate(
                writable=Exists(_one_case(user, "change_case").filter(pk=OuterRef("pk"))),
                household_hidden=Exists(
                    hidden_people(user).filter(household_id=OuterRef("household_id"))
                ),
                **facts_with_the_case(constant=True),
            )
            .filter(pk=pk)
        )

    # The statement is compiled once per reader (kept.KeptFirst) and run for each page.
    key = reader_key(user, Case.objects.all().db)
    found = _CASE_FOR_PAGE.first(key, build, case_id)  # with the annotations
    if found is None:
        raise Http404
    case: Case = found
    once(request, ("writable", case.pk), lambda: found.writable)
    once(request, ("household_hidden", case.household_id), lambda: found.household_hidden)
    return case


_CASE_FOR_PAGE = KeptFirst(generic=True)


def may_write(request: Any, case: Case) -> bool:
    """`can_write_case` for the request's reader, decided once per request."""
    return once(request, ("writable", case.pk), lambda: can_write_case(request.user, case))


def hides_household(request: Any, case: Case) -> bool:
    """`Sight(reader).hides_case(case)`, decided once per request and by one row's
    question (does this household have a member hidden from the reader?) instead of
    listing every hidden person of the country."""
    return once(
        request,
        ("household_hidden", case.household_id),
        lambda: hidden_people(request.user).filter(household_id=case.household_id).exists(),
    )


def may_see_case(user: User, case: Case) -> bool:
    return _one_case(user, "view_case").filter(pk=case.pk).exists()


# --- Lists and search -------------------------------------------------------------------


@dataclass(frozen=True)
class CaseFilters:
    q: str = ""
    status: str = ""
    unit_id: int | None = None
    assignee_id: int | None = None


@dataclass(frozen=True)
class SearchTerms:
    """What a search looks for, as the values a statement compares with (a case number,
    or the blind indexes of an identity number or of a name's words), and its shape: all
    the statement's text depends on (`search_condition`), so a search's statement can be
    kept by its shape with the values bound on each run, and no word searched is kept."""

    kind: str  # "case number", "identity number", "name" or "nothing"
    values: tuple[str, ...]
    # For a name, how many of `values` are each word's forms, in order.
    words: tuple[int, ...] = ()

    @property
    def shape(self) -> tuple[str, int, tuple[int, ...]]:
        return (self.kind, len(self.values), self.words)

    def with_values(self, values: tuple[str, ...]) -> SearchTerms:
        return SearchTerms(self.kind, values, self.words)


def search_terms(q: str) -> SearchTerms | None:
    """The terms of a search (None: no search): a case number, an identity number in any
    written form, or words of a name (`search_condition`)."""
    q = q.strip()
    if not q:
        return None
    if q.upper().startswith(CASE_NUMBER_PREFIX):
        return SearchTerms("case number", (q.upper(),))
    try:
        number = parse_personal_number(q)
    except InvalidPersonalNumber:
        words = name_search_forms(q)
        if not words:
            return SearchTerms("nothing", ())
        return SearchTerms(
            "name", tuple(form for forms in words for form in forms), tuple(map(len, words))
        )
    return SearchTerms("identity number", tuple(personal_number_indexes(number)))


def search_condition(user: User, q: str) -> Q | None:
    """A case number, an identity number in any written form, or words of a name: a case
    matches when one person of its household has every word searched among the words of
    their given and family names ("Bergström", "anna bergstrom", "Karin" for
    Anna-Karin; cases.core.identity.name_search_forms).

    Only people the reader may see are matched, and never in a household hidden from
    them (a member's protected identity not granted, `people.Sight`): that a name or a
    number belongs to such a household is itself what the protection hides. One
    condition with subqueries: the list stays one query whatever the data."""
    terms = search_terms(q)
    return None if terms is None else terms_condition(user, terms)


def terms_condition(user: User, terms: SearchTerms) -> Q:
    """`search_condition` of the terms of a search (`search_terms`)."""
    if terms.kind == "case number":
        return Q(number=terms.values[0])
    if terms.kind == "nothing":
        return Q(pk__in=[])
    hidden = hidden_people(user).filter(household_id=OuterRef("household_id"))
    if (
        terms.kind == "identity number"
        and not roles_of(user).coordinator_district_ids
        and connections[Case.objects.all().db].vendor == "postgresql"
    ):
        # The households of the few people an identity number finds, as an array made
        # once (an InitPlan): PostgreSQL reads their cases by the household index. Asked
        # of each case instead (`EXISTS`), a caseworker's search tested every case their
        # grants give them, on the planner's estimate of two (5.5 ms a statement at
        # national scale, issue 22). Not for a coordinator, whose list is read from their
        # district's cases: there the array made the search 2-4 ms slower (measured A/B).
        found = Person.objects.filter(persons_visible_q(user), _numbered(terms.values)).values(
            "household_id"
        )
        return Q(household_id__any_of_array=ArraySubquery(found)) & ~Q(Exists(hidden))
    matches = Person.objects.filter(household_id=OuterRef("household_id")).filter(
        persons_visible_q(user)
    )
    if terms.kind == "identity number":
        matches = matches.filter(_numbered(terms.values))
    else:
        start = 0
        for count in terms.words:
            forms = list(terms.values[start : start + count])
            start += count
            matches = matches.filter(
                Exists(
                    PersonNameToken.objects.filter(person_id=OuterRef("pk"), token_bidx__in=forms)
                )
            )
    return Q(Exists(matches)) & ~Q(Exists(hidden))


def _numbered(values: tuple[str, ...]) -> Q:
    """People whose identity number's blind index is one of `values`, with the condition
    of the index that finds them written out: `person_personal_number_unique` is partial
    (numbers only, not the blank), and PostgreSQL uses a partial index in a generic plan
    only where the statement names its condition (bokvar.lookups.IsConstant). Without
    it, an identity-number search on its generic plan read every person: 45,000 buffers
    and 170 ms at national scale, against 0.6 ms with it (issue 22, the twenty-second
    round). The same people: a blind index is never the blank."""
    return Q(personal_number_bidx__in=list(values)) & ~Q(personal_number_bidx__is_constant="")


def case_list(user: User, filters: CaseFilters) -> QuerySet[Case]:
    """The rows of the case list: one query, with the main tenant and whether they are hidden.

    A coordinator's list walks the case index in the list's order (most cases of their
    district are theirs: the page is found in its first rows); anyone else's is driven by
    their grants (`visible_cases_by_grants`: the same cases)."""
    return case_list_of(user, _filtered(user, _scoped(user), filters))


# The case list's columns (`case_list_of`). The main tenant's row key is read with their
# name: their encrypted values are checked against it (`bokvar.fields`), and a deferred
# row key would be fetched by a query of its own for every row.
_LISTED = (
    "number",
    "kind",
    "status",
    "opened_on",
    "household__head__row_key",
    "household__head__household_id",
    "household__head__given_name",
    "household__head__family_name",
    "household__head__protected_identity",
    "responsible_unit__name",
    "responsible_unit__district_id",
)


def case_list_of(user: User, cases: QuerySet[Case]) -> QuerySet[Case]:
    """`case_list`'s rows of `cases`: with the main tenant and whether the reader was
    granted to see them, in the list's order."""
    # Only the columns the list shows, and what the access log takes from its rows
    # (`facts_with_the_case`): the main tenant's name, or that it is protected (their
    # other encrypted fields were neither read nor decrypted, issue 22), and none of
    # the timestamps, versions and outcomes. Reading and loading every column of the
    # case, household, person and unit was a twentieth of the coordinator's first page's
    # CPU at national scale (issue 22, the twenty-fifth round).
    qs = cases.select_related("household__head", "responsible_unit").only(*_LISTED)
    head_granted = PersonUserObjectPermission.objects.filter(
        user=user,
        content_object_id=OuterRef("household__head_id"),
        **object_perm("view_protected_person"),
    )
    # What the access log says of each case listed comes with it (`facts_with_the_case`):
    # the page records a read of every case it lists.
    return qs.annotate(head_granted=Exists(head_granted), **facts_with_the_case()).order_by(
        "-opened_on", "-id"
    )


class CaseListPages:
    """The case list's rows for its pager: a slice of it is one page's cases, read by
    their ids first.

    The page's ids are found in the list's order without the page's columns, and only
    those rows are then read with their household, main tenant and unit. Read in one
    statement instead, PostgreSQL joined the household, person and unit of every case
    the reader may see before sorting them: a caseworker's first page read 1,650
    people's rows to show 25 (20 ms a page under the national load test; issue 22).

    Its querysets (`cases`, `to_count`) are built only when asked for: a page and a count
    read by statements already kept need none of them (building the reader's filtered
    querysets on every page was a seventh of the case list's CPU, issue 22)."""

    def __init__(self, user: User, filters: CaseFilters):
        """`filters`: what the list is filtered by (with the reader, all its text
        depends on), to read each page by a statement kept per reader, filters and page."""
        self.user, self.filters = user, filters

    @cached_property
    def _parts(self) -> list[QuerySet[Case]]:
        return self._parts_with(None)

    def _parts_with(self, terms: SearchTerms | None) -> list[QuerySet[Case]]:
        return [
            _filtered(self.user, part, self.filters, terms)
            for part in _parts(self.user, terms or self._terms)
        ]

    @cached_property
    def cases(self) -> QuerySet[Case]:
        """The cases listed, filtered (a queryset of the reader's visible cases)."""
        return self._cases_with(None)

    def _cases_with(self, terms: SearchTerms | None) -> QuerySet[Case]:
        parts = self._parts if terms is None else self._parts_with(terms)
        if len(parts) == 1:
            return parts[0]
        return _filtered(self.user, visible_cases(self.user), self.filters, terms)

    def to_count(self) -> QuerySet[Any]:
        """The same cases for the pager to count (bokvar.paging, which stops a thousand
        past the page): the ids of parts that do not overlap, one after the other
        (`UNION ALL`).

        A coordinator's cases counted with the list's condition (their district's units
        or one of their grants) made PostgreSQL read the case table until it had found a
        thousand: cheap where their district's cases lay early in the table, 300 ms where
        they lay late (81 ms on average under the national load test; issue 22). Counted
        part by part, the district's cases are found by the unit index and the counting
        stops at the cap whatever the district: 0.5 ms. Anyone else has one part, their
        grants, which is also what their list is read from."""
        return self._to_count_with(None)

    def _to_count_with(self, terms: SearchTerms | None) -> QuerySet[Any]:
        parts = self._parts if terms is None else self._parts_with(terms)
        if len(parts) == 1:
            if terms is None and self._counts_its_grants_one_by_one():
                return _filtered(self.user, _granted_one_by_one(self.user), self.filters)
            return parts[0]
        ids = [part.order_by().values("pk") for part in parts]
        return ids[0].union(*ids[1:], all=True)

    def _counts_its_grants_one_by_one(self) -> bool:
        """Whether the list is counted from the reader's grants, each case read by its key
        (`_granted_one_by_one`): for a reader with grants alone (not a coordinator), on
        PostgreSQL, filtered by status and nothing else.

        Counted as `IN` their grants, PostgreSQL hashed a caseworker's 1,650 grants and
        read every open case of the country by the open cases' index to match them:
        178,000 rows and 20.8 ms of the 28.7 ms of PostgreSQL's CPU for the load test's
        "open cases" page at national scale, against 6.6 ms read one by one (issue 22,
        the twenty-third round). Unfiltered, or filtered by a unit (whose index gives
        its few cases) or an assignee, the count stops at its cap or is driven by that
        filter: `IN` took 2.7 ms where one by one took 4.7 ms, so they keep it."""
        filters, user = self.filters, self.user
        return (
            user.is_authenticated
            and user.is_active
            and bool(filters.status)
            and not filters.unit_id
            and not filters.assignee_id
            and not filters.q
            and connections[Case.objects.db].vendor == "postgresql"
            and _coordinated_units(user) is None
        )

    def _page(self, page: slice, terms: SearchTerms | None = None) -> QuerySet[Case]:
        cases = self.cases if terms is None else self._cases_with(terms)
        ids = cases.order_by("-opened_on", "-id").values("pk")[page]
        return case_list_of(self.user, Case.objects.filter(pk__in=ids))

    def __getitem__(self, page: slice) -> list[Case]:
        def build(terms: SearchTerms | None = None) -> QuerySet[Case]:
            return self._page(page, terms)

        # Building and compiling the page's statement was a tenth of the case list's CPU
        # (issue 22); its text depends on the reader, the filters (a search by its shape)
        # and the page alone.
        key = self._key()
        search = self._terms
        if search is None:
            return _CASE_LIST.all(
                None if key is None else (key, self.filters, page.start, page.stop), build
            )
        kept = _NUMBER_SEARCH_LIST if search.kind == "identity number" else _SEARCH_LIST
        return kept.all_bound(
            None if key is None else (key, page.start, page.stop),
            lambda values: build(search.with_values(values)),
            search.values,
        )

    def page_and_count(
        self, page: slice, ids: Callable[[], QuerySet[Any]], window: slice
    ) -> tuple[list[Case], int | None]:
        """A page of the list (`self[page]`) and the pager's count of `window` of its ids
        (`count_window`), the count sent in the page's round trip (`KeptAll.all`'s
        `then`): it was a round trip of its own on every page, 2 ms of the coordinator's
        first page at national scale on a slow machine (issue 22, the twenty-ninth
        round). The count is sent whether the page is full or not (its rows are not
        known before), and read: a list short of a page has few rows to count.

        Read alone (count None, counted after where the page is full: a page short of
        full is counted by its rows, `CappedPaginator.get_page`): a search's page, which
        finds a household or two; and where the list is not read in a pipeline
        (statements not prepared, SQLite), where the count would cost a round trip
        whether the page needs it or not."""
        if self._terms is not None or not prepares(Case.objects.db):
            return self[page], None
        key = self._key()
        count = _CASE_COUNT.to_send(
            None if key is None else (key, self.filters, window.start, window.stop),
            lambda: ids()[window],
        )
        rows = _CASE_LIST.all(
            None if key is None else (key, self.filters, page.start, page.stop),
            lambda: self._page(page),
            then=count.send,
        )
        return rows, count.value()

    def count_window(self, ids: Callable[[], QuerySet[Any]], window: slice) -> int:
        """The pager's count of a window of the list's ids (`ids()`, built only where the
        statement is not kept; `CappedPaginator`), by a statement kept as the page's is
        (its building and compiling was 1.3 ms of every case list page)."""
        key = self._key()
        search = self._terms
        if search is None:
            return _CASE_COUNT.count(
                None if key is None else (key, self.filters, window.start, window.stop),
                lambda: ids()[window],
            )
        return _SEARCH_COUNT.count_bound(
            None if key is None else (key, window.start, window.stop),
            lambda values: self._to_count_with(search.with_values(values))[window],
            search.values,
        )

    @cached_property
    def _terms(self) -> SearchTerms | None:
        return search_terms(self.filters.q)

    def _key(self) -> tuple[Any, ...] | None:
        """The reader's key, the filters and a search's shape: everything the list's
        statements' text depends on. A search's words (its values) are never part of it:
        they would stay in the process's memory (`KeptAll.all_bound` binds them)."""
        reader = reader_key(self.user, Case.objects.all().db)
        if reader is None:
            return None
        if self._terms is None:
            return reader
        return (reader, replace(self.filters, q=""), self._terms.shape)


# The case list's pages on their generic plan, planned once a connection: on custom
# plans PostgreSQL planned every page (1.3 ms of the bench coordinator's first page at
# national scale). For twelve random readers of every role (six coordinators, five
# caseworkers, three guides), the generic plan took 0.23-0.99 of the time of the plans
# PostgreSQL chose itself for the first page, and 0.74-1.23 for the open cases of their
# unit, where the three over 1.0 were 0.1-0.8 ms (issue 22, the twenty-second round).
_CASE_LIST = KeptAll(generic=True)
_CASE_COUNT = KeptCount()
# A search's list and count, kept by its shape with its values bound (`CaseListPages._key`).
_SEARCH_LIST = KeptAll()
_SEARCH_COUNT = KeptCount()
# An identity-number search's page on its generic plan, planned once a connection: its
# custom plans took 2.2-4.3 ms of planning for 0.4-0.9 ms of execution at national
# scale, the generic plan 0.6-0.7 ms in all (issue 22, the twenty-second round;
# docs/performance.md). Its count is rare (a page of 25 cases of one or two households)
# and stays on custom plans. A name search's words give other plans: not measured, kept
# custom.
_NUMBER_SEARCH_LIST = KeptAll(generic=True)


def case_list_for_pager(
    user: User, filters: CaseFilters
) -> tuple[CaseListPages, Callable[[], QuerySet[Any]]]:
    """The case list's pages, and how to build the same cases for its pager to count
    (`CaseListPages.to_count`); neither is built until asked for."""
    pages = CaseListPages(user, filters)
    return pages, pages.to_count


def _scoped(user: User) -> QuerySet[Case]:
    if roles_of(user).coordinator_district_ids:
        return visible_cases(user)
    return visible_cases_by_grants(user)


def _parts(user: User, terms: SearchTerms | None = None) -> list[QuerySet[Case]]:
    """`visible_cases(user)` as parts that do not overlap: a coordinator's district, then
    the cases granted to them outside it; anyone else's grants alone.

    `terms`: a search's. An identity number finds a household or two, whose cases are
    read by the household index (`terms_condition`); for anyone but a coordinator their
    grants are then asked of those few cases (the rule's form for one case, an index
    probe per grant source). Written as `IN` the reader's grants, PostgreSQL estimated a
    caseworker's 2,200 grants at three and walked them, reading each case to compare
    its household: 6,600 buffers and 4.5 ms for the list, as much again for its count,
    at national scale (issue 22)."""
    if not user.is_authenticated or not user.is_active:
        return [Case.objects.none()]
    units = _coordinated_units(user)
    if units is None and terms is not None and terms.kind == "identity number":
        return [Case.objects.filter(_case_filter(user, "view_case", one=True))]
    granted = Case.objects.filter(pk__in=_granted_ids(user))
    if units is None:
        return [granted]
    return [
        Case.objects.filter(responsible_unit_id__in=units),
        granted.exclude(responsible_unit_id__in=units),
    ]


def _granted_one_by_one(user: User) -> QuerySet[Case]:
    """The cases granted to `user` or their groups (the reader's part of `_parts`), as
    their ids made once into an array and read by the case table's key, one by one
    (`any_of_array`, PostgreSQL): see `CaseListPages._counts_its_grants_one_by_one`."""
    return Case.objects.filter(pk__any_of_array=ArraySubquery(_granted_ids(user)))


def _granted_ids(user: User) -> QuerySet[Any, Any]:
    """The ids of the cases granted to `user` or to one of their groups, one `UNION`."""
    direct, via_group = _granted_case_ids(user, "view_case")
    return direct.order_by().union(via_group.order_by())


def _filtered(
    user: User, qs: QuerySet[Case], filters: CaseFilters, terms: SearchTerms | None = None
) -> QuerySet[Case]:
    """The cases of `qs` the filters keep; `terms`: the search's, with other values than
    `filters.q`'s (stand-ins, for a statement kept by the search's shape)."""
    condition = search_condition(user, filters.q) if terms is None else terms_condition(user, terms)
    if condition is not None:
        qs = qs.filter(condition)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.unit_id:
        qs = qs.filter(responsible_unit_id=filters.unit_id)
    if filters.assignee_id:
        qs = qs.filter(
            Exists(CaseAssignment.objects.filter(case=OuterRef("pk"), user_id=filters.assignee_id))
        )
    return qs


def head_name(case: Case) -> str:
    head = case.household.head
    if head is None:
        return ""
    if head.is_protected and not getattr(case, "head_granted", False):
        return str(PROTECTED_PLACEHOLDER)
    return head.full_name


@dataclass(frozen=True)
class NumberClash:
    """Another person already holds an identity number the user entered. `visible` only
    when the user may see that person and their household's cases (an open case
    included): everyone else must not learn that such a person exists."""

    visible: bool
    household_id: int | None = None
    open_case: Case | None = None
    # Who holds the number, for routing the matter to those who may see them
    # (`people.route_refused_registration`); never shown to the user.
    holder_id: int | None = None


def personal_number_clash(
    user: User, canonical: str, *, exclude_pk: int | None = None
) -> NumberClash | None:
    """The clash for identity number `canonical`, or None when nobody else holds it.
    Looks for the number under every configured blind-index key: while the keys rotate
    another person may still be indexed under the old one (the unique constraint
    catches the same key only)."""
    holders = Person.objects.filter(personal_number_bidx__in=personal_number_indexes(canonical))
    if exclude_pk is not None:
        holders = holders.exclude(pk=exclude_pk)
    other = holders.first()
    if other is None:
        return None
    hidden = NumberClash(visible=False, holder_id=other.pk)
    if not may_see_person(user, other):
        return hidden
    open_case = open_case_of_household(other.household_id)
    if open_case is not None:
        # An open case the user may not see would be revealed by naming it: stay silent.
        if not may_see_case(user, open_case):
            return hidden
        return NumberClash(visible=True, household_id=other.household_id, open_case=open_case)
    if not visible_cases(user).filter(household_id=other.household_id).exists():
        return hidden
    return NumberClash(visible=True, household_id=other.household_id)


def get_household_case_for_user(user: User, household_id: int) -> Case:
    """The household's latest case the user may see: the way in to opening a new case
    for a returning household. 404 when the user sees none of its cases."""
    case = (
        visible_cases(user)
        .filter(household_id=household_id)
        .select_related("household", "responsible_unit")
        .order_by("-opened_on", "-pk")
        .first()
    )
    if case is None:
        raise Http404
    return case


def open_case_of_household(household_id: int) -> Case | None:
    return (
        Case.objects.filter(household_id=household_id, status=Case.Status.OPEN)
        .order_by("-pk")
        .first()
    )


# --- Staff ------------------------------------------------------------------------------


def assignees_of(case: Case) -> list[User]:
    return [a.user for a in case.assignments.select_related("user").order_by("user__last_name")]


# `assignees_of`, read with the case's other lists (`cases/case_page.py` ROWS).
ASSIGNMENTS = CaseRows(
    "assignments",
    lambda request, of: CaseAssignment.objects.filter(case_id=of("pk")).order_by(
        "user__last_name", "id"
    ),
    related=("user",),
)


def assignees_for_page(request: Any, case: Case) -> list[User]:
    return [a.user for a in ASSIGNMENTS.for_page(request, case)]


def units_for_new_cases(user: User) -> QuerySet[Unit]:
    """Units a user may make responsible for a new case: the coordinated districts'
    units, else the user's own."""
    roles = roles_of(user)
    if roles.coordinator_district_ids:
        return Unit.objects.filter(district_id__in=roles.coordinator_district_ids, is_active=True)
    return Unit.objects.filter(pk__in=roles.unit_ids, is_active=True)


def list_choices_key(user: User) -> tuple[Any, ...] | None:
    """What the case list's unit and staff options depend on (the reader alone), for
    their statements kept per reader (`bokvar.forms.limit_choices`); None keeps none."""
    reader = reader_key(user, Unit.objects.all().db)
    return None if reader is None else ("case-list", reader)


def staff_choices(user: User) -> QuerySet[User]:
    """Staff a case may be assigned to: active members of units in the user's districts."""
    return (
        User.objects.filter(
            is_active=True,
            memberships__unit__district_id__in=roles_of(user).district_ids,
            memberships__role__in=list(CASE_STAFF),
        )
        .distinct()
        .order_by("first_name", "last_name")
    )


def responsible_staff_by_case(unit_of_case: dict[int, int]) -> dict[int, list[User]]:
    """Who answers for each case ({case id: responsible unit id}): its assigned staff; if
    none, the responsible unit's staff. At most two queries, whatever the number of cases:
    {case id: staff ordered by id}."""
    staff: dict[int, list[User]] = {case_id: [] for case_id in unit_of_case}
    if not staff:
        return staff
    assigned = (
        User.objects.filter(is_active=True, case_assignments__case_id__in=list(staff))
        .annotate(for_case=F("case_assignments__case_id"))
        .order_by("id")
    )
    for user in assigned:
        staff[user.for_case].append(user)
    unassigned_units = {unit_of_case[case_id] for case_id, users in staff.items() if not users}
    if unassigned_units:
        by_unit = unit_staff_by_unit(unassigned_units)
        for case_id, users in staff.items():
            if not users:
                users.extend(by_unit.get(unit_of_case[case_id], []))
    return staff
