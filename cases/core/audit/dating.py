"""Set-based dating for retention: the newest entry per person in one grouped query per
table (a model's live rows, its history rows), not one query per person.

Retention culls a person five years after the last entry about them over every
registered model and its history (audit/retention.py). Asking that per person cost
about 220 ms each: two hours for a city, thirty for the country (issue 17). Here each
registration says how its rows reach a person, and one `GROUP BY person` query per
table answers for everyone at once. The joins follow exactly the per-person querysets
of the registration (`records_of_person`, `history_for_person`), which a test checks
against the demo data (tests/audit/test_retention_dating.py):

- `person`: the column holds the person's id (a person's own row, a shelter night);
- `household`: the column holds a household's id; every member is dated by it;
- `case`: the column holds the id of a (still existing) case; every member of its
  household is dated by it;

Records further away (a placement's progress notes) join their way to a case first (`via`).
"""

from __future__ import annotations

from typing import Literal

from django.db import connection
from django.db.models import DateField, DateTimeField, Field, Model
from django.utils import timezone

from audit.registry import SqlEntries
from bokvar.history import history_of

Path = Literal["person", "household", "case"]


def _table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _join(path: Path, column: str) -> tuple[str, str]:
    """(joins from the table `t` to the people `p`, the expression naming the person).
    `column` is a column of `t`, or an expression already qualified (`pl.case_id`)."""
    from ...models import Case, Person

    people, cases = _table(Person), _table(Case)
    col = column if "." in column else f"t.{connection.ops.quote_name(column)}"
    if path == "person":
        return "", col
    if path == "household":
        return f" JOIN {people} p ON p.household_id = {col}", "p.id"
    return (
        f" JOIN {cases} c ON c.id = {col} JOIN {people} p ON p.household_id = c.household_id",
        "p.id",
    )


def newest_by_person(
    model: type[Model], date_column: str, path: Path, column: str, *, via: str = ""
) -> str:
    """SQL for (person id, newest `date_column`) for every person `model`'s rows (table
    `t`) reach by `path` from `column`, after the joins `via` (SQL): one grouped query. A
    date column counts from its midnight in the installation's time zone, as
    `audit.registry` does for rows asked per person."""
    joins, person = _join(path, column)
    date = f"t.{connection.ops.quote_name(date_column)}"
    field = next((f for f in model._meta.concrete_fields if f.column == date_column), None)
    if isinstance(field, DateField) and not isinstance(field, DateTimeField):
        zone = timezone.get_current_timezone_name().replace("'", "")
        date = f"({date}::timestamp AT TIME ZONE '{zone}')"
    return (
        f"SELECT {person}, max({date}) FROM {_table(model)} t{via}{joins}"  # noqa: S608 (quoted table names from the models)
        f" WHERE {person} IS NOT NULL GROUP BY {person}"
    )


def dated_by(
    model: type[Model],
    *,
    path: Path,
    column: str,
    date_field: str,
    history_path: Path | None = None,
    history_column: str | None = None,
    via: str = "",
) -> SqlEntries:
    """A registration's `last_entries`: its live rows by `date_field` (none if empty) and
    its history rows by `history_date`, each reaching people by (path, column)."""

    def statements() -> list[str]:
        out = []
        if date_field:
            field = model._meta.get_field(date_field)
            assert isinstance(field, Field) and field.column  # a concrete column
            out.append(newest_by_person(model, field.column, path, column, via=via))
        out.append(
            newest_by_person(
                history_of(model).model,
                "history_date",
                history_path or path,
                history_column or column,
                via=via,
            )
        )
        return out

    return SqlEntries(statements)
