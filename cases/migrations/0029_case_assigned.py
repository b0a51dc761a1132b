"""Each case says whether anybody is assigned to it, kept by the database.

The deadlines one answers for include those of one's units' open cases that nobody is
assigned to, counted on every page of case staff (the navigation's badge). Read as "the
unit's open cases less its assigned open ones", PostgreSQL hashed the unit's 560-600 open
assignments on every page to find that no case lacked one (0.45 ms at national scale,
issue 22); with the flag it is a probe of a partial index holding only the unassigned.

Triggers on both engines keep `assigned` to "the case has an assignment", whatever
writes: an assignment added sets it; an assignment removed counts the case's others; a
case written with another value (a model's `save()` writes every column, with what it
read) keeps the triggers' value; a new case starts unassigned. An assignment never moves
to another case (refused), so only the first two change whether a case has one.

On PostgreSQL the removal locks the case rows before it counts what is left, in a
statement of its own, which under READ COMMITTED has a new snapshot: two assignments of
one case removed at once would otherwise each still see the other, and leave the case
marked assigned with nobody on it, its deadlines gone from every badge. An assignment
added locks its case the same way (the assignment's trigger of migration 0027, now `FOR
NO KEY UPDATE` instead of `FOR SHARE`: two additions sharing the lock would each wait
for the other to release it before marking the case). The services lock a case before
they change its assignments, so every writer takes the case first. SQLite has one writer
at a time.

The assignments' copy of their case's unit (`case_unit`, migration 0027) served only the
badge's "the unit's assigned open cases", and goes with its index; they keep the copy of
the case's status (one's open cases), so migration 0027's triggers are written again
without the unit.

SQLite drops a table's triggers when Django rebuilds the table (an altered column):
tests/cases/core/test_case_assigned.py runs on the migrated schema of both engines and
fails if they are gone."""

import importlib

from django.db import migrations, models

# Migration 0027's triggers, to set them back when this one is reversed.
MIRROR = importlib.import_module("cases.migrations.0027_assignment_mirrors_case")

POSTGRESQL = """
DROP TRIGGER cases_assignment_from_case ON cases_caseassignment;
DROP TRIGGER cases_case_to_assignments ON cases_case;
CREATE OR REPLACE FUNCTION cases_assignment_from_case() RETURNS trigger AS $$
BEGIN
    SELECT c.status = 'open' INTO NEW.case_open
    FROM cases_case c WHERE c.id = NEW.case_id FOR NO KEY UPDATE;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER cases_assignment_from_case
    BEFORE INSERT OR UPDATE OF case_id, case_open ON cases_caseassignment
    FOR EACH ROW EXECUTE FUNCTION cases_assignment_from_case();
CREATE OR REPLACE FUNCTION cases_case_to_assignments() RETURNS trigger AS $$
BEGIN
    UPDATE cases_caseassignment SET case_open = NEW.status = 'open' WHERE case_id = NEW.id;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER cases_case_to_assignments
    AFTER UPDATE OF status ON cases_case
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION cases_case_to_assignments();

CREATE FUNCTION cases_assignments_added() RETURNS trigger AS $$
BEGIN
    UPDATE cases_case c SET assigned = true
    WHERE c.id IN (SELECT case_id FROM added) AND NOT c.assigned;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER cases_assignments_added
    AFTER INSERT ON cases_caseassignment REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION cases_assignments_added();

CREATE FUNCTION cases_assignments_removed() RETURNS trigger AS $$
BEGIN
    PERFORM 1 FROM cases_case c WHERE c.id IN (SELECT case_id FROM removed)
    ORDER BY c.id FOR NO KEY UPDATE;
    -- A statement of its own: it sees what was committed while the lock was awaited.
    UPDATE cases_case c SET assigned = false
    WHERE c.id IN (SELECT case_id FROM removed) AND c.assigned
      AND NOT EXISTS (SELECT 1 FROM cases_caseassignment a WHERE a.case_id = c.id);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER cases_assignments_removed
    AFTER DELETE ON cases_caseassignment REFERENCING OLD TABLE AS removed
    FOR EACH STATEMENT EXECUTE FUNCTION cases_assignments_removed();

CREATE FUNCTION cases_assignment_keeps_case() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'an assignment stays with its case (% to %)', OLD.case_id, NEW.case_id;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER cases_assignment_keeps_case
    BEFORE UPDATE OF case_id ON cases_caseassignment
    FOR EACH ROW WHEN (OLD.case_id IS DISTINCT FROM NEW.case_id)
    EXECUTE FUNCTION cases_assignment_keeps_case();

-- Only the triggers above (one level down) set the flag; a statement's own write of a
-- case keeps it, and a new case has no assignment yet.
CREATE FUNCTION cases_case_keeps_assigned() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.assigned := false;
    ELSIF pg_trigger_depth() = 1 THEN
        NEW.assigned := OLD.assigned;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER cases_case_keeps_assigned
    BEFORE INSERT OR UPDATE OF assigned ON cases_case
    FOR EACH ROW EXECUTE FUNCTION cases_case_keeps_assigned();
"""

# Reversed: the flag's triggers go, and migration 0027's come back (`MIRROR`).
POSTGRESQL_DROP = """
DROP TRIGGER IF EXISTS cases_case_keeps_assigned ON cases_case;
DROP FUNCTION IF EXISTS cases_case_keeps_assigned();
DROP TRIGGER IF EXISTS cases_assignment_keeps_case ON cases_caseassignment;
DROP FUNCTION IF EXISTS cases_assignment_keeps_case();
DROP TRIGGER IF EXISTS cases_assignments_removed ON cases_caseassignment;
DROP FUNCTION IF EXISTS cases_assignments_removed();
DROP TRIGGER IF EXISTS cases_assignments_added ON cases_caseassignment;
DROP FUNCTION IF EXISTS cases_assignments_added();
"""

_COUNTED = "EXISTS (SELECT 1 FROM cases_caseassignment a WHERE a.case_id = {case})"

# SQLite's triggers do not fire themselves again (recursive_triggers is off); an
# assignment's trigger writing the flag fires the case's, which counts again, the same.
_OPEN_FROM_CASE = (
    "UPDATE cases_caseassignment SET case_open = "
    "(SELECT c.status = 'open' FROM cases_case c WHERE c.id = NEW.case_id) WHERE id = NEW.id;"
)

SQLITE = [
    *MIRROR.SQLITE_DROP,
    "CREATE TRIGGER cases_assignment_from_case_insert AFTER INSERT ON cases_caseassignment "
    f"BEGIN {_OPEN_FROM_CASE} END",
    "CREATE TRIGGER cases_assignment_from_case_update "
    "AFTER UPDATE OF case_id, case_open ON cases_caseassignment "
    f"BEGIN {_OPEN_FROM_CASE} END",
    "CREATE TRIGGER cases_case_to_assignments AFTER UPDATE OF status ON cases_case "
    "BEGIN UPDATE cases_caseassignment SET case_open = NEW.status = 'open' "
    "WHERE case_id = NEW.id; END",
    "CREATE TRIGGER cases_assignment_added AFTER INSERT ON cases_caseassignment "
    "BEGIN UPDATE cases_case SET assigned = 1 WHERE id = NEW.case_id AND NOT assigned; END",
    "CREATE TRIGGER cases_assignment_removed AFTER DELETE ON cases_caseassignment "
    f"BEGIN UPDATE cases_case SET assigned = {_COUNTED.format(case='OLD.case_id')} "
    "WHERE id = OLD.case_id; END",
    "CREATE TRIGGER cases_assignment_keeps_case BEFORE UPDATE OF case_id "
    "ON cases_caseassignment WHEN OLD.case_id IS NOT NEW.case_id "
    "BEGIN SELECT RAISE(ABORT, 'an assignment stays with its case'); END",
    "CREATE TRIGGER cases_case_keeps_assigned AFTER UPDATE OF assigned ON cases_case "
    f"BEGIN UPDATE cases_case SET assigned = {_COUNTED.format(case='NEW.id')} "
    "WHERE id = NEW.id; END",
    "CREATE TRIGGER cases_case_starts_unassigned AFTER INSERT ON cases_case WHEN NEW.assigned "
    f"BEGIN UPDATE cases_case SET assigned = {_COUNTED.format(case='NEW.id')} "
    "WHERE id = NEW.id; END",
]

SQLITE_DROP = [
    *MIRROR.SQLITE_DROP,
    "DROP TRIGGER IF EXISTS cases_case_starts_unassigned",
    "DROP TRIGGER IF EXISTS cases_case_keeps_assigned",
    "DROP TRIGGER IF EXISTS cases_assignment_keeps_case",
    "DROP TRIGGER IF EXISTS cases_assignment_removed",
    "DROP TRIGGER IF EXISTS cases_assignment_added",
]

# The column is added with every case assigned, then those with no assignment are marked:
# on PostgreSQL a constant default is written into the catalogue, not into each row, and
# only the few cases nobody is assigned to are written, where filling in the assigned
# ones rewrote nearly every case (501,600 at national scale: the table and its indexes
# twice their size, the case list's count 0.4 -> 18 ms until they were rebuilt). SQLite
# cannot change a column's default in place, so there the column starts unassigned and
# the assigned are marked (an embedded database is small).
ADD_COLUMN = "ALTER TABLE cases_case ADD COLUMN assigned boolean NOT NULL DEFAULT {default}"
FILL = (
    "UPDATE cases_case SET assigned = false "
    "WHERE NOT EXISTS (SELECT 1 FROM cases_caseassignment a WHERE a.case_id = cases_case.id)"
)
FILL_SQLITE = (
    "UPDATE cases_case SET assigned = true WHERE id IN (SELECT case_id FROM cases_caseassignment)"
)


def forwards(apps, schema_editor):
    postgresql = schema_editor.connection.vendor == "postgresql"
    if postgresql:
        # No assignment may come or go between the fill and the triggers (until the
        # migration's transaction ends): the case it is of would be marked wrongly.
        statements = [
            "LOCK TABLE cases_caseassignment IN SHARE ROW EXCLUSIVE MODE",
            ADD_COLUMN.format(default="true"),
            FILL,
            "ALTER TABLE cases_case ALTER COLUMN assigned SET DEFAULT false",
            POSTGRESQL,
        ]
    else:
        statements = [ADD_COLUMN.format(default="false"), FILL_SQLITE, *SQLITE]
    for statement in statements:
        schema_editor.execute(statement, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        statements = [POSTGRESQL_DROP, MIRROR.POSTGRESQL_DROP, MIRROR.POSTGRESQL, MIRROR.FILL]
    else:
        statements = [*SQLITE_DROP, *MIRROR.SQLITE, MIRROR.FILL]
    statements.append("ALTER TABLE cases_case DROP COLUMN assigned")
    for statement in statements:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0028_case_list_ids"),
    ]

    operations = [
        # The column is added by `forwards`, in place on both engines: Django's SQLite
        # editor would rebuild the table for a column with a default, dropping migration
        # 0027's trigger on it, and the assignments' triggers that name it fail while it
        # is renamed.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="case",
                    name="assigned",
                    field=models.BooleanField(db_default=False, default=False, editable=False),
                )
            ],
        ),
        # The assignments' copy of the unit goes before the triggers that wrote it
        # (reversed: it is back, empty, before migration 0027's triggers fill it again).
        migrations.RemoveIndex(model_name="caseassignment", name="assignment_open_of_unit"),
        migrations.RunPython(forwards, backwards),
        migrations.RemoveField(model_name="caseassignment", name="case_unit"),
        migrations.RemoveIndex(model_name="case", name="case_open_of_unit"),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(("assigned", False), ("status", "open")),
                fields=["responsible_unit", "id"],
                name="case_unassigned_of_unit",
            ),
        ),
    ]
