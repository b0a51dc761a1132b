"""The payment route of an eviction threat: the income-support application, the decision,
the payment or written commitment to the landlord and the landlord's confirmation, each
judged against the recovery deadline (jordabalken 12 kap. 44 §: the tenant keeps the
lease by paying within three weeks; most homes are saved because social services pays
or commits to pay within them).

A payment or commitment on or before the recovery deadline closes that deadline the way
a payment recorded on the threat does: both are read by
`threats.paid_in_time`, which `threats._deadline_over` asks; nothing here closes a
deadline by itself. When a step is late for the deadline is set by the
`PAYMENT_ROUTE_*_WORKING_DAYS` settings, counted in working days of the legal calendar
(see docs/deadlines.md)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bokvar.concurrency import ConflictError, bump, changes_since, lock_version
from bokvar.conf import setting
from bokvar.history import attribute
from bokvar.legal_calendar import working_day_on_or_before, working_days_between
from bokvar.models import Unit, User
from cases.models import EvictionThreat, PaymentRoute

from .. import selectors
from .threats import sync_deadlines

# The largest amount the form and the service accept (the threat's amounts have ten digits).
MAX_AMOUNT = Decimal("99999999.99")


@dataclass
class RouteData:
    applied_on: date | None = None
    income_support_unit_id: int | None = None
    decision: str = ""
    decided_on: date | None = None
    settlement: str = ""
    settled_on: date | None = None
    settled_amount: Decimal | None = None
    landlord_confirmed_on: date | None = None


GRANTS = (PaymentRoute.Decision.GRANTED, PaymentRoute.Decision.PARTLY_GRANTED)
# (earlier, later): the steps happen in this order.
ORDER = (
    ("applied_on", "decided_on"),
    ("decided_on", "settled_on"),
    ("settled_on", "landlord_confirmed_on"),
)
# Every step is something that has happened: none lies ahead.
PAST_ONLY = ("applied_on", "decided_on", "settled_on", "landlord_confirmed_on")


def validate(data: RouteData, *, today: date) -> None:
    """Each refusal names its field, so a form or an API can show it where it belongs."""
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    labels = {f.name: str(f.verbose_name) for f in PaymentRoute._meta.fields}
    if data.applied_on and data.income_support_unit_id is None:
        add("income_support_unit", _("Choose the income-support unit the application was made to."))
    if data.income_support_unit_id is not None:
        if not Unit.objects.filter(
            pk=data.income_support_unit_id, kind=Unit.Kind.INCOME_SUPPORT
        ).exists():
            add("income_support_unit", _("Choose an income-support unit."))
        if not data.applied_on:
            add("applied_on", _("Enter the date of the income-support application."))
    if data.decision and data.decision not in PaymentRoute.Decision.values:
        add("decision", _("Choose one of the decisions."))
    if data.decision and not data.applied_on:
        add("decision", _("A decision needs an income-support application: enter it first."))
    if data.decision and not data.decided_on:
        add("decided_on", _("Enter the date of the decision."))
    if data.decided_on and not data.decision:
        add("decision", _("Choose the decision made on that date."))
    if data.settlement and data.settlement not in PaymentRoute.Settlement.values:
        add("settlement", _("Choose a payment or a written commitment."))
    elif data.settlement and data.decision not in GRANTS:
        add("settlement", _("A payment or commitment needs a decision granting income support."))
    if data.settlement and not data.settled_on:
        add("settled_on", _("Enter the date of the payment or commitment."))
    if data.settled_on and not data.settlement:
        add("settlement", _("Choose whether it was a payment or a written commitment."))
    if data.settlement and data.settled_amount is None:
        add("settled_amount", _("Enter the amount paid or committed."))
    amount = data.settled_amount
    if amount is not None:
        if not amount.is_finite():
            add("settled_amount", _("Enter an amount in kronor with at most two decimals."))
        elif amount <= 0:
            add("settled_amount", _("The amount must be more than zero."))
        elif amount > MAX_AMOUNT or -int(amount.as_tuple().exponent) > 2:
            add("settled_amount", _("Enter an amount in kronor with at most two decimals."))
        elif not data.settlement:
            add("settlement", _("Choose whether it was a payment or a written commitment."))
    if data.landlord_confirmed_on and not data.settlement:
        add(
            "landlord_confirmed_on",
            _("The landlord can confirm only a payment or commitment: record it first."),
        )
    for earlier, later in ORDER:
        a, b = getattr(data, earlier), getattr(data, later)
        if a and b and b < a and later not in errors:
            add(
                later,
                _("%(later)s cannot be before %(earlier)s.")
                % {"later": labels[later].capitalize(), "earlier": labels[earlier]},
            )
    for name in PAST_ONLY:
        value = getattr(data, name)
        if value and value > today and name not in errors:
            add(name, _("This date cannot be in the future."))
    if errors:
        raise ValidationError(errors)


def _values(data: RouteData) -> dict[str, Any]:
    values = {f.name: getattr(data, f.name) for f in fields(RouteData)}
    values["decision"] = values["decision"] or ""
    values["settlement"] = values["settlement"] or ""
    amount = values.pop("settled_amount")
    # A canonical text, so an unchanged amount is not a change (and not a history row).
    values["settled_amount"] = "" if amount is None else f"{amount.quantize(Decimal('0.01'))}"
    return values


@transaction.atomic
def save_payment_route(
    *,
    actor: User,
    case_id: int,
    threat_id: int,
    expected_version: int,
    data: RouteData,
    today: date | None = None,
) -> PaymentRoute:
    """Record or update the payment route of a threat. `expected_version` is the route's
    version the form was shown with (0: there was no route yet). A route saved by
    someone else in between is a conflict, never overwritten."""
    selectors.get_threat_for_user(actor, case_id, threat_id, write=True)
    today = today or timezone.localdate()
    validate(data, today=today)
    # The threat's row serialises the first recording of a route: two people starting
    # one at once get a conflict, not a duplicate-key error.
    threat = EvictionThreat.objects.select_for_update().get(pk=threat_id)
    existing = PaymentRoute.objects.filter(threat=threat).first()
    if existing is None:
        if expected_version:
            raise ValidationError(_("The payment route no longer exists. Reload the page."))
        route = PaymentRoute(threat=threat)
        reason = "payment route recorded"
        changed = list(_values(data))
    else:
        if not expected_version:
            raise ConflictError(changes_since(existing, 0))
        route = lock_version(PaymentRoute, existing.pk, expected_version)
        reason = "payment route updated"
        changed = []
    for name, value in _values(data).items():
        if getattr(route, name) != value:
            setattr(route, name, value)
            if existing is not None:
                changed.append(name)
    if existing is not None:
        if not changed:
            return route
        bump(route)
    route.full_clean(exclude=["threat"])
    if existing is None:
        attribute(route, user=actor, reason=reason).save()
    else:
        attribute(route, user=actor, reason=reason).save(update_fields=[*changed, "version"])
    # A payment or commitment in time closes the recovery deadline; one removed or moved
    # past the deadline opens it again (the same rule as a payment on the threat). A new
    # route reopens nothing: no payment of it can have closed the deadline before.
    settled = {"settlement", "settled_on", "settled_amount"} & set(changed)
    reopen = existing is not None and bool(settled)
    sync_deadlines(threat, actor=actor, today=today, reopen=reopen)
    return route


# --- The steps against the recovery deadline -------------------------------------------


@dataclass
class Step:
    key: str
    label: str
    on: date | None
    detail: str = ""
    done: bool = False
    # Late for the recovery deadline: the panel shows it as a warning.
    warning: str = ""
    # A step not yet taken is in time up to this working day (None: no deadline to meet).
    in_time_until: date | None = None


# Which setting says when each step is late.
LEAD_KNOBS = {
    "application": "PAYMENT_ROUTE_APPLICATION_WORKING_DAYS",
    "decision": "PAYMENT_ROUTE_DECISION_WORKING_DAYS",
    "settlement": "PAYMENT_ROUTE_PAYMENT_WORKING_DAYS",
}


def in_time_until(deadline: date, knob: str) -> date:
    """The last working day on which a step not yet taken is still in time for
    `deadline`: the last one with more than `setting(knob)` working days left."""
    lead = setting(knob)
    day = deadline - timedelta(days=1)
    while working_days_between(day, deadline) <= lead:
        day -= timedelta(days=1)
    return working_day_on_or_before(day)


def route_steps(
    threat: EvictionThreat,
    route: PaymentRoute | None,
    *,
    today: date,
    deadline_open: bool,
    unit_name: str = "",
) -> list[Step]:
    """The four steps of the route, each with its date and, when it is late for the
    recovery deadline, why. `deadline_open`: the recovery deadline row is still open (not
    closed by a payment in time, an outcome or its expiry); only then is a missing step
    late. A step dated after the deadline is always said to be."""
    deadline = threat.recovery_deadline
    left = working_days_between(today, deadline) if deadline else None

    def due(knob: str) -> bool:
        return deadline_open and left is not None and left <= setting(knob)

    def after(on: date | None) -> str:
        if deadline is None or on is None or on <= deadline:
            return ""
        if threat.prevented_by_illness:
            return _(
                "After the recovery deadline (%(deadline)s): it recovers the lease only because "
                "the tenant was prevented by illness, and only until the rent tribunal or the "
                "Enforcement Authority decides."
            ) % {"deadline": deadline.isoformat()}
        return _(
            "After the recovery deadline (%(deadline)s): too late to recover the lease by paying."
        ) % {"deadline": deadline.isoformat()}

    r = route or PaymentRoute()
    steps = []
    application = Step(
        "application",
        _("Income-support application"),
        r.applied_on,
        detail=unit_name,
        done=r.applied_on is not None,
    )
    if application.done:
        application.warning = after(r.applied_on)
    elif due("PAYMENT_ROUTE_APPLICATION_WORKING_DAYS"):
        application.warning = _(
            "No income-support application yet, %(days)s working days before the recovery deadline."
        ) % {"days": left}
    steps.append(application)

    decision = Step(
        "decision",
        _("Decision"),
        r.decided_on,
        detail=r.get_decision_display() if r.decision else "",
        done=bool(r.decision),
    )
    if r.decision == PaymentRoute.Decision.REFUSED:
        decision.warning = (
            _(
                "Income support was refused: the arrears must be paid some other way by %(deadline)s."
            )
            % {"deadline": deadline.isoformat()}
            if deadline_open and deadline
            else _("Income support was refused.")
        )
    elif decision.done:
        decision.warning = after(r.decided_on)
    elif due("PAYMENT_ROUTE_DECISION_WORKING_DAYS"):
        decision.warning = _(
            "No decision yet, %(days)s working days before the recovery deadline."
        ) % {"days": left}
    steps.append(decision)

    settlement = Step(
        "settlement",
        _("Payment or written commitment to the landlord"),
        r.settled_on,
        detail=(
            _("%(kind)s, %(amount)s SEK") % {"kind": r.get_settlement_display(), "amount": r.amount}
            if r.settlement
            else ""
        ),
        done=bool(r.settlement),
    )
    if settlement.done:
        settlement.warning = after(r.settled_on)
        amount = r.amount
        needed = threat.recovery_amount
        if not settlement.warning and needed is not None and amount is not None and amount < needed:
            settlement.warning = _(
                "%(short)s SEK short of the amount needed to recover the lease (%(needed)s SEK): "
                "the recovery deadline stays open until the rest is paid."
            ) % {"short": needed - amount, "needed": needed}
    elif r.decision != PaymentRoute.Decision.REFUSED and due("PAYMENT_ROUTE_PAYMENT_WORKING_DAYS"):
        settlement.warning = _(
            "Nothing paid or committed yet, %(days)s working days before the recovery deadline."
        ) % {"days": left}
    steps.append(settlement)

    confirmation = Step(
        "confirmation",
        _("Landlord's confirmation"),
        r.landlord_confirmed_on,
        done=r.landlord_confirmed_on is not None,
    )
    if (
        not confirmation.done
        and r.settled_on is not None
        and working_days_between(r.settled_on, today)
        >= setting("PAYMENT_ROUTE_CONFIRMATION_WORKING_DAYS")
    ):
        confirmation.warning = _(
            "No confirmation from the landlord %(days)s working days after the payment or "
            "commitment: ask the landlord to confirm it."
        ) % {"days": working_days_between(r.settled_on, today)}
    steps.append(confirmation)
    for step in steps:
        if deadline and not step.done and step.key in LEAD_KNOBS:
            step.in_time_until = in_time_until(deadline, LEAD_KNOBS[step.key])
    return steps


def next_step_due(threat: EvictionThreat, route: PaymentRoute | None) -> Step | None:
    """The income-support unit's next step (the decision, then the payment or
    commitment) with the day it is in time until: what its deadline list says."""
    if route is None or threat.recovery_deadline is None:
        return None
    if route.decision == PaymentRoute.Decision.REFUSED:
        return None
    steps = route_steps(threat, route, today=threat.recovery_deadline, deadline_open=False)
    return next((s for s in steps if s.key in ("decision", "settlement") and not s.done), None)
