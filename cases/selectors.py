"""Reads of people and cases, always scoped to what the user may see.

One way in: views reach a case only through `get_case_for_user` and lists only
through `visible_cases`; both are single SQL queries whatever the number of grants.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from bokvar.crypto import blind_index
from bokvar.models import Unit, User
from bokvar.selectors import roles_of

from .identity import InvalidPersonalNumber, parse_personal_number
from .models import (
    Case,
    CaseAssignment,
    CaseGroupObjectPermission,
    CaseUserObjectPermission,
    Person,
    PersonUserObjectPermission,
    ProtectedIdentity,
)

PROTECTED_PLACEHOLDER = _("Protected identity")
CASE_NUMBER_PREFIX = "BK-"


def _perm(codename: str) -> dict:
    """Filter on a cases permission by codename. (Not cached by id: permission rows are
    recreated when a database is flushed, so a cached id would silently go stale.)"""
    return {"permission__codename": codename, "permission__content_type__app_label": "cases"}


def _granted_case_ids(user: User, codename: str):
    """Subqueries: cases granted to the user directly or to one of their groups."""
    direct = CaseUserObjectPermission.objects.filter(user=user, **_perm(codename)).values(
        "content_object_id"
    )
    via_group = CaseGroupObjectPermission.objects.filter(
        group__user=user, **_perm(codename)
    ).values("content_object_id")
    return direct, via_group


def _case_filter(user: User, codename: str) -> Q:
    roles = roles_of(user)
    direct, via_group = _granted_case_ids(user, codename)
    condition = Q(pk__in=direct)
    condition |= Q(pk__in=via_group)
    if roles.coordinator_district_ids:
        # A semi-join on the units, not a join: keeps the case index usable.
        district_units = Unit.objects.filter(district_id__in=roles.coordinator_district_ids).values(
            "pk"
        )
        condition |= Q(responsible_unit_id__in=district_units)
    return condition


def visible_cases(user: User) -> QuerySet[Case]:
    if not user.is_authenticated or not user.is_active:
        return Case.objects.none()
    return Case.objects.filter(_case_filter(user, "view_case"))


def writable_cases(user: User) -> QuerySet[Case]:
    if not user.is_authenticated or not user.is_active:
        return Case.objects.none()
    return Case.objects.filter(_case_filter(user, "change_case"))


def get_case_for_user(user: User, case_id: int, *, write: bool = False) -> Case:
    """404 where the user may not know the case exists; 403 where they may read but not write."""
    case = (
        visible_cases(user)
        .select_related("household", "household__head", "responsible_unit")
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        raise Http404
    if write and not writable_cases(user).filter(pk=case.pk).exists():
        raise PermissionDenied
    return case


def can_write_case(user: User, case: Case) -> bool:
    return writable_cases(user).filter(pk=case.pk).exists()


# --- Protected identity ---------------------------------------------------------------


def _granted_person(user: User):
    return PersonUserObjectPermission.objects.filter(
        user=user, content_object=OuterRef("pk"), **_perm("view_protected_person")
    )


def granted_person_ids(user: User):
    """Ids of the protected people explicitly granted to the user (a subquery)."""
    return PersonUserObjectPermission.objects.filter(
        user=user, **_perm("view_protected_person")
    ).values("content_object_id")


def persons_visible_q(user: User, prefix: str = "") -> Q:
    """People the user may see: not protected, or protected and explicitly granted."""
    granted = granted_person_ids(user)
    return Q(**{f"{prefix}protected_identity": ProtectedIdentity.NONE}) | Q(
        **{f"{prefix}pk__in": granted}
    )


def may_see_person(user: User, person: Person) -> bool:
    if not person.is_protected:
        return True
    return PersonUserObjectPermission.objects.filter(
        user=user, content_object=person, **_perm("view_protected_person")
    ).exists()


def grantable_protected_people(user: User, case: Case) -> QuerySet[Person]:
    """The household's protected people this user is granted, so may pass on."""
    granted = PersonUserObjectPermission.objects.filter(
        user=user, **_perm("view_protected_person")
    ).values("content_object_id")
    return (
        Person.objects.filter(household_id=case.household_id, pk__in=granted)
        .exclude(protected_identity=ProtectedIdentity.NONE)
        .order_by("pk")
    )


def may_see_case(user: User, case: Case) -> bool:
    return visible_cases(user).filter(pk=case.pk).exists()


@dataclass(frozen=True)
class PersonCard:
    """What a page may show of a person; personal details replaced when hidden."""

    pk: int
    hidden: bool
    name: str
    personal_number: str
    address: str
    phone: str
    email: str
    needs_interpreter: bool
    interpreter_language: str
    notes: str
    sex: str
    protected_identity: str
    protected_identity_noted_on: object
    version: int


def person_card(person: Person, *, hidden: bool) -> PersonCard:
    if hidden:
        placeholder = str(PROTECTED_PLACEHOLDER)
        return PersonCard(
            pk=person.pk,
            hidden=True,
            name=placeholder,
            personal_number=placeholder,
            address=placeholder,
            phone=placeholder,
            email=placeholder,
            needs_interpreter=False,
            interpreter_language="",
            notes="",
            sex="",
            protected_identity="",
            protected_identity_noted_on=None,
            version=person.version,
        )
    return PersonCard(
        pk=person.pk,
        hidden=False,
        name=person.full_name,
        personal_number=person.personal_number,
        address=person.address,
        phone=person.phone,
        email=person.email,
        needs_interpreter=person.needs_interpreter,
        interpreter_language=person.interpreter_language,
        notes=person.notes,
        sex=person.get_sex_display() if person.sex else "",
        protected_identity=person.get_protected_identity_display() if person.is_protected else "",
        protected_identity_noted_on=person.protected_identity_noted_on,
        version=person.version,
    )


def household_cards(user: User, case: Case) -> list[PersonCard]:
    people = list(
        Person.objects.filter(household_id=case.household_id)
        .annotate(granted=Exists(_granted_person(user)))
        .order_by("id")
    )
    return [person_card(p, hidden=p.is_protected and not p.granted) for p in people]


def get_person_for_user(user: User, case: Case, person_id: int) -> Person:
    """A person of a case the user already reached; hidden protected people answer 404."""
    person = (
        Person.objects.filter(household_id=case.household_id, pk=person_id)
        .filter(persons_visible_q(user))
        .first()
    )
    if person is None:
        raise Http404
    return person


# --- Lists and search -------------------------------------------------------------------


@dataclass(frozen=True)
class CaseFilters:
    q: str = ""
    status: str = ""
    unit_id: int | None = None
    assignee_id: int | None = None


def search_condition(user: User, q: str) -> Q | None:
    """A case number, an identity number in any written form, or an exact full name."""
    q = q.strip()
    if not q:
        return None
    if q.upper().startswith(CASE_NUMBER_PREFIX):
        return Q(number=q.upper())
    try:
        key = {"personal_number_bidx": personal_number_index(parse_personal_number(q))}
    except InvalidPersonalNumber:
        key = {"name_bidx": name_index(q)}
    matches = Person.objects.filter(household_id=OuterRef("household_id"), **key).filter(
        persons_visible_q(user)
    )
    return Q(Exists(matches))


def case_list(user: User, filters: CaseFilters) -> QuerySet[Case]:
    """The rows of the case list: one query, with the main tenant and whether they are hidden."""
    qs = visible_cases(user).select_related("household__head", "responsible_unit")
    condition = search_condition(user, filters.q)
    if condition is not None:
        qs = qs.filter(condition)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.unit_id:
        qs = qs.filter(responsible_unit_id=filters.unit_id)
    if filters.assignee_id:
        qs = qs.filter(
            Exists(CaseAssignment.objects.filter(case=OuterRef("pk"), user_id=filters.assignee_id))
        )
    head_granted = PersonUserObjectPermission.objects.filter(
        user=user,
        content_object_id=OuterRef("household__head_id"),
        **_perm("view_protected_person"),
    )
    return qs.annotate(head_granted=Exists(head_granted)).order_by("-opened_on", "-id")


def head_name(case: Case) -> str:
    head = case.household.head
    if head is None:
        return ""
    if head.is_protected and not getattr(case, "head_granted", False):
        return str(PROTECTED_PLACEHOLDER)
    return head.full_name


def personal_number_index(canonical: str) -> str:
    return blind_index(canonical, purpose="personal_number")


def name_index(full_name: str) -> str:
    from bokvar.crypto import normalise_name

    return blind_index(normalise_name(full_name), purpose="name")


def find_person_by_personal_number(user: User, value: str) -> Person | None:
    """Exact match through the blind index, respecting protected identity."""
    try:
        canonical = parse_personal_number(value)
    except InvalidPersonalNumber:
        return None
    return (
        Person.objects.filter(personal_number_bidx=personal_number_index(canonical))
        .filter(persons_visible_q(user))
        .first()
    )


@dataclass(frozen=True)
class NumberClash:
    """Another person already holds an identity number the user entered. `visible` only
    when the user may see that person and their household's cases (an open case
    included): everyone else must not learn that such a person exists."""

    visible: bool
    household_id: int | None = None
    open_case: Case | None = None


def personal_number_clash(user: User, index: str, *, exclude_pk: int | None = None):
    """The clash for blind index `index`, or None when nobody else holds the number."""
    other = Person.objects.filter(personal_number_bidx=index).exclude(pk=exclude_pk).first()
    if other is None:
        return None
    hidden = NumberClash(visible=False)
    if not may_see_person(user, other):
        return hidden
    open_case = open_case_of_household(other.household_id)
    if open_case is not None:
        # An open case the user may not see would be revealed by naming it: stay silent.
        if not may_see_case(user, open_case):
            return hidden
        return NumberClash(visible=True, household_id=other.household_id, open_case=open_case)
    if not visible_cases(user).filter(household_id=other.household_id).exists():
        return hidden
    return NumberClash(visible=True, household_id=other.household_id)


def get_household_case_for_user(user: User, household_id: int) -> Case:
    """The household's latest case the user may see: the way in to opening a new case
    for a returning household. 404 when the user sees none of its cases."""
    case = (
        visible_cases(user)
        .filter(household_id=household_id)
        .select_related("household", "responsible_unit")
        .order_by("-opened_on", "-pk")
        .first()
    )
    if case is None:
        raise Http404
    return case


def open_case_of_household(household_id: int) -> Case | None:
    return (
        Case.objects.filter(household_id=household_id, status=Case.Status.OPEN)
        .order_by("-pk")
        .first()
    )


def assignees_of(case: Case) -> list[User]:
    return [a.user for a in case.assignments.select_related("user").order_by("user__last_name")]


def units_for_new_cases(user: User) -> QuerySet[Unit]:
    """Units a user may make responsible for a new case: the coordinated districts'
    units, else the user's own."""
    roles = roles_of(user)
    if roles.coordinator_district_ids:
        return Unit.objects.filter(district_id__in=roles.coordinator_district_ids, is_active=True)
    return Unit.objects.filter(pk__in=roles.unit_ids, is_active=True)


def staff_choices(user: User) -> QuerySet[User]:
    """Staff a case may be assigned to: active members of units in the user's districts."""
    return (
        User.objects.filter(
            is_active=True,
            memberships__unit__district_id__in=roles_of(user).district_ids,
            memberships__role__in=["coordinator", "guide", "caseworker"],
        )
        .distinct()
        .order_by("first_name", "last_name")
    )


def landlord_district_ids(user: User) -> set[int]:
    """Districts a user may place landlords in: those they coordinate, and for an
    administrator the districts of their units."""
    from bokvar.models import Role

    roles = roles_of(user)
    allowed = set(roles.coordinator_district_ids)
    if roles.has(Role.ADMINISTRATOR):
        allowed |= roles.district_ids
    return allowed


def landlord_name_index(name: str) -> str:
    from bokvar.crypto import normalise_name

    return blind_index(normalise_name(name), purpose="landlord_name")


def find_landlord_by_name(name: str):
    from .models import Landlord

    return Landlord.objects.filter(name_bidx=landlord_name_index(name)).first()


# --- Audit (issue #7): the one way in for the history page and the auditor's extract ---


def _is_auditor(user: User) -> bool:
    from bokvar.models import Role

    return roles_of(user).has(Role.AUDITOR)


def get_case_for_history(user: User, case_id: int) -> Case:
    """Auditors reach every case's history; everyone else exactly the cases they may see."""
    if _is_auditor(user):
        case = (
            Case.objects.select_related("household", "household__head", "responsible_unit")
            .filter(pk=case_id)
            .first()
        )
        if case is None:
            raise Http404
        return case
    return get_case_for_user(user, case_id)


def get_person_for_history(user: User, person_id: int) -> Person:
    """A person whose case the user may see (and not hidden from them), or any for auditors."""
    people = Person.objects.filter(pk=person_id)
    if not _is_auditor(user):
        people = people.filter(household__cases__in=visible_cases(user)).filter(
            persons_visible_q(user)
        )
    person = people.distinct().first()
    if person is None:
        raise Http404
    return person


def find_person_for_auditor(user: User, value: str) -> Person | None:
    """The data-subject extract's search: auditors only, exact identity number through the
    blind index, protected identity included (the extract is the person's own right)."""
    if not _is_auditor(user):
        raise PermissionDenied
    try:
        canonical = parse_personal_number(value)
    except InvalidPersonalNumber:
        return None
    return Person.objects.filter(personal_number_bidx=personal_number_index(canonical)).first()


def get_person_for_auditor(user: User, person_id: int) -> Person:
    if not _is_auditor(user):
        raise PermissionDenied
    person = Person.objects.filter(pk=person_id).first()
    if person is None:
        raise Http404
    return person
