"""Issue 19, point 9: notifications and e-mails are written in the RECIPIENT's language,
which the user chooses with the language button (stored on the user), whoever or
whatever (a request in another language, a scheduled scan) makes them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation

from bokvar.models import Notification, User
from bokvar.notifications import claim_outbox, language_of, send_claimed
from bokvar.selectors import unit_staff
from cases.evictions.services import deadlines as reminders
from cases.evictions.services import threats
from cases.evictions.services.threats import ThreatData
from cases.models import Deadline

pytestmark = pytest.mark.django_db


def test_the_language_button_stores_the_choice(client, org):
    user = org.users["caseworker"]
    assert language_of(user) == "sv"  # never chose: the default
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.language == "en" and language_of(user) == "en"
    # A language the installation does not offer changes nothing.
    client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    user.refresh_from_db()
    assert user.language == "en"
    # Signed out, the switch works as before and stores nothing.
    client.logout()
    assert client.post(reverse("set_language"), {"language": "sv", "next": "/"}).status_code == 302


def _speaks(user: User, language: str) -> User:
    User.objects.filter(pk=user.pk).update(language=language)
    user.refresh_from_db()
    return user


def test_a_notification_is_written_in_its_readers_language_not_the_requests(
    org, make_case, django_capture_on_commit_callbacks
):
    """An eviction date goes to the responsible unit's staff: the caseworker reads it in
    the language they chose, whatever the language of the request that recorded it."""
    reader = org.users["caseworker"]
    day = timezone.localdate()
    subjects = {}
    for theirs, request_language in (("en", "sv"), ("sv", "en")):
        _speaks(reader, theirs)
        case = make_case()
        assert reader in unit_staff(case.responsible_unit_id)
        with (
            translation.override(request_language),
            django_capture_on_commit_callbacks(execute=True),
        ):
            threats.create_threat(
                actor=org.users["coordinator"],
                case_id=case.pk,
                data=ThreatData(eviction_on=day + timedelta(days=30)),
            )
        note = Notification.objects.get(
            kind="eviction_date", recipient=reader, url__contains=f"/{case.pk}/"
        )
        subjects[theirs] = (note.subject.replace(case.number, "N"), note.body)
    assert subjects["en"][0] == "Eviction date set in case N"
    assert "Open or update the investigation" in subjects["en"][1]
    with translation.override("sv"):
        from django.utils.translation import gettext

        assert subjects["sv"][0] == gettext("Eviction date set in case %(number)s") % {
            "number": "N"
        }
    assert subjects["sv"][0] != subjects["en"][0]  # the catalogue has its Swedish
    # The e-mail is the notification's text: English for them when they chose English.
    mail.outbox.clear()
    send_claimed(claim_outbox())
    sent = [m.subject for m in mail.outbox if m.to == [reader.email]]
    assert any(s.startswith("[Bo Kvar] Eviction date set in case") for s in sent), sent


def test_a_scheduled_reminder_is_written_in_each_recipients_language(org, make_case):
    english = _speaks(org.users["coordinator"], "en")
    swedish = _speaks(org.users["caseworker"], "sv")
    case = make_case(assignees=["coordinator", "caseworker"])
    today = timezone.localdate()
    due = today + timedelta(days=1)
    while (due - today).days < 3 or due.weekday() > 4:
        due += timedelta(days=1)
    Deadline.objects.create(case=case, kind=Deadline.Kind.FOLLOW_UP, due_on=due)
    with translation.override("sv"):  # the worker's language: not the readers'
        reminders.send_due_reminders(today=today)
    notes = {n.recipient_id: n for n in Notification.objects.filter(kind="deadline_reminder")}
    with translation.override("en"):
        assert notes[english.pk].body == reminders.status_text(due, today=today)
        assert "working day" in notes[english.pk].body
    with translation.override("sv"):
        assert notes[swedish.pk].body == reminders.status_text(due, today=today)
        assert "arbetsdag" in notes[swedish.pk].body
