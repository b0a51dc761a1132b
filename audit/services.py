"""Writes of the audit app: legal holds, the review of register extracts and of flagged
reads in the access log."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bokvar.history import attribute
from bokvar.models import Role
from bokvar.selectors import roles_of

from .models import AccessLogEntry, ExtractRelease, LegalHold, ReadReview


def _require_auditor(actor) -> None:
    if not roles_of(actor).has(Role.AUDITOR):
        raise PermissionDenied


def place_legal_hold(*, actor, person_id: int, reason: str) -> LegalHold:
    _require_auditor(actor)
    with transaction.atomic():
        if LegalHold.objects.filter(person_id=person_id, released_at__isnull=True).exists():
            raise ValidationError({"reason": _("This person is already under a legal hold.")})
        hold = LegalHold(person_id=person_id, reason=reason.strip(), set_by=actor)
        if not hold.reason:
            raise ValidationError({"reason": _("Give the reason for the legal hold.")})
        hold.full_clean()
        attribute(hold, user=actor, reason="legal hold placed")
        hold.save()
    return hold


def release_legal_hold(*, actor, hold_id: int) -> LegalHold:
    _require_auditor(actor)
    with transaction.atomic():
        hold = (
            LegalHold.objects.select_for_update()
            .filter(pk=hold_id, released_at__isnull=True)
            .first()
        )
        if hold is None:
            raise ValidationError({"hold": _("There is no such active legal hold.")})
        hold.released_at = timezone.now()
        attribute(hold, user=actor, reason="legal hold released")
        hold.save(update_fields=["released_at"])
    return hold


def approve_extract(*, actor, person_id: int) -> ExtractRelease:
    """The auditor has reviewed the person's extract and approves it for release."""
    _require_auditor(actor)
    with transaction.atomic():
        pending = ExtractRelease.objects.select_for_update().filter(
            person_id=person_id, released_at__isnull=True
        )
        if pending.exists():
            raise ValidationError(
                {"extract": _("The extract is already approved and waiting to be released.")}
            )
        release = ExtractRelease(person_id=person_id, approved_by=actor, approved_at=timezone.now())
        release.full_clean(validate_constraints=False)
        attribute(release, user=actor, reason="register extract approved").save()
    return release


def release_extract(*, actor, person_id: int) -> ExtractRelease:
    """Hand the approved extract to the person: only an approved extract is released."""
    _require_auditor(actor)
    with transaction.atomic():
        release = (
            ExtractRelease.objects.select_for_update()
            .filter(person_id=person_id, released_at__isnull=True)
            .first()
        )
        if release is None:
            raise ValidationError({"extract": _("Review and approve the extract first.")})
        release.released_by, release.released_at = actor, timezone.now()
        attribute(release, user=actor, reason="register extract released").save(
            update_fields=["released_by", "released_at"]
        )
    return release


def review_read(*, actor, seq: int, comment: str) -> ReadReview:
    """Mark a read in the access log as reviewed, with the auditor's comment. Once: a
    second review of the same read is refused (the first stands, with its history)."""
    _require_auditor(actor)
    comment = comment.strip()
    if not comment:
        raise ValidationError({"comment": _("Write what the review found.")})
    with transaction.atomic():
        entry = AccessLogEntry.objects.filter(seq=seq).first()
        if entry is None:
            raise ValidationError({"entry": _("There is no such entry in the access log.")})
        review = ReadReview(entry=entry, comment=comment, reviewed_by=actor)
        review.full_clean(exclude=["entry"])
        try:
            with transaction.atomic():
                attribute(review, user=actor, reason="read reviewed").save()
        except IntegrityError:
            raise ValidationError({"comment": _("This read has already been reviewed.")}) from None
    return review
