"""How the cases app joins the audit mechanism (issue #7): one `register_model` call per
model, a retention provider, a grant checker and the person → cases lookup. Later apps
(handovers, housing) do the same from their own AppConfig.ready()."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from django.db.models import Exists, OuterRef, Q, Subquery

from audit.registry import (
    ExtractSection,
    OrphanRule,
    RetentionProvider,
    Subject,
    register_cases_of_person,
    register_extract_section,
    register_model,
    register_orphan_rule,
    register_personal_data_view,
    register_retention,
)

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
    ProtectedIdentity,
)
from .retention import (
    cull,
    cull_unlinked_signals,
    entangled,
    research_kept,
    unlinked_signals_due,
)


def _household_of_case(case_id: int):
    return Subquery(Case.objects.filter(pk=case_id).values("household_id")[:1])


def _household_of_person(person_id: int):
    return Subquery(Person.objects.filter(pk=person_id).values("household_id")[:1])


def _cases_of_person(person_id: int):
    return Case.objects.filter(household_id=_household_of_person(person_id)).values("pk")


# --- Who a read concerns (the access log) -------------------------------------------------
# Loaded here, not taken from what a view happened to select: a case is described the same
# whichever page read it, and a list costs the same few queries whatever its length.


def case_subjects(case_ids: set[int]) -> dict[int, Subject]:
    """Main tenant, unit, district and protection of these cases, in one query. A case is
    protected when any member of its household is, not only its main tenant."""
    if not case_ids:
        return {}
    protected_member = Person.objects.filter(household_id=OuterRef("household_id")).exclude(
        protected_identity=ProtectedIdentity.NONE
    )
    rows = (
        Case.objects.filter(pk__in=case_ids)
        .annotate(any_protected=Exists(protected_member))
        .values_list(
            "pk",
            "household__head_id",
            "responsible_unit_id",
            "responsible_unit__district_id",
            "any_protected",
        )
    )
    return {
        pk: Subject(
            person_id=head, case_id=pk, unit_id=unit, district_id=district, protected=protected
        )
        for pk, head, unit, district, protected in rows
    }


def describe_cases(cases: list[Case], via=None) -> list[Subject]:
    facts = case_subjects({c.pk for c in cases})
    return [facts.get(c.pk, Subject(case_id=c.pk)) for c in cases]


def describe_people(people: list[Person], via=None) -> list[Subject]:
    """A person read through a case (their page on it) concerns that case; otherwise the
    newest case of their household, so the read shows under a unit and can be flagged."""
    households = {p.household_id for p in people}
    if isinstance(via, Case):
        case_of = {via.household_id: via.pk}
    else:
        case_of = {}
        newest = Case.objects.filter(household_id__in=households).order_by(
            "household_id", "-opened_on", "-pk"
        )
        for household_id, pk in newest.values_list("household_id", "pk"):
            case_of.setdefault(household_id, pk)
    facts = case_subjects(set(case_of.values()))
    out = []
    for p in people:
        fact = facts.get(case_of.get(p.household_id))
        if fact is None:
            out.append(Subject(person_id=p.pk, protected=p.is_protected))
        else:
            out.append(replace(fact, person_id=p.pk, protected=fact.protected or p.is_protected))
    return out


def describe_signals(signals: list[LandlordSignal], via=None) -> list[Subject]:
    """A linked signal concerns its case; an unlinked one the registered person its tenant's
    identity number matches, if any (so 'who looked at this person' finds it too)."""
    rows = dict(
        (pk, (case_id, bidx))
        for pk, case_id, bidx in LandlordSignal.objects.filter(
            pk__in={s.pk for s in signals}
        ).values_list("pk", "case_id", "tenant_personal_number_bidx")
    )
    facts = case_subjects({case_id for case_id, _ in rows.values() if case_id})
    bidxs = {bidx for case_id, bidx in rows.values() if not case_id and bidx}
    tenants = {}
    if bidxs:
        tenants = {
            bidx: Subject(person_id=pk, protected=level != ProtectedIdentity.NONE)
            for pk, bidx, level in Person.objects.filter(
                personal_number_bidx__in=bidxs
            ).values_list("pk", "personal_number_bidx", "protected_identity")
        }
    out = []
    for s in signals:
        case_id, bidx = rows.get(s.pk, (None, ""))
        if case_id:
            out.append(facts.get(case_id, Subject(case_id=case_id)))
        else:
            out.append(tenants.get(bidx, Subject()))
    return out


# --- What the history page hides --------------------------------------------------------
# A record concerns a protected person when it hangs on a household (or a case of a
# household) with a protected member the reader was not granted: its values are hidden.
# Decided on the history rows, so the history of a record deleted since is hidden too.


def hidden_persons(user):
    """People with a protected identity not granted to `user` (a subquery)."""
    from .selectors.people import persons_visible_q

    return Person.objects.exclude(persons_visible_q(user))


def protected_households(user):
    return hidden_persons(user).values("household_id")


def protected_cases(user):
    """Cases whose household has a protected member not granted to `user` (a subquery)."""
    return Case.objects.filter(household_id__in=protected_households(user)).values("pk")


def hidden_by(model, field: str, scope: Callable) -> Callable[[object, set[int]], set[int]]:
    """hidden_ids for `model`: rows whose `field` ever pointed into `scope(user)`."""

    def hidden(user, ids: set[int]) -> set[int]:
        if not ids:
            return set()
        rows = model.history.filter(id__in=ids, **{f"{field}__in": scope(user)})
        return set(rows.values_list("id", flat=True).distinct())

    return hidden


def hidden_people(user, ids: set[int]) -> set[int]:
    """Protected now or at any time in their history, and not granted to `user`: an
    earlier address of someone protected since is as secret as the current one."""
    from .selectors.people import granted_person_ids

    ever_protected = (
        Person.history.filter(id__in=ids)
        .exclude(protected_identity=ProtectedIdentity.NONE)
        .exclude(id__in=granted_person_ids(user))
    )
    return set(ever_protected.values_list("id", flat=True).distinct())


def hidden_signals(user, ids: set[int]) -> set[int]:
    """Signals linked to a protected household, or naming a protected person as tenant."""
    by_tenant = (
        LandlordSignal.objects.filter(pk__in=ids)
        .exclude(tenant_personal_number_bidx="")
        .filter(tenant_personal_number_bidx__in=hidden_persons(user).values("personal_number_bidx"))
    )
    return hidden_by(LandlordSignal, "case_id", protected_cases)(user, ids) | set(
        by_tenant.values_list("pk", flat=True)
    )


def _signals_of_person(person_id: int) -> Q:
    bidx = Subquery(Person.objects.filter(pk=person_id).values("personal_number_bidx")[:1])
    return Q(case__in=_cases_of_person(person_id)) | (
        Q(tenant_personal_number_bidx=bidx) & ~Q(tenant_personal_number_bidx="")
    )


def _signal_history_of_person(person_id: int):
    """Signals linked to the person's cases, or naming them (blind index) unlinked."""
    return LandlordSignal.history.filter(
        Q(case_id__in=_cases_of_person(person_id))
        | Q(id__in=LandlordSignal.objects.filter(_signals_of_person(person_id)).values("pk"))
    )


def _grants(manager_of, person_id: int) -> dict:
    """Access grants on the person and on their cases (who was let in, by whom, when)."""
    cases = _cases_of_person(person_id)
    return {
        model._meta.label_lower: manager_of(model).filter(**where)
        for model, where in (
            (CaseUserObjectPermission, {"content_object_id__in": cases}),
            (CaseGroupObjectPermission, {"content_object_id__in": cases}),
            (PersonUserObjectPermission, {"content_object_id": person_id}),
        )
    }


def register() -> None:
    by_case = "case_id"
    register_model(
        Person,
        history_for_case=lambda c: Person.history.filter(household_id=_household_of_case(c)),
        history_for_person=lambda p: Person.history.filter(id=p),
        records_of_person=lambda p: Person.objects.filter(pk=p),
        hidden_ids=hidden_people,
        describe_many=describe_people,
    )
    register_model(
        Household,
        history_for_case=lambda c: Household.history.filter(id=_household_of_case(c)),
        history_for_person=lambda p: Household.history.filter(id=_household_of_person(p)),
        records_of_person=lambda p: Household.objects.filter(pk=_household_of_person(p)),
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
        hidden_ids=hidden_by(HouseholdChild, "household_id", protected_households),
    )
    register_model(
        Case,
        history_for_case=lambda c: Case.history.filter(id=c),
        history_for_person=lambda p: Case.history.filter(id__in=_cases_of_person(p)),
        records_of_person=lambda p: Case.objects.filter(pk__in=_cases_of_person(p)),
        describe_many=describe_cases,
    )
    register_model(
        CaseAssignment,
        history_for_case=lambda c: CaseAssignment.history.filter(**{by_case: c}),
        history_for_person=lambda p: CaseAssignment.history.filter(case_id__in=_cases_of_person(p)),
        records_of_person=lambda p: CaseAssignment.objects.filter(case_id__in=_cases_of_person(p)),
        date_field="assigned_at",
    )
    register_model(
        LandlordSignal,
        history_for_case=lambda c: LandlordSignal.history.filter(**{by_case: c}),
        history_for_person=_signal_history_of_person,
        records_of_person=lambda p: LandlordSignal.objects.filter(_signals_of_person(p)),
        hidden_ids=hidden_signals,
        describe_many=describe_signals,
    )
    for model in (EvictionThreat, Contact, Intervention, Deadline):
        register_case_record(model)
    register_retention(
        RetentionProvider(
            key="cases",
            subjects=lambda: Person.objects.values_list("pk", flat=True),
            research_kept=research_kept,
            entangled=entangled,
            cull=cull,
            order=1000,  # cases last: apps building on cases cull their rows first
        )
    )
    register_extract_section(
        ExtractSection(
            key="cases.grants",
            records=lambda p: _grants(lambda m: m.objects, p),
            history=lambda p: _grants(lambda m: m.history, p),
        )
    )
    register_orphan_rule(
        OrphanRule(
            key=LandlordSignal._meta.label_lower,
            due=unlinked_signals_due,
            cull=cull_unlinked_signals,
        )
    )
    for name in (
        "cases:detail",
        "cases:person_edit",
        "cases:person",
        "cases:signal",
        "api-signal",
        "cases:edit",
        "cases:children",
        "cases:protected_access",
        "cases:threat_edit",
    ):
        register_personal_data_view(name)
    # Lists: one entry per record shown.
    register_personal_data_view("cases:list", reads="one per case listed")
    register_personal_data_view("cases:deadlines", reads="one per case with a deadline listed")
    register_personal_data_view("cases:signals", reads="one per signal listed")
    register_personal_data_view("api-signals", reads="one per signal listed")
    register_cases_of_person(
        "cases",
        lambda p: Case.objects.filter(pk__in=_cases_of_person(p)).values_list("pk", flat=True),
    )


def register_case_record(model, *, date_field: str = "created_at") -> None:
    """Rows that hang on one case (threats, contacts, handovers, placements, …). Their
    values are hidden from whoever was not granted a protected member of the household."""
    register_model(
        model,
        history_for_case=lambda c: model.history.filter(case_id=c),
        history_for_person=lambda p: model.history.filter(case_id__in=_cases_of_person(p)),
        records_of_person=lambda p: model.objects.filter(case_id__in=_cases_of_person(p)),
        date_field=date_field,
        hidden_ids=hidden_by(model, "case_id", protected_cases),
    )


def cases_of_people(ids: set[int]) -> set[int]:
    """Case ids of the households of these people (what retention culls with them)."""
    households = Person.objects.filter(pk__in=ids).values("household_id")
    return set(Case.objects.filter(household_id__in=households).values_list("pk", flat=True))
