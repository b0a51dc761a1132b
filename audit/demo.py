"""Demo data for the audit app: a few logged reads and a legal hold. Idempotent.

The audit app never imports the domain: the demo reads are of the first cases the cases
app registered (`audit.registry`), described by the cases app's own `describe_many`."""

from __future__ import annotations

from bokvar.history import attribute

from . import chain
from .models import AccessLogEntry, LegalHold
from .registry import registry

# The registered model whose records the demo reads (a label, as the access log stores it).
CASE_LABEL = "cases.case"


def seed(ctx) -> None:
    auditor = ctx.users.get("auditor")
    caseworker = ctx.users.get("caseworker")
    case_model = registry.models.get(CASE_LABEL)
    if case_model is None or case_model.describe_many is None:
        return
    first = list(case_model.model._default_manager.order_by("id")[:10])
    reads = [
        (case, subject)
        for case, subject in zip(first, case_model.describe_many(first, None), strict=True)
        if subject.person_id is not None
    ][:3]
    if not reads or auditor is None or caseworker is None:
        return
    if not AccessLogEntry.objects.exists():
        for case, subject in reads:
            chain.append(
                user_id=caseworker.pk,
                object_type=CASE_LABEL,
                object_id=case.pk,
                how="page",
                ip="127.0.0.1",
                person_id=subject.person_id,
                case_id=subject.case_id,
                unit_id=subject.unit_id,
            )
        ctx.log(f"Access log: {len(reads)} demo reads.")
    head = reads[0][1].person_id
    if not LegalHold.objects.filter(person_id=head).exists():
        hold = LegalHold(
            person_id=head, reason="Demo: pågående tvist i förvaltningsrätten", set_by=auditor
        )
        hold.full_clean()
        attribute(hold, user=auditor, reason="legal hold placed").save()
        ctx.log("Legal hold: one demo person.")
