"""The housing chain joins the audit mechanism: shelter nights, placements, progress
notes and cost items appear in case and person history, in data-subject extracts, and
are culled (with their history) before the cases app culls the person."""

from __future__ import annotations

from django.db import transaction

from audit.registry import (
    RetentionProvider,
    register_model,
    register_personal_data_view,
    register_retention,
)
from cases.audit_registration import (
    cases_of_people,
    hidden_by,
    protected_cases,
    protected_households,
    register_case_record,
)
from cases.models import Case, Person

from .models import CostItem, Placement, ProgressNote, ShelterNight


def _people_of_case(case_id: int):
    return Person.objects.filter(household__cases=case_id).values("pk")


def _members_of(households):
    return Person.objects.filter(household_id__in=households).values("pk")


def _cases_of_person(person_id: int):
    return Case.objects.filter(household__members=person_id).values("pk")


def cull(ids: set[int]) -> dict[str, int]:
    with transaction.atomic():
        households = Person.objects.filter(pk__in=ids).values("household_id")
        people = set(
            Person.objects.filter(household_id__in=households).values_list("pk", flat=True)
        )
        cases = cases_of_people(ids)
        placements = set(Placement.objects.filter(case_id__in=cases).values_list("pk", flat=True))
        doomed = {
            ShelterNight: set(
                ShelterNight.objects.filter(person_id__in=people).values_list("pk", flat=True)
            ),
            ProgressNote: set(
                ProgressNote.objects.filter(placement_id__in=placements).values_list(
                    "pk", flat=True
                )
            ),
            Placement: placements,
            CostItem: set(CostItem.objects.filter(case_id__in=cases).values_list("pk", flat=True)),
        }
        for model, pks in doomed.items():
            model.objects.filter(pk__in=pks).delete()
            model.history.filter(id__in=pks).delete()
    return {model._meta.label_lower: len(pks) for model, pks in doomed.items()}


def register() -> None:
    register_model(
        ShelterNight,
        history_for_case=lambda c: ShelterNight.history.filter(person_id__in=_people_of_case(c)),
        history_for_person=lambda p: ShelterNight.history.filter(person_id=p),
        records_of_person=lambda p: ShelterNight.objects.filter(person_id=p),
        # Where someone of a protected household sleeps tells where the household is.
        hidden_ids=hidden_by(
            ShelterNight,
            "person_id",
            lambda user: _members_of(protected_households(user)),
        ),
    )
    register_case_record(Placement, date_field="")
    register_case_record(CostItem, date_field="")
    register_model(
        ProgressNote,
        history_for_case=lambda c: ProgressNote.history.filter(
            placement_id__in=Placement.objects.filter(case_id=c).values("pk")
        ),
        history_for_person=lambda p: ProgressNote.history.filter(
            placement_id__in=Placement.objects.filter(case_id__in=_cases_of_person(p)).values("pk")
        ),
        records_of_person=lambda p: ProgressNote.objects.filter(
            placement__case_id__in=_cases_of_person(p)
        ),
        date_field="",
        hidden_ids=hidden_by(
            ProgressNote,
            "placement_id",
            lambda user: Placement.objects.filter(case_id__in=protected_cases(user)).values("pk"),
        ),
    )
    register_retention(
        RetentionProvider(
            key="housing",
            subjects=lambda: ShelterNight.objects.values_list("person_id", flat=True).distinct(),
            cull=cull,
            order=800,
        )
    )
    register_personal_data_view("housing:placement")
    register_personal_data_view("housing:nights_new")
    register_personal_data_view("housing:forecast", reads="one per case with costs")
