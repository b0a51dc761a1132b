"""The housing chain joins the audit mechanism: shelter nights, placements, progress
notes and cost items appear in case and person history, in data-subject extracts, and
are culled (with their history) before the cases app culls the person."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q, Subquery

from audit.registry import (
    RetentionProvider,
    register_model,
    register_personal_data_view,
    register_retention,
    register_url_subject,
)
from cases.core.audit import (
    cases_of_people,
    hidden_by,
    protected_cases,
    protected_households,
    register_case_record,
)
from cases.core.audit.dating import dated_by
from cases.core.audit.retention import delete_with_history, households_of, ids_of
from cases.models import Case, Person

from .models import CostItem, Placement, ProgressNote, ShelterNight


def _people_of_case(case_id: int):
    return Person.objects.filter(household__cases=case_id).values("pk")


def _members_of(households):
    return Person.objects.filter(household_id__in=households).values("pk")


def _cases_of_person(person_id: int):
    return Case.objects.filter(household__members=person_id).values("pk")


def _person_of_night(pk: int) -> Person | None:
    """A shelter night's page (removing it) is about the person who slept there."""
    of_night = ShelterNight.objects.filter(pk=pk).values("person_id")[:1]
    return Person.objects.filter(pk=Subquery(of_night)).first()


def cull(ids: set[int]) -> dict[str, int]:
    """Delete the housing chain of these people's households and cases, then every
    history row about it by person, case and placement: rows removed earlier (a night
    entered by mistake, a cost item) leave history that goes too."""
    with transaction.atomic():
        people = ids_of(Person.objects.filter(household_id__any=households_of(ids)))
        cases = cases_of_people(ids)
        placements = ids_of(Placement.objects.filter(case_id__any=cases))
        ever_placed = placements | set(
            Placement.history.filter(case_id__any=cases).order_by().values_list("id", flat=True)
        )
        doomed = {
            ShelterNight: (Q(person_id__any=people), Q(person_id__any=people)),
            ProgressNote: (Q(placement_id__any=placements), Q(placement_id__any=ever_placed)),
            Placement: (Q(pk__any=placements), Q(case_id__any=cases) | Q(id__any=placements)),
            CostItem: (Q(case_id__any=cases), Q(case_id__any=cases)),
        }
        return delete_with_history(doomed)


def register() -> None:
    register_model(
        ShelterNight,
        history_for_case=lambda c: ShelterNight.history.filter(person_id__in=_people_of_case(c)),
        history_for_person=lambda p: ShelterNight.history.filter(person_id=p),
        records_of_person=lambda p: ShelterNight.objects.filter(person_id=p),
        last_entries=dated_by(
            ShelterNight, path="person", column="person_id", date_field="created_at"
        ),
        # Where someone of a protected household sleeps tells where the household is.
        hidden_ids=hidden_by(
            ShelterNight,
            "person_id",
            lambda user: _members_of(protected_households(user)),
        ),
    )
    register_case_record(Placement, date_field="", url_kwargs=("placement_id",))
    register_case_record(CostItem, date_field="", url_kwargs=("item_id",))
    register_url_subject("night_id", _person_of_night)
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
        last_entries=dated_by(
            ProgressNote,
            path="case",
            column="pl.case_id",
            date_field="",
            via=f" JOIN {Placement._meta.db_table} pl ON pl.id = t.placement_id",
        ),
        hidden_ids=hidden_by(
            ProgressNote,
            "placement_id",
            lambda user: Placement.objects.filter(case_id__in=protected_cases(user)).values("pk"),
        ),
    )
    register_retention(
        RetentionProvider(
            key="housing",
            subjects=lambda: (
                ShelterNight.objects.order_by().values_list("person_id", flat=True).distinct()
            ),
            cull=cull,
            order=800,
        )
    )
    register_personal_data_view("housing:placement")
    register_personal_data_view("housing:nights_new")
    register_personal_data_view("housing:forecast", reads="one per case with costs")
