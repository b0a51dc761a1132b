"""Handovers join the audit mechanism: their history shows on the case's history page,
they are part of a data-subject extract, and retention culls them with the case."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

from audit.registry import (
    RetentionProvider,
    register_handover_checker,
    register_personal_data_view,
    register_retention,
)
from cases.core.audit import cases_of_people, register_case_record
from cases.core.audit.retention import delete_with_history
from cases.models import Handover, HandoverReadAccess


def cull(ids: set[int]) -> dict[str, int]:
    """Handovers of these people's cases and the read access they left, with every
    history row of them by case (read access revoked or expired earlier included: it
    names which units read the case and when)."""
    cases = cases_of_people(ids)
    by_case = Q(case_id__any=cases)
    return delete_with_history(
        {HandoverReadAccess: (by_case, by_case), Handover: (by_case, by_case)}
    )


def handed_over(case_ids: list[int], unit_ids: list[int], now: datetime) -> list[QuerySet[Any]]:
    """Cases with a pending or accepted handover to one of these units, or read access
    left to one of them after a transfer (read by audit.registry.handed_over, in one
    UNION with the other apps' checkers, compiled once: the ids and `now` as parameters)."""
    sent = (
        Handover.objects.filter(
            case_id__any=case_ids,
            to_unit_id__any=unit_ids,
            status__in=[Handover.Status.PENDING, Handover.Status.ACCEPTED],
        )
        .order_by()
        .values_list("case_id", flat=True)
    )
    kept = (
        HandoverReadAccess.objects.filter(
            case_id__any=case_ids,
            unit_id__any=unit_ids,
            revoked_at__isnull=True,
            expires_at__gt=now,
        )
        .order_by()
        .values_list("case_id", flat=True)
    )
    return [sent, kept]


def register() -> None:
    register_handover_checker("handovers", handed_over)
    register_case_record(
        Handover,
        date_field="sent_at",
        url_kwargs=(
            "handover_id",
            *(
                f"api-handover{action}:pk"
                for action in ("", "-accept", "-acknowledge", "-close", "-return")
            ),
        ),
    )
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
