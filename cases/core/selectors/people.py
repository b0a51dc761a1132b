"""Reads of people: who may see a person with a protected identity, and what a page may
show of a person (their details, or a placeholder where they are hidden)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from bokvar.models import User

from ...models import Case, Person, PersonUserObjectPermission, ProtectedIdentity

PROTECTED_PLACEHOLDER = _("Protected identity")


def object_perm(codename: str) -> dict[str, str]:
    """Filter on a cases permission by codename. (Not cached by id: permission rows are
    recreated when a database is flushed, so a cached id would silently go stale.)"""
    return {"permission__codename": codename, "permission__content_type__app_label": "cases"}


def granted_person_ids(user: User) -> QuerySet[PersonUserObjectPermission, Any]:
    """Ids of the protected people explicitly granted to the user (a subquery)."""
    return PersonUserObjectPermission.objects.filter(
        user=user, **object_perm("view_protected_person")
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
        user=user, content_object=person, **object_perm("view_protected_person")
    ).exists()


def grantable_protected_people(user: User, case: Case) -> QuerySet[Person]:
    """The household's protected people this user is granted, so may pass on."""
    return (
        Person.objects.filter(household_id=case.household_id, pk__in=granted_person_ids(user))
        .exclude(protected_identity=ProtectedIdentity.NONE)
        .order_by("pk")
    )


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
    granted = PersonUserObjectPermission.objects.filter(
        user=user, content_object=OuterRef("pk"), **object_perm("view_protected_person")
    )
    people = list(
        Person.objects.filter(household_id=case.household_id)
        .annotate(granted=Exists(granted))
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
