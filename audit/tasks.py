"""Nightly audit jobs. Both are idempotent and act as the system user."""

from __future__ import annotations

from celery import shared_task
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from bokvar.models import Role, User
from bokvar.notifications import notify

from . import chain, heads, retention


def auditors():
    return User.objects.filter(
        is_active=True, memberships__role=Role.AUDITOR, memberships__unit__is_active=True
    ).distinct()


def check_access_log(heads_file=None) -> chain.Verdict:
    """Verify the chain and compare it with the exported signed heads; a clean result is
    sealed as a new head where this process holds the signing key (else an unsigned
    checkpoint is kept)."""
    verdict = heads.verify(heads_file)
    if verdict.ok:
        if heads.can_seal():
            heads.seal()
        else:
            chain.save_checkpoint()
    else:
        # One notification per auditor per day and problem: reruns add nothing.
        notify(
            recipients=auditors(),
            kind="audit_chain_broken",
            dedupe_key=f"audit-chain:{timezone.localdate().isoformat()}:{verdict.problem.kind}:{verdict.problem.seq}",
            subject=lambda: _("The access log failed verification"),
            body=lambda: (
                _("Entry %(seq)s: %(problem)s.")
                % {"seq": verdict.problem.seq, "problem": str(verdict.problem)}
            ),
            url=reverse("audit:log"),
        )
    return verdict


@shared_task(name="audit.verify_access_log")
def verify_access_log() -> str:
    return str(check_access_log().problem or "ok")


@shared_task(name="audit.seal_chain_head")
def seal_chain_head() -> int:
    """Hourly: sign the chain's head and export it (file, syslog, auditors' e-mail)."""
    return heads.seal().seq


@shared_task(name="audit.apply_retention")
def apply_retention() -> int:
    """Nightly. Batches commit as they go: if the worker's time limit stops a run, the
    next resumes it (the same cut-off, after the last batch done)."""
    return len(retention.apply(dry_run=False).cull)
