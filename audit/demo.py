"""Demo data for the audit app: a few logged reads and a legal hold. Idempotent."""

from __future__ import annotations

from bokvar.history import attribute

from . import chain
from .models import AccessLogEntry, LegalHold


def seed(ctx) -> None:
    from cases.models import Case

    auditor = ctx.users.get("auditor")
    caseworker = ctx.users.get("caseworker")
    cases = list(
        Case.objects.select_related("household").exclude(household__head=None).order_by("id")[:3]
    )
    if not cases or auditor is None or caseworker is None:
        return
    if not AccessLogEntry.objects.exists():
        for case in cases:
            chain.append(
                user_id=caseworker.pk,
                object_type="cases.case",
                object_id=case.pk,
                how="page",
                ip="127.0.0.1",
                person_id=case.household.head_id,
                case_id=case.pk,
                unit_id=case.responsible_unit_id,
            )
        ctx.log(f"Access log: {len(cases)} demo reads.")
    head = cases[0].household.head_id
    if not LegalHold.objects.filter(person_id=head).exists():
        hold = LegalHold(
            person_id=head, reason="Demo: pågående tvist i förvaltningsrätten", set_by=auditor
        )
        hold.full_clean()
        attribute(hold, user=auditor, reason="legal hold placed").save()
        ctx.log("Legal hold: one demo person.")
