"""Bo Kvar's own settings, read one way: `setting("RECOVERY_PERIOD_DAYS")`.

Every knob is listed once, here, with the environment variable that sets it (if any) and
its default. `bokvar/settings.py` builds `settings.BOKVAR` from the environment with
`from_environment()`; `setting()` reads `settings.BOKVAR` and falls back on the default,
so a deployment's (or a test's) `BOKVAR` that leaves a knob out still gets its default.
An unknown name is a programming error and raises KeyError.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings


def _int_list(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def _str_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


@dataclass(frozen=True)
class Knob:
    default: Any
    # The environment variable that sets it, read with `parse`; "" when only code sets it.
    env: str = ""
    parse: Callable[[str], Any] = int


KNOBS: dict[str, Knob] = {
    "DEFAULT_DISTRICT": Knob("Norrmalm", "BOKVAR_DISTRICT", str),
    # Återvinning: three weeks (JB 12 kap. 44 §). Legal periods live here, not in code.
    "RECOVERY_PERIOD_DAYS": Knob(21, "BOKVAR_RECOVERY_PERIOD_DAYS"),
    # Days before a deadline that the responsible staff are reminded.
    "REMINDER_LEAD_DAYS": Knob([7, 2, 0], "BOKVAR_REMINDER_LEAD_DAYS", _int_list),
    # A deadline that passed while reminders were not running (downtime) still gets its
    # missed reminders if it is at most this many days overdue; older ones get one
    # "overdue" reminder instead.
    "REMINDER_CATCH_UP_DAYS": Knob(7, "BOKVAR_REMINDER_CATCH_UP_DAYS"),
    # A signal for the same tenant and landlord within this many days joins the open case.
    "REPEAT_SIGNAL_DAYS": Knob(30),
    # A household with children and an eviction date this close is flagged to coordinators.
    "CHILD_EVICTION_ALERT_DAYS": Knob(14),
    # The payment route against the recovery deadline (docs/deadlines.md): a step not
    # taken this many working days before the deadline is late for it. The application
    # needs time to be decided, the decision time to be paid out, the payment time to
    # reach the landlord before the last day.
    "PAYMENT_ROUTE_APPLICATION_WORKING_DAYS": Knob(
        10, "BOKVAR_PAYMENT_ROUTE_APPLICATION_WORKING_DAYS"
    ),
    "PAYMENT_ROUTE_DECISION_WORKING_DAYS": Knob(5, "BOKVAR_PAYMENT_ROUTE_DECISION_WORKING_DAYS"),
    "PAYMENT_ROUTE_PAYMENT_WORKING_DAYS": Knob(2, "BOKVAR_PAYMENT_ROUTE_PAYMENT_WORKING_DAYS"),
    # The landlord is asked to confirm a payment or commitment; without a confirmation
    # this many working days after it, the route says to ask.
    "PAYMENT_ROUTE_CONFIRMATION_WORKING_DAYS": Knob(
        3, "BOKVAR_PAYMENT_ROUTE_CONFIRMATION_WORKING_DAYS"
    ),
    # A training placement is followed up at least this often: with no progress note for
    # this many days (or since moving in) its follow-up is due on the start page.
    "PLACEMENT_FOLLOW_UP_DAYS": Knob(30, "BOKVAR_PLACEMENT_FOLLOW_UP_DAYS"),
    # A placement whose agreed period ends within this many days is on the start page.
    "PLACEMENT_ENDING_DAYS": Knob(30, "BOKVAR_PLACEMENT_ENDING_DAYS"),
    # After a transfer the sending unit keeps read access this many days.
    "HANDOVER_READ_ACCESS_DAYS": Knob(30, "BOKVAR_HANDOVER_READ_ACCESS_DAYS"),
    # A handover nobody has decided on is escalated after this many working days.
    "HANDOVER_ESCALATION_WORKING_DAYS": Knob(2, "BOKVAR_HANDOVER_ESCALATION_WORKING_DAYS"),
    # A landlord signal still waiting for triage this many working days after it was
    # received is escalated to the coordinators' unit lead (once).
    "SIGNAL_ESCALATION_WORKING_DAYS": Knob(2, "BOKVAR_SIGNAL_ESCALATION_WORKING_DAYS"),
    # Whole years before last year change rarely: their reports are pre-computed once a
    # day for this many years back and served while younger than a day and a bit.
    "STATS_PAST_YEARS": Knob(5, "BOKVAR_STATS_PAST_YEARS"),
    # Reverse proxies (addresses or networks, comma-separated) whose X-Forwarded-For is
    # believed; see bokvar/net.py. Empty: the header is ignored.
    "TRUSTED_PROXIES": Knob([], "BOKVAR_TRUSTED_PROXIES", _str_list),
    # Signed heads of the access log (audit/heads.py). The private Ed25519 key (PEM file)
    # is given only to the workers and beat, never to the web processes; the public key
    # (base64 of the raw 32 bytes) verifies. Heads are appended to AUDIT_HEAD_FILE (make
    # it append-only: chattr +a), sent to syslog ("/dev/log" or "host:port", UDP) and
    # e-mailed to the auditors.
    "AUDIT_HEAD_SIGNING_KEY_FILE": Knob("", "BOKVAR_AUDIT_HEAD_SIGNING_KEY_FILE", str),
    "AUDIT_HEAD_PUBLIC_KEY": Knob("", "BOKVAR_AUDIT_HEAD_PUBLIC_KEY", str),
    "AUDIT_HEAD_FILE": Knob("", "BOKVAR_AUDIT_HEAD_FILE", str),
    "AUDIT_HEAD_SYSLOG": Knob("", "BOKVAR_AUDIT_HEAD_SYSLOG", str),
    # After a sign-in with a second factor, the browser may be remembered and skip the code
    # for this many days (0: never). Resetting the user's second factor ends it at once.
    "REMEMBER_DEVICE_DAYS": Knob(14, "BOKVAR_REMEMBER_DEVICE_DAYS"),
    # A landlord's CSV batch (issue 22, point 6): larger files are refused at upload.
    "SIGNAL_IMPORT_MAX_BYTES": Knob(5_000_000, "BOKVAR_SIGNAL_IMPORT_MAX_BYTES"),
    "SIGNAL_IMPORT_MAX_ROWS": Knob(20_000, "BOKVAR_SIGNAL_IMPORT_MAX_ROWS"),
    # Batches up to this many rows are imported within the request; larger ones by a
    # worker, with a progress page.
    "SIGNAL_IMPORT_BACKGROUND_ROWS": Knob(200, "BOKVAR_SIGNAL_IMPORT_BACKGROUND_ROWS"),

    # The WebAuthn relying-party id passkeys are bound to: the site's domain name as users
    # reach it (e.g. "bokvar.kommun.se"). Empty: the host of each request. Changing it
    # later makes every registered passkey unusable.
    "WEBAUTHN_RP_ID": Knob("", "BOKVAR_WEBAUTHN_RP_ID", str),
    # The public survey answer page: unknown or used codes tried from one address within
    # ten minutes before it answers 429 (guessing codes; partners.survey_views).
    "SURVEY_CODE_FAILURES_PER_ADDRESS": Knob(20, "BOKVAR_SURVEY_CODE_FAILURES_PER_ADDRESS"),
    # Single sign-on (bokvar.sso, docs/security.md). The role map: a JSON list of rules
    # {"claim", "value", "role", "district" (code), "unit" (name), "lead"}; OIDC claims and
    # SAML attributes are matched alike.
    "SSO_ROLE_MAP": Knob("", "BOKVAR_SSO_ROLE_MAP", str),
    # The acr / AuthnContextClassRef values that mean the provider checked a second
    # factor; then Bo Kvar's own code step is skipped. Swedish LoA3 and LoA4 require two
    # factors (DIGG's Tillitsramverk för Svensk e-legitimation); REFEDS MFA says so outright.
    "SSO_SECOND_FACTOR_ACR": Knob(
        [
            "http://id.elegnamnden.se/loa/1.0/loa3",
            "http://id.elegnamnden.se/loa/1.0/loa4",
            "https://refeds.org/profile/mfa",
        ],
        "BOKVAR_SSO_SECOND_FACTOR_ACR",
        _str_list,
    ),
    # The claim (OIDC) and attribute (SAML) that hold the Bo Kvar username.
    "OIDC_USERNAME_CLAIM": Knob("sub", "BOKVAR_OIDC_USERNAME_CLAIM", str),
    "SAML_USERNAME_ATTRIBUTE": Knob("uid", "BOKVAR_SAML_USERNAME_ATTRIBUTE", str),
    # 0: no local passwords at all, only single sign-on (no password form, change or reset).
    "LOCAL_PASSWORDS": Knob(True, "BOKVAR_LOCAL_PASSWORDS", lambda text: text.strip() != "0"),
    # The garbage collector's thresholds (`gc.set_threshold`), set when Django starts
    # (bokvar/collector.py): how many new objects before a young collection, and how many
    # collections of one generation before the next. Empty: Python's own (700, 10, 10).
    "GC_THRESHOLDS": Knob([50_000, 20, 20], "BOKVAR_GC_THRESHOLDS", _int_list),
}


def from_environment(environ: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """`settings.BOKVAR`: every knob, from its environment variable or its default."""
    values: dict[str, Any] = {}
    for name, knob in KNOBS.items():
        raw = environ.get(knob.env) if knob.env else None
        values[name] = knob.parse(raw) if raw is not None else copy.copy(knob.default)
    return values


def setting(name: str) -> Any:
    """The value of Bo Kvar knob `name` (see KNOBS)."""
    knob = KNOBS[name]
    return getattr(settings, "BOKVAR", {}).get(name, knob.default)
