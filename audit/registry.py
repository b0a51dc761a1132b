"""What the domain apps tell the audit app: a registry, and deliberately so.

The audit app sits on top of the domain (DESIGN §3) yet must never import it: it reads
every domain record's history, extract and retention, and the domain calls its hooks
(`audit.hooks.record_read`) from below. So the domain registers what audit needs, from
its AppConfig.ready() (cases: `cases/apps.py`; housing: `housing/apps.py`), and the
history page, the access log, the data-subject extract and retention use only that:

- `register_model(Model, ...)`: once per model with personal data (its history for a
  case and a person, its live rows about a person, who a read concerns, what a reader
  may not see);
- `register_retention(...)`: once per part that holds records about people, and
  `register_orphan_rule(...)` for records about nobody registered (unlinked signals);
- `register_extract_section(...)`: what an extract holds besides the models (grants);
- `register_handover_checker(...)`: which cases were handed to a reader's units;
- `register_subjects(...)`: once, by the app that owns people and cases: the ways in for
  the audit pages (a case's or a person's history, the auditor's search and extract)
  and the cases a person belongs to;
- `register_personal_data_view(url_name)`: every page and endpoint that shows personal
  data (the walk test visits them all).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import Model, QuerySet
from django.utils import timezone

from bokvar.compiled import KeptBound
from bokvar.db_router import domain_reads_from_replica


@dataclass(frozen=True)
class Subject:
    """Who a read concerns, in ids only (what the access log stores)."""

    person_id: int | None = None
    case_id: int | None = None
    unit_id: int | None = None
    district_id: int | None = None
    protected: bool = False


@dataclass(frozen=True)
class ModelRegistration:
    model: type[models.Model]
    # Historical rows (django-simple-history) that belong to a case / a person.
    history_for_case: Callable[[int], QuerySet] | None = None
    history_for_person: Callable[[int], QuerySet] | None = None
    # Live rows about a person: the extract lists them, retention dates them.
    records_of_person: Callable[[int], QuerySet] | None = None
    # The field dating an entry (retention: the last entry about a person).
    date_field: str = "created_at"
    # Retention's set-based dating: (person id, newest entry) rows for everyone this
    # model's live rows (by `date_field`) and history rows reach, the same rows as
    # `records_of_person` and `history_for_person`, in one grouped query per table.
    # A person may come in several rows (the newest counts). Without it, retention
    # falls back to asking per person (slow: kept for registrations made elsewhere).
    last_entries: Callable[[], Iterable[tuple[int, Any]]] | None = None
    # Object ids (of this model) whose values `user` may not see: shown as hidden.
    hidden_ids: Callable[[Any, set[int]], set[int]] | None = None
    # For objects passed to audit.hooks.record_read(s): which person/case/unit each
    # concerns, in the objects' order. It loads what the objects lack itself, in a constant
    # number of queries however many objects (a list page logs one read per row). `via`
    # is the object the page reached them through (a person's case), or None.
    describe_many: Callable[[list[models.Model], models.Model | None], list[Subject]] | None = None
    # The URL keyword naming this model's id in pages ("case_id"): a 403/404 on such a
    # page, for an object that exists, is logged as a denied read (audit.middleware).
    url_kwarg: str = ""

    @property
    def label(self) -> str:
        return self.model._meta.label_lower


@dataclass(frozen=True)
class RetentionProvider:
    key: str
    # Every person id the app holds records about.
    subjects: Callable[[], Iterable[int]]
    # Person ids kept for research (born on the 5th, 15th or 25th). May decrypt in memory.
    research_kept: Callable[[set[int]], set[int]] = lambda ids: set()
    # Person ids whose records are bound up with others' (e.g. a shared household),
    # given the ids about to be culled: returns the ids that must be kept after all.
    entangled: Callable[[set[int]], set[int]] = lambda ids: set()
    # Deletes the records of these people, their history rows and blind indexes.
    cull: Callable[[set[int]], dict[str, int]] = lambda ids: {}
    # Groups among these ids whose records go together (a household): retention puts a
    # group whole in one batch, so batches culled at once never delete the same rows.
    together: Callable[[set[int]], Iterable[Iterable[int]]] = lambda ids: []
    order: int = 100  # lower runs first: apps that build on cases cull before cases


@dataclass(frozen=True)
class OrphanRule:
    """Records about nobody registered (a landlord signal never linked to a case, naming
    no registered person): retention dates them on their own, not through a person."""

    key: str
    # Given the cut-off: (ids due, ids kept for research). May decrypt in memory.
    due: Callable[[datetime], tuple[set[int], set[int]]]
    # Deletes these records and their history rows; returns how many went.
    cull: Callable[[set[int]], int]


@dataclass(frozen=True)
class ExtractSection:
    """What a data-subject extract holds besides the registered models: e.g. access
    grants on the person and their cases (who was let in, when, by whom)."""

    key: str
    # label -> live rows about the person
    records: Callable[[int], dict[str, QuerySet]] = lambda person_id: {}
    # label -> historical rows about the person
    history: Callable[[int], dict[str, QuerySet]] = lambda person_id: {}


@dataclass(frozen=True)
class SubjectAccess:
    """The domain's ways in for the audit pages, each with the domain's own permission
    rules (404 where the reader may not know the record exists, 403 where the role may
    not): the audit app never queries people or cases itself."""

    # (user, case id) -> the case, for its history page.
    case_for_history: Callable[[Any, int], models.Model]
    # (user, person id) -> the person, for their history page.
    person_for_history: Callable[[Any, int], models.Model]
    # (auditor, identity number as typed) -> the person or None (the extract's search).
    find_person_for_auditor: Callable[[Any, str], models.Model | None]
    # (auditor, person id) -> the person, for the extract and legal holds.
    person_for_auditor: Callable[[Any, int], models.Model]
    # person id -> ids of the cases the person belongs to ("who looked at this person").
    cases_of_person: Callable[[int], Iterable[int]]
    # (auditor, case number as typed) -> the case's id or None (the access log's filter).
    find_case_id_for_auditor: Callable[[Any, str], int | None] = lambda user, number: None
    # (auditor, person ids, case ids) -> (person id -> name, case id -> number): what the
    # access log names; a person hidden from the auditor is left out (shown as protected).
    names_for_auditor: Callable[
        [Any, set[int], set[int]], tuple[dict[int, str], dict[int, str]]
    ] = lambda user, people, cases: ({}, {})


@dataclass
class Registry:
    models: dict[str, ModelRegistration] = field(default_factory=dict)
    retention: dict[str, RetentionProvider] = field(default_factory=dict)
    orphans: dict[str, OrphanRule] = field(default_factory=dict)
    extract_sections: dict[str, ExtractSection] = field(default_factory=dict)
    # model label -> (person id, row) -> names of the row's fields that are about someone
    # else (a co-tenant named by a signal): the readable extract withholds them.
    extract_redactions: dict[str, Callable[[int, Model], set[str]]] = field(default_factory=dict)
    # (case ids, the reader's unit ids) -> querysets of the case ids handed to one of
    # those units (each a flat, unordered values_list of one integer column): every app's
    # are read together, in one UNION.
    # (case ids, unit ids, now) -> querysets of case ids, each filtering with `__any`.
    handover_checkers: dict[
        str, Callable[[list[int], list[int], datetime], list[QuerySet[Any]]]
    ] = field(default_factory=dict)
    subjects: SubjectAccess | None = None
    # model label -> (reader, live rows) -> pk -> readable name, for the change history's
    # values that point at such rows ("head of household: Anna Berg", not "#12"). A row
    # whose name the reader may not see is left out (shown as protected); rows in the
    # model's `hidden_ids` are never asked for. Models without one show by str().
    display_names: dict[str, Callable[[Any, list[Model]], dict[int, str]]] = field(
        default_factory=dict
    )
    # URL keyword ("threat_id"), or a view's name and keyword ("api-signal:pk") -> the
    # record a page naming that id is about (a case, a person, or a record that
    # `describe_many` says concerns one), None if there is no such id: a 403/404 on such
    # a page is a denied read (audit.middleware).
    url_subjects: dict[str, Callable[[int], Model | None]] = field(default_factory=dict)


registry = Registry()

_M = TypeVar("_M", bound=models.Model)


def register_model(model: type[models.Model], **options) -> ModelRegistration:
    reg = ModelRegistration(model=model, **options)
    registry.models[reg.label] = reg
    if reg.url_kwarg:
        register_url_subject(reg.url_kwarg, lambda pk: model._default_manager.filter(pk=pk).first())
    return reg


def register_url_subject(key: str, find: Callable[[int], Model | None]) -> None:
    """Pages whose last URL keyword is `key` ("threat_id"; "api-signal:pk" for one view's
    own keyword) are about `find(id)`: the case or person a denied read concerns."""
    registry.url_subjects[key] = find


def register_display_names(
    model: type[_M], names: Callable[[Any, list[_M]], dict[int, str]]
) -> None:
    """How the change history names `model`'s rows to a reader (see Registry)."""
    registry.display_names[model._meta.label_lower] = cast(
        Callable[[Any, list[Model]], dict[int, str]], names
    )


def register_retention(provider: RetentionProvider) -> None:
    registry.retention[provider.key] = provider


def register_orphan_rule(rule: OrphanRule) -> None:
    registry.orphans[rule.key] = rule


def register_extract_section(section: ExtractSection) -> None:
    registry.extract_sections[section.key] = section


def register_extract_redaction(
    label: str, fields_about_others: Callable[[int, _M], set[str]]
) -> None:
    """`fields_about_others` is only ever called with objects of the model `label` names
    (audit.presentation looks it up by the object's own label), so it may take that model."""
    registry.extract_redactions[label] = cast(
        Callable[[int, models.Model], set[str]], fields_about_others
    )


def register_handover_checker(
    key: str, checker: Callable[[list[int], list[int], datetime], list[QuerySet[Any]]]
) -> None:
    registry.handover_checkers[key] = checker


def register_subjects(access: SubjectAccess) -> None:
    registry.subjects = access


def subjects() -> SubjectAccess:
    """The registered ways in; an installation without the app owning people has none."""
    if registry.subjects is None:
        raise ImproperlyConfigured("No app has registered its subjects with the audit app.")
    return registry.subjects


def last_entry_of(
    person_id: int, regs: Iterable[ModelRegistration] | None = None
) -> datetime | None:
    """The newest entry about a person over every registered model (or `regs`) and its
    history, asked per person (retention dates everyone at once: `newest_entries`)."""
    from django.db.models import Max

    newest: list[datetime] = []
    for reg in registry.models.values() if regs is None else regs:
        if reg.records_of_person is not None and reg.date_field:
            value = reg.records_of_person(person_id).aggregate(m=Max(reg.date_field))["m"]
            if value is not None:
                newest.append(value if isinstance(value, datetime) else _midnight(value))
        if reg.history_for_person is not None:
            value = reg.history_for_person(person_id).aggregate(m=Max("history_date"))["m"]
            if value is not None:
                newest.append(value)
    return max(newest) if newest else None


def newest_entries(person_ids: Iterable[int]) -> dict[int, datetime]:
    """The newest entry about each of these people over every registered model and its
    history: one grouped query per table for registrations with `last_entries`, per
    person for the rest. People with no dated entry are absent."""
    wanted = set(person_ids)
    newest: dict[int, datetime] = {}

    def see(person_id: int, value: Any) -> None:
        if value is None or person_id not in wanted:
            return
        if not isinstance(value, datetime):
            value = _midnight(value)
        if person_id not in newest or value > newest[person_id]:
            newest[person_id] = value

    slow = []
    statements: list[str] = []
    from django.db import connection

    for reg in registry.models.values():
        if reg.last_entries is None:
            slow.append(reg)
        elif isinstance(reg.last_entries, SqlEntries) and connection.vendor != "postgresql":
            # The grouped statements are PostgreSQL's (time zones, one UNION ALL of them):
            # the embedded default (SQLite, a handful of people) dates each person by
            # the models' querysets, as the statements are checked against.
            slow.append(reg)
        elif isinstance(reg.last_entries, SqlEntries):
            statements += reg.last_entries.statements()
        else:
            for person_id, value in reg.last_entries():
                see(person_id, value)
    for person_id, value in newest_of(statements):
        see(person_id, value)
    if slow:
        for person_id in wanted:
            see(person_id, last_entry_of(person_id, slow))
    return newest


class SqlEntries:
    """A registration's `last_entries` given as SQL: `statements()` are SELECTs of
    (person id, newest entry as a timestamp with time zone), one per table. Called, it
    yields their rows like any `last_entries`; `newest_entries` instead runs every
    registration's statements as one `UNION ALL` grouped again by person, so PostgreSQL
    combines the tables and Python reads one row per person (a country's 500,000) rather
    than one per person and table (twenty times as many, most of the dating's time)."""

    def __init__(self, statements: Callable[[], list[str]]) -> None:
        self.statements = statements

    def __call__(self) -> Iterator[tuple[int, Any]]:
        for sql in self.statements():
            yield from _rows_of(sql)


def newest_of(statements: list[str]) -> Iterator[tuple[int, Any]]:
    """(person id, newest entry) over all these statements, in one query."""
    if not statements:
        return
    union = " UNION ALL ".join(f"({sql})" for sql in statements)
    yield from _rows_of(
        f"SELECT person, max(newest) FROM ({union}) AS entries(person, newest)"  # noqa: S608 (statements built from the models' quoted table names)
        " GROUP BY person"
    )


def _rows_of(sql: str) -> Iterator[tuple[int, Any]]:
    """The rows of `sql`, read in chunks through a server-side cursor (a country's people
    would not fit one fetch). The grouping and hash joins over millions of rows get
    more working memory than the default 4 MB, which would spill them to disk."""
    from django.db import connection, transaction

    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL work_mem = '128MB'")
        with connection.chunked_cursor() as cursor:
            cursor.execute(sql)
            while rows := cursor.fetchmany(10000):
                yield from rows


def _midnight(day) -> datetime:
    from django.utils import timezone

    return timezone.make_aware(datetime(day.year, day.month, day.day))


def case_ids_of_person(person_id: int) -> set[int]:
    return set(subjects().cases_of_person(person_id))


# The stand-ins of `handed_over`'s statement: no case or unit id is negative, and no
# read access expires before 1901.
_CASES_STAND_IN = [-770_000_551]
_UNITS_STAND_IN = [-770_000_552]
_NOW_STAND_IN = datetime(1901, 1, 1, 0, 0, 0, 770_553, tzinfo=UTC)
_HANDED = KeptBound()


def handed_over(case_ids: set[int], unit_ids: set[int]) -> set[int]:
    """The cases handed to one of these units: a read of them from there is no surprise."""
    if not case_ids or not unit_ids:
        return set()

    def build(cases: list[int], units: list[int], now: datetime) -> QuerySet[Any]:
        # One query whatever the number of apps: a page reading a case of another unit (a
        # handover's receiver) pays one read for the explanation, not one per app.
        parts = [
            qs
            for checker in registry.handover_checkers.values()
            for qs in checker(cases, units, now)
        ]
        return parts[0].union(*parts[1:])

    if not registry.handover_checkers:
        return set()
    # Compiled once per database and set of apps (issue 22: building the union of every
    # app's checks was a fifth of the handover inbox's CPU), the ids and the moment bound.
    key = (domain_reads_from_replica(), tuple(registry.handover_checkers))
    rows = _HANDED.rows(
        key,
        build,
        (sorted(case_ids), sorted(unit_ids), timezone.now()),
        (_CASES_STAND_IN, _UNITS_STAND_IN, _NOW_STAND_IN),
    )
    return {case_id for (case_id,) in rows}


# --- Pages and endpoints that show personal data --------------------------------------
# Each registers its URL name; a test walks every one of them and asserts exactly one
# access-log entry per record read, and fails when a registered name is not walked.

personal_data_views: dict[str, str] = {}


def register_personal_data_view(url_name: str, *, reads: str = "one record") -> None:
    personal_data_views[url_name] = reads
