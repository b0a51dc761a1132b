"""The opt-in timing of access-log appends (BOKVAR_AUDIT_TIMING_FILE, issue 22 point 3):
the load test reads one line per append with the time it waited for the chain's lock and
the time it held it, which lasts until the outermost transaction commits."""

from __future__ import annotations

import time

import pytest
from django.db import transaction
from django.test import override_settings

from audit import chain

from .helpers import add_entries

pytestmark = pytest.mark.django_db(transaction=True)


def _rows(user, i: int) -> list[dict]:
    return [
        dict(user_id=user.pk, object_type="cases.case", object_id=i + n, how="list", ip="")
        for n in range(3)
    ]


def _lines(path) -> list[list[str]]:
    return [line.split() for line in path.read_text().splitlines()] if path.exists() else []


def test_each_append_writes_its_wait_and_hold_when_asked(auditor, tmp_path):
    out = tmp_path / "appends.txt"
    with override_settings(AUDIT_TIMING_FILE=str(out)):
        add_entries(auditor, 2)
        chain.append_many(_rows(auditor, 10))
    lines = _lines(out)
    assert [(line[3], line[4]) for line in lines] == [("1", "0"), ("1", "0"), ("3", "0")]
    for at, wait, hold, _, _ in lines:
        assert abs(float(at) - time.time()) < 60
        assert float(wait) >= 0 and float(hold) > 0
    # The chain itself is as without the timing.
    assert chain.verify().ok and chain.verify().checked == 5


def test_inside_a_transaction_the_hold_lasts_until_its_commit(auditor, tmp_path):
    out = tmp_path / "appends.txt"
    with override_settings(AUDIT_TIMING_FILE=str(out)):
        with transaction.atomic():
            add_entries(auditor, 1)
            time.sleep(0.2)
            # Not written before the commit: the lock is still held.
            assert _lines(out) == []
        with transaction.atomic():
            add_entries(auditor, 1)
            transaction.set_rollback(True)
    ((_, _, hold, rows, nested),) = _lines(out)  # a rolled-back append holds no line
    assert (rows, nested) == ("1", "1")
    assert float(hold) >= 200


def test_off_by_default_writes_nothing(auditor, settings, monkeypatch):
    assert settings.AUDIT_TIMING_FILE == ""

    def written(*args):
        raise AssertionError("a timing line was written with the timing off")

    monkeypatch.setattr(chain, "_write_timing", written)
    add_entries(auditor, 1)
    chain.append_many(_rows(auditor, 10))
    assert chain.verify().checked == 4
