"""Migration operations the project's migrations share."""

from __future__ import annotations

from typing import Any

from django.db import migrations, models
from django.db.migrations.operations.base import Operation


def add_index_concurrently(model: str, index: models.Index) -> Operation:
    """AddIndex on `model` ("app_label.ModelName", of the migration's own app), built on
    PostgreSQL without locking out writers (CREATE INDEX CONCURRENTLY, so the migration
    must be `atomic = False`): on a table every page writes, the access log, a plain
    CREATE INDEX on national data would hold every page for the length of the build.
    Elsewhere (SQLite) the plain index: Django's own `AddIndexConcurrently`
    (django.contrib.postgres) refuses any other database, and the embedded default
    migrates the same files."""

    def create(apps: Any, schema_editor: Any) -> None:
        found = apps.get_model(model)
        if schema_editor.connection.vendor == "postgresql":
            sql = str(index.create_sql(found, schema_editor))
            schema_editor.execute(sql.replace("CREATE INDEX", "CREATE INDEX CONCURRENTLY", 1))
        else:
            schema_editor.add_index(found, index)

    def drop(apps: Any, schema_editor: Any) -> None:
        schema_editor.remove_index(apps.get_model(model), index)

    return migrations.SeparateDatabaseAndState(
        state_operations=[migrations.AddIndex(model_name=model.split(".")[1].lower(), index=index)],
        database_operations=[migrations.RunPython(create, drop)],
    )
