"""Each assignment carries its case's status and responsible unit, kept by the database.

Triggers on both engines copy them: when an assignment is written, from its case (what
the writer gave is replaced), and when a case's status or unit changes, to every
assignment of the case. On PostgreSQL the assignment's trigger reads the case `FOR
SHARE`: a case closing while an assignment of it is being written waits for that write
to commit (then its own trigger sees the new assignment), or makes the write wait and
read the closed case; neither can leave an assignment of a closed case marked open.
SQLite has one writer at a time.

SQLite drops a table's triggers when Django rebuilds the table (an altered column of
`cases_case` or `cases_caseassignment`): tests/cases/core/test_assignment_mirror.py
runs on the migrated schema of both engines and fails if they are gone."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

POSTGRESQL = """
CREATE OR REPLACE FUNCTION cases_assignment_from_case() RETURNS trigger AS $$
BEGIN
    SELECT c.status = 'open', c.responsible_unit_id INTO NEW.case_open, NEW.case_unit_id
    FROM cases_case c WHERE c.id = NEW.case_id FOR SHARE;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER cases_assignment_from_case
    BEFORE INSERT OR UPDATE OF case_id, case_open, case_unit_id ON cases_caseassignment
    FOR EACH ROW EXECUTE FUNCTION cases_assignment_from_case();
CREATE OR REPLACE FUNCTION cases_case_to_assignments() RETURNS trigger AS $$
BEGIN
    UPDATE cases_caseassignment
    SET case_open = NEW.status = 'open', case_unit_id = NEW.responsible_unit_id
    WHERE case_id = NEW.id;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER cases_case_to_assignments
    AFTER UPDATE OF status, responsible_unit_id ON cases_case
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status
          OR OLD.responsible_unit_id IS DISTINCT FROM NEW.responsible_unit_id)
    EXECUTE FUNCTION cases_case_to_assignments();
"""

POSTGRESQL_DROP = """
DROP TRIGGER IF EXISTS cases_case_to_assignments ON cases_case;
DROP FUNCTION IF EXISTS cases_case_to_assignments();
DROP TRIGGER IF EXISTS cases_assignment_from_case ON cases_caseassignment;
DROP FUNCTION IF EXISTS cases_assignment_from_case();
"""


def _copied_from_case(case_id: str) -> str:
    """The SET list that copies the status and unit of the case `case_id` names."""
    return (
        f"case_open = (SELECT c.status = 'open' FROM cases_case c WHERE c.id = {case_id}), "
        f"case_unit_id = (SELECT c.responsible_unit_id FROM cases_case c WHERE c.id = {case_id})"
    )


_FROM_CASE = (
    f"UPDATE cases_caseassignment SET {_copied_from_case('NEW.case_id')} WHERE id = NEW.id;"
)

# SQLite's triggers do not fire themselves again (recursive_triggers is off).
SQLITE = [
    f"CREATE TRIGGER cases_assignment_from_case_insert AFTER INSERT ON cases_caseassignment "
    f"BEGIN {_FROM_CASE} END",
    f"CREATE TRIGGER cases_assignment_from_case_update "
    f"AFTER UPDATE OF case_id, case_open, case_unit_id ON cases_caseassignment "
    f"BEGIN {_FROM_CASE} END",
    "CREATE TRIGGER cases_case_to_assignments AFTER UPDATE OF status, responsible_unit_id "
    "ON cases_case BEGIN UPDATE cases_caseassignment SET case_open = NEW.status = 'open', "
    "case_unit_id = NEW.responsible_unit_id WHERE case_id = NEW.id; END",
]

SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS cases_case_to_assignments",
    "DROP TRIGGER IF EXISTS cases_assignment_from_case_update",
    "DROP TRIGGER IF EXISTS cases_assignment_from_case_insert",
]

# The assignments there are: their case's values (the triggers keep them from now on).
FILL = f"UPDATE cases_caseassignment SET {_copied_from_case('cases_caseassignment.case_id')}"


def forwards(apps, schema_editor):
    postgresql = schema_editor.connection.vendor == "postgresql"
    if postgresql:
        # No case may change between the copy and the triggers (until the migration's
        # transaction ends): a case closed in between would leave its assignments open.
        schema_editor.execute("LOCK TABLE cases_case IN SHARE ROW EXCLUSIVE MODE", params=None)
    schema_editor.execute(FILL, params=None)
    for statement in [POSTGRESQL] if postgresql else SQLITE:
        schema_editor.execute(statement, params=None)


def backwards(apps, schema_editor):
    statements = (
        [POSTGRESQL_DROP] if schema_editor.connection.vendor == "postgresql" else SQLITE_DROP
    )
    for statement in statements:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("bokvar", "0010_passkey"),
        ("cases", "0026_handover_returns_unread_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="caseassignment",
            name="case_open",
            field=models.BooleanField(default=True, editable=False),
        ),
        migrations.AddField(
            model_name="caseassignment",
            name="case_unit",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="bokvar.unit",
            ),
        ),
        migrations.RunPython(forwards, backwards),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(("status", "open")),
                fields=["responsible_unit", "id"],
                name="case_open_of_unit",
            ),
        ),
        migrations.AddIndex(
            model_name="caseassignment",
            index=models.Index(
                condition=models.Q(("case_open", True)),
                fields=["user", "case"],
                name="assignment_open_of_user",
            ),
        ),
        migrations.AddIndex(
            model_name="caseassignment",
            index=models.Index(
                condition=models.Q(("case_open", True)),
                fields=["case_unit", "case"],
                name="assignment_open_of_unit",
            ),
        ),
        migrations.AddIndex(
            model_name="deadline",
            index=models.Index(
                condition=models.Q(("done_at__isnull", True)),
                fields=["case", "due_on"],
                name="deadline_open_of_case",
            ),
        ),
    ]
