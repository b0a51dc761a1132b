"""The case list costs the same number of queries whatever the number of cases and grants."""

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
def test_case_list_query_count_is_constant(client, org, make_case, username):
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
    # (The access log describes the cases shown in one query of its own: not page rows.)
    case_queries = [
        q
        for q in sql
        if 'FROM "cases_case"' in q and "COUNT(" not in q and "any_protected" not in q
    ]
    assert len(case_queries) == 1, "the rows of the page come from one query"
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
