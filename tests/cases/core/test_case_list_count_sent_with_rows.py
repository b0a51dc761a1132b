"""The case list's pager count is sent in its page's round trip (issue 22, the
twenty-ninth round): the page's rows go to PostgreSQL on their generic plan in a
pipeline (the plan mode set, the rows, the plan mode reset), and the count goes after
the reset in the same pipeline, on the session's own plan mode, instead of a round trip
of its own after the rows came back (`CaseListPages.page_and_count`)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from bokvar.models import Unit
from bokvar.prepared import prepares
from cases.core.views.cases import PAGE_SIZE
from cases.models import Case
from tests.pipelines import statements_sent

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="psycopg's pipeline"),
]


def _sent(client, url: str, params: dict | None = None):
    """The statements of a request (`statements_sent`), and the response."""
    with statements_sent() as sent:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return sent, response


def _where(sent, start: str, *, having: str = "") -> int:
    (found,) = [i for i, s in enumerate(sent) if s.sql.startswith(start) and having in s.sql]
    return found


@pytest.mark.parametrize("username", ["coordinator", "caseworker"])
def test_the_count_goes_with_the_page_after_the_plan_mode_is_reset(
    client, org, make_case, username
):
    assert prepares(connection.alias)
    user = org.users[username]
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    for _ in range(PAGE_SIZE + 2):
        make_case(unit_kind=Unit.Kind.ADULT, assignees=["caseworker"])
    client.get(reverse("cases:list"))  # the statements kept
    sent, response = _sent(client, reverse("cases:list"))
    rows = _where(sent, 'SELECT "cases_case"."id"', having="head_granted")
    count = _where(sent, "SELECT COUNT(*) FROM")
    # The plan mode's reset that closes the rows' block (the badges have one too).
    reset = min(i for i, s in enumerate(sent) if i > rows and s.sql.startswith("RESET"))
    assert rows < reset < count
    # Both in one pipeline, opened once for them: one round trip.
    assert sent[rows].piped and sent[count].piped
    assert sent[rows].pipeline == sent[count].pipeline
    assert all(sent[i].piped for i in range(rows, count + 1))
    pager = response.context["page"].paginator
    assert pager.count == PAGE_SIZE + 2 and not pager.more
    assert response.context["page"].has_next()


def test_a_filtered_list_short_of_a_page_is_counted_by_its_rows(client, org, make_case):
    user = org.users["coordinator"]
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    for _ in range(PAGE_SIZE + 2):
        make_case(unit_kind=Unit.Kind.ADULT)
    closed = make_case(unit_kind=Unit.Kind.ADULT)
    Case.objects.filter(pk=closed.pk).update(
        status=Case.Status.CLOSED, closed_on=timezone.localdate(), outcome="other"
    )
    sent, response = _sent(client, reverse("cases:list"), {"status": "closed"})
    assert sum(1 for s in sent if s.sql.startswith("SELECT COUNT(*) FROM")) == 1
    page = response.context["page"]
    assert [c.pk for c in page.object_list] == [closed.pk]
    assert page.paginator.count == 1 and not page.has_other_pages()


def test_a_search_is_not_counted_with_its_page(client, org, make_case):
    """A search finds a household or two: its page is read alone, and a page short of
    full needs no count."""
    user = org.users["coordinator"]
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    make_case(unit_kind=Unit.Kind.ADULT)
    found = client.post(reverse("cases:list"), {"q": "19800101-2387"})
    sent, _ = _sent(client, found["Location"])
    assert not [s for s in sent if s.sql.startswith("SELECT COUNT(*) FROM")]
