"""seed_demo adds Balans, Balder, Vistet and two meeting points, with a year of tallies
that reproduce Balder's figures, and the demo skötare at Balder."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from bokvar.models import User
from partners.models import DailyTally, MeetingPlace, Partner
from partners.reports import annual_report

pytestmark = pytest.mark.django_db


def test_the_demo_partners_and_places(demo_seeded):
    names = set(Partner.objects.values_list("name", flat=True))
    assert {
        "Balans Stockholm",
        "Träfflokalen Balder",
        "Träfflokalen Vistet",
        "Träffpunkt Rimbo",
        "Träffpunkt Älmsta",
    } <= names
    assert MeetingPlace.objects.count() == 4
    last = timezone.localdate().year - 1
    for place in MeetingPlace.objects.all():
        days = DailyTally.objects.filter(place=place, day__year=last).count()
        assert days >= 70, place  # a year of openings
    balder = MeetingPlace.objects.get(partner__name="Träfflokalen Balder")
    # The year before last is Balder's 2018, as the source document counts it.
    current, _ = annual_report([balder], last - 1).by_place[balder.pk]
    assert current.visits == 3471 and current.unique_visitors == 102
    assert current.cost == 1880000
    skotare = User.objects.get(username="skotare")
    assert balder.staff.filter(user=skotare).exists()


def test_the_demo_skotare_opens_balder_and_its_report(client, demo_seeded):
    skotare = User.objects.get(username="skotare")
    client.force_login(skotare, backend="django.contrib.auth.backends.ModelBackend")
    balder = MeetingPlace.objects.get(partner__name="Träfflokalen Balder")
    assert client.get(reverse("partners:place", args=[balder.pk])).status_code == 200
    report = client.get(reverse("partners:report"), {"year": date.today().year - 1})
    assert report.status_code == 200
    body = report.content.decode()
    assert "Träfflokalen Balder" in body and "Vistet" not in body


def test_demo_referrals_to_balans_and_balder(demo_seeded):
    from partners.models import Referral

    rows = list(Referral.objects.values_list("partner__name", "status"))
    assert {name for name, _s in rows} == {"Balans Stockholm", "Träfflokalen Balder"}
    assert {"proposed", "accepted", "declined", "attended", "ended"} <= {s for _n, s in rows}
    # Each carries its consent and a history of its steps.
    assert all(r.consent_on and r.history.exists() for r in Referral.objects.all())
