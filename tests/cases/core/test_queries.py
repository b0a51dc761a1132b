"""The case list costs the same number of queries whatever the number of cases and grants.

The page's cases come from one query; the pager adds one COUNT of the same filtered
set, bounded to a thousand cases past the page (bokvar.paging: "page n of more than m"). Both are single queries
whatever the data, and the total per page stays constant as cases and grants grow."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from guardian.shortcuts import assign_perm

from bokvar.models import Unit

pytestmark = pytest.mark.django_db


def _queries(client, url, params=None) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params or {}).status_code == 200
    return len(ctx), [q["sql"] for q in ctx.captured_queries]


@pytest.mark.parametrize("username", ["coordinator", "caseworker", "guide"])
def test_case_list_is_one_rows_query_plus_the_pager_count_at_any_size(
    client, org, make_case, username
):
    user = org.users[username]
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    for _ in range(3):
        case = make_case(
            unit_kind=Unit.Kind.ADULT, assignees=["caseworker", "guide"], children=[2016]
        )
    client.get(reverse("cases:list"))  # warm per-process caches
    small, _ = _queries(client, reverse("cases:list"))
    for _ in range(30):
        case = make_case(
            unit_kind=Unit.Kind.ADULT, assignees=["caseworker", "guide"], children=[2016]
        )
        assign_perm("cases.view_case", org.users["caseworker2"], case)
    large, sql = _queries(client, reverse("cases:list"))
    assert large == small
    # Queries whose main table is the case table (navigation badges join it too; the
    # access log describes the cases shown in one query of its own: not page rows).
    main = [q.split(" WHERE ")[0] for q in sql if "any_protected" not in q]
    rows = [q for q in main if q.startswith('SELECT "cases_case"."id"')]
    counts = [q for q in main if q.startswith('SELECT COUNT(*) FROM (SELECT "cases_case"."id"')]
    assert (len(rows), len(counts)) == (1, 1), (
        "one query for the page's rows plus one for the pager's count"
    )
    # The count stops a thousand cases past the page (bokvar.paging), not at the last case.
    assert [q for q in sql if q.startswith("SELECT COUNT(*) FROM")][0].count("LIMIT 1001") == 1
    found = client.post(reverse("cases:list"), {"q": "19800101-2387", "status": "open"})
    searched, _ = _queries(client, found["Location"])
    assert searched <= large


def test_case_page_query_count_is_constant(client, org, make_case):
    client.force_login(
        org.users["coordinator"], backend="django.contrib.auth.backends.ModelBackend"
    )
    case = make_case(assignees=["caseworker"])
    client.get(reverse("cases:detail", args=[case.pk]))
    small, _ = _queries(client, reverse("cases:detail", args=[case.pk]))
    for _ in range(10):
        make_case(assignees=["caseworker"])
    assert _queries(client, reverse("cases:detail", args=[case.pk]))[0] == small


@pytest.mark.parametrize(
    "username", ["coordinator", "caseworker", "caseworker2", "guide", "steering", "outsider"]
)
def test_the_grant_driven_form_sees_exactly_the_same_cases(org, cases, make_case, username):
    """`visible_cases_by_grants` (the case list of anyone but a coordinator, and its
    pager) is the one rule written as a UNION: the same cases for every reader, grants to
    the user, to their groups and a coordinator's districts alike."""
    from cases.core.selectors.cases import visible_cases, visible_cases_by_grants
    from tests.factories import UserFactory

    users = dict(org.users, outsider=UserFactory(username="outsider-union"))
    other = make_case(unit_kind=Unit.Kind.INCOME_SUPPORT)
    assign_perm("cases.view_case", org.users["caseworker"], other)  # a grant of one's own
    user = users[username]
    expected = set(visible_cases(user).values_list("pk", flat=True))
    assert set(visible_cases_by_grants(user).values_list("pk", flat=True)) == expected
    if username in ("coordinator", "caseworker"):
        assert expected  # the comparison is not between two empty sets
