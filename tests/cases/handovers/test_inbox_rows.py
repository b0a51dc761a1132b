"""The inbox's waiting rows written in Python (cases/handovers/presenters.py) are byte for
byte what the template's loop wrote: tests/cases/handovers/reference_inbox.html is the
page's template as it was. Both render the page's own context, in both languages: rows
escalated (with and without a next step) or not, a deadline passed, ahead or none, one
seen and others not, and a unit name to escape."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone, translation

from bokvar.models import Unit
from cases.handovers.services import deciding
from cases.models import Deadline, Handover
from tests.compared_templates import page_and_reference, render_both

from .conftest import send

pytestmark = pytest.mark.django_db
NEW, REFERENCE = page_and_reference(
    "cases/handovers/inbox.html", Path(__file__).parent / "reference_inbox.html"
)
BACKEND = "django.contrib.auth.backends.ModelBackend"


@pytest.fixture
def inbox(make_case, org, caseworker):
    income = org.units[Unit.Kind.INCOME_SUPPORT]
    Unit.objects.filter(pk=org.units[Unit.Kind.ADULT].pk).update(name='Vuxen <&> "enheten"')
    made = {}
    for name, days_ago, deadline in (
        ("fresh", 0, 40),
        ("escalated", 4, -3),
        ("long_escalated", 30, None),
        ("near", 1, 1),
    ):
        case = make_case(unit_kind=Unit.Kind.ADULT)
        made[name] = send(case, actor=caseworker, to_unit=income)
        Handover.objects.filter(pk=made[name].pk).update(
            sent_at=timezone.now() - timedelta(days=days_ago, minutes=7)
        )
        if deadline is not None:
            Deadline.objects.create(
                case=case,
                kind=Deadline.Kind.FOLLOW_UP,
                due_on=timezone.localdate() + timedelta(days=deadline),
            )
    Handover.objects.filter(pk=made["near"].pk).update(seen_at=timezone.now())
    return made


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_waiting_rows_are_the_templates_byte_for_byte(
    client, org, caseworker, caseworker2, inbox, make_case, language
):
    # One handover the income-support unit returns to the adult unit (caseworker2 there).
    back = send(make_case(unit_kind=Unit.Kind.INCOME_SUPPORT), actor=caseworker2,
                to_unit=org.units[Unit.Kind.ADULT])  # fmt: skip
    deciding.return_handover(actor=caseworker, handover_id=back.pk, reason="Fel enhet")
    returned_by_name = caseworker.get_full_name()
    client.force_login(caseworker2, backend=BACKEND)
    with translation.override(language):
        response = client.get(reverse("cases:handovers"), HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200
        keys = ("waiting", "waiting_rows", "returned", "returned_rows", "today")
        context = {key: response.context[key] for key in keys} | {"csrf_token": "T"}
        request = RequestFactory().get(reverse("cases:handovers"))
        request.user = caseworker2
        new, reference = render_both(NEW, REFERENCE, context, request)
    assert new == reference
    assert len(context["waiting"]) == 4
    assert new.count('class="escalated"') == 2
    assert 'class="deadline"' in new and "&lt;&amp;&gt; &quot;enheten&quot;" in new
    assert "<time datetime=" in new
    assert len(context["returned"]) == 1 and returned_by_name in new
