"""Signals reach people: landlord signals that arrive without a person taking them down
(the landlords' API, a CSV import) are announced to the district's coordinators, and a
signal nobody triages is escalated to the coordinators' unit lead. Both go through the
kernel's scan-and-notify job (`bokvar.scan`), like deadline reminders and handover
escalation.

- **Arrival digest.** Each run tells every coordinator, in ONE notification (in-app and
  e-mailed), of the signals that arrived by API or import since the last run and are in
  their triage queue: those of their districts, and those without a district yet whose
  landlord has flats in one of them (or has no district registered at all). A signal is
  in one digest only: the run marks the signals it announced (`coordinators_told_at`)
  in the same transaction, and the digest's key names the signals it covers, so a run
  that repeats, dies halfway or runs concurrently with another announces nothing twice
  and loses nothing.
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
from django.db.models import Exists, F, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from bokvar import scan
from bokvar.conf import setting
from bokvar.legal_calendar import add_working_days
from bokvar.models import District, Membership, Role, User
from bokvar.selectors import coordinators_by_district
from cases.models import Landlord, LandlordSignal

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
    """Unannounced signals from the API or an import that wait for triage (a repeat
    follows the signal it repeats and is no queue item of its own)."""
    return list(
        LandlordSignal.objects.filter(
            channel__in=UNATTENDED_CHANNELS,
            coordinators_told_at__isnull=True,
            status=LandlordSignal.Status.UNTRIAGED,
            repeat_of__isnull=True,
        )
        .values("id", "kind", "district_id", "landlord_id")
        .order_by("id")
    )


def _coordinators(rows: Sequence[scan.ValuesRow]) -> dict[tuple[str, int], list[User]]:
    """Whose queue each signal is in (`selectors.triage_scope_q`), in three queries:
    ("district", id): that district's coordinators; ("landlord", id), for a signal whose
    district nobody knows yet: the coordinators of the landlord's districts, or of every
    district when the landlord has none registered."""
    unplaced = {row["landlord_id"] for row in rows if row["district_id"] is None}
    landlord_districts: dict[int, set[int]] = {}
    if unplaced:
        for landlord_id, district_id in Landlord.districts.through.objects.filter(
            landlord_id__in=unplaced
        ).values_list("landlord_id", "district_id"):
            landlord_districts.setdefault(landlord_id, set()).add(district_id)
    every = (
        set(District.objects.values_list("pk", flat=True))
        if unplaced - set(landlord_districts)
        else set()
    )
    wanted = {row["district_id"] for row in rows if row["district_id"] is not None}
    wanted |= every.union(*landlord_districts.values())
    by_district = coordinators_by_district(wanted)
    people: dict[tuple[str, int], list[User]] = {
        ("district", district): users for district, users in by_district.items()
    }
    for landlord_id in unplaced:
        users: dict[int, User] = {}
        for district in sorted(landlord_districts.get(landlord_id, every)):
            users.update((user.pk, user) for user in by_district.get(district, []))
        people[("landlord", landlord_id)] = list(users.values())
    return people


def digest_key(signal_ids: Sequence[int]) -> str:
    """Names the signals a digest covers, so the same signals are never announced twice."""
    ids = ",".join(str(i) for i in sorted(signal_ids))
    return f"signals:arrived:{hashlib.sha256(ids.encode()).hexdigest()[:32]}"


def _digests(
    rows: Sequence[scan.ValuesRow],
    coordinators: Mapping[tuple[str, int], list[User]],
    now: datetime,
) -> Iterator[scan.Notice]:
    """One notice per coordinator and run, however many signals and districts."""
    per_user: dict[int, tuple[User, list[scan.ValuesRow]]] = {}
    for row in rows:
        key = (
            ("district", row["district_id"])
            if row["district_id"] is not None
            else ("landlord", row["landlord_id"])
        )
        for user in coordinators.get(key, []):
            per_user.setdefault(user.pk, (user, []))[1].append(row)
    kinds = dict(LandlordSignal.Kind.choices)
    url = reverse("cases:signals")
    for user, signals in per_user.values():
        count = len(signals)
        per_kind: dict[str, int] = {}
        for row in signals:
            per_kind[row["kind"]] = per_kind.get(row["kind"], 0) + 1
        yield scan.Notice(
            recipient=user,
            kind="signals_arrived",
            dedupe_key=digest_key([row["id"] for row in signals]),
            subject=ngettext(
                "%(count)s new signal from landlords waits for triage",
                "%(count)s new signals from landlords wait for triage",
                count,
            )
            % {"count": count},
            body=", ".join(f"{kinds[kind]}: {n}" for kind, n in sorted(per_kind.items())),
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
        .annotate(
            for_district=F("memberships__unit__district_id"),
            # Whether the lead triages that district's signals too: only then can they
            # open the signal (the queue's visibility is the coordinators').
            triages=Exists(
                Membership.objects.filter(
                    user_id=OuterRef("pk"),
                    role=Role.COORDINATOR,
                    unit__district_id=OuterRef("memberships__unit__district_id"),
                    unit__is_active=True,
                )
            ),
        )
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
                % {"date": row["received_on"].isoformat(), "days": days}
                + (
                    ""
                    if getattr(user, "triages", False)
                    else " " + _("Ask the district's coordinators to triage it.")
                ),
                # A lead who does not triage would meet a page they may not open.
                url=reverse("cases:signal", kwargs={"signal_id": row["id"]})
                if getattr(user, "triages", False)
                else "",
            )


ESCALATION = scan.Scan(
    name="untriaged signal escalation",
    lock_key=7_700_152,
    due=_untriaged,
    recipients=_leads,
    notices=_escalations,
)
