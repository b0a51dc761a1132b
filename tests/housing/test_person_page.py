"""A person's page: their details and their housing chain (shelter stays, training
and trial apartments, an own contract), shown only to those who may see the person."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AccessLogEntry
from housing import nights, services

pytestmark = pytest.mark.django_db


def _url(case, person_id=None):
    return reverse("cases:person", args=[case.pk, person_id or case.household.head_id])


def _apartment(coordinator, org, kind, ref):
    return services.create_apartment(
        actor=coordinator,
        district_id=org.district.pk,
        kind=kind,
        reference=ref,
        address="Storgatan 1",
        rent=Decimal(6000),
        status_since=date(2024, 1, 1),
    )


@pytest.fixture
def chain(org, cases, shelter, coordinator, guide):
    """Case A's main tenant: three nights at the shelter in January, a training
    apartment from February that ended in March, a trial apartment since April."""
    year = timezone.localdate().year - 1
    head = cases.a.household.head
    nights.register_range(
        actor=coordinator,
        person=head,
        shelter=shelter,
        first=date(year, 1, 10),
        last=date(year, 1, 12),
        paying_unit=org.units["adult"],
    )
    training = services.start_placement(
        actor=coordinator,
        case_id=cases.a.pk,
        apartment_id=_apartment(coordinator, org, "training", "T-1").pk,
        start_on=date(year, 2, 1),
        guide=guide,
        monthly_cost=Decimal(1000),
        goals={},
    )
    services.end_placement(
        actor=coordinator,
        placement_id=training.pk,
        expected_version=training.version,
        end_on=date(year, 3, 31),
        outcome="moved_on",
    )
    services.start_placement(
        actor=coordinator,
        case_id=cases.a.pk,
        apartment_id=_apartment(coordinator, org, "trial", "P-1").pk,
        start_on=date(year, 4, 1),
        guide=guide,
        monthly_cost=Decimal(2000),
        goals={},
    )
    return year


def test_the_page_shows_details_and_the_chain_in_order(login, caseworker, cases, chain):
    body = login(caseworker).get(_url(cases.a)).content.decode()
    assert "Astrid Adultsson" in body and "19800101-2387" in body
    timeline = body[body.index('<ol class="timeline">') :]
    positions = [
        timeline.index(label) for label in ("Härbärge", "Träningslägenhet", "Försökslägenhet")
    ]
    assert positions == sorted(positions)
    assert f"{chain}-01-10" in timeline and "3 nätter" in timeline
    # The trial apartment is where the person is now.
    assert "Nu: Försökslägenhet" in body
    # Shelter nights summed per year: three nights at 400 SEK.
    year_row = body[body.index("Härbärgesnätter per år") :]
    # Grouped by thousands in Swedish (issue 19, point 9).
    assert f'<th scope="row">{chain}</th><td class="num">3</td><td class="num">1\xa0200' in year_row


def test_the_case_page_links_to_the_person(login, caseworker, cases):
    body = login(caseworker).get(reverse("cases:detail", args=[cases.a.pk])).content.decode()
    assert f'href="{_url(cases.a)}"' in body


def test_reading_the_page_is_logged_once_with_the_person(login, caseworker, cases):
    before = AccessLogEntry.objects.count()
    login(caseworker).get(_url(cases.a))
    assert AccessLogEntry.objects.count() == before + 1
    entry = AccessLogEntry.objects.order_by("-seq").first()
    assert entry.person_id == cases.a.household.head_id and entry.user_id == caseworker.pk


@pytest.mark.parametrize(
    ("username", "status"),
    [
        ("coordinator", 200),
        ("caseworker", 200),  # the responsible unit
        ("caseworker2", 404),  # another unit: the case does not exist for them
        ("guide", 404),  # not assigned to case A
        ("steering", 403),
        ("auditor", 403),
    ],
)
def test_who_may_open_the_page(client, org, cases, username, status):
    client.force_login(org.users[username], backend="django.contrib.auth.backends.ModelBackend")
    assert client.get(_url(cases.a)).status_code == status


def test_a_guide_of_the_placement_may_open_it(login, guide, cases, chain):
    # Starting a placement with a guide grants the guide the case.
    assert login(guide).get(_url(cases.a)).status_code == 200


def test_outsider_and_anonymous(client, outsider, cases):
    response = client.get(_url(cases.a))
    assert response.status_code == 302 and reverse("login") in response["Location"]
    client.force_login(outsider, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get(_url(cases.a)).status_code == 403


def test_a_protected_person_does_not_exist_for_those_not_granted(login, caseworker, cases):
    # The caseworker's unit answers for case P, but the person was never granted to them.
    client = login(caseworker)
    assert client.get(_url(cases.p)).status_code == 404
    page = client.get(reverse("cases:detail", args=[cases.p.pk])).content.decode()
    assert _url(cases.p) not in page


def test_only_get(login, caseworker, cases):
    assert login(caseworker).post(_url(cases.a)).status_code == 405


def test_query_count_does_not_grow_with_the_chain(login, caseworker, cases, chain, org, shelter):
    client = login(caseworker)
    client.get(_url(cases.a))
    with CaptureQueriesContext(connection) as small:
        assert client.get(_url(cases.a)).status_code == 200
    head = cases.a.household.head
    for month in (5, 7, 9, 11):
        nights.register_range(
            actor=org.users["coordinator"],
            person=head,
            shelter=shelter,
            first=date(chain, month, 1),
            last=date(chain, month, 1) + timedelta(days=4),
            paying_unit=org.units["adult"],
            during_placement_confirmed=True,
        )
    with CaptureQueriesContext(connection) as large:
        assert client.get(_url(cases.a)).status_code == 200
    assert len(large) == len(small)
