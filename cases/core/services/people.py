"""The people of a household: their details, identity numbers kept unique (without
telling a user about someone they may not see), and a child's birth year."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bokvar.concurrency import bump, lock_version
from bokvar.forms import ADDRESS_MAX, NAME_MAX, length_errors
from bokvar.history import attribute
from bokvar.models import User
from bokvar.notifications import Text, notify
from bokvar.selectors import coordinators_by_district

from ...models import Case, Person, PersonNameToken, ProtectedIdentity
from ..identity import (
    birth_year_band,
    name_index,
    name_token_index_set,
    parse_personal_number,
    personal_number_index,
)
from ..selectors import cases as case_selectors
from ..selectors import people as people_selectors
from .access import PROTECTED_PERM, grant_perm


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
    extra: dict[str, Any] = field(default_factory=dict)


def apply_person_data(person: Person, data: PersonData) -> None:
    """Copy the entered details onto `person` (unsaved), with their blind indexes."""
    too_long = length_errors(
        {
            "given_name": (data.given_name.strip(), NAME_MAX),
            "family_name": (data.family_name.strip(), NAME_MAX),
            "address": (data.address.strip(), ADDRESS_MAX),
        }
    )
    if too_long:
        raise ValidationError(too_long)
    canonical = parse_personal_number(data.personal_number) if data.personal_number else ""
    person.given_name = data.given_name.strip()
    person.family_name = data.family_name.strip()
    person.personal_number = canonical
    person.personal_number_bidx = personal_number_index(canonical) if canonical else ""
    person.name_bidx = name_index(person.full_name) if person.full_name else ""
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


def write_name_tokens(person: Person) -> None:
    """Replace the saved person's name-token indexes (search by part of a name) with those
    of their current names, under the first blind-index key: two queries."""
    wanted = name_token_index_set(str(person.given_name), str(person.family_name))
    PersonNameToken.objects.filter(person=person).exclude(token_bidx__in=wanted).delete()
    PersonNameToken.objects.bulk_create(
        [PersonNameToken(person=person, token_bidx=t) for t in sorted(wanted)],
        ignore_conflicts=True,
    )


class PersonalNumberTaken(ValidationError):
    """The identity number belongs to someone else; `clash` says what the actor may know."""

    def __init__(self, message: dict[str, str], *, clash: case_selectors.NumberClash) -> None:
        super().__init__(message)
        self.clash = clash


class RegistrationRequested(Exception):
    """A registration that was valid in every respect, but an identity number in it is
    held by a person out of the actor's sight (issue 16, point 4: no existence oracle).
    Nothing was saved (the transaction is rolled back); the caller routes the matter as
    a registration request to those who may see the holder and answers the actor exactly
    as for a registration that was made."""

    def __init__(self, clashes: list[case_selectors.NumberClash]) -> None:
        super().__init__("registration requested")
        self.clashes = clashes


def ensure_unique_personal_number(
    person: Person, *, actor: User, field_name: str = "personal_number"
) -> None:
    """Identity numbers are unique, so a clash must be refused. Only a user who may see
    the other person is told that they exist; everyone else gets a neutral refusal that
    names neither a person nor a case."""
    if not person.personal_number:
        return
    clash = case_selectors.personal_number_clash(
        actor, person.personal_number, exclude_pk=person.pk
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


def check_birth_year(year: int | None, field_name: str) -> int:
    """A child's birth year: between 1900 and this year."""
    this_year = timezone.localdate().year
    if year is None or not 1900 <= year <= this_year:
        raise ValidationError(
            {field_name: _("A child's birth year must be between 1900 and this year.")}
        )
    return year


@transaction.atomic
def update_person(
    *, actor: User, case_id: int, person_id: int, expected_version: int, data: PersonData
) -> Person:
    case = case_selectors.get_case_for_user(actor, case_id, write=True)
    people_selectors.get_person_for_user(actor, case, person_id)
    person = lock_version(Person, person_id, expected_version)
    was_protected = person.is_protected
    apply_person_data(person, data)
    held = None
    try:
        ensure_unique_personal_number(person, actor=actor)
    except PersonalNumberTaken as exc:
        if exc.clash.visible:
            raise
        # Held out of sight: every other check still runs (so an error elsewhere reads
        # the same), then nothing is saved (issue 16, point 4).
        held = exc.clash
        person.personal_number_bidx = ""
    bump(person)
    person.full_clean(exclude=["household"])
    if held is not None:
        raise RegistrationRequested([held])
    attribute(person, user=actor, reason="person edited").save()
    write_name_tokens(person)
    if person.is_protected and not was_protected:
        # Whoever marks a person as protected keeps sight of them; nobody else gains it.
        grant_perm(PROTECTED_PERM, actor, person, actor=actor, reason="protected identity marked")
    return person


def change_person(
    *, actor: User, case_id: int, person_id: int, expected_version: int, data: PersonData
) -> Person | None:
    """The person form: `update_person`, or, when the identity number entered is held by
    someone out of the actor's sight, a registration request routed to those who may
    see the holder and None (nothing saved). The caller must answer both alike."""
    try:
        return update_person(
            actor=actor,
            case_id=case_id,
            person_id=person_id,
            expected_version=expected_version,
            data=data,
        )
    except RegistrationRequested as exc:
        for clash in exc.clashes:
            route_refused_registration(actor=actor, clash=clash)
        return None


def route_refused_registration(*, actor: User, clash: case_selectors.NumberClash) -> list[User]:
    """A registration request: the actor registered an identity number whose holder is
    out of their sight, so nothing was saved. The matter goes to those who may see the
    holder, naming the colleague to contact, never the person. The actor is answered
    exactly as for a registration that was made. Once per actor and holder (a
    notification is the request's record)."""
    if clash.visible or clash.holder_id is None:
        return []
    holder = Person.objects.filter(pk=clash.holder_id).first()
    if holder is None:
        return []
    return route_to_those_who_see(
        actor=actor,
        holder=holder,
        kind="registration_refused",
        dedupe_key=f"registration-refused:{actor.pk}:{holder.pk}",
        subject=lambda: _("Registration request: an identity number held in your care"),
        body=lambda: (
            _(
                "%(name)s registered an identity number held in your care (a new case or a "
                "person's details). Nothing was saved: contact them to complete the "
                "registration."
            )
            % {"name": actor.get_full_name() or actor.username}
        ),
    )


def route_to_those_who_see(
    *,
    actor: User,
    holder: Person | None = None,
    holders: list[Person] | None = None,
    kind: str,
    dedupe_key: str,
    subject: Text,
    body: Text,
) -> list[User]:
    """Something the actor could not do because `holder` (or each of `holders`) is out
    of their sight goes to those who may see them: for a protected person the users
    granted them, otherwise the coordinators of the district of the person's latest
    case. One notification per recipient, however many holders; a constant number of
    queries. `subject` and `body` must name the actor, never a person (issue 16,
    point 4)."""
    people = [holder] if holder is not None else list(holders or [])
    protected = [p.pk for p in people if p.is_protected]
    recipients: dict[int, User] = {}
    if protected:
        granted = people_selectors.users_granted(Person.objects.filter(pk__in=protected))
        recipients.update({u.pk: u for u in granted})
    households = {p.household_id for p in people if not p.is_protected}
    if households:
        latest: dict[int, int] = {}
        for household_id, district_id in (
            Case.objects.filter(household_id__in=households)
            .order_by("opened_on", "pk")
            .values_list("household_id", "responsible_unit__district_id")
        ):
            latest[household_id] = district_id  # the last one read is the latest case
        by_district = coordinators_by_district({d for d in latest.values() if d is not None})
        for users in by_district.values():
            recipients.update({u.pk: u for u in users})
    chosen = [u for pk, u in recipients.items() if pk != actor.pk]
    notify(recipients=chosen, kind=kind, dedupe_key=dedupe_key, subject=subject, body=body)
    return chosen
