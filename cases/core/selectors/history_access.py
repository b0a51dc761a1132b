"""The audit app's way in to cases and people: the change-history pages and the auditor's
data-subject extract. Registered with the audit app (`audit.registry.register_subjects`,
from cases.core.audit) so that the audit app never imports the cases app."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from bokvar.compiled import KeptIdRows
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


def find_case_id_for_auditor(user: User, number: str) -> int | None:
    """The access log's filter by case number ("BK-2026-0001"): auditors only."""
    if not _is_auditor(user):
        raise PermissionDenied
    return Case.objects.filter(number__iexact=number.strip()).values_list("pk", flat=True).first()


def names_for_auditor(
    user: User, person_ids: set[int], case_ids: set[int]
) -> tuple[dict[int, str], dict[int, str]]:
    """What the access log shows of the people and cases its entries concern, to an
    auditor: people by name (not those hidden from the auditor: a protected identity is
    never named, as on the history pages), cases by number. Two queries and the hidden
    check, however many entries."""
    from ..audit.subjects import hidden_people

    if not _is_auditor(user):
        raise PermissionDenied
    hidden = hidden_people(user, person_ids) if person_ids else set()
    people = {p.pk: p.full_name for p in Person.objects.filter(pk__in=person_ids - hidden)}
    numbers = dict(_CASE_NUMBERS.rows(case_ids)) if case_ids else {}
    return people, numbers


# A page of the access log's case numbers by a statement compiled once (issue 22).
_CASE_NUMBERS = KeptIdRows(
    Case, lambda ids: Case.objects.filter(pk__any=ids).values_list("pk", "number")
)
