"""How the core joins the audit mechanism: one `register_model` call per model, a
retention provider, the access grants in a data-subject extract, the pages that show
personal data, and the ways in for the audit app's history and extract pages. Evictions,
handovers and housing do the same for their own records (`register_case_record` and
`cases_of_people` are theirs to use)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Model, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils.translation import gettext as _

from audit.registry import (
    ExtractSection,
    RetentionProvider,
    SubjectAccess,
    register_display_names,
    register_extract_section,
    register_model,
    register_personal_data_view,
    register_retention,
    register_subjects,
    register_url_subject,
)
from bokvar.history import history_of
from bokvar.models import Notification

from ...models import (
    Case,
    CaseAssignment,
    CaseGroupObjectPermission,
    CaseUserObjectPermission,
    Handover,
    Household,
    HouseholdChild,
    Landlord,
    LandlordSignal,
    Person,
    PersonUserObjectPermission,
)
from ..selectors import history_access
from .dating import dated_by
from .retention import cull, entangled, households_among, households_of, ids_of, research_kept
from .subjects import (
    describe_cases,
    describe_people,
    hidden_by,
    hidden_people,
    protected_cases,
    protected_households,
)


def _household_of_case(case_id: int) -> Subquery:
    return Subquery(Case.objects.filter(pk=case_id).values("household_id")[:1])


def _household_of_person(person_id: int) -> Subquery:
    return Subquery(Person.objects.filter(pk=person_id).values("household_id")[:1])


def cases_of_person(person_id: int) -> QuerySet[Case, Any]:
    """The person's household's cases (a subquery of ids)."""
    return Case.objects.filter(household_id=_household_of_person(person_id)).values("pk")


def _grants(
    manager_of: Callable[[type[Model]], Any], person_id: int
) -> dict[str, QuerySet[Any, Any]]:
    """Access grants on the person and on their cases (who was let in, by whom, when)."""
    cases = cases_of_person(person_id)
    return {
        model._meta.label_lower: manager_of(model).filter(**where)
        for model, where in (
            (CaseUserObjectPermission, {"content_object_id__in": cases}),
            (CaseGroupObjectPermission, {"content_object_id__in": cases}),
            (PersonUserObjectPermission, {"content_object_id": person_id}),
        )
    }


def signals_of_person(person_id: int) -> Q:
    """Signals linked to the person's cases, or naming them by identity number or by name
    (blind index): the product matches both to the person, so both are about them."""
    me = Person.objects.filter(pk=person_id)
    bidx = Subquery(me.values("personal_number_bidx")[:1])
    name = Subquery(me.values("name_bidx")[:1])
    return (
        Q(case__in=cases_of_person(person_id))
        | (Q(tenant_personal_number_bidx=bidx) & ~Q(tenant_personal_number_bidx=""))
        # By name only when the signal names no number (else it is someone else's).
        | (Q(tenant_name_bidx=name) & ~Q(tenant_name_bidx="") & Q(tenant_personal_number_bidx=""))
    )


def _notifications(person_id: int) -> dict[str, QuerySet[Notification]]:
    """The notifications and e-mails about the person: each names their case, a handover
    of it or a signal about them (linked, or matched by number or name) by URL, or is a
    registration request about them (by its key; issue 16, point 4).
    Their texts never name a person."""
    cases = list(cases_of_person(person_id).values_list("pk", flat=True))
    handovers = Handover.objects.filter(case_id__in=cases).values_list("pk", flat=True)
    signals = LandlordSignal.objects.filter(signals_of_person(person_id)).values_list(
        "pk", flat=True
    )
    urls = [reverse("cases:detail", kwargs={"case_id": pk}) for pk in cases]
    urls += [reverse("cases:handover", kwargs={"handover_id": pk}) for pk in handovers]
    urls += [reverse("cases:signal", kwargs={"signal_id": pk}) for pk in signals]
    requests = Q(dedupe_key__regex=rf"^registration-refused:[0-9]+:{int(person_id)}$")
    return {Notification._meta.label_lower: Notification.objects.filter(Q(url__in=urls) | requests)}


def _names_of_people(user: Any, people: list[Person]) -> dict[int, str]:
    # Rows come here only when not hidden from `user` (Person's `hidden_ids`).
    return {p.pk: p.full_name for p in people}


def _names_of_households(user: Any, households: list[Household]) -> dict[int, str]:
    """A household by its head's name, unless the head is hidden from the reader."""
    heads = {h.pk: h.head_id for h in households if h.head_id}
    hidden = hidden_people(user, set(heads.values()))
    people = Person.objects.in_bulk(set(heads.values()) - hidden)
    return {
        pk: _("household of %(name)s") % {"name": people[head].full_name}
        for pk, head in heads.items()
        if head in people
    }


def _names_of_landlords(user: Any, landlords: list[Landlord]) -> dict[int, str]:
    return {row.pk: row.organisation_name or row.private_name or str(row) for row in landlords}


def register() -> None:
    register_display_names(Person, _names_of_people)
    register_display_names(Household, _names_of_households)
    register_display_names(Landlord, _names_of_landlords)
    register_model(
        Person,
        history_for_case=lambda c: Person.history.filter(household_id=_household_of_case(c)),
        history_for_person=lambda p: Person.history.filter(id=p),
        records_of_person=lambda p: Person.objects.filter(pk=p),
        last_entries=dated_by(Person, path="person", column="id", date_field="created_at"),
        hidden_ids=hidden_people,
        describe_many=describe_people,
        url_kwarg="person_id",
    )
    register_model(
        Household,
        history_for_case=lambda c: Household.history.filter(id=_household_of_case(c)),
        history_for_person=lambda p: Household.history.filter(id=_household_of_person(p)),
        records_of_person=lambda p: Household.objects.filter(pk=_household_of_person(p)),
        last_entries=dated_by(Household, path="household", column="id", date_field="created_at"),
    )
    register_model(
        HouseholdChild,
        history_for_case=lambda c: HouseholdChild.history.filter(
            household_id=_household_of_case(c)
        ),
        history_for_person=lambda p: HouseholdChild.history.filter(
            household_id=_household_of_person(p)
        ),
        records_of_person=lambda p: HouseholdChild.objects.filter(
            household_id=_household_of_person(p)
        ),
        date_field="",
        last_entries=dated_by(
            HouseholdChild, path="household", column="household_id", date_field=""
        ),
        hidden_ids=hidden_by(HouseholdChild, "household_id", protected_households),
    )
    register_model(
        Case,
        history_for_case=lambda c: Case.history.filter(id=c),
        history_for_person=lambda p: Case.history.filter(id__in=cases_of_person(p)),
        records_of_person=lambda p: Case.objects.filter(pk__in=cases_of_person(p)),
        last_entries=dated_by(Case, path="case", column="id", date_field="created_at"),
        describe_many=describe_cases,
        url_kwarg="case_id",
    )
    register_model(
        CaseAssignment,
        history_for_case=lambda c: CaseAssignment.history.filter(case_id=c),
        history_for_person=lambda p: CaseAssignment.history.filter(case_id__in=cases_of_person(p)),
        records_of_person=lambda p: CaseAssignment.objects.filter(case_id__in=cases_of_person(p)),
        date_field="assigned_at",
        last_entries=dated_by(
            CaseAssignment, path="case", column="case_id", date_field="assigned_at"
        ),
    )
    register_retention(
        RetentionProvider(
            key="cases",
            subjects=lambda: Person.objects.values_list("pk", flat=True),
            research_kept=research_kept,
            entangled=entangled,
            cull=cull,
            together=households_among,
            order=1000,  # the core last: what builds on it culls its rows first
        )
    )
    register_extract_section(
        ExtractSection(
            key="cases.grants",
            records=lambda p: _grants(lambda m: m._default_manager, p),
            history=lambda p: _grants(history_of, p),
        )
    )
    register_extract_section(ExtractSection(key="cases.notifications", records=_notifications))
    # Pages about a household (a new case for it) or a child of it: refused, they are
    # denied reads of its people or its case.
    register_url_subject("household_id", _person_of_household)
    register_url_subject("child_id", _case_of_child)
    for name in (
        "cases:detail",
        "cases:person_edit",
        "cases:person",
        "cases:edit",
        "cases:children",
        "cases:protected_access",
    ):
        register_personal_data_view(name)
    # Lists: one entry per record shown.
    register_personal_data_view("cases:list", reads="one per case listed")
    register_subjects(
        SubjectAccess(
            case_for_history=history_access.get_case_for_history,
            person_for_history=history_access.get_person_for_history,
            find_person_for_auditor=history_access.find_person_for_auditor,
            find_case_id_for_auditor=history_access.find_case_id_for_auditor,
            names_for_auditor=history_access.names_for_auditor,
            person_for_auditor=history_access.get_person_for_auditor,
            cases_of_person=lambda p: Case.objects.filter(pk__in=cases_of_person(p)).values_list(
                "pk", flat=True
            ),
        )
    )


def case_of_record(model: type[Model]) -> Callable[[int], Case | None]:
    """The case a record of `model` (with a `case` key) hangs on, by the record's id."""

    def find(pk: int) -> Case | None:
        of_record = model._default_manager.filter(pk=pk).values("case_id")[:1]
        return Case.objects.filter(pk=Subquery(of_record)).first()

    return find


def _person_of_household(pk: int) -> Person | None:
    household = Household.objects.filter(pk=pk).first()
    if household is None:
        return None
    return household.head or Person.objects.filter(household_id=pk).order_by("pk").first()


def _case_of_child(pk: int) -> Case | None:
    household = HouseholdChild.objects.filter(pk=pk).values("household_id")[:1]
    return Case.objects.filter(household_id=Subquery(household)).order_by("-pk").first()


def register_case_record(
    model: type[Model], *, date_field: str = "created_at", url_kwargs: tuple[str, ...] = ()
) -> None:
    """Rows that hang on one case (threats, contacts, handovers, placements, …). Their
    values are hidden from whoever was not granted a protected member of the household.
    A page whose last URL keyword is one of `url_kwargs` ("threat_id", or a view's own
    "api-handover:pk") is about the record's case: refused, it is a denied read of it."""
    for key in url_kwargs:
        register_url_subject(key, case_of_record(model))
    register_model(
        model,
        history_for_case=lambda c: history_of(model).filter(case_id=c),
        history_for_person=lambda p: history_of(model).filter(case_id__in=cases_of_person(p)),
        records_of_person=lambda p: model._default_manager.filter(case_id__in=cases_of_person(p)),
        date_field=date_field,
        last_entries=dated_by(model, path="case", column="case_id", date_field=date_field),
        hidden_ids=hidden_by(model, "case_id", protected_cases),
    )


def cases_of_people(ids: set[int]) -> set[int]:
    """Case ids of the households of these people (what retention culls with them)."""
    return ids_of(Case.objects.filter(household_id__any=households_of(ids)))
