"""The case page's first screen (issue 19, point 5): the next open deadline, the household
and the latest contacts come before every other section; the long parts are folded and
reached by the page's own navigation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import case_page
from cases.evictions.services.contacts import record_contact
from cases.models import Contact, Deadline

pytestmark = pytest.mark.django_db
BACKEND = "django.contrib.auth.backends.ModelBackend"


def _page(client, user, case) -> str:
    client.force_login(user, backend=BACKEND)
    response = client.get(reverse("cases:detail", args=[case.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _first_screen(html: str) -> str:
    return html[html.index('id="overview"') : html.index('class="page-nav"')]


@pytest.fixture
def busy_case(org, cases):
    today = timezone.localdate()
    case = cases.a  # the adult unit's, the caseworker's; two children
    actor = org.users["caseworker"]
    kinds = ["letter", "call", "meeting", "home_visit"]
    for days_ago in range(100, 0, -10):
        record_contact(
            actor=actor,
            case_id=case.pk,
            kind=kinds[days_ago % 4],
            on=today - timedelta(days=days_ago),
            reached=True,
            note=f"anteckning {days_ago} dagar sedan",
        )
    Deadline.objects.create(case=case, kind=Deadline.Kind.FOLLOW_UP, due_on=today + timedelta(9))
    Deadline.objects.create(
        case=case,
        kind=Deadline.Kind.FOLLOW_UP,
        due_on=today + timedelta(days=4),
    )
    Deadline.objects.create(
        case=case,
        kind=Deadline.Kind.FOLLOW_UP,
        due_on=today - timedelta(days=1),
        done_at=timezone.now(),  # done: never the next deadline
    )
    return case


def test_the_first_screen_shows_the_next_deadline_the_household_and_the_latest_contacts(
    client, org, busy_case
):
    html = _page(client, org.users["caseworker"], busy_case)
    first = _first_screen(html)
    next_on = (timezone.localdate() + timedelta(days=4)).isoformat()
    assert 'id="next-deadline"' in first
    assert f'datetime="{next_on}"' in first and "Överenskommen uppföljning" in first
    assert "Astrid Adultsson" in first and "2 barn" in first
    # The three newest contacts, newest first; the fourth only in the timeline.
    assert first.index("anteckning 10 dagar") < first.index("anteckning 20 dagar")
    assert first.index("anteckning 20 dagar") < first.index("anteckning 30 dagar")
    assert "anteckning 40 dagar" not in first
    assert "anteckning 100 dagar" in html[html.index('id="timeline"') :]
    # The first screen comes before the case's facts and every section.
    assert html.index('id="overview"') < html.index('id="about"') < html.index('id="household"')
    assert html.index('id="overview"') < html.index('id="threat-heading"')


def test_the_page_navigation_lists_the_titled_sections_and_the_long_parts_are_folded(
    client, org, busy_case
):
    html = _page(client, org.users["caseworker"], busy_case)
    nav = html[html.index('class="page-nav"') : html.index('id="about"')]
    for target in ("#about", "#household", "#section-eviction_threat", "#section-housing"):
        assert f'href="{target}"' in nav
        assert f'id="{target[1:]}"' in html
    # The change list is folded; so are the timeline's events after the eighth (ten
    # contacts and three deadlines: five folded).
    changes = html[html.index('id="changes"') :]
    assert changes.index("<details") < changes.index("<table")
    timeline = html[html.index('id="timeline"') : html.index('id="changes"')]
    shown, folded = timeline.split("<details", 1)
    assert shown.count("<li") == 8 and folded.count("<li") == 5
    assert Contact.objects.filter(case=busy_case).count() == 10


def test_a_case_without_deadlines_or_contacts_says_so(client, org, cases):
    first = _first_screen(_page(client, org.users["caseworker2"], cases.b))
    deadline = first[
        first.index('id="next-deadline"') : first.index("</p>", first.index('id="next-deadline"'))
    ]
    assert "<time" not in deadline
    contacts = first[first.index('id="latest-contacts"') :]
    assert contacts.count("<li>") == 1 and "<time" not in contacts


def test_the_latest_contacts_are_the_timelines_own_so_withheld_text_stays_withheld():
    from cases.core.timeline import TimelineEvent

    today = timezone.localdate()
    events = [
        TimelineEvent(when=today - timedelta(days=n), kind=kind, title=str(n))
        for n, kind in [(1, "deadline"), (2, "contact"), (3, "signal"), (4, "contact")]
    ] + [
        TimelineEvent(when=today - timedelta(days=9 + n), kind="contact", title="x")
        for n in range(3)
    ]
    latest = case_page.latest_contacts(events)
    assert [e.title for e in latest] == ["2", "4", "x"]


def test_who_may_not_see_the_case_sees_no_first_screen(client, org, busy_case):
    client.force_login(org.users["caseworker2"], backend=BACKEND)
    response = client.get(reverse("cases:detail", args=[busy_case.pk]))
    assert response.status_code in (403, 404)
    assert b"anteckning" not in response.content
