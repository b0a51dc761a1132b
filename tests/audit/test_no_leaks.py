from __future__ import annotations

import io
import logging

import pytest
from django.test import Client

from bokvar.logfilter import RedactPersonalData, redact

pytestmark = pytest.mark.django_db

SECRETS = ["19800101-2387", "800101-2387", "astrid@example.se", "070-123 45 67", "+46 70 123 45 67"]


@pytest.mark.parametrize("secret", SECRETS)
def test_redact_removes_personal_data(secret):
    text = redact(f"lookup of {secret} failed")
    assert secret not in text
    assert "[redacted]" in text


def test_redact_keeps_ordinary_text():
    assert redact("case 42 opened by user 7 at 12:30") == "case 42 opened by user 7 at 12:30"


def test_redact_keeps_the_decimals_of_a_run_time():
    # Celery logs "succeeded in 0.0123456789s": digits after a decimal point are no phone.
    line = "Task x succeeded in 0.0123456789s: 0 (and 0.198001012387s)"
    assert redact(line) == line
    assert redact("ring 0.5 eller 070-123 45 67") == "ring 0.5 eller [redacted]"


def _redacting_handler():
    for handler in logging.getLogger().handlers + logging.getLogger("django.request").handlers:
        if any(isinstance(f, RedactPersonalData) for f in handler.filters):
            return handler
    raise AssertionError("no handler in LOGGING runs the redacting filter")


def test_configured_handlers_redact_messages_args_and_tracebacks():
    handler = _redacting_handler()
    stream = io.StringIO()
    old = handler.setStream(stream)
    try:
        logger = logging.getLogger("django.request")
        logger.error("person %s mailed %s", "19800101-2387", "astrid@example.se")
        try:
            raise ValueError("identity 19751212-1234 phone 08-555 12 34")
        except ValueError:
            logger.exception("failed")
    finally:
        handler.setStream(old)
    out = stream.getvalue()
    for secret in ("19800101-2387", "astrid@example.se", "19751212-1234", "08-555 12 34"):
        assert secret not in out
    assert "failed" in out and "ValueError" in out


# Where Django, Celery and Bo Kvar itself write; every record they log must be redacted.
LOGGERS = [
    "",
    "django",
    "django.request",
    "django.server",
    "django.security.csrf",
    "django.db.backends",
    "celery",
    "celery.worker",
    "bokvar",
    "cases",
    "housing",
    "audit",
    "steering",
]


def _effective_handlers(name: str) -> list[logging.Handler]:
    """The handlers a record logged on `name` reaches, as logging itself walks them."""
    found, logger = [], logging.getLogger(name)
    while logger is not None:
        found += logger.handlers
        logger = logger.parent if logger.propagate else None
    # pytest's capture handlers and do-nothing handlers write nowhere a person reads.
    return [
        h
        for h in found
        if not isinstance(h, logging.NullHandler) and "pytest" not in type(h).__module__
    ]


@pytest.mark.parametrize("name", LOGGERS)
def test_every_record_reaches_only_redacting_handlers(name):
    handlers = _effective_handlers(name)
    assert handlers, f"{name or 'root'} logs somewhere"
    unfiltered = [
        h for h in handlers if not any(isinstance(f, RedactPersonalData) for f in h.filters)
    ]
    assert not unfiltered, f"{name or 'root'} reaches handlers without redaction: {unfiltered}"


def test_the_development_servers_request_lines_are_redacted():
    logger = logging.getLogger("django.server")
    (handler,) = _effective_handlers("django.server")
    stream = io.StringIO()
    old = handler.setStream(stream)
    try:
        logger.info('"%s" %s %s', "GET /cases/?q=19800101-2387 HTTP/1.1", "200", "1234")
    finally:
        handler.setStream(old)
    assert "19800101-2387" not in stream.getvalue() and "[redacted]" in stream.getvalue()


def test_request_is_dropped_from_records():
    record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "x", None, None)
    record.request = object()
    RedactPersonalData().filter(record)
    assert record.request is None


def test_500_page_with_debug_off_echoes_nothing(settings):
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.audit.urls_boom"
    handler = _redacting_handler()
    stream = io.StringIO()
    old = handler.setStream(stream)
    try:
        response = Client(raise_request_exception=False).get("/boom/?pn=19800101-2387")
    finally:
        handler.setStream(old)
    assert response.status_code == 500
    body = response.content.decode()
    assert "19800101" not in body and "anna@example.se" not in body
    assert "19800101-2387" not in stream.getvalue()
    assert "anna@example.se" not in stream.getvalue()
