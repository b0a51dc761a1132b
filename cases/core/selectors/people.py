"""Reads of people: who may see a person with a protected identity, and what a page may
show of a person (their details, or a placeholder where they are hidden)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from bokvar.compiled import KeptValues, reader_key
from bokvar.models import User

from ...models import (
    Case,
    HouseholdChild,
    LandlordSignal,
    Person,
    PersonUserObjectPermission,
    ProtectedIdentity,
)
from .kept import KeptAll
from .permissions import permission_id
from .rows import CaseRows

PROTECTED_PLACEHOLDER = _("Protected identity")


def object_perm(codename: str, *, constant: bool = False) -> dict[str, int]:
    """Filter on a cases permission, by its id (`permissions.permission_id`).
    `constant`: the id written into the statement's text (`bokvar.lookups.IsConstant`),
    for a statement run on its generic plan, which then knows it names one permission
    (`cases.core.selectors.cases._case_filter`)."""
    suffix = "__is_constant" if constant else ""
    return {f"permission_id{suffix}": permission_id(codename)}


def granted_person_ids(user: User) -> QuerySet[PersonUserObjectPermission, Any]:
    """Ids of the protected people explicitly granted to the user (a subquery)."""
    return PersonUserObjectPermission.objects.filter(
        user=user, **object_perm("view_protected_person")
    ).values("content_object_id")


def _unprotected_q(prefix: str = "", *, constant: bool = False) -> Q:
    """People without a protected identity. `constant`: "not protected" written into the
    statement's text (`bokvar.lookups.IsConstant`), so a generic plan may use the index
    of protected people."""
    lookup = f"{prefix}protected_identity{'__is_constant' if constant else ''}"
    return Q(**{lookup: ProtectedIdentity.NONE})


def any_member_protected(*, constant: bool = False, household: str = "household_id") -> Exists:
    """Whether the household of the row (its `household_id`, or the path `household` to
    it) has a member with a protected identity: the access log's "protected" for a case
    (`cases.core.audit.subjects`). `constant`: as `_unprotected_q`'s."""
    return Exists(
        Person.objects.filter(household_id=OuterRef(household)).exclude(
            _unprotected_q(constant=constant)
        )
    )


def persons_visible_q(user: User, prefix: str = "", *, constant: bool = False) -> Q:
    """People the user may see: not protected, or protected and explicitly granted.
    `constant`: as `_unprotected_q`'s."""
    granted = granted_person_ids(user)
    return _unprotected_q(prefix, constant=constant) | Q(**{f"{prefix}pk__in": granted})


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


def household_members(user: User, case: Case) -> list[Person]:
    """The household's people, each with `granted`: whether `user` was granted them (a
    protected identity; meaningless for the others). One query."""
    granted = PersonUserObjectPermission.objects.filter(
        user=user, content_object=OuterRef("pk"), **object_perm("view_protected_person")
    )
    return list(
        Person.objects.filter(household_id=case.household_id)
        .annotate(granted=Exists(granted))
        .order_by("id")
    )


def household_cards(
    user: User, case: Case, *, members: list[Person] | None = None
) -> list[PersonCard]:
    """`members`: `household_members(user, case)` when the page has read them already."""
    people = household_members(user, case) if members is None else members
    # The whole household is hidden when one member is (the one rule, `Sight` below): a
    # co-tenant's address is the protected person's address.
    hidden = any(p.is_protected and not getattr(p, "granted", False) for p in people)
    return [person_card(p, hidden=hidden) for p in people]


# The household's people with `granted` for the request's reader, and its children: read
# once per request, with the case's other lists (`cases/case_page.py` ROWS).
MEMBERS = CaseRows(
    "members",
    lambda request, of: (
        Person.objects.filter(household_id=of("household_id"))
        .annotate(
            granted=Exists(
                PersonUserObjectPermission.objects.filter(
                    user=request.user,
                    content_object=OuterRef("pk"),
                    **object_perm("view_protected_person"),
                )
            )
        )
        .order_by("id")
    ),
)
CHILDREN = CaseRows(
    "children",
    lambda request, of: HouseholdChild.objects.filter(household_id=of("household_id")).order_by(
        "birth_year", "id"
    ),
)


def household_members_once(request: Any, case: Case) -> list[Person]:
    """`household_members` for the request's reader, read once per request."""
    return MEMBERS.for_page(request, case)


def household_children(request: Any, case: Case) -> list[HouseholdChild]:
    """The household's children (birth years only), read once per request."""
    return CHILDREN.for_page(request, case)


def visible_members(user: User, household_id: int) -> list[Person]:
    """The household's members the reader may see (`persons_visible_q`), by a statement
    kept per reader, the household's id bound (the forms that offer a household's people,
    e.g. the nights form: building the query was a quarter of its view's CPU, issue 22).
    Read as they are now."""
    key = reader_key(user, Person.objects.all().db)
    return _VISIBLE_MEMBERS.all_of(
        key,
        lambda pk: Person.objects.filter(household_id=pk).filter(persons_visible_q(user)),
        household_id,
    )


_VISIBLE_MEMBERS = KeptAll()


def get_person_for_user(
    user: User, case: Case, person_id: int, *, hidden: bool | None = None
) -> Person:
    """A person of a case the user already reached; the members of a household hidden from
    the user (one of them protected and not granted) answer 404. `hidden`: whether the
    household is, when the page has decided it (`cases.hides_household`)."""
    person = Person.objects.filter(household_id=case.household_id, pk=person_id).first()
    if person is None:
        raise Http404
    if hidden is None:
        # `Sight(user).hides_household`, asked of this household only (a Sight lists
        # every hidden person of the country).
        hidden = hidden_people(user).filter(household_id=case.household_id).exists()
    if hidden:
        raise Http404
    return person


# --- The one rule: what a reader may see of people and of text about them -----------------
# Issue 16. A household with a protected member (skyddade personuppgifter) is hidden from
# every reader not granted that member: their names, numbers, addresses and contact
# details, and every free text written about the household (contact, intervention and
# deadline notes, signal descriptions, handover texts, placement plans, cost notes). A
# landlord signal is hidden when it belongs to such a household's case, or when its
# identity number or name matches such a person through the blind index, because the
# product itself matches it to them. Every page, API response, export and notice asks
# this one object; nothing decides it page by page.

WITHHELD = _("Withheld: concerns a person with protected identity")


def hidden_people(user: object, *, constant: bool = False) -> QuerySet[Person]:
    """The people hidden from `user`. `constant`: "not protected" written into the text
    (`persons_visible_q`), for `Sight`'s statement alone: PostgreSQL then keeps one plan
    for it through the index of protected people instead of planning it anew on every
    page (0.30 ms). Not for statements that embed it (the badges, the case lists): there
    the constant changed the generic plan of the whole, and the coordinator's badges
    took 12.4 ms instead of 2 (issue 22, the eighteenth round)."""
    if not isinstance(user, User) or not user.is_authenticated or user.pk is None:
        # Anonymous readers, landlord tokens (their client is no User) and no reader at
        # all are granted nobody.
        return Person.objects.exclude(_unprotected_q(constant=constant))
    return Person.objects.exclude(persons_visible_q(user, constant=constant))


def names_hidden_person_q(user: object, *, number_field: str, name_field: str) -> Q:
    """Rows whose blind index `number_field` or `name_field` matches a person hidden from
    `user`: a condition with subqueries, so a list filtered by it costs no extra query."""
    hidden = hidden_people(user)
    return Q(
        **{
            f"{number_field}__in": hidden.exclude(personal_number_bidx="").values(
                "personal_number_bidx"
            )
        }
    ) | Q(**{f"{name_field}__in": hidden.exclude(name_bidx="").values("name_bidx")})


_SIGHT = KeptValues()


class Sight:
    """What one reader may see of people: one query when built, none per row after.

    `hides_household`/`hides_case`: the household has a protected member the reader was
    not granted. `hides_signal`: the signal belongs to such a household's case or names
    such a person by identity number or by name. `text(...)` gives a free text or the
    withheld note; `WITHHELD` tells the reader something is withheld, not what."""

    def __init__(self, user: object) -> None:
        """`user`: whoever reads (a User, the anonymous user, a landlord token's client
        or None); only a signed-in User can have been granted anybody."""
        self.user = user
        # By a statement kept per reader (its text depends on the reader's id alone), read
        # afresh every time: building it was half a millisecond of every signal page.
        key = reader_key(user, Person.objects.all().db)
        rows = _SIGHT.rows(
            None if key is None else (key, "sight"),
            lambda: hidden_people(user, constant=True).values_list(
                "household_id", "personal_number_bidx", "name_bidx"
            ),
        )
        self.households = {household for household, _n, _m in rows}
        self.numbers = {number for _h, number, _m in rows if number}
        self.names = {name for _h, _n, name in rows if name}

    def hides_household(self, household_id: int | None) -> bool:
        return household_id is not None and household_id in self.households

    def hides_case(self, case: Case | None) -> bool:
        return case is not None and self.hides_household(case.household_id)

    def hides_case_id(self, case_id: int | None) -> bool:
        """For rows that carry only a case id: one query, only when anything is hidden."""
        if case_id is None or not self.households:
            return False
        return Case.objects.filter(pk=case_id, household_id__in=self.households).exists()

    def hides_signal(self, signal: LandlordSignal) -> bool:
        if (
            signal.tenant_personal_number_bidx
            and signal.tenant_personal_number_bidx in self.numbers
        ):
            return True
        if signal.tenant_name_bidx and signal.tenant_name_bidx in self.names:
            return True
        return signal.case_id is not None and self.hides_case(signal.case)

    def text(self, hidden: bool, value: str) -> str:
        return withheld_text(hidden, value)


def withheld_text(hidden: bool, value: str) -> str:
    """A free text, or the note that it is withheld (`Sight.text`, for a page that
    decided `hidden` itself)."""
    if not hidden:
        return value
    return str(WITHHELD) if value else ""


def sight_of(user: object) -> Sight:
    return Sight(user)


def protected_people_named_by(
    *, number_index: str = "", name_index: str = "", case_id: int | None = None
) -> QuerySet[Person]:
    """The protected people a record names: by identity number or name (blind index), or
    as members of its case's household."""
    condition = Q(pk__in=[])
    if number_index:
        condition |= Q(personal_number_bidx=number_index)
    if name_index:
        condition |= Q(name_bidx=name_index)
    if case_id is not None:
        condition |= Q(household__cases__pk=case_id)
    return Person.objects.filter(condition).exclude(protected_identity=ProtectedIdentity.NONE)


def users_granted(people: QuerySet[Person]) -> QuerySet[User]:
    """Active users granted any of these protected people, by name."""
    granted = PersonUserObjectPermission.objects.filter(
        content_object__in=people, **object_perm("view_protected_person")
    ).values("user_id")
    return User.objects.filter(pk__in=granted, is_active=True).order_by(
        "first_name", "last_name", "pk"
    )
