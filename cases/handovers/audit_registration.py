"""Handovers join the audit mechanism: their history shows on the case's history page,
they are part of a data-subject extract, and retention culls them with the case."""

from __future__ import annotations

from audit.registry import RetentionProvider, register_personal_data_view, register_retention

from ..audit_registration import cases_of_people, register_case_record
from ..models import Handover, HandoverReadAccess


def cull(ids: set[int]) -> dict[str, int]:
    pks = set(
        Handover.objects.filter(case_id__in=cases_of_people(ids)).values_list("pk", flat=True)
    )
    access = set(
        HandoverReadAccess.objects.filter(handover_id__in=pks).values_list("pk", flat=True)
    )
    Handover.objects.filter(pk__in=pks).delete()  # read-access rows cascade
    Handover.history.filter(id__in=pks).delete()
    # Their history too: it names which units read the case and when.
    HandoverReadAccess.history.filter(handover_id__in=pks).delete()
    return {Handover._meta.label_lower: len(pks), HandoverReadAccess._meta.label_lower: len(access)}


def register() -> None:
    register_case_record(Handover, date_field="sent_at")
    # Grants and revocations of read access after a handover show in the case's history.
    register_case_record(HandoverReadAccess, date_field="expires_at")
    register_retention(
        RetentionProvider(
            key="handovers",
            subjects=lambda: [],  # every person with a handover also has a case
            cull=cull,
            order=900,
        )
    )
    for name in ("cases:handover", "api-handover"):
        register_personal_data_view(name)
    register_personal_data_view("api-handovers", reads="one per handover listed")
    register_personal_data_view("cases:handovers", reads="one per case in the inbox")
