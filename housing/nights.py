"""Registering shelter nights: one, a date range, or a batch (invoice CSV or API).

A batch is validated whole and lands whole: every rejected row is reported with its
line and reason, and nothing is saved if any row is rejected. A night already
registered at the same shelter is reported as a duplicate and skipped, never counted
twice; the same person at another shelter that night is a rejected row (a conflict).
The paying unit is named within the importer's districts (names are unique only
within a district); a name that fits more than one unit is rejected. Validation
is done in bulk (a handful of queries for the whole batch) so large invoices import fast.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from bokvar import bulk
from bokvar.forms import EARLIEST_DATE, LATEST_DATE
from bokvar.history import attribute, system_user
from bokvar.models import Unit, User
from bokvar.roles import CASE_STAFF, HOUSING
from bokvar.selectors import roles_of
from cases.core.identity import (
    InvalidPersonalNumber,
    parse_personal_number,
    personal_number_indexes,
)
from cases.core.selectors import cases as case_selectors
from cases.core.selectors import people as people_selectors
from cases.core.services import people as person_services
from cases.models import Person

from .models import Placement, Shelter, ShelterNight, ShelterPrice

MAX_RANGE_DAYS = 92
HEADER_ALIASES = {
    "personal_number": {"personal_number", "personnummer", "pnr"},
    "shelter": {"shelter", "härbärge", "harbarge"},
    "night": {"night", "date", "datum", "natt"},
    "paying_unit": {"paying_unit", "unit", "enhet", "betalande_enhet"},
}


@dataclass
class BatchRow:
    line: int
    personal_number: str
    shelter: str
    night: str
    paying_unit: str


@dataclass
class BatchResult:
    created: int = 0
    duplicates: list[int] = field(default_factory=list)  # line numbers
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def price_on(prices: list[ShelterPrice], night: date) -> Decimal | None:
    """The price valid on the night: the latest one that started on or before it."""
    valid = [p for p in prices if p.valid_from <= night]
    return max(valid, key=lambda p: p.valid_from).price_per_night if valid else None


def _prices_by_shelter(shelter_ids) -> dict[int, list[ShelterPrice]]:
    out: dict[int, list[ShelterPrice]] = {}
    for price in ShelterPrice.objects.filter(shelter_id__in=shelter_ids):
        out.setdefault(price.shelter_id, []).append(price)
    return out


def visible_people(user: User | None):
    """People whose nights the user may register: on a case they can work on, and not
    hidden by protected identity. A command (no user) sees everyone."""
    people = Person.objects.all()
    if user is None:
        return people
    return people.filter(household__cases__in=case_selectors.writable_cases(user)).filter(
        people_selectors.persons_visible_q(user)
    )


@transaction.atomic
def placed_nights(person: Person, nights: list[date]) -> list[date]:
    """The nights among `nights` when the person's household was placed in an apartment
    (a placement started and not ended by then)."""
    placements = list(
        Placement.objects.filter(household_id=person.household_id, start_on__lte=max(nights))
        .filter(Q(end_on__isnull=True) | Q(end_on__gte=min(nights)))
        .values_list("start_on", "end_on")
    )
    return [n for n in nights if any(s <= n and (e is None or n <= e) for s, e in placements)]


def register_range(
    *,
    actor: User,
    person: Person,
    shelter: Shelter,
    first: date,
    last: date,
    paying_unit: Unit,
    during_placement_confirmed: bool = False,
) -> list[ShelterNight]:
    """One night (first == last) or every night of a range; refused whole if any is taken.
    Nights when the household is placed in an apartment are usually a mistake (the wrong
    person, the wrong dates): they are registered only when the user confirms them."""
    if not visible_people(actor).filter(pk=person.pk).exists():
        raise PermissionDenied
    if last < first:
        raise ValidationError({"last": _("The last night cannot be before the first.")})
    if (last - first).days >= MAX_RANGE_DAYS:
        raise ValidationError(
            {"last": _("Register at most %(days)s nights at a time.") % {"days": MAX_RANGE_DAYS}}
        )
    nights = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    taken = sorted(
        ShelterNight.objects.filter(person=person, night__in=nights).values_list("night", flat=True)
    )
    if taken:
        raise ValidationError(
            {
                "first": _("Already registered: %(dates)s.")
                % {"dates": ", ".join(d.isoformat() for d in taken)}
            }
        )
    placed = placed_nights(person, nights)
    if placed and not during_placement_confirmed:
        raise ValidationError(
            {
                "during_placement_confirmed": _(
                    "The household is placed in an apartment on %(dates)s. Tick the box to "
                    "register these nights all the same."
                )
                % {"dates": ", ".join(d.isoformat() for d in placed)}
            }
        )
    prices = _prices_by_shelter([shelter.pk]).get(shelter.pk, [])
    created = []
    for night in nights:
        cost = price_on(prices, night)
        if cost is None:
            raise ValidationError(
                {
                    "shelter": _("The shelter has no price for %(date)s.")
                    % {"date": night.isoformat()}
                }
            )
        item = ShelterNight(
            person=person,
            shelter=shelter,
            night=night,
            cost=cost,
            paying_unit=paying_unit,
            registered_by=actor,
        )
        attribute(item, user=actor, reason="shelter night registered").save()
        created.append(item)
    return created


@transaction.atomic
def remove_night(*, actor: User, case_id: int, night_id: int) -> None:
    """Remove a shelter night registered by mistake, from the case page: the same people
    who register nights there (staff who may work on the case, a person they may see).
    The history keeps the night, and who removed it."""
    case = case_selectors.get_case_for_user(actor, case_id, write=True)
    if not roles_of(actor).has(*CASE_STAFF):
        raise PermissionDenied
    night = (
        ShelterNight.objects.select_for_update()
        .filter(pk=night_id, person__household_id=case.household_id)
        .filter(people_selectors.persons_visible_q(actor, prefix="person__"))
        .first()
    )
    if night is None:
        raise Http404
    attribute(night, user=actor, reason="shelter night removed (entered by mistake)").delete()


def parse_csv(content: bytes) -> tuple[list[BatchRow], list[tuple[int, str]]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [(1, _("The file is not UTF-8 text."))]
    reader = csv.reader(
        io.StringIO(text), delimiter=";" if text.split("\n", 1)[0].count(";") else ","
    )
    try:
        header = [h.strip().casefold() for h in next(reader)]
    except StopIteration:
        return [], [(1, _("The file is empty."))]
    except csv.Error:
        return [], [(1, _("file: a cell is too long or its quotes do not close."))]
    columns = {}
    for key, aliases in HEADER_ALIASES.items():
        matches = [i for i, h in enumerate(header) if h in aliases]
        if not matches:
            return [], [(1, _("The header lacks the column '%(column)s'.") % {"column": key})]
        columns[key] = matches[0]
    rows = []
    line = 1
    try:
        for line, record in enumerate(reader, start=2):
            if not any(cell.strip() for cell in record):
                continue
            values = {
                key: (record[i].strip() if i < len(record) else "") for key, i in columns.items()
            }
            rows.append(BatchRow(line=line, **values))
    except csv.Error:
        # A cell over csv's field limit (128 KiB) or a broken quote: the whole file is
        # refused, nothing is imported (issue 21, point 9).
        return [], [(line + 1, _("file: a cell is too long or its quotes do not close."))]
    return rows, []


AMBIGUOUS = Unit(name="")  # a name that fits more than one unit


def _units_by_name(actor: User | None) -> dict[str, list[Unit]]:
    """Active units by name (unit names are unique only within a district): among the
    importer's districts, or every district for a command, which is run by no one."""
    units = Unit.objects.filter(is_active=True)
    if actor is not None:
        units = units.filter(district_id__in=roles_of(actor).district_ids)
    out: dict[str, list[Unit]] = {}
    for unit in units.only("pk", "name", "district_id"):
        out.setdefault(unit.name.casefold(), []).append(unit)
    return out


def _paying_unit(candidates: list[Unit], shelter: Shelter, *, by_command: bool) -> Unit | None:
    """The one unit of that name, or AMBIGUOUS. A command, which has no districts of its
    own, looks in the shelter's district first."""
    if by_command:
        candidates = [u for u in candidates if u.district_id == shelter.district_id] or candidates
    if len(candidates) > 1:
        return AMBIGUOUS
    return candidates[0] if candidates else None


@transaction.atomic
def _route_held_out_of_sight(actor: User, indexes: set[str]) -> None:
    """Rows refused with "no person you may register nights for" whose number is held by
    someone out of the actor's sight: the answer stays the same as for an unknown number,
    and the matter goes to those who may see the holders (issue 16, point 4): one
    notice per recipient and batch, naming no person (an invoice may name hundreds).
    The holders are looked up whether or not anybody holds the numbers."""
    if not indexes:
        return
    holders = list(
        Person.objects.filter(personal_number_bidx__in=indexes)
        .only("pk", "household_id", "protected_identity")
        .order_by("pk")
    )
    if not holders:
        return
    # The same batch sent again is the same matter: one notice, not one per try.
    digest = hashlib.sha256(",".join(str(p.pk) for p in holders).encode()).hexdigest()[:16]
    person_services.route_to_those_who_see(
        actor=actor,
        holders=holders,
        kind="nights_refused",
        dedupe_key=f"nights-refused:{actor.pk}:{digest}",
        subject=lambda: _("Shelter nights for people in your care could not be registered"),
        body=lambda: (
            _(
                "%(name)s tried to register shelter nights for people in your care who are "
                "out of their sight. Nothing was saved: contact them."
            )
            % {"name": actor.get_full_name() or actor.username}
        ),
    )


def import_batch(
    *, actor: User | None, rows: list[BatchRow], source: str, only_shelter: int | None = None
) -> BatchResult:
    """`only_shelter`: a shelter's own system (its API client) registers its own nights
    only, and is never told which other shelter holds a night."""
    result = BatchResult()
    if actor is not None and not roles_of(actor).has(*HOUSING):
        raise PermissionDenied
    parsed = {}
    # An invoice names the same person on many nights: parse and hash each number once.
    canonical_of: dict[str, str | None] = {}
    for row in rows:
        if row.personal_number not in canonical_of:
            try:
                canonical_of[row.personal_number] = parse_personal_number(row.personal_number)
            except InvalidPersonalNumber:
                canonical_of[row.personal_number] = None
        canonical = canonical_of[row.personal_number]
        if canonical is None:
            result.errors.append(
                (row.line, _("personal_number: not a valid personal identity number"))
            )
            continue
        try:
            night = parse_date(row.night) if row.night else None
        except ValueError:  # well formed but no such day (2026-02-30)
            night = None
        if night is not None and not EARLIEST_DATE <= night <= LATEST_DATE:
            night = None
        if night is None:
            result.errors.append((row.line, _("night: give the date as YYYY-MM-DD")))
            continue
        parsed[row.line] = (row, canonical, night)
    # Every form of each number's index (the blind-index keys may be rotating).
    forms_of = {c: personal_number_indexes(c) for c in set(canonical_of.values()) if c}
    by_index = {
        p.personal_number_bidx: p.pk
        for p in visible_people(actor)
        .filter(personal_number_bidx__in={i for forms in forms_of.values() for i in forms})
        .only("pk", "personal_number_bidx")
    }
    people = {
        canonical: by_index[i]
        for canonical, forms in forms_of.items()
        for i in reversed(forms)  # the current key's form last, so it wins
        if i in by_index
    }
    open_shelters = Shelter.objects.filter(is_active=True)
    if only_shelter is not None:
        open_shelters = open_shelters.filter(pk=only_shelter)
    shelters = {s.name.casefold(): s for s in open_shelters}
    units = _units_by_name(actor)
    prices = _prices_by_shelter([s.pk for s in shelters.values()])
    wanted_people = set(people.values())
    nights = [n for _r, _c, n in parsed.values()]
    # (person, night) -> (shelter id, shelter name) of the nights already registered.
    existing: dict[tuple[int, date], tuple[int, str]] = {}
    if nights and wanted_people:
        existing = {
            (person_id, night): (shelter_id, name)
            for person_id, night, shelter_id, name in ShelterNight.objects.filter(
                person_id__in=wanted_people, night__gte=min(nights), night__lte=max(nights)
            ).values_list("person_id", "night", "shelter_id", "shelter__name")
        }
    seen: dict[tuple[int, date], tuple[int, str]] = {}
    to_create = []
    for line, (row, canonical, night) in sorted(parsed.items()):
        person_id = people.get(canonical)
        shelter = shelters.get(row.shelter.casefold())
        unit = None
        if shelter is not None:
            unit = _paying_unit(
                units.get(row.paying_unit.casefold(), []), shelter, by_command=actor is None
            )
        taken_at = None
        if person_id is not None:
            taken_at = existing.get((person_id, night), seen.get((person_id, night)))
        if person_id is None:
            # Unknown and not visible read the same: the report never confirms a person exists.
            result.errors.append(
                (line, _("personal_number: no person you may register nights for"))
            )
        elif shelter is None:
            result.errors.append(
                (line, _("shelter: unknown shelter '%(name)s'") % {"name": row.shelter})
            )
        elif unit is None:
            result.errors.append(
                (line, _("paying_unit: unknown unit '%(name)s'") % {"name": row.paying_unit})
            )
        elif unit is AMBIGUOUS:
            result.errors.append(
                (
                    line,
                    _(
                        "paying_unit: more than one unit is called '%(name)s'; "
                        "the row cannot say which one pays"
                    )
                    % {"name": row.paying_unit},
                )
            )
        elif (cost := price_on(prices.get(shelter.pk, []), night)) is None:
            result.errors.append((line, _("night: the shelter has no price for this date")))
        elif taken_at is not None and taken_at[0] == shelter.pk:
            result.duplicates.append(line)
        elif taken_at is not None and only_shelter is not None:
            # Another shelter's guests are none of this shelter's business.
            result.errors.append((line, _("night: already registered elsewhere on that date")))
        elif taken_at is not None:
            # One person, one night: the same night at another shelter is a conflict
            # for staff to sort out, not a copy of a night already registered.
            result.errors.append(
                (
                    line,
                    _("night: already registered at %(shelter)s on that date")
                    % {"shelter": taken_at[1]},
                )
            )
        else:
            seen[(person_id, night)] = (shelter.pk, shelter.name)
            to_create.append(
                # Values, not model instances: for an invoice of a hundred thousand
                # nights, building instances costs more than the insert itself.
                {
                    "person_id": person_id,
                    "shelter_id": shelter.pk,
                    "night": night,
                    "cost": cost,
                    "paying_unit_id": unit.pk,
                    "source": source,
                    "registered_by_id": actor.pk if actor else None,
                }
            )
    if actor is not None:
        out_of_sight = {c for c in forms_of if c not in people}
        _route_held_out_of_sight(actor, {i for c in out_of_sight for i in forms_of[c]})
    if result.errors:
        result.errors.sort()
        return result
    bulk.insert_values(
        ShelterNight,
        to_create,
        user_id=(actor or system_user()).pk,
        reason=f"shelter nights {source}",
    )
    result.created = len(to_create)
    return result
