"""Eviction threats: record stage dates, derive the recovery deadline, keep the
deadline rows in step and tell the right people when an eviction date is set, and the
district's coordinators when a household with children has an eviction date close at
hand (at once when the date or a child is recorded, and by the scheduled scan
`CHILDREN_AT_RISK` when a date recorded weeks ahead comes within the window)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from bokvar import scan
from bokvar.concurrency import bump, lock_version
from bokvar.conf import setting
from bokvar.history import attribute
from bokvar.models import User
from bokvar.notifications import notify
from bokvar.selectors import coordinators_by_district, district_coordinators, unit_staff
from cases.core.selectors import cases as case_selectors
from cases.models import Case, Deadline, EvictionThreat, Household

from .. import selectors


def recovery_deadline(
    termination_served_on: date | None,
    board_notified_on: date | None,
    termination_notice: str = "",
) -> date | None:
    """Återvinning (JB 12 kap. 44 §): the period runs from the later of service on the
    tenant and the board's notice; it does not start until both exist, nor while the
    notice served is known to lack the information on the right to recover (NJA 1985
    s. 586). A notice not yet checked is assumed correct: better an early reminder than
    a missed deadline."""
    if termination_served_on is None or board_notified_on is None:
        return None
    if termination_notice == EvictionThreat.NoticeCheck.DEFECTIVE:
        return None
    start = max(termination_served_on, board_notified_on)
    return start + timedelta(days=setting("RECOVERY_PERIOD_DAYS"))


@dataclass
class ThreatData:
    arrears_notice_on: date | None = None
    arrears_amount: Decimal | None = None
    termination_served_on: date | None = None
    termination_notice: str = ""
    board_notified_on: date | None = None
    recovery_amount: Decimal | None = None
    application_to: str = ""
    application_on: date | None = None
    eviction_on: date | None = None
    paid_on: date | None = None
    outcome: str = ""
    concluded_on: date | None = None


# The stages in the order they happen; dates of one stage may fall on the same day.
# Termination and the board's notice are one stage (either may come first).
STAGES = [
    ("arrears_notice_on",),
    ("termination_served_on", "board_notified_on"),
    ("application_on",),
    ("eviction_on",),
]
# (earlier field, later field): each pair must be in this order when both are given:
# every date of a stage against every date of each later stage, and the payment after
# the arrears notice.
ORDER = [
    (earlier, later)
    for i, stage in enumerate(STAGES)
    for earlier in stage
    for later_stage in STAGES[i + 1 :]
    for later in later_stage
] + [("arrears_notice_on", "paid_on")]
# Dates that record what has happened, so cannot lie ahead.
PAST_ONLY = (
    "arrears_notice_on",
    "termination_served_on",
    "board_notified_on",
    "application_on",
    "paid_on",
)


def validate(data: ThreatData, *, today: date) -> None:
    errors: dict[str, list[str]] = {}
    labels = {f.name: str(f.verbose_name) for f in EvictionThreat._meta.fields}
    for earlier, later in ORDER:
        a, b = getattr(data, earlier), getattr(data, later)
        if a and b and b < a and later not in errors:
            errors[later] = [
                _("%(later)s cannot be before %(earlier)s.")
                % {"later": labels[later].capitalize(), "earlier": labels[earlier]}
            ]
    for name in ("arrears_amount", "recovery_amount"):
        value = getattr(data, name)
        if value is not None and value < 0:
            errors[name] = [_("The amount cannot be negative.")]
    for name in PAST_ONLY:
        value = getattr(data, name)
        if value and value > today:
            errors.setdefault(name, [_("This date cannot be in the future.")])
    if data.termination_notice and data.termination_notice not in EvictionThreat.NoticeCheck.values:
        errors["termination_notice"] = [_("Choose one of the answers.")]
    elif data.termination_notice and not data.termination_served_on:
        errors.setdefault("termination_served_on", []).append(
            _("Enter the date the notice of termination was served, or leave it unchecked.")
        )
    if data.application_to and not data.application_on:
        errors["application_on"] = [_("Enter the date of the application.")]
    if data.application_on and not data.application_to:
        errors["application_to"] = [_("Choose where the application was made.")]
    if data.outcome and data.outcome not in EvictionThreat.Outcome.values:
        errors["outcome"] = [_("Choose one of the outcomes.")]
    if data.outcome == EvictionThreat.Outcome.RECOVERED_BY_PAYMENT and not data.paid_on:
        errors["paid_on"] = [_("Enter the date of the payment that recovered the lease.")]
    if errors:
        raise ValidationError(errors)


def _apply(threat: EvictionThreat, data: ThreatData, *, today: date) -> list[str]:
    changed = []
    for f in fields(ThreatData):
        value = getattr(data, f.name)
        if f.name == "outcome":
            value = value or ""
        if f.name in ("application_to", "termination_notice"):
            value = value or ""
        if f.name == "concluded_on":
            # Set once, when an outcome is first recorded; later edits keep the date.
            value = (value or threat.concluded_on or today) if data.outcome else None
        if getattr(threat, f.name) != value:
            setattr(threat, f.name, value)
            changed.append(f.name)
    deadline = recovery_deadline(
        threat.termination_served_on, threat.board_notified_on, threat.termination_notice
    )
    if threat.recovery_deadline != deadline:
        threat.recovery_deadline = deadline
        changed.append("recovery_deadline")
    return changed


@transaction.atomic
def create_threat(
    *, actor: User, case_id: int, data: ThreatData, today: date | None = None
) -> EvictionThreat:
    case = case_selectors.get_case_for_user(actor, case_id, write=True)
    today = today or timezone.localdate()
    validate(data, today=today)
    threat = EvictionThreat(case=case)
    _apply(threat, data, today=today)
    threat.full_clean()
    attribute(threat, user=actor, reason="eviction threat recorded").save()
    _after_change(threat, actor=actor, eviction_changed=threat.eviction_on is not None, today=today)
    return threat


@transaction.atomic
def update_threat(
    *,
    actor: User,
    case_id: int,
    threat_id: int,
    expected_version: int,
    data: ThreatData,
    today: date | None = None,
) -> EvictionThreat:
    selectors.get_threat_for_user(actor, case_id, threat_id, write=True)
    today = today or timezone.localdate()
    validate(data, today=today)
    threat = lock_version(EvictionThreat, threat_id, expected_version)
    changed = _apply(threat, data, today=today)
    if not changed:
        return threat
    bump(threat)
    threat.full_clean()
    attribute(threat, user=actor, reason="eviction threat updated").save(
        update_fields=[*changed, "version"]
    )
    _after_change(
        threat,
        actor=actor,
        eviction_changed="eviction_on" in changed and threat.eviction_on is not None,
        today=today,
    )
    return threat


def _after_change(
    threat: EvictionThreat, *, actor: User, eviction_changed: bool, today: date
) -> None:
    sync_deadlines(threat, actor=actor)
    case = Case.objects.select_related("responsible_unit").get(pk=threat.case_id)
    if eviction_changed:
        notify_eviction_date(threat, case=case)
    flag_children_at_risk(threat, case=case, today=today)


def _deadline_over(threat: EvictionThreat, kind: str) -> bool:
    """Whether the threat has moved past the deadline, so nobody need act on it: any
    deadline once an outcome is recorded; the recovery deadline also once the landlord
    has applied for eviction or an eviction date is set (the window to recover is over,
    the next date is what matters)."""
    if threat.outcome:
        return True
    if kind == Deadline.Kind.RECOVERY:
        return bool(threat.application_on or threat.eviction_on)
    return False


def sync_deadlines(threat: EvictionThreat, *, actor: User) -> None:
    """One deadline row per legal date of the threat; a stage past a deadline closes it."""
    wanted = {
        Deadline.Kind.RECOVERY: threat.recovery_deadline,
        Deadline.Kind.EVICTION: threat.eviction_on,
    }
    existing = {d.kind: d for d in threat.deadlines.all()}
    now = timezone.now()
    for kind, due in wanted.items():
        row = existing.get(kind)
        if due is None:
            if row is not None:
                attribute(row, user=actor, reason="date removed from threat").delete()
            continue
        over = _deadline_over(threat, kind)
        if row is None:
            row = Deadline(case_id=threat.case_id, threat=threat, kind=kind, due_on=due)
            row.done_at = now if over else None
            row.full_clean()
            attribute(row, user=actor, reason="deadline from threat").save()
            continue
        changed = []
        if row.due_on != due:
            row.due_on = due
            changed.append("due_on")
        if over and row.done_at is None:
            row.done_at = now
            changed.append("done_at")
        if not over and row.done_at is not None and "due_on" in changed:
            row.done_at = None
            changed.append("done_at")
        if changed:
            attribute(row, user=actor, reason="deadline moved with threat").save(
                update_fields=changed
            )


def _case_url(case_id: int) -> str:
    return reverse("cases:detail", kwargs={"case_id": case_id})


def notify_eviction_date(threat: EvictionThreat, *, case: Case) -> None:
    """The responsible unit opens or updates an investigation (no personal data in text)."""
    if threat.eviction_on is None:
        raise ValueError("the threat has no eviction date to tell of")
    notify(
        recipients=unit_staff(case.responsible_unit_id),
        kind="eviction_date",
        dedupe_key=f"threat:{threat.pk}:eviction:{threat.eviction_on.isoformat()}",
        subject=_("Eviction date set in case %(number)s") % {"number": case.number},
        body=_("An eviction date (%(date)s) has been recorded. Open or update the investigation.")
        % {"date": threat.eviction_on.isoformat()},
        url=_case_url(case.pk),
    )


def flag_children_now(household: Household) -> None:
    """A child added to a household whose eviction is close is flagged at once, not at
    the next scheduled scan (the core calls this when a household gains a child)."""
    today = timezone.localdate()
    threats = EvictionThreat.objects.filter(
        case__household=household,
        case__status=Case.Status.OPEN,
        outcome="",
        eviction_on__gte=today,
    ).select_related("case__responsible_unit", "case__household")
    for threat in threats:
        flag_children_at_risk(threat, case=threat.case, today=today)


def flag_children_at_risk(threat: EvictionThreat, *, case: Case, today: date) -> bool:
    """Children and an eviction date close at hand: every coordinator of the district is
    told, once per threat."""
    if threat.outcome or threat.eviction_on is None:
        return False
    if threat.eviction_on - today > timedelta(days=setting("CHILD_EVICTION_ALERT_DAYS")):
        return False
    if threat.eviction_on < today or not case.household.children.exists():
        return False
    subject, body = _children_message(case.number, threat.eviction_on)
    notify(
        recipients=district_coordinators(case.responsible_unit.district_id),
        kind="children_eviction",
        dedupe_key=_children_key(threat.pk),
        subject=subject,
        body=body,
        url=_case_url(case.pk),
    )
    return True


def _children_key(threat_id: int) -> str:
    return f"threat:{threat_id}:children"


def _children_message(number: str, eviction_on: date) -> tuple[str, str]:
    return (
        _("Children at risk of eviction in case %(number)s") % {"number": number},
        _("A household with children has an eviction date on %(date)s.")
        % {"date": eviction_on.isoformat()},
    )


# --- The scheduled scan: an eviction date recorded weeks ahead comes within the window ---


def _children_due(today: date) -> list[scan.ValuesRow]:
    window = today + timedelta(days=setting("CHILD_EVICTION_ALERT_DAYS"))
    return list(
        EvictionThreat.objects.filter(
            outcome="",
            eviction_on__gte=today,
            eviction_on__lte=window,
            case__status=Case.Status.OPEN,
            case__household__children__isnull=False,
        )
        .values(
            "id", "eviction_on", "case_id", "case__number", "case__responsible_unit__district_id"
        )
        .distinct()
        .order_by("id")
    )


def _children_recipients(rows: Sequence[scan.ValuesRow]) -> dict[int, list[User]]:
    return coordinators_by_district({row["case__responsible_unit__district_id"] for row in rows})


def _children_notices(
    rows: Sequence[scan.ValuesRow], coordinators: Mapping[int, list[User]], today: date
) -> Iterator[scan.Notice]:
    for row in rows:
        subject, body = _children_message(row["case__number"], row["eviction_on"])
        for user in coordinators.get(row["case__responsible_unit__district_id"], []):
            yield scan.Notice(
                recipient=user,
                kind="children_eviction",
                dedupe_key=_children_key(row["id"]),
                subject=subject,
                body=body,
                url=_case_url(row["case_id"]),
            )


CHILDREN_AT_RISK = scan.Scan(
    name="children at risk of eviction",
    lock_key=7_700_006,
    due=_children_due,
    recipients=_children_recipients,
    notices=_children_notices,
)
