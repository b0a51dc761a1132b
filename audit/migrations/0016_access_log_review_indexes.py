from zoneinfo import ZoneInfo

from django.db import migrations, models
from django.db.models.functions import TruncDate

from bokvar.migration_ops import add_index_concurrently

# The installation's time zone when this was written; the model's index follows the
# TIME_ZONE setting (the migration is written by hand: a ZoneInfo is not serialisable).
STOCKHOLM = ZoneInfo("Europe/Stockholm")


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [
        ("audit", "0015_access_log_every_kind_of_entry"),
    ]

    operations = [
        add_index_concurrently(
            "audit.AccessLogEntry",
            models.Index(
                models.F("user"),
                TruncDate("at", tzinfo=STOCKHOLM),
                models.F("person_id"),
                condition=models.Q(
                    models.Q(("how", "list"), _negated=True), ("person_id__isnull", False)
                ),
                name="accesslog_reader_days",
            ),
        ),
        add_index_concurrently(
            "audit.AccessLogEntry",
            models.Index(
                condition=models.Q(
                    ("denied", True),
                    ("protected", True),
                    models.Q(("outside_unit", True), ("via_handover", False)),
                    ("how__in", ["admin", "superuser"]),
                    _connector="OR",
                ),
                fields=["seq"],
                name="accesslog_flagged",
            ),
        ),
    ]
