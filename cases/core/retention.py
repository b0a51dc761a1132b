"""Retention (gallring) for the cases app: which people are kept for research or bound up
with others, culling a person's households, cases and everything on them with every
history row about them, and the rule for landlord signals about nobody registered.

History is deleted by parent key (the household, the case, the person), not by the ids
of rows that still exist: a child, a deadline or an assignment removed earlier left
history rows that name the household or case, and they go too."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q

from ..models import (
    Case,
    CaseAssignment,
    CaseGroupObjectPermission,
    CaseUserObjectPermission,
    Contact,
    Deadline,
    EvictionThreat,
    Household,
    HouseholdChild,
    Intervention,
    LandlordSignal,
    Person,
    PersonUserObjectPermission,
)
from .identity import InvalidPersonalNumber, parse_personal_number


def is_research_day(number: str) -> bool:
    """Born on the 5th, 15th or 25th. `number` is the decrypted identity number, held in
    memory for the run only; an unreadable number is not a research day."""
    try:
        canonical = parse_personal_number(number)
    except InvalidPersonalNumber:
        return False
    day = int(canonical[6:8])
    day = day - 60 if day > 60 else day  # coordination numbers add 60 to the day
    return day in settings.RETENTION_RESEARCH_DAYS


def research_kept(ids: set[int]) -> set[int]:
    """Born on a research day: the birth day is inside the encrypted identity number, so it
    is decrypted here, in memory, for the run only; nothing plain is ever stored."""
    rows = Person.objects.filter(pk__in=ids).values_list("pk", "personal_number")
    return {pk for pk, number in rows if is_research_day(number)}  # decrypted on load


def entangled(ids: set[int]) -> set[int]:
    """A household is culled whole or not at all: if one member stays, all stay."""
    mixed = (
        Person.objects.filter(household__members__in=ids).exclude(pk__in=ids).values("household_id")
    )
    return set(
        Person.objects.filter(pk__in=ids, household_id__in=mixed).values_list("pk", flat=True)
    )


def _ids(qs) -> set[int]:
    return set(qs.values_list("pk", flat=True))


def cull(ids: set[int]) -> dict[str, int]:
    """Delete the people's households, cases and everything on them (access grants
    included), then every history row of all of it, found by household, case and person.
    Blind indexes are columns of the deleted rows and go with them."""
    with transaction.atomic():
        households = set(Person.objects.filter(pk__in=ids).values_list("household_id", flat=True))
        people = _ids(Person.objects.filter(household_id__in=households))
        cases = _ids(Case.objects.filter(household_id__in=households))
        bidxs = [
            b
            for b in Person.objects.filter(pk__in=people).values_list(
                "personal_number_bidx", flat=True
            )
            if b
        ]
        signal_q = Q(case_id__in=cases)
        if bidxs:
            signal_q |= Q(tenant_personal_number_bidx__in=bidxs)
        signals = _ids(LandlordSignal.objects.filter(signal_q))
        by_case = Q(case_id__in=cases)
        by_grant_case = Q(content_object_id__in=cases)
        # model -> (live rows to delete, history rows to delete), children first.
        doomed = {
            LandlordSignal: (Q(pk__in=signals), Q(id__in=signals) | by_case),
            Deadline: (by_case, by_case),
            EvictionThreat: (by_case, by_case),
            Contact: (by_case, by_case),
            Intervention: (by_case, by_case),
            CaseAssignment: (by_case, by_case),
            CaseUserObjectPermission: (by_grant_case, by_grant_case),
            CaseGroupObjectPermission: (by_grant_case, by_grant_case),
            PersonUserObjectPermission: (
                Q(content_object_id__in=people),
                Q(content_object_id__in=people),
            ),
            Case: (Q(pk__in=cases), Q(id__in=cases)),
            Person: (Q(pk__in=people), Q(id__in=people) | Q(household_id__in=households)),
            HouseholdChild: (Q(household_id__in=households), Q(household_id__in=households)),
            Household: (Q(pk__in=households), Q(id__in=households)),
        }
        Household.objects.filter(pk__in=households).update(head=None)
        counts: dict[str, int] = {}
        for model, (rows, _history) in doomed.items():
            qs = model.objects.filter(rows)
            counts[model._meta.label_lower] = qs.count()
            qs.delete()
        # After every delete: a deletion (cascades included) leaves a history row too.
        for model, (_rows, history) in doomed.items():
            model.history.filter(history).delete()
    return counts


# --- Landlord signals about nobody registered -------------------------------------------


def unlinked_signals_due(cutoff: datetime) -> tuple[set[int], set[int]]:
    """(signals to cull, signals kept for research) among those never linked to a case
    and naming no registered person: due once received and last changed before the
    cut-off. A tenant born on a research day keeps the signal; the identity number is
    decrypted in memory for the run only."""
    registered = Person.objects.exclude(personal_number_bidx="").values("personal_number_bidx")
    candidates = (
        LandlordSignal.objects.filter(case__isnull=True, received_on__lt=cutoff.date())
        .exclude(tenant_personal_number_bidx__in=registered)
        .exclude(created_at__gte=cutoff)
        .exclude(triaged_at__gte=cutoff)
    )
    candidate_ids = _ids(candidates)
    # Changed since (or ever linked to a case): history says so.
    touched = set(
        LandlordSignal.history.filter(id__in=candidate_ids)
        .values("id")
        .annotate(last=Max("history_date"))
        .filter(last__gte=cutoff)
        .values_list("id", flat=True)
    ) | set(
        LandlordSignal.history.filter(id__in=candidate_ids, case_id__isnull=False).values_list(
            "id", flat=True
        )
    )
    due, research = set(), set()
    rows = LandlordSignal.objects.filter(pk__in=candidate_ids - touched).values_list(
        "pk", "tenant_personal_number"
    )
    for pk, number in rows:  # decrypted on load
        (research if number and is_research_day(number) else due).add(pk)
    return due, research


def cull_unlinked_signals(ids: set[int]) -> int:
    with transaction.atomic():
        n, _ = LandlordSignal.objects.filter(pk__in=ids, case__isnull=True).delete()
        LandlordSignal.history.filter(id__in=ids).delete()
    return n
