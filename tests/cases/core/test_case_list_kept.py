"""The case list reads each page by a statement kept per reader, filters and page
(`CaseListPages`, issue 22): the ORM's rows for every reader and filter, as they are now;
a search is never kept (its words would stay in memory as the key)."""

from __future__ import annotations

import pytest

from bokvar.models import Unit
from cases.core.selectors import cases as case_selectors
from cases.core.selectors.cases import CaseFilters, case_list_for_pager, case_list_of
from cases.models import Case
from tests.case_fixtures import build_cases, person

pytestmark = pytest.mark.django_db

READERS = ("coordinator", "caseworker", "caseworker2", "guide", "steering", "admin")


@pytest.fixture(autouse=True)
def nothing_kept():
    case_selectors._CASE_LIST.statements.clear()
    yield
    case_selectors._CASE_LIST.statements.clear()


def _the_orms_page(user, filters, page):
    pages, _count = case_list_for_pager(user, filters)
    ids = pages.cases.order_by("-opened_on", "-id").values("pk")[page]
    return list(case_list_of(user, Case.objects.filter(pk__in=ids)))


def _seen(cases):
    return [
        (c.pk, c.number, c.responsible_unit.name, case_selectors.head_name(c), c.head_granted)
        for c in cases
    ]


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


def test_a_new_case_shows_at_once(org, make_case):
    coordinator = org.users["coordinator"]
    make_case(unit_kind=Unit.Kind.ADULT, people=[person("Första", "Fallsson")])
    pages, _ = case_list_for_pager(coordinator, CaseFilters())
    before = [c.pk for c in pages[0:25]]
    new = make_case(unit_kind=Unit.Kind.ADULT, people=[person("Andra", "Fallsson")])
    pages, _ = case_list_for_pager(coordinator, CaseFilters())
    assert [c.pk for c in pages[0:25]] == [new.pk, *before]
    assert len(case_selectors._CASE_LIST.statements) == 1


def test_a_search_is_not_kept(org, make_case):
    make_case(unit_kind=Unit.Kind.ADULT, people=[person("Sökbar", "Fallsson")])
    pages, _ = case_list_for_pager(org.users["coordinator"], CaseFilters(q="Sökbar"))
    assert len(pages[0:25]) == 1
    assert not case_selectors._CASE_LIST.statements


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
    # A search is counted, never kept.
    before = len(case_selectors._CASE_COUNT.statements)
    pages, to_count = case_list_for_pager(coordinator, CaseFilters(q="Räkna"))
    ids = to_count().order_by().values("pk")
    assert pages.count_window(lambda: ids, slice(0, 1001)) == 4
    assert len(case_selectors._CASE_COUNT.statements) == before


def test_the_case_list_page_counts_through_it(org, make_case, client):
    """The page's "n cases" caption comes from the kept count (the pager's hook)."""
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
