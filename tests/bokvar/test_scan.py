"""The kernel's scan-and-notify job (bokvar.scan), through a rule of its own: each notice
once however often the job runs, silent notices keep their key, a catch-up notice only
when the regular one never went out, and the same number of queries for 3N rows as for N.
The rules built on it (reminders, escalation, children at risk) have their own tests."""

from __future__ import annotations

from itertools import count

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bokvar import scan
from bokvar.models import District, Notification, Role, Unit
from bokvar.notifications import SUPERSEDED
from bokvar.selectors import coordinators_by_district
from tests.factories import DistrictFactory, UserFactory, make_unit, member

pytestmark = pytest.mark.django_db

_numbers = count(1)


def _new_units(district: District, n: int) -> None:
    for _ in range(n):
        make_unit(district=district, name=f"Enhet {next(_numbers)}")


def _rule(district: District, *, silent_from: int | None = None, catch_up: str = "") -> scan.Scan:
    """Every unit of `district` is "due"; its district's coordinators are told, once."""

    def due(at):
        return list(Unit.objects.filter(district=district).order_by("id"))

    def recipients(units):
        return coordinators_by_district({u.district_id for u in units})

    def notices(units, coordinators, at):
        for unit in units:
            for user in coordinators.get(unit.district_id, []):
                yield scan.Notice(
                    recipient=user,
                    kind="toy",
                    dedupe_key=f"toy:{unit.pk}",
                    subject=f"Unit {unit.pk}",
                    silent=silent_from is not None and unit.pk >= silent_from,
                    unless_told=catch_up,
                )

    return scan.Scan(
        name="toy", lock_key=7_799_999, due=due, recipients=recipients, notices=notices
    )


@pytest.fixture
def district():
    district = DistrictFactory()
    for name in ("anna", "bo"):
        member(
            UserFactory(username=name, email=f"{name}@example.se"),
            make_unit(district=district, name=f"Team {name}"),
            Role.COORDINATOR,
        )
    return district


def test_each_notice_exists_once_however_often_the_job_runs(district):
    rule = _rule(district)
    assert scan.run(rule, at=None) == 4  # two units, two coordinators each
    assert scan.run(rule, at=None) == 0
    assert Notification.objects.filter(kind="toy").count() == 4
    assert set(Notification.objects.values_list("email_state", flat=True)) == {"pending"}


def test_a_silent_notice_takes_its_key_and_tells_nobody(district):
    first = Unit.objects.filter(district=district).order_by("id").first()
    assert scan.run(_rule(district, silent_from=first.pk + 1), at=None) == 2
    silent = Notification.objects.filter(kind=SUPERSEDED)
    assert silent.count() == 2
    assert all(n.read_at is not None and n.email_state == "none" for n in silent)
    # Its key stays taken: a later loud run of the same notice sends nothing.
    assert scan.run(_rule(district), at=None) == 0


def test_a_catch_up_notice_goes_out_only_when_the_regular_one_did_not(district):
    anna = district.units.first().memberships.get().user
    regular = Notification.objects.create(recipient=anna, kind="toy", dedupe_key="regular")
    created = scan.run(_rule(district, catch_up="regular"), at=None)
    # Anna was told under the regular key; bo was not, and hears of both units.
    assert created == 2
    assert set(
        Notification.objects.filter(kind="toy")
        .exclude(pk=regular.pk)
        .values_list("recipient__username", flat=True)
    ) == {"bo"}
    # A silent row under the regular key told nobody: the catch-up still goes out.
    Notification.objects.exclude(pk=regular.pk).delete()
    regular.kind = SUPERSEDED
    regular.save()
    assert scan.run(_rule(district, catch_up="regular"), at=None) == 4


def test_the_job_costs_the_same_queries_for_three_times_the_rows(district):
    def queries() -> tuple[int, int]:
        Notification.objects.all().delete()
        with CaptureQueriesContext(connection) as ctx:
            sent = scan.run(_rule(district), at=None)
        return sent, len(ctx)

    _new_units(district, 2)
    sent_n, n = queries()
    _new_units(district, 8)
    sent_3n, three_n = queries()
    assert (sent_n, sent_3n) == (2 * 4, 2 * 12)
    assert n == three_n
