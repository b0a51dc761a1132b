"""Notifications: created exactly once per (recipient, dedupe key), e-mailed by an
outbox that claims its rows, so nothing is lost and nothing is sent twice in normal
operation. (A worker that dies between sending and marking may resend that one
message after the claim expires: e-mail offers no stronger guarantee.)"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone, translation

from .models import Notification, User

CLAIM_EXPIRES = timedelta(minutes=10)
# A row that only keeps its dedupe key taken (a reminder made moot by a more urgent one
# created in the same run): never e-mailed, never listed, never counted as unread.
SUPERSEDED = "superseded"
MAX_ATTEMPTS = 5

# A subject or body: text, or a function that writes it in the active language (called
# once per recipient, in theirs).
Text = str | Callable[[], str]


def language_of(user: User) -> str:
    """The language a user reads notifications and e-mails in: their stored choice, else
    the installation's default (Swedish)."""
    chosen = getattr(user, "language", "")
    return chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


@contextmanager
def in_language_of(user: User) -> Iterator[None]:
    with translation.override(language_of(user)):
        yield


def written_for(user: User, text: Text) -> str:
    """`text` as `user` reads it (a function is called in their language)."""
    if callable(text):
        with in_language_of(user):
            return text()
    return text


def remember_language(*, user: User, language: str) -> None:
    """The user switched language: what is written for them from now on is in it."""
    if language in dict(settings.LANGUAGES) and getattr(user, "language", None) != language:
        User.objects.filter(pk=user.pk).update(language=language)
        user.language = language


def notify(
    *,
    recipients: Iterable[User],
    kind: str,
    dedupe_key: str,
    subject: Text,
    body: Text = "",
    url: str = "",
    email: bool = True,
) -> list[Notification]:
    """Create the notification for each recipient unless it already exists. Returns new ones.
    Give `subject` and `body` as functions (`lambda: _("…") % {…}`) to have each written
    in its recipient's language; plain text is the same for everyone."""
    created: list[Notification] = []
    for recipient in {r.pk: r for r in recipients}.values():
        try:
            with transaction.atomic():
                note, was_created = Notification.objects.get_or_create(
                    recipient=recipient,
                    dedupe_key=dedupe_key,
                    defaults={
                        "kind": kind,
                        "subject": written_for(recipient, subject)[:200],
                        "body": written_for(recipient, body),
                        "url": url,
                        "email_state": Notification.EmailState.PENDING
                        if email and recipient.email
                        else Notification.EmailState.NONE,
                    },
                )
        except IntegrityError:
            # A concurrent run created it between our read and our insert.
            continue
        if was_created:
            created.append(note)
    if any(n.email_state == Notification.EmailState.PENDING for n in created):
        from .tasks import send_notification_emails

        transaction.on_commit(send_notification_emails.delay)
    return created


def notify_many(notes: Iterable[Notification], *, email: bool = True) -> list[Notification]:
    """`notify` for many recipients and keys at once, in a constant number of queries.

    `notes` are unsaved notifications (recipient, kind, dedupe_key, subject, body, url).
    Returns those that did not exist yet, unsaved-looking (without primary keys on
    PostgreSQL). A concurrent writer of the same key loses nothing: the unique
    constraint keeps one row, ignoring the other; callers that need an exact count
    serialise their runs (see bokvar.scan)."""
    wanted = {(n.recipient.pk, n.dedupe_key): n for n in notes}
    if not wanted:
        return []
    existing = set(
        Notification.objects.filter(
            recipient_id__in={pk for pk, _ in wanted},
            dedupe_key__in={key for _, key in wanted},
        ).values_list("recipient_id", "dedupe_key")
    )
    created = [n for pair, n in wanted.items() if pair not in existing]
    for note in created:
        note.subject = note.subject[:200]
        note.email_state = (
            Notification.EmailState.PENDING
            if email and note.recipient.email
            else Notification.EmailState.NONE
        )
    # Bounded batches keep each INSERT well under the database's parameter limit.
    Notification.objects.bulk_create(created, ignore_conflicts=True, batch_size=1000)
    if any(n.email_state == Notification.EmailState.PENDING for n in created):
        from .tasks import send_notification_emails

        transaction.on_commit(send_notification_emails.delay)
    return created


def claim_outbox(limit: int = 100) -> list[int]:
    """Claim pending e-mails (and ones whose claim has expired) for this sender."""
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(
                email_state__in=[Notification.EmailState.PENDING, Notification.EmailState.SENDING],
                email_attempts__lt=MAX_ATTEMPTS,
            )
            .exclude(
                email_state=Notification.EmailState.SENDING,
                email_claimed_at__gt=now - CLAIM_EXPIRES,
            )
            .order_by("id")
            .values_list("id", flat=True)[:limit]
        )
        Notification.objects.filter(id__in=ids).update(
            email_state=Notification.EmailState.SENDING, email_claimed_at=now
        )
    return ids


def send_claimed(ids: list[int]) -> int:
    sent = 0
    for note in Notification.objects.filter(id__in=ids).select_related("recipient"):
        try:
            send_mail(
                subject=f"[Bo Kvar] {note.subject}",
                message=_email_body(note),
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=[note.recipient.email],
            )
        except Exception:  # noqa: BLE001 - any delivery failure is retried, then marked failed
            attempts = note.email_attempts + 1
            Notification.objects.filter(pk=note.pk).update(
                email_attempts=attempts,
                email_state=Notification.EmailState.FAILED
                if attempts >= MAX_ATTEMPTS
                else Notification.EmailState.PENDING,
            )
            continue
        Notification.objects.filter(pk=note.pk).update(
            email_state=Notification.EmailState.SENT,
            email_sent_at=timezone.now(),
            email_attempts=note.email_attempts + 1,
        )
        sent += 1
    return sent


def _email_body(note: Notification) -> str:
    lines = [note.body] if note.body else []
    if note.url:
        lines.append(note.url)
    return "\n\n".join(lines)


def listed(user: User) -> QuerySet[Notification]:
    """The notifications a user sees on their page."""
    return user.notifications.exclude(kind=SUPERSEDED)


def mark_read(*, user: User, notification_id: int | None = None) -> int:
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_id is not None:
        qs = qs.filter(pk=notification_id)
    return qs.update(read_at=timezone.now())


def unread_count(user: User) -> int:
    return unread(user).count()


def unread(user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user, read_at__isnull=True)
