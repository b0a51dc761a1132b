"""Checkpoints are append-only like the log: on PostgreSQL a trigger refuses UPDATE and
DELETE of a checkpoint (the log's own refusal, now naming the table it refused for)."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION audit_accesslog_refuse() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only (% refused)', TG_TABLE_NAME, TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_chaincheckpoint_append_only
    BEFORE UPDATE OR DELETE ON audit_chaincheckpoint
    FOR EACH ROW EXECUTE FUNCTION audit_accesslog_refuse();
"""

DROP = "DROP TRIGGER IF EXISTS audit_chaincheckpoint_append_only ON audit_chaincheckpoint;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_access_log_via_handover")]
    operations = [migrations.RunPython(forwards, backwards)]
