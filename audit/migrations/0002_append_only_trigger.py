"""On PostgreSQL the database itself refuses to change or shorten the access log.

TRUNCATE is left to privileges (the application's role should not own the table): a
trigger on it would also stop `manage.py flush` and the test suite's flushes. A removed
tail of the chain is still detected by comparing with the last verified sequence number."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION audit_accesslog_refuse() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_accesslogentry is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_accesslog_append_only
    BEFORE UPDATE OR DELETE ON audit_accesslogentry
    FOR EACH ROW EXECUTE FUNCTION audit_accesslog_refuse();
"""

DROP = """
DROP TRIGGER IF EXISTS audit_accesslog_append_only ON audit_accesslogentry;
DROP FUNCTION IF EXISTS audit_accesslog_refuse();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
