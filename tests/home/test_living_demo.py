"""`make run` shows a living demo (issue 19, point 10): the scans run once at start, the
demo data holds a handover about to escalate, the demo admin sets shelter prices, and
the README needs nothing outside the repository."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from bokvar.conf import setting
from bokvar.legal_calendar import add_working_days
from bokvar.models import Notification, User
from cases.handovers.demo import days_before_escalation
from cases.models import Handover
from housing.models import Shelter, ShelterPrice

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db


def test_make_run_runs_the_scans_once_before_serving():
    run = re.search(r"^run:.*?(?=^\S)", (ROOT / "Makefile").read_text(), re.S | re.M)[0]
    lines = [line.strip() for line in run.splitlines()]
    seed = next(i for i, line in enumerate(lines) if "seed_demo" in line)
    scans = next(i for i, line in enumerate(lines) if "manage.py run_scans" in line)
    serve = next(i for i, line in enumerate(lines) if "run-dev" in line)
    assert seed < scans < serve


def test_the_scans_at_start_notify_at_once_and_only_once(demo_seeded):
    """Reminders and escalations first ran an hour after start; now at start, and the
    scheduler's next run on the hour sends nothing twice."""
    before = Notification.objects.count()
    call_command("run_scans", stdout=open("/dev/null", "w"))  # noqa: SIM115
    first = Notification.objects.count() - before
    assert first > 0
    call_command("run_scans", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert Notification.objects.count() - before == first


@pytest.mark.parametrize(
    "today",
    [date(2026, 12, 4) + timedelta(days=n) for n in range(7)]  # every weekday
    + [date(2026, 12, 23), date(2026, 6, 18)],  # before Christmas Eve, before Midsummer Eve
)
def test_the_demo_handover_escalates_on_the_next_working_day(today):
    per_step = setting("HANDOVER_ESCALATION_WORKING_DAYS")
    sent = today - timedelta(days=days_before_escalation(today))
    escalates = add_working_days(sent, per_step)
    assert escalates > today, "already escalated"
    # ... and on the very next working day: nothing between today and then is one.
    assert escalates == add_working_days(today, 1)


def test_the_demo_data_holds_a_handover_about_to_escalate(demo_seeded):
    today = timezone.localdate()
    per_step = setting("HANDOVER_ESCALATION_WORKING_DAYS")
    pending = Handover.objects.filter(status=Handover.Status.PENDING)
    due = [add_working_days(timezone.localtime(h.sent_at).date(), per_step) for h in pending]
    assert add_working_days(today, 1) in due


def test_the_demo_admin_sets_a_shelter_price_in_the_admin(demo_seeded, client):
    """The README sends the admin here; the demo admin got 403."""
    admin = User.objects.get(username="admin")
    client.force_login(admin, backend="django.contrib.auth.backends.ModelBackend")
    shelter = Shelter.objects.order_by("pk").first()
    url = f"/admin/housing/shelter/{shelter.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    prefix = re.search(r'name="([\w-]+)-TOTAL_FORMS"', body)[1]
    existing = shelter.prices.order_by("pk")
    data = {
        "name": shelter.name,
        "district": shelter.district_id,
        "is_active": "on" if shelter.is_active else "",
        f"{prefix}-TOTAL_FORMS": existing.count() + 1,
        f"{prefix}-INITIAL_FORMS": existing.count(),
        f"{prefix}-MIN_NUM_FORMS": 0,
        f"{prefix}-MAX_NUM_FORMS": 1000,
    }
    for i, price in enumerate(existing):
        data |= {
            f"{prefix}-{i}-id": price.pk,
            f"{prefix}-{i}-shelter": shelter.pk,
            f"{prefix}-{i}-valid_from": price.valid_from.isoformat(),
            f"{prefix}-{i}-price_per_night": str(price.price_per_night),
        }
    n = existing.count()
    data |= {
        f"{prefix}-{n}-shelter": shelter.pk,
        f"{prefix}-{n}-valid_from": "2031-01-01",
        f"{prefix}-{n}-price_per_night": "777.00",
    }
    response = client.post(url, {k: v for k, v in data.items() if v != ""})
    assert response.status_code == 302, response.content.decode()[:2000]
    price = ShelterPrice.objects.get(shelter=shelter, valid_from=date(2031, 1, 1))
    assert price.price_per_night == Decimal("777.00")


def test_the_readme_links_nothing_outside_the_repository():
    readme = (ROOT / "README.md").read_text()
    assert "../" not in readme
    for target in re.findall(r"\]\(([^)#]+)\)", readme):
        if target.startswith("http"):
            continue
        assert (ROOT / target).exists(), target
    for path in re.findall(r"`((?:docs|scripts)/[\w./-]+)`", readme):
        assert (ROOT / path).exists(), path
