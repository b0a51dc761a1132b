"""Who a record concerns and what a reader may not see of it: the core's answers to the
audit app's questions (`describe_many` and `hidden_ids` of `audit.registry`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from django.db.models import Model, QuerySet

from audit.registry import Subject
from bokvar.compiled import KeptBound, KeptIdRows, reader_key
from bokvar.history import history_of
from bokvar.models import User

from ...models import Case, Person, ProtectedIdentity
from ..selectors.cases import PROTECTED_WITH_THE_CASE
from ..selectors.people import any_member_protected, granted_person_ids, persons_visible_q

# --- Who a read concerns (the access log) -------------------------------------------------
# Loaded here, not taken from whatever a view happened to select: a case is described the
# same whichever page read it, and a list costs the same few queries whatever its length.
# The one exception is a page whose own statement reads the same facts by the same
# expressions (`selectors.cases.facts_with_the_case`, `_facts_read_with` below): a case's
# page and forms, and the case list; they are taken from its read instead of read again.


def _case_facts(case_ids: list[int]) -> QuerySet[Case, Any]:
    """Main tenant, unit, district and protection of these cases. A case is protected
    when any member of its household is, not only its main tenant."""
    return (
        Case.objects.filter(pk__any=case_ids)
        .annotate(any_protected=any_member_protected())
        .values_list(
            "pk",
            "household__head_id",
            "responsible_unit_id",
            "responsible_unit__district_id",
            "any_protected",
        )
    )


# Every page that reads a case describes it for the access log: building and compiling
# this statement was a third of that description's CPU and as much as running it, on
# every such page (issue 22). Its text does not depend on the ids: compiled once.
_CASE_FACTS = KeptIdRows(Case, _case_facts)


def case_subjects(case_ids: set[int]) -> dict[int, Subject]:
    """Main tenant, unit, district and protection of these cases, in one query."""
    if not case_ids:
        return {}
    return {
        pk: Subject(
            person_id=head, case_id=pk, unit_id=unit, district_id=district, protected=protected
        )
        for pk, head, unit, district, protected in _CASE_FACTS.rows(sorted(case_ids))
    }


def _facts_read_with(case: Case) -> Subject | None:
    """The case's facts as its page read them with it (`selectors.cases.
    facts_with_the_case`), or None where it did not."""
    protected = getattr(case, PROTECTED_WITH_THE_CASE, None)
    meta = Case._meta
    if (
        protected is None
        or not meta.get_field("household").is_cached(case)
        or not meta.get_field("responsible_unit").is_cached(case)
    ):
        return None
    unit = case.responsible_unit
    return Subject(
        person_id=case.household.head_id,
        case_id=case.pk,
        unit_id=case.responsible_unit_id,
        district_id=unit.district_id if unit is not None else None,
        protected=bool(protected),
    )


def describe_cases(cases: list[Case], via: Model | None = None) -> list[Subject]:
    read = {c.pk: found for c in cases if (found := _facts_read_with(c)) is not None}
    facts = case_subjects({c.pk for c in cases} - read.keys())
    facts.update(read)
    return [facts.get(c.pk, Subject(case_id=c.pk)) for c in cases]


def describe_people(people: list[Person], via: Model | None = None) -> list[Subject]:
    """A person read through a case (their page on it) concerns that case; otherwise the
    newest case of their household, so the read shows under a unit and can be flagged."""
    households = {p.household_id for p in people}
    case_of: dict[int, int] = {}
    if isinstance(via, Case):
        case_of = {via.household_id: via.pk}
    else:
        newest = Case.objects.filter(household_id__in=households).order_by(
            "household_id", "-opened_on", "-pk"
        )
        for household_id, pk in newest.values_list("household_id", "pk"):
            case_of.setdefault(household_id, pk)
    facts = case_subjects(set(case_of.values()))
    out = []
    for p in people:
        case_id = case_of.get(p.household_id)
        fact = facts.get(case_id) if case_id is not None else None
        if fact is None:
            out.append(Subject(person_id=p.pk, protected=p.is_protected))
        else:
            out.append(replace(fact, person_id=p.pk, protected=fact.protected or p.is_protected))
    return out


# --- What the history page hides --------------------------------------------------------
# A record concerns a protected person when it hangs on a household (or a case of a
# household) with a protected member the reader was not granted: its values are hidden.
# Decided on the history rows, so the history of a record deleted since is hidden too.


def hidden_persons(user: User) -> QuerySet[Person]:
    """People with a protected identity not granted to `user` (a subquery)."""
    return Person.objects.exclude(persons_visible_q(user))


def protected_households(user: User) -> QuerySet[Person, Any]:
    return hidden_persons(user).values("household_id")


def protected_cases(user: User) -> QuerySet[Case, Any]:
    """Cases whose household has a protected member not granted to `user` (a subquery)."""
    return Case.objects.filter(household_id__in=protected_households(user)).values("pk")


def hidden_by(
    model: type[Model], field: str, scope: Callable[[User], QuerySet[Any, Any]]
) -> Callable[[User, set[int]], set[int]]:
    """hidden_ids for `model`: rows whose `field` ever pointed into `scope(user)`."""

    def hidden(user: User, ids: set[int]) -> set[int]:
        if not ids:
            return set()
        rows = history_of(model).filter(id__in=ids, **{f"{field}__in": scope(user)})
        return set(rows.values_list("id", flat=True).distinct())

    return hidden


def hidden_people(user: User, ids: set[int]) -> set[int]:
    """Protected now or at any time in their history, and not granted to `user`: an
    earlier address of someone protected since is as secret as the current one."""
    if not ids:
        return set()

    def build(some: list[int]) -> QuerySet[Any, Any]:
        ever_protected = (
            Person.history.filter(id__any=some)
            .exclude(protected_identity=ProtectedIdentity.NONE)
            .exclude(id__in=granted_person_ids(user))
        )
        # A co-tenant of a hidden protected person is hidden with them (the one rule,
        # `cases.core.selectors.people.Sight`): their address is the protected address.
        housemates = Person.history.filter(
            id__any=some, household_id__in=protected_households(user)
        )
        # Unordered: a history is ordered newest first, and SQLite allows no ORDER BY in
        # the parts of a UNION.
        hidden: QuerySet[Any, Any] = ever_protected.order_by().values_list("id", flat=True)
        return hidden.union(housemates.order_by().values_list("id", flat=True))

    # Compiled once per reader (the access log names a page of people with it on every
    # page: building the two history reads was a tenth of its CPU, issue 22), the ids
    # bound; the rows are read as they are now.
    key = reader_key(user, Person.history.all().db)
    rows = _HIDDEN.rows(key, build, (sorted(ids),), (_IDS_STAND_IN,))
    return {pk for (pk,) in rows}


_HIDDEN = KeptBound()
_IDS_STAND_IN = [-770_000_401]  # no id is negative
