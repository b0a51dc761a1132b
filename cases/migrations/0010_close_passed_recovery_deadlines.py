from django.db import migrations
from django.db.models import Q
from django.utils import timezone

REASON = "recovery window over: application or eviction date recorded"


def close_passed_recovery_deadlines(apps, schema_editor):
    """Since 2026-11-29 a recovery deadline is done once the landlord has applied for
    eviction or an eviction date is set (the window to recover the lease is over).
    Deadlines recorded before then are closed the same way, with a history row saying
    why, so they stop showing as overdue on My deadlines."""
    Deadline = apps.get_model("cases", "Deadline")
    HistoricalDeadline = apps.get_model("cases", "HistoricalDeadline")
    now = timezone.now()
    passed = Deadline.objects.filter(kind="recovery", done_at__isnull=True).filter(
        Q(threat__application_on__isnull=False) | Q(threat__eviction_on__isnull=False)
    )
    for deadline in passed.iterator():
        deadline.done_at = now
        deadline.save(update_fields=["done_at"])
        HistoricalDeadline.objects.create(
            id=deadline.pk,
            case_id=deadline.case_id,
            threat_id=deadline.threat_id,
            kind=deadline.kind,
            due_on=deadline.due_on,
            note=deadline.note,
            done_at=now,
            created_at=deadline.created_at,
            history_date=now,
            history_type="~",
            history_change_reason=REASON,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0009_landlord_version"),
    ]

    operations = [
        migrations.RunPython(close_passed_recovery_deadlines, migrations.RunPython.noop),
    ]
