"""Signals reach people: landlord signals that arrive without a person taking them down
(the landlords' API, a CSV import) are announced to the district's coordinators, and a
signal nobody triages is escalated to the coordinators' unit lead. Both go through the
kernel's scan-and-notify job (`bokvar.scan`), like deadline reminders and handover
escalation.

- **Arrival digest.** Each run tells every coordinator of a district, in ONE notification
  (in-app and e-mailed), of the signals that arrived by API or import for that district
  since the last run. A signal is in one digest only: the run marks the signals it
  announced (`coordinators_told_at`) in the same transaction, and the digest's key names
  the signals it covers, so a run that repeats, dies halfway or runs concurrently with
  another announces nothing twice and loses nothing.
- **Escalation.** A signal still waiting for triage `SIGNAL_ESCALATION_WORKING_DAYS`
  working days (default 2; `bokvar.legal_calendar`) after it was received is escalated
  to the leads of the units in which its district's coordinators work, once per signal
  (keyed per signal).

No notice names a person: the digest gives the number and kinds of signals, the
escalation the signal's number, kind and date; the tenant's name, identity number,
address and the description stay on the signal page behind the one visibility rule (a
signal about a person with protected identity shows them only to those granted)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from bokvar import scan
from bokvar.conf import setting
from bokvar.legal_calendar import add_working_days
from bokvar.models import Membership, Role, User
from bokvar.selectors import coordinators_by_district
from cases.models import LandlordSignal

# Signals that arrive with no person taking them down: nobody knows of them until told.
UNATTENDED_CHANNELS = (LandlordSignal.Channel.API, LandlordSignal.Channel.IMPORT)


# --- Arrival digest ---------------------------------------------------------------------


def notify_arrivals(*, now: datetime | None = None) -> int:
    """Tell each district's coordinators of the signals that arrived by API or import and
    were not announced yet, one digest per coordinator; returns how many notifications
    this run created."""
    now = now or timezone.now()
    with transaction.atomic():
        # Taken here and again inside `scan.run` (the lock is re-entrant): the rows read
        # and the rows marked are the same, whatever arrives meanwhile.
        scan.serialise(ARRIVALS.lock_key)
        rows = _arrived(now)
        sent = scan.run(replace(ARRIVALS, due=lambda _at: rows), at=now)
        LandlordSignal.objects.filter(pk__in=[row["id"] for row in rows]).update(
            coordinators_told_at=now
        )
    return sent


def _arrived(_now: datetime) -> list[scan.ValuesRow]:
    """Unannounced signals from the API or an import that wait for triage in a district
    (a repeat follows the signal it repeats and is no queue item of its own; a signal
    without a district is announced once triage scope gives it one)."""
    return list(
        LandlordSignal.objects.filter(
            channel__in=UNATTENDED_CHANNELS,
            coordinators_told_at__isnull=True,
            status=LandlordSignal.Status.UNTRIAGED,
            repeat_of__isnull=True,
            district__isnull=False,
        )
        .values("id", "kind", "district_id", "district__name")
        .order_by("id")
    )


def _coordinators(rows: Sequence[scan.ValuesRow]) -> dict[int, list[User]]:
    return coordinators_by_district({row["district_id"] for row in rows})


def digest_key(district_id: int, signal_ids: Sequence[int]) -> str:
    """Names the signals a digest covers, so the same signals are never announced twice."""
    ids = ",".join(str(i) for i in sorted(signal_ids))
    return f"signals:{district_id}:arrived:{hashlib.sha256(ids.encode()).hexdigest()[:32]}"


def _digests(
    rows: Sequence[scan.ValuesRow], coordinators: Mapping[int, list[User]], now: datetime
) -> Iterator[scan.Notice]:
    by_district: dict[int, list[scan.ValuesRow]] = {}
    for row in rows:
        by_district.setdefault(row["district_id"], []).append(row)
    kinds = dict(LandlordSignal.Kind.choices)
    url = reverse("cases:signals")
    for district_id, signals in by_district.items():
        count = len(signals)
        per_kind: dict[str, int] = {}
        for row in signals:
            per_kind[row["kind"]] = per_kind.get(row["kind"], 0) + 1
        body = ", ".join(f"{kinds[kind]}: {n}" for kind, n in sorted(per_kind.items()))
        subject = ngettext(
            "%(count)s new signal from landlords waits for triage in %(district)s",
            "%(count)s new signals from landlords wait for triage in %(district)s",
            count,
        ) % {"count": count, "district": signals[0]["district__name"]}
        key = digest_key(district_id, [row["id"] for row in signals])
        for user in coordinators.get(district_id, []):
            yield scan.Notice(
                recipient=user,
                kind="signals_arrived",
                dedupe_key=key,
                subject=subject,
                body=body,
                url=url,
            )


ARRIVALS = scan.Scan(
    name="signal arrivals",
    lock_key=7_700_151,
    due=_arrived,
    recipients=_coordinators,
    notices=_digests,
)


# --- Escalation of untriaged signals ----------------------------------------------------


def escalate_untriaged(*, now: datetime | None = None) -> int:
    """Escalate every signal that has waited for triage too long to the coordinators'
    unit leads, once per signal; returns how many notifications this run created."""
    return scan.run(ESCALATION, at=now or timezone.now())


def _untriaged(now: datetime) -> list[scan.ValuesRow]:
    """Signals waiting for triage in a district (queue items of their own), received at
    least the escalation period ago. The calendar check is in `_escalations`: a signal
    received on a Friday before a long weekend is not due on Monday."""
    today = timezone.localdate(now)
    return list(
        LandlordSignal.objects.filter(
            status=LandlordSignal.Status.UNTRIAGED,
            repeat_of__isnull=True,
            district__isnull=False,
            received_on__lt=today,
        )
        .values("id", "kind", "received_on", "district_id")
        .order_by("received_on", "id")
    )


def leads_by_district(district_ids: set[int]) -> dict[int, list[User]]:
    """The active leads of the units in which each district's coordinators work, ordered
    by id, in one query: {district id: leads}."""
    coordinator_units = Membership.objects.filter(
        role=Role.COORDINATOR,
        unit__district_id__in=district_ids,
        unit__is_active=True,
        user__is_active=True,
    ).values("unit_id")
    by_district: dict[int, dict[int, User]] = {}
    leads = (
        User.objects.filter(
            is_active=True,
            memberships__is_lead=True,
            memberships__unit_id__in=coordinator_units,
        )
        .annotate(for_district=F("memberships__unit__district_id"))
        .order_by("id")
    )
    for user in leads:
        by_district.setdefault(user.for_district, {}).setdefault(user.pk, user)
    return {district: list(users.values()) for district, users in by_district.items()}


def _leads(rows: Sequence[scan.ValuesRow]) -> dict[int, list[User]]:
    return leads_by_district({row["district_id"] for row in rows})


def escalation_key(signal_id: int) -> str:
    return f"signal:{signal_id}:untriaged"


def _escalations(
    rows: Sequence[scan.ValuesRow], leads: Mapping[int, list[User]], now: datetime
) -> Iterator[scan.Notice]:
    today = timezone.localdate(now)
    days = setting("SIGNAL_ESCALATION_WORKING_DAYS")
    kinds = dict(LandlordSignal.Kind.choices)
    for row in rows:
        if add_working_days(row["received_on"], days) > today:
            continue
        for user in leads.get(row["district_id"], []):
            yield scan.Notice(
                recipient=user,
                kind="signal_escalation",
                dedupe_key=escalation_key(row["id"]),
                subject=_("Signal #%(id)s (%(kind)s) waits for triage")
                % {
                    "id": row["id"],
                    "kind": kinds[row["kind"]],
                },
                body=ngettext(
                    "Received %(date)s and not triaged after %(days)s working day.",
                    "Received %(date)s and not triaged after %(days)s working days.",
                    days,
                )
                % {"date": row["received_on"].isoformat(), "days": days},
                url=reverse("cases:signal", kwargs={"signal_id": row["id"]}),
            )


ESCALATION = scan.Scan(
    name="untriaged signal escalation",
    lock_key=7_700_152,
    due=_untriaged,
    recipients=_leads,
    notices=_escalations,
)
