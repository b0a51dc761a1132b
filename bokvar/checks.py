"""The field, blind-index and chain keys are checked before anything runs (issue 21,
point 10).

A key that is malformed, too short to be a secret or one of the repository's public
development keys (bokvar.dev_keys) would encrypt, index or chain real data with a key
anyone can read, or fail only at the first row it touches. Without DEBUG every
management command that runs system checks (runserver, migrate, check, …) stops on
them, and so do the web server (wsgi.py) and the Celery worker; `check --deploy`
names them in every mode, with ids bokvar.E101 to bokvar.E105."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from . import dev_keys

# The shortest secret accepted for the blind-index and chain keys (HMAC-SHA256): 32
# characters, e.g. `openssl rand -base64 32` (44).
MIN_SECRET_LENGTH = 32


def _field_key_problems(spec: str) -> list[checks.Error]:
    from .crypto import parse_keys

    try:
        parse_keys(spec)
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="bokvar.E101")]
    public = {base64.b64decode(dev_keys.FIELD_KEYS.partition(":")[2])}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        key_id, _sep, encoded = item.partition(":")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except binascii.Error:  # pragma: no cover - parse_keys refused it above
            continue
        if raw in public:
            return [
                checks.Error(
                    f"BOKVAR_FIELD_KEYS: key '{key_id}' is the public development key.",
                    hint="Generate one: python -c 'import os,base64;"
                    "print(base64.b64encode(os.urandom(32)).decode())'",
                    id="bokvar.E102",
                )
            ]
    return []


def _index_key_problems(spec: str) -> list[checks.Error]:
    from .crypto import parse_index_keys

    try:
        ring = parse_index_keys(spec)
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="bokvar.E103")]
    for key_id, secret in ring.secrets.items():
        if secret.decode() == dev_keys.BLIND_INDEX_KEY:
            return [
                checks.Error(
                    f"BOKVAR_BLIND_INDEX_KEYS: key '{key_id}' is the public development key.",
                    hint="Generate one: openssl rand -base64 32",
                    id="bokvar.E104",
                )
            ]
        if len(secret) < MIN_SECRET_LENGTH:
            return [
                checks.Error(
                    f"BOKVAR_BLIND_INDEX_KEYS: key '{key_id}' is shorter than"
                    f" {MIN_SECRET_LENGTH} characters.",
                    hint="Generate one: openssl rand -base64 32",
                    id="bokvar.E103",
                )
            ]
    return []


def _chain_key_problems(key: str) -> list[checks.Error]:
    if key == dev_keys.AUDIT_CHAIN_KEY:
        message = "BOKVAR_AUDIT_CHAIN_KEY is the public development key."
    elif len(key) < MIN_SECRET_LENGTH:
        message = f"BOKVAR_AUDIT_CHAIN_KEY is shorter than {MIN_SECRET_LENGTH} characters."
    else:
        return []
    return [checks.Error(message, hint="Generate one: openssl rand -base64 32", id="bokvar.E105")]


def key_problems() -> list[checks.Error]:
    return [
        *_field_key_problems(settings.FIELD_ENCRYPTION_KEYS),
        *_index_key_problems(settings.BLIND_INDEX_KEYS),
        *_chain_key_problems(settings.AUDIT_CHAIN_KEY),
    ]


# Registered twice so each problem is reported once: without DEBUG by the check every
# command runs (start-up refuses), with DEBUG only by `check --deploy` (development
# runs on the public keys on purpose).
@checks.register(checks.Tags.security)
def keys_at_start_up(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    return [] if settings.DEBUG else list(key_problems())


@checks.register(checks.Tags.security, deploy=True)
def keys_for_deployment(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    return list(key_problems()) if settings.DEBUG else []


def refuse_bad_keys() -> None:
    """For start-ups that run no system checks (the web server, the Celery worker)."""
    if settings.DEBUG:
        return
    problems = key_problems()
    if problems:
        raise ImproperlyConfigured(
            "; ".join(f"{p.id}: {p.msg}" for p in problems) + " (run: manage.py check --deploy)"
        )
