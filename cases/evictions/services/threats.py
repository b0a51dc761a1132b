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
from bokvar.legal_calendar import statutory_last_day
from bokvar.models import User
from bokvar.notifications import notify
from bokvar.selectors import coordinators_by_district, district_coordinators, unit_staff
from cases.core.selectors import cases as case_selectors
from cases.models import Case, Deadline, EvictionThreat, Household, PaymentRoute

from .. import selectors


def recovery_deadline(
    termination_served_on: date | None,
    board_notified_on: date | None,
    termination_notice: str = "",
    *,
    board_notice_given_on: date | None = None,
    application_served_on: date | None = None,
    board_notice_amount_wrong: bool = False,
) -> date | None:
    """The last day to pay and recover the lease (återvinning), or None while the period
    has not lawfully started.

    Jordabalken 12 kap. 44 § första stycket: the tenant who pays within three weeks from
    being served the notice of the right to recover (delgavs underrättelse) and from the
    landlord's notice being given (lämnats) to the social welfare board keeps the lease.
    The period runs from the later of the two; the board's notice counts from the day it
    was given or sent (NJA 1985 s. 586: from the day the corrected notice was sent), so
    the day it reached the board is used only when that is all we know, and the last day
    is then "at the latest" (EvictionThreat.recovery_deadline_at_the_latest).

    12 kap. 8 §: an application for eviction served on the tenant counts as the notice of
    termination (förordning 1978:314, formulär 1: "Som uppsägning räknas också
    stämningsansökan eller ansökan om avhysning"), so the first of a termination served
    and an application served starts the tenant's side.

    No period while the notice served lacks the information on the right to recover
    (NJA 1985 s. 586) or the notice to the board states a wrong amount (RH 1995:34). A
    notice not yet checked is assumed correct: better an early reminder than a missed
    deadline.

    Lag (1930:173) 1 §: three weeks end on the same weekday; 2 §: a last day on a
    weekend, public holiday, Midsummer Eve, Christmas Eve or New Year's Eve moves to the
    next weekday (bokvar.legal_calendar.statutory_last_day)."""
    served = min((d for d in (termination_served_on, application_served_on) if d), default=None)
    board = board_notice_given_on or board_notified_on
    if served is None or board is None:
        return None
    if termination_notice == EvictionThreat.NoticeCheck.DEFECTIVE or board_notice_amount_wrong:
        return None
    start = max(served, board)
    return statutory_last_day(start + timedelta(days=setting("RECOVERY_PERIOD_DAYS")))


def threat_recovery_deadline(threat: EvictionThreat) -> date | None:
    return recovery_deadline(
        threat.termination_served_on,
        threat.board_notified_on,
        threat.termination_notice,
        board_notice_given_on=threat.board_notice_given_on,
        application_served_on=threat.application_served_on,
        board_notice_amount_wrong=threat.board_notice_amount_wrong,
    )


@dataclass
class ThreatData:
    arrears_notice_on: date | None = None
    arrears_amount: Decimal | None = None
    termination_served_on: date | None = None
    termination_notice: str = ""
    board_notice_given_on: date | None = None
    board_notified_on: date | None = None
    board_notice_amount_wrong: bool = False
    recovery_amount: Decimal | None = None
    application_to: str = ""
    application_on: date | None = None
    application_served_on: date | None = None
    prevented_by_illness: bool = False
    eviction_on: date | None = None
    paid_on: date | None = None
    outcome: str = ""
    concluded_on: date | None = None


# (earlier field, later field): each pair must be in this order when both are given.
# The termination, the board's notice and the application are not ordered among
# themselves: an application served may itself be the termination (12 kap. 8 §), made
# before any separate notice, and the landlord may tell the board before or after.
_AFTER_ARREARS = (
    "termination_served_on",
    "board_notice_given_on",
    "board_notified_on",
    "application_on",
    "application_served_on",
    "eviction_on",
    "paid_on",
)
_BEFORE_EVICTION = (
    "termination_served_on",
    "board_notice_given_on",
    "board_notified_on",
    "application_on",
    "application_served_on",
)
ORDER = (
    [("arrears_notice_on", later) for later in _AFTER_ARREARS]
    + [
        ("board_notice_given_on", "board_notified_on"),
        ("application_on", "application_served_on"),
    ]
    + [(earlier, "eviction_on") for earlier in _BEFORE_EVICTION]
)
# Dates that record what has happened, so cannot lie ahead.
PAST_ONLY = (
    "arrears_notice_on",
    "termination_served_on",
    "board_notice_given_on",
    "board_notified_on",
    "application_on",
    "application_served_on",
    "paid_on",
)


def validate(data: ThreatData, *, today: date, settled_by_route: bool = False) -> None:
    """`settled_by_route`: the threat's payment route records a payment or written
    commitment to the landlord, which recovers the lease as a payment on the threat does."""
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
    if data.application_served_on and not data.application_on:
        errors.setdefault("application_on", []).append(
            _("Enter the date of the application that was served.")
        )
    if data.application_on and not data.application_to:
        errors["application_to"] = [_("Choose where the application was made.")]
    if data.outcome and data.outcome not in EvictionThreat.Outcome.values:
        errors["outcome"] = [_("Choose one of the outcomes.")]
    if (
        data.outcome == EvictionThreat.Outcome.RECOVERED_BY_PAYMENT
        and not data.paid_on
        and not settled_by_route
    ):
        errors["paid_on"] = [
            _(
                "Enter the date of the payment that recovered the lease, or record the "
                "payment or commitment on the payment route."
            )
        ]
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
        if f.name in ("board_notice_amount_wrong", "prevented_by_illness"):
            value = bool(value)
        if f.name == "concluded_on":
            # Set once, when an outcome is first recorded; later edits keep the date.
            value = (value or threat.concluded_on or today) if data.outcome else None
        if getattr(threat, f.name) != value:
            setattr(threat, f.name, value)
            changed.append(f.name)
    deadline = threat_recovery_deadline(threat)
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
    settled = PaymentRoute.objects.filter(threat_id=threat_id, settled_on__isnull=False).exists()
    validate(data, today=today, settled_by_route=settled)
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
        reopen=bool(
            {"outcome", "paid_on", "prevented_by_illness", "recovery_amount"} & set(changed)
        ),
    )
    return threat


def _after_change(
    threat: EvictionThreat,
    *,
    actor: User,
    eviction_changed: bool,
    today: date,
    reopen: bool = False,
) -> None:
    sync_deadlines(threat, actor=actor, today=today, reopen=reopen)
    case = Case.objects.select_related("responsible_unit").get(pk=threat.case_id)
    if eviction_changed:
        notify_eviction_date(threat, case=case)
    flag_eviction_before_recovery_ends(threat, case=case)
    flag_children_at_risk(threat, case=case, today=today)


def _deadline_over(threat: EvictionThreat, kind: str, *, today: date) -> bool:
    """Whether nobody need act on the deadline any more: any deadline once an outcome is
    recorded; the recovery deadline also once payment is recorded on or before it, or
    once it has expired (a payment after it no longer recovers the lease), unless the
    tenant was prevented by illness (12 kap. 44 § andra stycket: payment as soon as
    possible still recovers the lease until the tribunal or Kronofogden decides). An
    application or an eviction date does not close it: the three weeks of 12 kap. 44 §
    keep running after the landlord applies (the application may even be what starts
    them, 12 kap. 8 §), and an eviction cannot be carried out while they run."""
    if threat.outcome:
        return True
    if kind == Deadline.Kind.RECOVERY and threat.recovery_deadline:
        if paid_in_time(threat):
            return True
        return threat.recovery_deadline < today and not threat.prevented_by_illness
    return False


def paid_in_time(threat: EvictionThreat) -> bool:
    """Whether the arrears were paid on or before the recovery deadline: a payment
    recorded on the threat, or a payment or written commitment of the payment route
    (social services paying, or committing to pay, the landlord) that covers the amount
    needed to recover the lease when that is known. The one rule both close the
    recovery deadline by (see `_deadline_over`)."""
    deadline = threat.recovery_deadline
    if deadline is None:
        return False
    if threat.paid_on and threat.paid_on <= deadline:
        return True
    route = PaymentRoute.objects.filter(threat_id=threat.pk).first() if threat.pk else None
    return route is not None and route.settles_by(deadline, threat.recovery_amount)


def sync_deadlines(
    threat: EvictionThreat, *, actor: User, today: date, reopen: bool = False
) -> None:
    """One deadline row per legal date of the threat; an outcome, or a payment in time,
    closes it. `reopen`: a row closed by the threat whose reason has gone (an outcome or
    payment removed) is opened again."""
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
        over = _deadline_over(threat, kind, today=today)
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
        if not over and row.done_at is not None and ("due_on" in changed or reopen):
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
    eviction_on = threat.eviction_on.isoformat()
    notify(
        recipients=unit_staff(case.responsible_unit_id),
        kind="eviction_date",
        dedupe_key=f"threat:{threat.pk}:eviction:{threat.eviction_on.isoformat()}",
        subject=lambda: _("Eviction date set in case %(number)s") % {"number": case.number},
        body=lambda: (
            _("An eviction date (%(date)s) has been recorded. Open or update the investigation.")
            % {"date": eviction_on}
        ),
        url=_case_url(case.pk),
    )


def flag_eviction_before_recovery_ends(threat: EvictionThreat, *, case: Case) -> bool:
    """An eviction date on or before the last day to recover the lease cannot be carried
    out (JB 12 kap. 44 §: payment up to that day recovers it): the district's
    coordinators are told, once per pair of dates."""
    if threat.outcome or not (threat.eviction_on and threat.recovery_deadline):
        return False
    if threat.eviction_on > threat.recovery_deadline:
        return False
    eviction_on, recovery = threat.eviction_on.isoformat(), threat.recovery_deadline.isoformat()
    notify(
        recipients=district_coordinators(case.responsible_unit.district_id),
        kind="eviction_before_recovery",
        dedupe_key=(
            f"threat:{threat.pk}:eviction-before-recovery:"
            f"{threat.eviction_on.isoformat()}:{threat.recovery_deadline.isoformat()}"
        ),
        subject=lambda: (
            _("Eviction date before the recovery deadline in case %(number)s")
            % {"number": case.number}
        ),
        body=lambda: (
            _(
                "The eviction date (%(eviction)s) is not after the last day to recover the lease "
                "(%(recovery)s): it cannot be carried out while the tenant may still pay."
            )
            % {"eviction": eviction_on, "recovery": recovery}
        ),
        url=_case_url(case.pk),
    )
    return True


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
    number, on = case.number, threat.eviction_on
    notify(
        recipients=district_coordinators(case.responsible_unit.district_id),
        kind="children_eviction",
        dedupe_key=_children_key(threat.pk),
        # Written in each coordinator's language.
        subject=lambda: _children_message(number, on)[0],
        body=lambda: _children_message(number, on)[1],
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
