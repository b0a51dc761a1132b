"""Nightly audit jobs. Both are idempotent and act as the system user."""

from __future__ import annotations

from celery import shared_task
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from bokvar.models import Role, User
from bokvar.notifications import notify

from . import chain, retention


def auditors():
    return User.objects.filter(
        is_active=True, memberships__role=Role.AUDITOR, memberships__unit__is_active=True
    ).distinct()


def check_access_log() -> chain.Verdict:
    verdict = chain.verify()
    if verdict.ok:
        chain.save_checkpoint()
    else:
        # One notification per auditor per day and problem: reruns add nothing.
        notify(
            recipients=auditors(),
            kind="audit_chain_broken",
            dedupe_key=f"audit-chain:{timezone.localdate().isoformat()}:{verdict.problem.kind}:{verdict.problem.seq}",
            subject=_("The access log failed verification"),
            body=_("Entry %(seq)s: %(problem)s.")
            % {"seq": verdict.problem.seq, "problem": str(verdict.problem)},
            url=reverse("audit:log"),
        )
    return verdict


@shared_task(name="audit.verify_access_log")
def verify_access_log() -> str:
    return str(check_access_log().problem or "ok")


@shared_task(name="audit.apply_retention")
def apply_retention() -> int:
    return len(retention.apply(dry_run=False).cull)
