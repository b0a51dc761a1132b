"""Every access a handover gives or takes is in the history with its actor and reason,
shows on the case's history page, and goes with the case at retention."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit import retention
from bokvar.history import reason_label
from bokvar.models import Unit
from cases.handovers.services.access import revoke_expired_access
from cases.handovers.services.deciding import accept_handover, close_consultation
from cases.models import Case, CaseGroupObjectPermission, Handover, HandoverReadAccess
from tests.audit.test_retention import backdate_everything

from .conftest import send

pytestmark = pytest.mark.django_db


def test_accepting_a_transfer_records_every_grant_with_its_actor(transfer, caseworker2):
    accept_handover(actor=caseworker2, handover_id=transfer.pk)
    rows = CaseGroupObjectPermission.history.filter(content_object_id=transfer.case_id)
    newest = rows.filter(history_date__gte=transfer.sent_at)
    assert newest.exists()
    assert set(newest.values_list("history_user", flat=True)) == {caseworker2.pk}
    changes = set(newest.values_list("group", "permission__codename", "history_type"))
    assert changes == {
        (transfer.to_unit.group_id, "view_case", "+"),
        (transfer.to_unit.group_id, "change_case", "+"),
        (transfer.from_unit.group_id, "change_case", "-"),  # it keeps reading for a while
    }
    reasons = set(newest.values_list("history_change_reason", flat=True))
    assert reasons == {"responsibility moved by handover"}
    access = HandoverReadAccess.objects.get()
    assert access.history.get().history_user == caseworker2


def test_a_consultation_grant_and_its_closing_name_the_actor(consultation, caseworker, caseworker2):
    accept_handover(actor=caseworker2, handover_id=consultation.pk)
    # The sending unit's lead closes it (issue 21, point 4).
    close_consultation(actor=caseworker, handover_id=consultation.pk)
    unit_group = consultation.to_unit.group
    rows = CaseGroupObjectPermission.history.filter(
        content_object_id=consultation.case_id, group=unit_group
    ).order_by("history_id")
    assert [(r.history_type, r.history_change_reason) for r in rows] == [
        ("+", "consultation accepted"),
        ("-", "consultation closed"),
    ]
    assert [r.history_user_id for r in rows] == [caseworker2.pk, caseworker.pk]


def test_moving_back_supersedes_read_access_with_a_history_row(
    cases, org, transfer, caseworker, caseworker2
):
    accept_handover(actor=caseworker2, handover_id=transfer.pk)
    adult_access = HandoverReadAccess.objects.get(unit=org.units[Unit.Kind.ADULT])
    back = send(
        Case.objects.get(pk=cases.a.pk), actor=caseworker2, to_unit=org.units[Unit.Kind.ADULT]
    )
    accept_handover(actor=caseworker, handover_id=back.pk)
    adult_access.refresh_from_db()
    assert adult_access.revoked_at is not None
    record = adult_access.history.first()
    assert record.history_user == caseworker
    assert record.history_change_reason == "superseded by responsibility"


def test_read_access_shows_on_the_case_history_page(cases, org, transfer, caseworker2, login):
    accept_handover(actor=caseworker2, handover_id=transfer.pk)
    revoke_expired_access(now=timezone.now() + timedelta(days=31))
    page = login(org.users["coordinator"]).get(
        reverse("audit:case_history", kwargs={"case_id": cases.a.pk})
    )
    html = page.content.decode()
    assert page.status_code == 200
    # The reasons in the reader's language (Swedish by default).
    assert reason_label("read access after handover") in html
    assert reason_label("read access period ended") in html


def test_retention_takes_read_access_history_with_the_case(cases, transfer, caseworker2):
    accept_handover(actor=caseworker2, handover_id=transfer.pk)
    assert HandoverReadAccess.history.exists()
    backdate_everything()
    retention.apply(dry_run=False)
    assert not Case.objects.filter(pk=cases.a.pk).exists()
    assert not Handover.objects.filter(case_id=cases.a.pk).exists()
    assert not HandoverReadAccess.objects.exists()
    assert not HandoverReadAccess.history.filter(case_id=cases.a.pk).exists()
