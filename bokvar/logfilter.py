"""A logging filter that redacts personal data: identity numbers, e-mail addresses and
phone numbers are replaced in the message, its arguments and any exception text, and a
request attached to the record is dropped (its body and query string may carry them)."""

from __future__ import annotations

import logging
import re

PATTERNS = [
    # Swedish personal identity / coordination numbers: (YY)YYMMDD[-+]?NNNN.
    # (Not the decimals of a number: a task's run time "0.001234567890s" is no one's.)
    re.compile(r"(?<!\d)(?<!\d\.)(?:\d{2})?\d{6}[-+ ]?\d{4}(?!\d)"),
    re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
    # Phone numbers: 0 or +46 then 6-12 more digits with optional spaces/dashes.
    re.compile(r"(?<![\w])(?<!\d\.)(?:\+46|0)[\d\s-]{6,16}\d"),
]
REDACTED = "[redacted]"


def redact(text: str) -> str:
    for pattern in PATTERNS:
        text = pattern.sub(REDACTED, text)
    return text


class RedactPersonalData(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not stop logging
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            import traceback

            text = "".join(traceback.format_exception(*record.exc_info))
            record.exc_text = redact(text)
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if hasattr(record, "request"):
            record.request = None
        return True
