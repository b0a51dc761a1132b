"""Referrals join the audit mechanism like every record of a case: in the case's and
the person's history, the data-subject extract (through the registered model: the
readable extract shows its Swedish labels and display values), the access log (the
pages log their read of the case) and retention (culled with the person, before the
cases app culls the case)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q

from audit.registry import RetentionProvider, register_personal_data_view, register_retention
from cases.core.audit import cases_of_people, register_case_record
from cases.core.audit.retention import delete_with_history

from ..models import Referral


def cull(ids: set[int]) -> dict[str, int]:
    """Delete the referrals on these people's households' cases, then every history row of
    them (a referral whose row is gone still left history naming its case)."""
    with transaction.atomic():
        cases = cases_of_people(ids)
        about = Q(case_id__any=cases) | Q(person_id__any=ids)
        return delete_with_history({Referral: (about, about)})


def register() -> None:
    register_case_record(Referral)
    register_retention(
        RetentionProvider(
            key="partners.referrals",
            subjects=lambda: (
                Referral.objects.order_by().values_list("person_id", flat=True).distinct()
            ),
            cull=cull,
            order=700,  # before the cases app (1000) culls the case and the person
        )
    )
    register_personal_data_view("partners:referral")
    register_personal_data_view("partners:referral_new")
