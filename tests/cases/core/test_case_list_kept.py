"""The case list reads each page by a statement kept per reader, filters and page
(`CaseListPages`, issue 22): the ORM's rows for every reader and filter, as they are now.
A search's statements are kept by its shape with its values bound: no word searched,
nor its blind indexes, stays in the process's memory."""

from __future__ import annotations

from functools import partial

import pytest
from django.db import connection

from bokvar.models import Unit
from cases.core.selectors import cases as case_selectors
from cases.core.selectors.cases import CaseFilters, case_list_for_pager, case_list_of
from cases.models import Case
from tests.case_fixtures import build_cases, person

pytestmark = pytest.mark.django_db

READERS = ("coordinator", "caseworker", "caseworker2", "guide", "steering", "admin")


STORES = (
    case_selectors._CASE_LIST,
    case_selectors._CASE_COUNT,
    case_selectors._SEARCH_LIST,
    case_selectors._SEARCH_COUNT,
    case_selectors._NUMBER_SEARCH_LIST,
)


@pytest.fixture(autouse=True)
def nothing_kept():
    for store in STORES:
        store.statements.clear()
    yield
    for store in STORES:
        store.statements.clear()


def _the_orms_page(user, filters, page):
    pages, _count = case_list_for_pager(user, filters)
    ids = pages.cases.order_by("-opened_on", "-id").values("pk")[page]
    return list(case_list_of(user, Case.objects.filter(pk__in=ids)))


def _seen(cases):
    return [
        (c.pk, c.number, c.responsible_unit.name, case_selectors.head_name(c), c.head_granted)
        for c in cases
    ]


def _kept_page(user, filters, page):
    pages, _count = case_list_for_pager(user, filters)
    return pages[page]


def _runs_on_generic_plans(like: str, reads: dict, want: dict) -> None:
    """Run every read three times (compiled and prepared; then twice on what is
    prepared), each giving its page of `want`, and assert that each run after the first
    round added a generic run and no custom plan to the prepared statements LIKE `like`
    (the ORM's own runs of the same text, for `want`, were planned for their values),
    and that the session's plan mode is back to auto."""
    from tests.prepared_plans import prepared_plans

    plans = []
    for _ in range(3):
        plans.append(prepared_plans(like))
        for key, read in reads.items():
            assert _seen(read()) == want[key], key
    plans.append(prepared_plans(like))
    (_, _), (first, _), (second, _), (last, mode) = plans
    for earlier, later in ((first, second), (second, last)):
        assert sum(row[0] for row in later) - sum(row[0] for row in earlier) == len(reads)
        assert [row[1] for row in later] == [row[1] for row in earlier]
    assert mode == "auto"


def test_every_reader_and_filter_gets_the_orms_page(org, make_case):
    build_cases(make_case)
    for n in range(3):
        make_case(unit_kind=Unit.Kind.ADULT, people=[person("Lista", f"Fallsson{n}")])
    filter_sets = [
        CaseFilters(),
        CaseFilters(status=Case.Status.OPEN),
        CaseFilters(unit_id=org.units[Unit.Kind.ADULT].pk),
        CaseFilters(assignee_id=org.users["caseworker"].pk),
    ]
    for _ in range(2):  # compiled, then through the kept statements
        for name in READERS:
            user = org.users[name]
            for filters in filter_sets:
                for page in (slice(0, 2), slice(2, 4)):
                    pages, _count = case_list_for_pager(user, filters)
                    got, want = pages[page], _the_orms_page(user, filters, page)
                    assert _seen(got) == _seen(want), (name, filters, page)
    assert case_selectors._CASE_LIST.statements
    coordinator_pages, _ = case_list_for_pager(org.users["coordinator"], CaseFilters())
    assert len(coordinator_pages[0:25]) >= 6  # not vacuous


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements")
def test_the_pages_run_on_their_generic_plans(org, make_case):
    """Each page of the list is read on its statement's generic plan, planned once a
    connection (issue 22, the twenty-second round): after the statements are prepared,
    every run adds a generic run and no custom plan, for every reader and filter, each
    getting the ORM's page; the session's plan mode is reset after."""
    build_cases(make_case)
    readers = [org.users[name] for name in READERS]
    filter_sets = [CaseFilters(), CaseFilters(status=Case.Status.OPEN)]
    want = {
        (user.pk, filters): _seen(_the_orms_page(user, filters, slice(0, 2)))
        for user in readers
        for filters in filter_sets
    }
    reads = {
        (user.pk, filters): partial(_kept_page, user, filters, slice(0, 2))
        for user in readers
        for filters in filter_sets
    }
    _runs_on_generic_plans('SELECT "cases_case"."id", "cases_case"."number"%LIMIT 2)%', reads, want)
    assert any(want.values())  # not vacuous


def test_a_new_case_shows_at_once(org, make_case):
    coordinator = org.users["coordinator"]
    make_case(unit_kind=Unit.Kind.ADULT, people=[person("Första", "Fallsson")])
    pages, _ = case_list_for_pager(coordinator, CaseFilters())
    before = [c.pk for c in pages[0:25]]
    new = make_case(unit_kind=Unit.Kind.ADULT, people=[person("Andra", "Fallsson")])
    pages, _ = case_list_for_pager(coordinator, CaseFilters())
    assert [c.pk for c in pages[0:25]] == [new.pk, *before]
    assert len(case_selectors._CASE_LIST.statements) == 1


SEARCHED = ("19800101-2387", "198001012387", "800101-2387", "19750505-4176", "19851212-8730")


def _searches(cases) -> list[str]:
    return [
        *SEARCHED,
        cases[0].number,
        cases[1].number.lower(),
        "Sökbar",
        "sökbar fallsson",
        "Karin",
        "anna-karin bergström",
        "Ingen Alls",
        "!!!",
    ]


def test_every_search_gets_the_orms_page_and_count(org, make_case):
    """A search's page and count by statements kept by its shape (a case number, an
    identity number, a name of so many words), its values bound on each run: the ORM's
    rows and count for every reader and search, including searches of the same shape
    that find other cases."""
    build_cases(make_case)
    made = [
        make_case(unit_kind=Unit.Kind.ADULT, people=[person("Sökbar", "Fallsson")]),
        make_case(unit_kind=Unit.Kind.ADULT, people=[person("Anna-Karin", "Bergström")]),
    ]
    searches = _searches(made)
    found = set()
    for _ in range(2):  # compiled, then through the kept statements
        for name in READERS:
            user = org.users[name]
            for q in searches:
                filters = CaseFilters(q=q)
                pages, to_count = case_list_for_pager(user, filters)
                got, want = pages[0:25], _the_orms_page(user, filters, slice(0, 25))
                assert _seen(got) == _seen(want), (name, q)
                ids = to_count().order_by().values("pk")
                counted = pages.count_window(lambda ids=ids: ids, slice(0, 1001))
                assert counted == ids[0:1001].count() == len(want), (name, q)
                found |= {(q, c.pk) for c in got}
    # Not vacuous: each identity number, case number and name found its own cases.
    assert all(any(q == f for f, _pk in found) for q in searches[:9] if q != "Ingen Alls")
    assert case_selectors._SEARCH_LIST.statements and case_selectors._SEARCH_COUNT.statements
    assert case_selectors._NUMBER_SEARCH_LIST.statements  # identity numbers' pages
    assert not case_selectors._CASE_LIST.statements  # (no list without a search was read)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements")
def test_an_identity_number_searchs_page_runs_on_its_generic_plan(org, make_case):
    """An identity-number search's page is read on its generic plan (planned once a
    connection), which finds the person by the index of identity numbers: its statement
    names the index's condition (`_numbered`). Every reader gets the ORM's page, and the
    session's plan mode is reset after."""
    build_cases(make_case)
    readers = [org.users[name] for name in READERS]
    want = {
        (user.pk, q): _seen(_the_orms_page(user, CaseFilters(q=q), slice(0, 25)))
        for user in readers
        for q in SEARCHED
    }
    reads = {
        (user.pk, q): partial(_kept_page, user, CaseFilters(q=q), slice(0, 25))
        for user in readers
        for q in SEARCHED
    }
    _runs_on_generic_plans('SELECT "cases_case"."id"%"personal_number_bidx" = \'\')%', reads, want)
    # On the test database's few rows PostgreSQL may take the generic plan by itself
    # after the ORM's runs, so the runs above pass with plans left to it too: the store
    # is asked to force it.
    assert case_selectors._NUMBER_SEARCH_LIST.generic
    statements = case_selectors._NUMBER_SEARCH_LIST.statements.values()
    assert all("\"personal_number_bidx\" = '')" in statement.sql for statement in statements)
    # The generic plan of each, made afresh with the prepared statement's parameter types.
    # A few people in the test database: scanning them all may well be cheaper, so scans
    # are made the planner's last resort; the index is then taken where the generic plan
    # may use it, and only there (without the condition: "Seq Scan on cases_person").
    values = case_selectors.search_terms(SEARCHED[0]).values
    for statement in statements:
        count = statement.sql.count("%s")
        numbered = statement.sql.replace("%s", "${}").format(*range(1, count + 1))
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT parameter_types FROM pg_prepared_statements WHERE statement = %s",
                [numbered],
            )
            (types,) = cursor.fetchone()
            cursor.execute(f"PREPARE numbered_search ({', '.join(types)}) AS {numbered}")
            cursor.execute("SET plan_cache_mode = force_generic_plan")
            cursor.execute("SET enable_seqscan = off")
            try:
                explain = f"EXPLAIN EXECUTE numbered_search({', '.join(['%s'] * count)})"
                cursor.execute(connection.ops.compose_sql(explain, statement.bound(values)))
                plan = "\n".join(row[0] for row in cursor.fetchall())
            finally:
                cursor.execute("RESET plan_cache_mode")
                cursor.execute("RESET enable_seqscan")
                cursor.execute("DEALLOCATE numbered_search")
        assert "person_personal_number_unique" in plan
        assert "Seq Scan on cases_person " not in plan, plan


def test_a_search_keeps_no_word_and_is_compiled_once_a_shape(org, make_case):
    """The kept statements of searches hold stand-ins where the values go, and their keys
    the search's shape: no word, number or blind index searched is in the process's
    memory. Two identity numbers are one shape: one statement for both."""
    from unittest import mock

    from cases.core.selectors import kept

    build_cases(make_case)
    made = [
        make_case(unit_kind=Unit.Kind.ADULT, people=[person("Sökbar", "Fallsson")]),
        make_case(unit_kind=Unit.Kind.ADULT, people=[person("Anna-Karin", "Bergström")]),
    ]
    coordinator = org.users["coordinator"]
    with mock.patch.object(kept, "_compile", wraps=kept._compile) as compiling:
        for q in SEARCHED[:2]:
            pages, _ = case_list_for_pager(coordinator, CaseFilters(q=q))
            assert len(pages[0:25]) == 1
    assert compiling.call_count == 1
    secrets = set()
    for q in _searches(made):
        pages, to_count = case_list_for_pager(coordinator, CaseFilters(q=q))
        pages[0:25]
        pages.count_window(to_count, slice(0, 1001))
        terms = case_selectors.search_terms(q)
        secrets |= {q.strip(), q.strip().upper(), *terms.values}
    kept_text = repr(
        [
            (key, statement)
            for store in (case_selectors._SEARCH_LIST, case_selectors._SEARCH_COUNT)
            for key, statement in store.statements.items()
        ]
    )
    assert "kept-stand-in-0" in kept_text
    leaked = {secret for secret in secrets if secret and secret in kept_text}
    assert not leaked


def test_the_pagers_count_is_the_orms_and_kept(org, make_case):
    """The pager counts a window of the list's ids by a statement kept per reader,
    filters and window (`CaseListPages.count_window`): the ORM's count for every reader
    and filter, the coordinator's two parts (`UNION ALL`) included."""
    build_cases(make_case)
    for n in range(4):
        make_case(unit_kind=Unit.Kind.ADULT, people=[person("Räkna", f"Fallsson{n}")])
    case_selectors._CASE_COUNT.statements.clear()
    for _ in range(2):
        for name in READERS:
            user = org.users[name]
            for filters in (CaseFilters(), CaseFilters(status=Case.Status.OPEN)):
                pages, to_count = case_list_for_pager(user, filters)
                ids = to_count().order_by().values("pk")
                for window in (slice(0, 1001), slice(2, 4), slice(5, 1006)):
                    assert pages.count_window(lambda ids=ids: ids, window) == ids[window].count(), (
                        name,
                        filters,
                        window,
                    )
    assert case_selectors._CASE_COUNT.statements
    coordinator = org.users["coordinator"]
    pages, to_count = case_list_for_pager(coordinator, CaseFilters())
    ids = to_count().order_by().values("pk")
    assert pages.count_window(lambda: ids, slice(0, 1001)) >= 7  # not vacuous
    make_case(unit_kind=Unit.Kind.ADULT, people=[person("Ny", "Fallsson")])
    assert pages.count_window(lambda: ids, slice(0, 1001)) == ids[0:1001].count()  # as it is now
    # A search is counted by a statement kept by its shape, elsewhere
    # (test_a_search_keeps_no_word_and_is_compiled_once_a_shape).
    before = len(case_selectors._CASE_COUNT.statements)
    pages, to_count = case_list_for_pager(coordinator, CaseFilters(q="Räkna"))
    ids = to_count().order_by().values("pk")
    assert pages.count_window(lambda: ids, slice(0, 1001)) == 4
    assert len(case_selectors._CASE_COUNT.statements) == before


def test_the_case_list_page_counts_through_it(org, make_case, client, monkeypatch):
    """The page's "n cases" caption comes from the kept count (the pager's hook), where
    the page is full (a page short of full is its list's end: `CappedPaginator`)."""
    from cases.core.views import cases as case_views

    monkeypatch.setattr(case_views, "PAGE_SIZE", 2)
    for n in range(3):
        make_case(unit_kind=Unit.Kind.ADULT, people=[person("Sida", f"Fallsson{n}")])
    coordinator = org.users["coordinator"]
    client.force_login(coordinator, backend="django.contrib.auth.backends.ModelBackend")
    case_selectors._CASE_COUNT.statements.clear()
    from django.urls import reverse

    response = client.get(reverse("cases:list"))
    assert response.status_code == 200
    expected = case_selectors.visible_cases(coordinator).count()
    assert response.context["page"].paginator.count == expected
    assert len(case_selectors._CASE_COUNT.statements) == 1


def test_a_page_read_by_kept_statements_builds_no_queryset(org, make_case, client):
    """Once the page's and the count's statements are kept, the list's filtered
    querysets are not built at all (issue 22: building them was a seventh of the page's
    CPU); the page shows the same cases."""
    from unittest import mock

    from django.urls import reverse

    for n in range(3):
        make_case(unit_kind=Unit.Kind.ADULT, people=[person("Bygg", f"Fallsson{n}")])
    case_selectors._CASE_COUNT.statements.clear()
    for name in ("coordinator", "caseworker"):
        client.force_login(org.users[name], backend="django.contrib.auth.backends.ModelBackend")
        first = client.get(reverse("cases:list")).content.decode()
        with (
            mock.patch.object(case_selectors, "_filtered", side_effect=AssertionError("built")),
            mock.patch.object(case_selectors, "_parts", side_effect=AssertionError("built")),
        ):
            again = client.get(reverse("cases:list"))
        assert again.status_code == 200
        assert again.content.decode().count("Fallsson") == first.count("Fallsson")
    assert "Fallsson2" in first


def test_an_identity_number_finds_what_asking_each_case_finds(org, make_case):
    """On PostgreSQL an identity-number search of a reader who coordinates no district
    reads the households of the people found as one array (`any_of_array`); a
    coordinator's asks each case. For every reader and number, protected people included,
    exactly the cases that asking each case whether a visible person of its household has
    the number, and none of its household is hidden from the reader, finds."""
    from django.db.models import Exists, OuterRef

    from cases.core.selectors.people import hidden_people, persons_visible_q
    from cases.models import Person

    build_cases(make_case)
    numbers = [*SEARCHED, "19900303-5624"]  # the last: a protected main tenant
    checked = 0
    for name in READERS:
        user = org.users[name]
        for q in numbers:
            terms = case_selectors.search_terms(q)
            assert terms.kind == "identity number", q
            asked = Case.objects.filter(
                Exists(
                    Person.objects.filter(
                        persons_visible_q(user),
                        household_id=OuterRef("household_id"),
                        personal_number_bidx__in=list(terms.values),
                    )
                ),
                ~Exists(hidden_people(user).filter(household_id=OuterRef("household_id"))),
            )
            found = Case.objects.filter(case_selectors.terms_condition(user, terms))
            assert set(found.values_list("pk", flat=True)) == set(
                asked.values_list("pk", flat=True)
            ), (name, q)
            checked += found.exists()
    assert checked >= 10  # not vacuous


def test_a_status_filtered_count_of_grants_reads_them_one_by_one(org, make_case):
    """A reader with grants alone, filtered by status: the pager counts the cases granted
    to them one by one by the case table's key (`_granted_one_by_one`; hashed, their
    grants were matched against every open case of the country, 33 ms at national
    scale). The same count as the one rule's, for every reader and status; a coordinator,
    another filter or a search keep their own forms."""
    from django.test.utils import CaptureQueriesContext

    build_cases(make_case)
    for n in range(3):
        make_case(unit_kind=Unit.Kind.ADULT, people=[person("Räkna", f"Status{n}")])
    closed = make_case(unit_kind=Unit.Kind.ADULT, people=[person("Stängd", "Status")])
    Case.objects.filter(pk=closed.pk).update(
        status=Case.Status.CLOSED, closed_on=closed.opened_on, outcome=Case.Outcome.LEASE_KEPT
    )
    checked = 0
    for name in READERS:
        user = org.users[name]
        for status in (Case.Status.OPEN, Case.Status.CLOSED):
            filters = CaseFilters(status=status)
            pages, to_count = case_list_for_pager(user, filters)
            expected = case_selectors.visible_cases(user).filter(status=status).count()
            with CaptureQueriesContext(connection) as seen:
                counted = pages.count_window(to_count, slice(0, 1001))
            assert counted == expected, (name, status)
            one_by_one = any("= ANY(ARRAY(" in q["sql"] for q in seen.captured_queries)
            grants_alone = case_selectors._coordinated_units(user) is None
            if grants_alone and connection.vendor == "postgresql":
                assert one_by_one, (name, seen.captured_queries)
                checked += expected
            else:
                assert not one_by_one, name
    if connection.vendor == "postgresql":
        assert checked  # not vacuous: some reader had granted cases of a status
    # Filtered by a unit as well: counted as before.
    caseworker = org.users["caseworker"]
    unit_id = caseworker.memberships.first().unit_id
    pages, to_count = case_list_for_pager(
        caseworker, CaseFilters(status=Case.Status.OPEN, unit_id=unit_id)
    )
    with CaptureQueriesContext(connection) as seen:
        counted = pages.count_window(to_count, slice(0, 1001))
    assert not any("= ANY(ARRAY(" in q["sql"] for q in seen.captured_queries)
    assert (
        counted
        == case_selectors.visible_cases(caseworker)
        .filter(status=Case.Status.OPEN, responsible_unit_id=unit_id)
        .count()
    )
