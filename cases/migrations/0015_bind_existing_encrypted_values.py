"""Re-seal every existing encrypted value, history included, for its place and row
(issue 17, point 3). Not atomic: each batch commits, and running `migrate` again after
an interruption resumes with the rows still unbound (bokvar.binding)."""

from django.db import migrations

from bokvar.binding import migration_operation


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("cases", "0014_bind_encrypted_values_to_rows"),
    ]

    operations = [migration_operation("cases")]
