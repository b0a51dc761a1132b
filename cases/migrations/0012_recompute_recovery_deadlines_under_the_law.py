from datetime import timedelta

from django.db import migrations
from django.utils import timezone

from bokvar.legal_calendar import statutory_last_day

# history_change_reason holds at most 100 characters.
MOVED = "recomputed: lag (1930:173) 2 § moves the last day to the next weekday"
REOPENED = "reopened: the recovery period runs on after an application (JB 12:44)"
BOTH = "recomputed (lag 1930:173 2 §) and reopened (JB 12:44 runs on after an application)"
RECOVERY_DAYS = 21  # jordabalken 12 kap. 44 §: three weeks


def _history(historical, obj, now, reason):
    values = {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}
    historical.objects.create(
        **values,
        history_date=now,
        history_type="~",
        history_change_reason=reason,
    )


def recompute(apps, schema_editor):
    """Every stored recovery deadline under the rules of issue 15: the last day moved to
    the next weekday by lag (1930:173) 2 §, and deadlines closed only because an
    application or an eviction date was recorded (migration 0010 and the old service)
    opened again: the three weeks of jordabalken 12 kap. 44 § keep running after an
    application (unless it has expired by now). Existing threats have no "given" date or served application yet, so the
    period counts, as before, from the later of service and receipt. Each change leaves a
    history row saying why."""
    Threat = apps.get_model("cases", "EvictionThreat")
    Deadline = apps.get_model("cases", "Deadline")
    HistoricalThreat = apps.get_model("cases", "HistoricalEvictionThreat")
    HistoricalDeadline = apps.get_model("cases", "HistoricalDeadline")
    now = timezone.now()
    today = timezone.localdate()
    threats = Threat.objects.filter(recovery_deadline__isnull=False)
    for threat in threats.iterator():
        start = max(threat.termination_served_on, threat.board_notified_on)
        due = statutory_last_day(start + timedelta(days=RECOVERY_DAYS))
        if due != threat.recovery_deadline:
            threat.recovery_deadline = due
            threat.save(update_fields=["recovery_deadline"])
            _history(HistoricalThreat, threat, now, MOVED)
        closed_by_user = set(
            HistoricalDeadline.objects.filter(
                threat_id=threat.pk, kind="recovery", history_change_reason="deadline done"
            ).values_list("id", flat=True)
        )
        paid_in_time = threat.paid_on is not None and threat.paid_on <= due
        for row in Deadline.objects.filter(threat_id=threat.pk, kind="recovery"):
            reasons = []
            if row.due_on != due:
                row.due_on = due
                reasons.append(MOVED)
            if (
                row.done_at is not None
                and not threat.outcome
                and not paid_in_time
                and due >= today  # an expired period closes by itself
                and row.pk not in closed_by_user
            ):
                row.done_at = None
                reasons.append(REOPENED)
            if reasons:
                row.save(update_fields=["due_on", "done_at"])
                _history(HistoricalDeadline, row, now, BOTH if len(reasons) == 2 else reasons[0])


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0011_threat_board_notice_given_application_served"),
    ]

    operations = [
        migrations.RunPython(recompute, migrations.RunPython.noop),
    ]
