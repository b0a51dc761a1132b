"""Every write to people and cases: one function per use case, one transaction,
permission checked, history attributed to the actor with a reason."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from bokvar.concurrency import bump, lock_version
from bokvar.history import attribute
from bokvar.models import District, Role, Unit, User
from bokvar.selectors import roles_of

from . import selectors
from .identity import birth_year_band, parse_personal_number
from .models import (
    Case,
    CaseAssignment,
    CaseGroupObjectPermission,
    CaseNumberSequence,
    CaseUserObjectPermission,
    Household,
    HouseholdChild,
    Landlord,
    Person,
    PersonUserObjectPermission,
    ProtectedIdentity,
)

CASE_PERMS = ["cases.view_case", "cases.change_case"]
PROTECTED_PERM = "cases.view_protected_person"


@dataclass
class PersonData:
    given_name: str
    family_name: str
    personal_number: str = ""
    address: str = ""
    phone: str = ""
    email: str = ""
    needs_interpreter: bool = False
    interpreter_language: str = ""
    notes: str = ""
    sex: str = ""
    protected_identity: str = ProtectedIdentity.NONE
    protected_identity_noted_on: date | None = None
    extra: dict = field(default_factory=dict)


def _apply_person_data(person: Person, data: PersonData) -> None:
    canonical = parse_personal_number(data.personal_number) if data.personal_number else ""
    person.given_name = data.given_name.strip()
    person.family_name = data.family_name.strip()
    person.personal_number = canonical
    person.personal_number_bidx = selectors.personal_number_index(canonical) if canonical else ""
    person.name_bidx = selectors.name_index(person.full_name) if person.full_name else ""
    person.birth_year_band = birth_year_band(canonical) if canonical else None
    person.address = data.address.strip()
    person.phone = data.phone.strip()
    person.email = data.email.strip()
    person.needs_interpreter = data.needs_interpreter
    person.interpreter_language = (
        data.interpreter_language.strip() if data.needs_interpreter else ""
    )
    person.notes = data.notes.strip()
    person.sex = data.sex
    person.protected_identity = data.protected_identity or ProtectedIdentity.NONE
    person.protected_identity_noted_on = (
        data.protected_identity_noted_on or timezone.localdate()
        if person.protected_identity != ProtectedIdentity.NONE
        else None
    )


class PersonalNumberTaken(ValidationError):
    """The identity number belongs to someone else; `clash` says what the actor may know."""

    def __init__(self, message, *, clash: selectors.NumberClash):
        super().__init__(message)
        self.clash = clash


def _ensure_unique_personal_number(
    person: Person, *, actor: User, field_name: str = "personal_number"
) -> None:
    """Identity numbers are unique, so a clash must be refused. Only a user who may see
    the other person is told that they exist; everyone else gets a neutral refusal that
    names neither a person nor a case."""
    if not person.personal_number_bidx:
        return
    clash = selectors.personal_number_clash(
        actor, person.personal_number_bidx, exclude_pk=person.pk
    )
    if clash is None:
        return
    if clash.visible:
        message = _("A person with this identity number is already registered.")
    else:
        message = _(
            "This identity number cannot be registered here. Contact a housing coordinator."
        )
    raise PersonalNumberTaken({field_name: message}, clash=clash)


def may_create_case_for(actor: User, unit: Unit) -> bool:
    roles = roles_of(actor)
    if unit.district_id in roles.coordinator_district_ids:
        return True
    return roles.has(Role.CASEWORKER, Role.GUIDE) and unit.pk in roles.unit_ids


def _next_case_number(year: int) -> str:
    CaseNumberSequence.objects.get_or_create(year=year)
    seq = CaseNumberSequence.objects.select_for_update().get(year=year)
    seq.last += 1
    seq.save(update_fields=["last"])
    return f"BK-{year}-{seq.last:04d}"


def _grant_rows(perm: str, grantee: User | Group, obj: Case | Person):
    """The direct-foreign-key permission rows for (perm, grantee, obj), unsaved filter."""
    app_label, codename = perm.split(".")
    permission = Permission.objects.get(
        content_type=ContentType.objects.get_for_model(obj), codename=codename
    )
    if isinstance(obj, Case):
        model, key = (
            (CaseGroupObjectPermission, "group")
            if isinstance(grantee, Group)
            else (CaseUserObjectPermission, "user")
        )
    elif isinstance(obj, Person) and not isinstance(grantee, Group):
        model, key = PersonUserObjectPermission, "user"
    else:  # pragma: no cover - a programming error, not user input
        raise TypeError(f"no object permission model for {type(obj).__name__}")
    return model, {key: grantee, "permission": permission, "content_object": obj}


def grant_perm(perm: str, grantee: User | Group, obj, *, actor: User | None, reason: str) -> None:
    """Give `grantee` the object permission, with a history row naming actor and reason.
    (guardian's assign_perm leaves the history row without either.) Without an actor
    the request's user is recorded, as simple-history's middleware does."""
    model, values = _grant_rows(perm, grantee, obj)
    if not model.objects.filter(**values).exists():
        row = model(**values)
        if actor is None:
            row._change_reason = reason
        else:
            attribute(row, user=actor, reason=reason)
        row.save()


def revoke_perm(perm: str, grantee: User | Group, obj, *, actor: User, reason: str) -> None:
    """Take the object permission away, one row at a time so that every deletion leaves
    a history row (a bulk delete would not name the actor)."""
    model, values = _grant_rows(perm, grantee, obj)
    for row in model.objects.filter(**values):
        attribute(row, user=actor, reason=reason).delete()


def _grant_case(
    case: Case, grantee, *, actor: User | None = None, reason: str = "access granted"
) -> None:
    # actor may be left out only by older callers (housing); pass it.
    for perm in CASE_PERMS:
        grant_perm(perm, grantee, case, actor=actor, reason=reason)


def _revoke_case(case: Case, grantee, *, actor: User, reason: str) -> None:
    for perm in CASE_PERMS:
        revoke_perm(perm, grantee, case, actor=actor, reason=reason)


@transaction.atomic
def create_case(
    *,
    actor: User,
    kind: str,
    responsible_unit: Unit,
    assignees: list[User],
    people: list[PersonData],
    children_birth_years: list[int],
    opened_on: date | None = None,
    reason: str = "case created",
) -> Case:
    if not may_create_case_for(actor, responsible_unit):
        raise PermissionDenied
    if not people:
        raise ValidationError({"people": _("A case needs at least one person.")})
    household = attribute(Household(), user=actor, reason=reason)
    household.save()
    persons = []
    for index, data in enumerate(people):
        person = Person(household=household)
        _apply_person_data(person, data)
        _ensure_unique_personal_number(
            person, actor=actor, field_name=f"people-{index}-personal_number"
        )
        person.full_clean(exclude=["household"])
        attribute(person, user=actor, reason=reason).save()
        persons.append(person)
    household.head = persons[0]
    attribute(household, user=actor, reason=reason).save(update_fields=["head"])
    for year in children_birth_years:
        _check_birth_year(year, "children")
        attribute(
            HouseholdChild(household=household, birth_year=year), user=actor, reason=reason
        ).save()
    case = open_case_row(
        household=household,
        kind=kind,
        responsible_unit=responsible_unit,
        assignees=assignees,
        opened_on=opened_on,
        actor=actor,
        reason=reason,
    )
    for person in persons:
        if person.is_protected:
            for user in {actor, *assignees}:
                grant_perm(PROTECTED_PERM, user, person, actor=actor, reason=reason)
    return case


def open_case_row(
    *,
    household: Household,
    kind: str,
    responsible_unit: Unit,
    assignees: list[User],
    opened_on: date | None,
    actor: User,
    reason: str,
) -> Case:
    """The case row of a new case, granted to its unit and assigned: the part every way
    of opening a case shares (a new household, a returning one)."""
    case = Case(
        number=_next_case_number(timezone.localdate().year),
        household=household,
        kind=kind,
        responsible_unit=responsible_unit,
        opened_on=opened_on or timezone.localdate(),
    )
    case.full_clean()
    attribute(case, user=actor, reason=reason).save()
    _grant_case(case, responsible_unit.group, actor=actor, reason=reason)
    _set_assignees(case, assignees, actor=actor, reason=reason)
    return case


def _set_assignees(case: Case, assignees: list[User], *, actor: User, reason: str) -> None:
    current = {a.user_id: a for a in case.assignments.all()}
    wanted = {u.pk: u for u in assignees}
    for user_id, assignment in current.items():
        if user_id not in wanted:
            _revoke_case(case, assignment.user, actor=actor, reason=reason)
            attribute(assignment, user=actor, reason=reason).delete()
    for user_id, user in wanted.items():
        if user_id not in current:
            attribute(CaseAssignment(case=case, user=user), user=actor, reason=reason).save()
            _grant_case(case, user, actor=actor, reason=reason)


@transaction.atomic
def update_case(
    *, actor: User, case_id: int, expected_version: int, kind: str, assignees: list[User]
) -> Case:
    selectors.get_case_for_user(actor, case_id, write=True)
    case = lock_version(Case, case_id, expected_version)
    case.kind = kind
    bump(case)
    case.full_clean()
    attribute(case, user=actor, reason="case edited").save(update_fields=["kind", "version"])
    _set_assignees(case, assignees, actor=actor, reason="assignees changed")
    return case


@transaction.atomic
def update_person(
    *, actor: User, case_id: int, person_id: int, expected_version: int, data: PersonData
) -> Person:
    case = selectors.get_case_for_user(actor, case_id, write=True)
    selectors.get_person_for_user(actor, case, person_id)
    person = lock_version(Person, person_id, expected_version)
    was_protected = person.is_protected
    _apply_person_data(person, data)
    _ensure_unique_personal_number(person, actor=actor)
    bump(person)
    person.full_clean(exclude=["household"])
    attribute(person, user=actor, reason="person edited").save()
    if person.is_protected and not was_protected:
        # Whoever marks a person as protected keeps sight of them; nobody else gains it.
        grant_perm(PROTECTED_PERM, actor, person, actor=actor, reason="protected identity marked")
    return person


@transaction.atomic
def close_case(
    *, actor: User, case_id: int, expected_version: int, outcome: str, closed_on: date
) -> Case:
    selectors.get_case_for_user(actor, case_id, write=True)
    case = lock_version(Case, case_id, expected_version)
    if case.status == Case.Status.CLOSED:
        raise ValidationError({"outcome": _("The case is already closed.")})
    if not outcome:
        raise ValidationError({"outcome": _("Choose the outcome of the case.")})
    case.status = Case.Status.CLOSED
    case.outcome = outcome
    case.closed_on = closed_on
    bump(case)
    case.full_clean()
    attribute(case, user=actor, reason="case closed").save(
        update_fields=["status", "outcome", "closed_on", "version"]
    )
    return case


@transaction.atomic
def reopen_case(
    *, actor: User, case_id: int, expected_version: int, reason: str = "case reopened"
) -> Case:
    selectors.get_case_for_user(actor, case_id, write=True)
    case = lock_version(Case, case_id, expected_version)
    if case.status != Case.Status.CLOSED:
        raise ValidationError({"case": _("The case is already open.")})
    case.status, case.outcome, case.closed_on = Case.Status.OPEN, "", None
    bump(case)
    case.full_clean()
    attribute(case, user=actor, reason=reason).save(
        update_fields=["status", "outcome", "closed_on", "version"]
    )
    return case


def _check_birth_year(year: int | None, field_name: str) -> int:
    this_year = timezone.localdate().year
    if year is None or not 1900 <= year <= this_year:
        raise ValidationError(
            {field_name: _("A child's birth year must be between 1900 and this year.")}
        )
    return year


def _household_touched(household: Household, *, actor: User, reason: str) -> None:
    """Every change to a household's children moves its version, so two people editing
    the children at once cannot both save unseen."""
    bump(household)
    attribute(household, user=actor, reason=reason).save(update_fields=["version"])


@transaction.atomic
def add_household_child(
    *, actor: User, case_id: int, expected_version: int, birth_year: int | None
) -> HouseholdChild:
    """A child of the case's household, by birth year only (no other detail is kept)."""
    case = selectors.get_case_for_user(actor, case_id, write=True)
    household = lock_version(Household, case.household_id, expected_version)
    child = HouseholdChild(
        household=household, birth_year=_check_birth_year(birth_year, "birth_year")
    )
    child.full_clean()
    attribute(child, user=actor, reason="child added").save()
    _household_touched(household, actor=actor, reason="child added")
    _flag_children_now(household)
    return child


@transaction.atomic
def remove_household_child(
    *, actor: User, case_id: int, child_id: int, expected_version: int
) -> None:
    case = selectors.get_case_for_user(actor, case_id, write=True)
    child = HouseholdChild.objects.filter(household_id=case.household_id, pk=child_id).first()
    if child is None:
        raise Http404
    household = lock_version(Household, case.household_id, expected_version)
    attribute(child, user=actor, reason="child removed").delete()
    _household_touched(household, actor=actor, reason="child removed")


def _flag_children_now(household: Household) -> None:
    """A child added to a household whose eviction is close is flagged at once, not at
    the next scheduled scan."""
    from .models import EvictionThreat
    from .workflow.threats import flag_children_at_risk

    today = timezone.localdate()
    threats = EvictionThreat.objects.filter(
        case__household=household,
        case__status=Case.Status.OPEN,
        outcome="",
        eviction_on__gte=today,
    ).select_related("case__responsible_unit", "case__household")
    for threat in threats:
        flag_children_at_risk(threat, case=threat.case, today=today)


def may_grant(actor: User, case: Case) -> bool:
    roles = roles_of(actor)
    if case.responsible_unit.district_id in roles.coordinator_district_ids:
        return True
    return case.responsible_unit_id in roles.lead_unit_ids


@transaction.atomic
def grant_case_access(
    *, actor: User, case_id: int, user: User | None = None, unit: Unit | None = None
) -> None:
    """Give a user or a unit access to a case (e.g. a colleague in another unit)."""
    case = selectors.get_case_for_user(actor, case_id)
    if not may_grant(actor, case):
        raise PermissionDenied
    if (user is None) == (unit is None):
        raise ValidationError({"grantee": _("Choose either a user or a unit.")})
    _grant_case(
        case, user if user is not None else unit.group, actor=actor, reason="access granted"
    )


def may_grant_protected(actor: User, case: Case) -> bool:
    """Whoever may change the case and is granted one of its protected people may let a
    colleague see that person."""
    return (
        selectors.can_write_case(actor, case)
        and selectors.grantable_protected_people(actor, case).exists()
    )


@transaction.atomic
def grant_protected_person(*, actor: User, case_id: int, person_id: int, user: User | None) -> None:
    """Let a colleague who already has access to the case see one of its protected
    people. Only someone who may change the case and sees the person may do so."""
    case = selectors.get_case_for_user(actor, case_id, write=True)
    person = Person.objects.filter(household_id=case.household_id, pk=person_id).first()
    if person is None:
        raise ValidationError({"person": _("Choose a person of this household.")})
    if not person.is_protected:
        raise ValidationError({"person": _("This person has no protected identity.")})
    if not selectors.may_see_person(actor, person):
        raise PermissionDenied
    if user is None:
        raise ValidationError({"user": _("Choose the colleague who should see the person.")})
    if not user.is_active or not selectors.may_see_case(user, case):
        raise ValidationError(
            {"user": _("This colleague has no access to the case; give them access first.")}
        )
    grant_perm(PROTECTED_PERM, user, person, actor=actor, reason="protected person granted")


@transaction.atomic
def register_landlord(
    *,
    actor: User,
    kind: str,
    name: str,
    organisation_number: str = "",
    contact_person: str = "",
    phone: str = "",
    email: str = "",
    address: str = "",
    districts: list[District] | None = None,
) -> Landlord:
    """Landlords are configuration: administrators and coordinators register them, with
    the districts where the landlord has flats (by default all of the actor's own)."""
    roles = roles_of(actor)
    if not roles.has(Role.ADMINISTRATOR, Role.COORDINATOR):
        raise PermissionDenied
    allowed = selectors.landlord_district_ids(actor)
    district_ids = allowed if districts is None else {d.pk for d in districts}
    if not district_ids:
        raise ValidationError(
            {"districts": _("Choose the districts where the landlord has flats.")}
        )
    if not district_ids <= allowed:
        raise ValidationError({"districts": _("Choose among your own districts.")})
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Enter the landlord's name.")})
    index = selectors.landlord_name_index(name)
    if Landlord.objects.filter(name_bidx=index).exists():
        raise ValidationError({"name": _("A landlord with this name is already registered.")})
    private = kind == Landlord.Kind.PRIVATE
    landlord = Landlord(
        kind=kind,
        organisation_name="" if private else name,
        private_name=name if private else "",
        name_bidx=index,
        organisation_number=organisation_number.strip(),
        contact_person=contact_person.strip(),
        phone=phone.strip(),
        email=email.strip(),
        address=address.strip(),
    )
    landlord.full_clean()
    attribute(landlord, user=actor, reason="landlord registered").save()
    landlord.districts.set(sorted(district_ids))
    return landlord
