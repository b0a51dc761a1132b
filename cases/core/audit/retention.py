"""Retention (gallring) for the core: which people are kept for research or bound up with
others, and culling a person's households, cases, access grants and every history row
about them. The records evictions and handovers keep on a case are culled by their own
providers first (lower `order`).

History is deleted by parent key (the household, the case, the person), not by the ids
of rows that still exist: a child or an assignment removed earlier left history rows
that name the household or case, and they go too."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import SET_NULL, Model, Q, QuerySet

from bokvar.history import history_of

from ...models import (
    Case,
    CaseAssignment,
    CaseGroupObjectPermission,
    CaseUserObjectPermission,
    Household,
    HouseholdChild,
    Person,
    PersonNameToken,
    PersonUserObjectPermission,
)
from ..identity import InvalidPersonalNumber, parse_personal_number

_CANONICAL = re.compile(r"\d{8}-\d{4}")


def is_research_day(number: str) -> bool:
    """Born on the 5th, 15th or 25th. `number` is the decrypted identity number, held in
    memory for the run only; an unreadable number is not a research day. Numbers are
    stored in their canonical form (YYYYMMDD-NNNN), where the day can be read without
    validating the whole number: one whose day is no research day is not kept, valid or
    not, so only the candidates (about one in ten) pay for the full validation, which
    was most of a national run's dating."""
    if _CANONICAL.fullmatch(number) and _research_day(int(number[6:8])) is False:
        return False
    try:
        canonical = parse_personal_number(number)
    except InvalidPersonalNumber:
        return False
    return _research_day(int(canonical[6:8]))


def _research_day(day: int) -> bool:
    day = day - 60 if day > 60 else day  # coordination numbers add 60 to the day
    return day in settings.RETENTION_RESEARCH_DAYS


def research_kept(ids: set[int]) -> set[int]:
    """Born on a research day: the birth day is inside the encrypted identity number, so it
    is decrypted here, in memory, for the run only; nothing plain is ever stored. Every
    person is read once (a country's due people would be a list of 450,000 ids)."""
    rows = Person.objects.order_by().values_list("pk", "personal_number")
    return {
        pk
        for pk, number in rows.iterator(chunk_size=10000)  # decrypted on load
        if pk in ids and is_research_day(number)
    }


def entangled(ids: set[int]) -> set[int]:
    """A household is culled whole or not at all: if one member stays, all stay. Read
    from everyone's household in one pass (a filter by the ids due would list them)."""
    rows = list(
        Person.objects.order_by().values_list("pk", "household_id").iterator(chunk_size=10000)
    )
    kept = {household for pk, household in rows if pk not in ids and household is not None}
    return {pk for pk, household in rows if pk in ids and household in kept}


def households_among(ids: set[int]) -> list[list[int]]:
    """These people by household, the ones retention culls together. Read from everyone's
    household in one pass, like `entangled`."""
    rows = Person.objects.order_by().values_list("pk", "household_id")
    members: dict[int, list[int]] = {}
    for pk, household in rows.iterator(chunk_size=10000):
        if pk in ids and household is not None:
            members.setdefault(household, []).append(pk)
    return list(members.values())


def ids_of(qs: QuerySet[Any]) -> set[int]:
    return set(qs.order_by().values_list("pk", flat=True))


def households_of(ids: set[int]) -> set[int]:
    """The households of these people, as a list of ids: the queries that use it find
    their rows through an index (a subquery here was planned as a scan of every case)."""
    people = Person.objects.filter(pk__any=ids).order_by()
    return set(people.values_list("household_id", flat=True)) - {None}


def parts(q: Q) -> list[Q]:
    """The alternatives of an OR, each a query an index can answer on its own: PostgreSQL
    does not use two indexes for `a IN (...) OR b IN (...)` once the lists are long, and
    read the whole table instead (at national scale, millions of rows for every batch)."""
    if q.connector != Q.OR or q.negated:
        return [q]
    return [c if isinstance(c, Q) else Q(c) for c in q.children]


def delete_rows(qs: QuerySet[Any]) -> int:
    """Delete these rows with one DELETE, without loading them (a country's people would
    be loaded and decrypted only to be deleted): the caller deletes children first, and
    references that clear themselves on deletion (SET_NULL) are cleared here. A child
    forgotten by a provider is not orphaned: PostgreSQL checks the deferred foreign keys
    when the batch ends (audit/retention.py) and the batch fails. Returns the rows gone."""
    model = qs.model
    for rel in model._meta.related_objects:
        if rel.on_delete is SET_NULL and rel.field.concrete:
            rel.related_model._default_manager.filter(
                **{f"{rel.field.name}__in": qs.values("pk")}
            ).update(**{rel.field.name: None})
    return int(qs._raw_delete(qs.db) or 0)  # None when the filter matches nothing


def delete_with_history(doomed: dict[type[Model], tuple[Q, Q]]) -> dict[str, int]:
    """Delete each model's live rows, children first, then its history rows (retention
    writes no history row for a deletion). `doomed` maps a model to (live rows to delete,
    history rows to delete); returns the live counts."""
    counts: dict[str, int] = {}
    for model, (rows, _history) in doomed.items():
        manager = model._default_manager
        counts[model._meta.label_lower] = sum(delete_rows(manager.filter(q)) for q in parts(rows))
    for model, (_rows, history) in doomed.items():
        for q in parts(history):
            delete_rows(history_of(model).filter(q))
    return counts


def cull(ids: set[int]) -> dict[str, int]:
    """Delete the people's households, cases and everything on them (access grants
    included), then every history row of all of it, found by household, case and person.
    Blind indexes are columns of the deleted rows and go with them."""
    with transaction.atomic():
        households = households_of(ids)
        people = ids_of(Person.objects.filter(household_id__any=households))
        cases = ids_of(Case.objects.filter(household_id__any=households))
        by_case = Q(case_id__any=cases)
        by_grant_case = Q(content_object_id__any=cases)
        # model -> (live rows to delete, history rows to delete), children first.
        doomed = {
            CaseAssignment: (by_case, by_case),
            CaseUserObjectPermission: (by_grant_case, by_grant_case),
            CaseGroupObjectPermission: (by_grant_case, by_grant_case),
            PersonUserObjectPermission: (
                Q(content_object_id__any=people),
                Q(content_object_id__any=people),
            ),
            Case: (Q(pk__any=cases), Q(id__any=cases)),
            Person: (Q(pk__any=people), Q(id__any=people) | Q(household_id__any=households)),
            HouseholdChild: (Q(household_id__any=households), Q(household_id__any=households)),
            Household: (Q(pk__any=households), Q(id__any=households)),
        }
        Household.objects.filter(pk__any=households).update(head=None)
        # The name-word indexes have no history: they go first, with one DELETE.
        tokens = delete_rows(PersonNameToken.objects.filter(person_id__any=people))
        counts = delete_with_history(doomed)
        counts[PersonNameToken._meta.label_lower] = tokens
        return counts
