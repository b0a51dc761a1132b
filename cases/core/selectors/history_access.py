"""The audit app's way in to cases and people: the change-history pages and the auditor's
data-subject extract. Registered with the audit app (`audit.registry.register_subjects`,
from cases.core.audit) so that the audit app never imports the cases app."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from bokvar.models import Role, User
from bokvar.selectors import roles_of

from ...models import Case, Person
from ..identity import InvalidPersonalNumber, parse_personal_number, personal_number_indexes
from .cases import get_case_for_user, visible_cases
from .people import persons_visible_q


def _is_auditor(user: User) -> bool:
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
    return Person.objects.filter(
        personal_number_bidx__in=personal_number_indexes(canonical)
    ).first()


def get_person_for_auditor(user: User, person_id: int) -> Person:
    if not _is_auditor(user):
        raise PermissionDenied
    person = Person.objects.filter(pk=person_id).first()
    if person is None:
        raise Http404
    return person
