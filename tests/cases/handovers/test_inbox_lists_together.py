"""The inbox page's two lists, the handovers waiting and those returned, are read by
their kept statements sent together (`selectors.inbox_page`, `kept.read_together`): one
round trip where there were two (issue 22, the twenty-ninth round). The lists are the
same as `inbox_rows` and `returned_to` read apart, for every reader."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from bokvar.models import Unit
from cases.core.selectors import kept
from cases.handovers import selectors
from cases.handovers.services import deciding
from cases.models import Handover
from tests.pipelines import statements_sent

from .conftest import send

pytestmark = pytest.mark.django_db


@pytest.fixture
def both_ways(org, make_case):
    """The adult unit's caseworker has a handover waiting (sent by income support) and one
    returned to them (income support sent it back); income support has one waiting."""
    income = org.units[Unit.Kind.INCOME_SUPPORT]
    adult = org.units[Unit.Kind.ADULT]
    adult_worker, income_worker = org.users["caseworker"], org.users["caseworker2"]
    to_income = [
        send(make_case(unit_kind=Unit.Kind.ADULT), actor=adult_worker, to_unit=income)
        for _ in range(2)
    ]
    deciding.return_handover(actor=income_worker, handover_id=to_income[0].pk, reason="Fel enhet")
    to_adult = send(
        make_case(unit_kind=Unit.Kind.INCOME_SUPPORT),
        actor=income_worker,
        to_unit=adult,
        kind=Handover.Kind.CONSULTATION,
    )
    return {"returned": to_income[0], "waiting_income": to_income[1], "waiting_adult": to_adult}


def _ids(rows, returned) -> tuple[list[int], list[int]]:
    return [row.handover.pk for row in rows], [h.pk for h in returned]


def test_the_lists_together_are_the_lists_apart(org, both_ways):
    adult_worker, income_worker = org.users["caseworker"], org.users["caseworker2"]
    got = _ids(*selectors.inbox_page(adult_worker))
    assert got == _ids(selectors.inbox_rows(adult_worker), selectors.returned_to(adult_worker))
    assert got == ([both_ways["waiting_adult"].pk], [both_ways["returned"].pk])  # not vacuous
    got = _ids(*selectors.inbox_page(income_worker))
    assert got == _ids(selectors.inbox_rows(income_worker), selectors.returned_to(income_worker))
    assert got == ([both_ways["waiting_income"].pk], [])
    # A reader of neither list (the steering group decides for no unit): nothing, no read.
    assert selectors.inbox_page(org.users["steering"]) == ([], [])
    # As they are now, a second time (the statements kept).
    deciding.return_handover(
        actor=adult_worker, handover_id=both_ways["waiting_adult"].pk, reason="Inte vår"
    )
    assert _ids(*selectors.inbox_page(adult_worker)) == ([], [both_ways["returned"].pk])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="psycopg's pipeline")
def test_the_inbox_page_sends_both_lists_in_one_round_trip(org, both_ways, client):
    adult_worker = org.users["caseworker"]
    client.force_login(adult_worker, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get(reverse("cases:handovers")).status_code == 200  # the statements kept
    with statements_sent() as sent:
        response = client.get(reverse("cases:handovers"))
    assert response.status_code == 200
    lists = [s for s in sent if s.sql.startswith('SELECT "cases_handover"."id"')]
    assert len(lists) == 2
    assert all(s.piped for s in lists) and lists[0].pipeline == lists[1].pipeline
    content = response.content.decode()
    assert both_ways["waiting_adult"].case.number in content
    assert both_ways["returned"].case.number in content


def test_a_read_in_no_kept_form_runs_the_orms_way_in_its_place(org, both_ways):
    """`read_together` reads a queryset it cannot keep (prefetching) alone, and gives
    every read's rows in the order asked: lists, and a first row or None."""
    adult_worker = org.users["caseworker"]
    waiting, returned = selectors._waiting(adult_worker), selectors._returned(adult_worker)
    assert waiting is not None and returned is not None
    units = kept.KeptAll()
    one = kept.KeptFirst()

    def prefetching():
        return Unit.objects.prefetch_related("memberships").order_by("pk")

    def handover(pk):
        return Handover.objects.filter(pk=pk)

    got = kept.read_together(
        units.pending(None, prefetching),
        selectors._KEPT.pending(*waiting),
        one.pending(None, handover, both_ways["returned"].pk),
        selectors._KEPT.pending(*returned),
        one.pending(None, handover, -1),
    )
    assert [u.pk for u in got[0]] == list(Unit.objects.order_by("pk").values_list("pk", flat=True))
    assert [h.pk for h in got[1]] == [both_ways["waiting_adult"].pk]
    assert got[2].pk == both_ways["returned"].pk
    assert [h.pk for h in got[3]] == [both_ways["returned"].pk]
    assert got[4] is None
    assert kept.read_together() == []
