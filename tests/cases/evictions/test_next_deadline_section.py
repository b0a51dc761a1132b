"""The case page's next deadline written in Python (cases/evictions/presenters.py) is byte
for byte what its template wrote: tests/cases/evictions/reference_next_deadline.html is
that template as it was. Both are given the first screen's own context, in both
languages: no open deadline, one passed, an eviction date near enough to be urgent, and a
follow-up ahead."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.template import engines
from django.urls import reverse
from django.utils import timezone, translation

from cases.evictions import presenters
from cases.models import Deadline, EvictionThreat

pytestmark = pytest.mark.django_db
REFERENCE = engines["django"].from_string(
    (Path(__file__).parent / "reference_next_deadline.html").read_text()
)


def _first_screen(client, user, case, language):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    with translation.override(language):
        response = client.get(
            reverse("cases:detail", args=[case.pk]), HTTP_ACCEPT_LANGUAGE=language
        )
        assert response.status_code == 200
        (part,) = [p for p in response.context["first_screen"] if p["key"] == "next_deadline"]
        reference = REFERENCE.render({"panel": part})
        assert part["html"] == presenters.next_deadline(part["line"])
    assert part["html"] in response.content.decode()
    return part["html"], reference, part["line"]


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_next_deadline_is_the_templates_byte_for_byte(client, org, make_case, language):
    case = make_case(assignees=["caseworker"])
    user, today = org.users["caseworker"], timezone.localdate()
    new, reference, line = _first_screen(client, user, case, language)
    assert new == reference and line is None and "urgent" not in new
    seen = []
    for kind, days in (
        (Deadline.Kind.FOLLOW_UP, 30),  # ahead, not urgent
        (Deadline.Kind.EVICTION, 10),  # an eviction date within 14 days: urgent
        (Deadline.Kind.FOLLOW_UP, -2),  # passed: urgent too
    ):
        threat = (
            EvictionThreat.objects.create(case=case, arrears_notice_on=today)
            if kind == Deadline.Kind.EVICTION
            else None
        )
        Deadline.objects.create(
            case=case, kind=kind, due_on=today + timedelta(days=days), threat=threat
        )
        new, reference, line = _first_screen(client, user, case, language)
        assert new == reference
        assert line is not None and line["days"] == days  # the soonest
        seen.append(' urgent"' in new)
    assert seen == [False, True, True]
