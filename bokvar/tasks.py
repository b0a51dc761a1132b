from celery import shared_task


@shared_task(name="bokvar.ping")
def ping(value: str) -> str:
    """Round trip used by health checks and the broker test."""
    return f"pong:{value}"


@shared_task(name="bokvar.send_notification_emails")
def send_notification_emails() -> int:
    """Send every pending notification e-mail. Safe to run at any time, any number of times."""
    from .notifications import claim_outbox, send_claimed

    total = 0
    while ids := claim_outbox():
        total += send_claimed(ids)
    return total


@shared_task(name="bokvar.clear_sessions")
def clear_expired_sessions() -> int:
    """Delete expired sessions (what `manage.py clearsessions` does), returning how many:
    they hold encrypted searches that key rotation does not re-encrypt."""
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted


@shared_task(name="bokvar.heartbeat")
def heartbeat() -> None:
    """Sent by the scheduler every minute and run by a worker: its time, kept in the
    database, tells the health check that both are alive."""
    from .health import record_heartbeat

    record_heartbeat()
