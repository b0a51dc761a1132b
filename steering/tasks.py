from celery import shared_task


@shared_task(name="steering.freeze_monthly_reports")
def freeze_monthly_reports() -> int:
    """Freeze last month's figures for every district that has none yet.

    Runs on the 1st; safe to run any number of times (a month is frozen once)."""
    from django.utils import timezone

    from bokvar.history import system_user
    from bokvar.models import District

    from .periods import last_full_month
    from .services import freeze_month

    period = last_full_month(timezone.localdate())
    actor = system_user()
    made = 0
    for district in District.objects.order_by("pk"):
        if freeze_month(district=district, period=period, actor=actor) is not None:
            made += 1
    return made


@shared_task(name="steering.refresh_statistics")
def refresh_statistics() -> int:
    """Keep the dashboard's quick periods pre-computed for every district.

    Idempotent: a run replaces each snapshot with a fresh one."""
    from .snapshots import refresh_all

    return refresh_all()
