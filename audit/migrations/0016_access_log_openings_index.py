from django.db import migrations, models

INDEX = models.Index(
    condition=models.Q(models.Q(("how", "list"), _negated=True), ("person_id__isnull", False)),
    fields=["user", "at"],
    name="accesslog_openings",
)


def create(apps, schema_editor):
    model = apps.get_model("audit", "AccessLogEntry")
    if schema_editor.connection.vendor == "postgresql":
        # Built without locking out writers: every page appends to this table, so a plain
        # CREATE INDEX on a national log would hold every page for the length of the build.
        sql = str(INDEX.create_sql(model, schema_editor))
        schema_editor.execute(sql.replace("CREATE INDEX", "CREATE INDEX CONCURRENTLY", 1))
    else:
        schema_editor.add_index(model, INDEX)


def drop(apps, schema_editor):
    schema_editor.remove_index(apps.get_model("audit", "AccessLogEntry"), INDEX)


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [
        ("audit", "0015_access_log_every_kind_of_entry"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddIndex(model_name="accesslogentry", index=INDEX)],
            database_operations=[migrations.RunPython(create, drop)],
        ),
    ]
