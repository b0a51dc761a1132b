"""Issue 19, point 6: the change history reads in the reader's language, with field
labels, values by their display names (never "#12"), local times and translated reasons;
what points at a protected person never names them to a reader not granted them."""

from __future__ import annotations

import ast
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from audit import history
from bokvar.history import REASONS, reason_label
from cases.evictions.services import contacts

from .records import fill_case

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def _get(client, user, url, language="sv"):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    client.cookies["django_language"] = language
    return client.get(url, HTTP_ACCEPT_LANGUAGE=language)


def _values(changes):
    return [v for c in changes for f in c.fields for v in (f.old, f.new) if v]


def test_values_pointing_at_records_show_their_names(cases, caseworker):
    changes = history.changes(caseworker, case_id=cases.a.pk)
    values = _values(changes)
    # No bare ids: a unit, a person, a household are named.
    assert not [v for v in values if re.fullmatch(r"#\d+", v)], values
    assert str(cases.a.responsible_unit) in values
    assert "Astrid Adultsson" in values  # the household's head, on the household's row
    labels = {f.label for c in changes for f in c.fields}
    assert "responsible unit" in labels or "ansvarig enhet" in labels


def test_a_protected_head_is_not_named_through_the_household(org, cases, caseworker):
    """The household row is not hidden (it holds no personal data) but its head is: the
    value naming them must not give them away to a reader not granted them."""
    head = cases.p.household.head
    shown = _values(history.changes(caseworker, case_id=cases.p.pk))
    assert not [v for v in shown if head.family_name in v]
    # The coordinator, granted them, reads the name.
    granted = _values(history.changes(org.users["coordinator"], case_id=cases.p.pk))
    assert [v for v in granted if head.family_name in v]


def test_datetime_values_in_local_time():
    field = models.DateTimeField(name="done_at")
    # 23:30 UTC on 15 January is 00:30 on the 16th in Stockholm (CET, UTC+1).
    assert history._display(field, datetime(2026, 1, 15, 23, 30, tzinfo=UTC), {}, {}) == (
        "2026-01-16 00:30"
    )
    # Summer time (CEST, UTC+2).
    assert history._display(field, datetime(2026, 7, 1, 22, 0, tzinfo=UTC), {}, {}) == (
        "2026-07-02 00:00"
    )


def test_page_in_swedish_translates_reasons_and_heads_its_column_apart(client, cases, caseworker):
    url = reverse("audit:case_history", args=[cases.a.pk])
    text = _get(client, caseworker, url, "sv").content.decode()
    assert "ärendet skapat" in text and "case created" not in text
    # The column "Change" is "Ändring"; "Byt" is only the language button's.
    assert '<th scope="col">Ändring</th>' in text
    assert text.count(">Byt<") == 1
    english = _get(client, caseworker, url, "en").content.decode()
    assert "case created" in english and '<th scope="col">Change</th>' in english


def test_every_recorded_reason_is_translatable():
    """Every literal reason the code records (attribute(..., reason=...) and the like)
    is in REASONS, so the history can show it in the reader's language."""
    found = set()
    for path in ROOT.glob("*/**/*.py"):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in {".venv", "tests", "bench"} or "migrations" in rel.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                # Model constructors and a handover's or dismissal's own reason field
                # (the user's words, not a change reason) are not history reasons.
                if name[:1].isupper() or name in {
                    "create",
                    "send_handover",
                    "return_handover",
                    "dismiss_signal",
                }:
                    continue
                for kw in node.keywords:
                    if kw.arg in {"reason", "default_change_reason"} and isinstance(
                        kw.value, ast.Constant
                    ):
                        found.add(kw.value.value)
            elif isinstance(node, ast.FunctionDef):
                for arg, default in zip(node.args.kwonlyargs, node.args.kw_defaults, strict=True):
                    if arg.arg == "reason" and isinstance(default, ast.Constant):
                        found.add(default.value)
            elif (
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Constant)
                and any(getattr(t, "id", "") == "reason" for t in node.targets)
            ):
                found.add(node.value.value)
    found.discard("")
    assert "handover accepted" in found  # the scan sees them
    assert found - REASONS == set()
    with translation.override("sv"):
        assert reason_label("handover accepted") == "överlämning accepterad"
        assert reason_label("Någon skrev detta") == "Någon skrev detta"


def test_history_query_count_does_not_grow_with_the_records(org, cases, caseworker):
    coordinator = org.users["coordinator"]

    def count():
        with CaptureQueriesContext(connection) as ctx:
            history.changes(coordinator, case_id=cases.a.pk)
        return len(ctx.captured_queries)

    fill_case(org, cases.a, tag="Ett")
    once = count()
    today = timezone.localdate()
    for n in range(4):
        contacts.record_contact(
            actor=coordinator, case_id=cases.a.pk, kind="call", on=today, reached=True,
            note=f"Kontakt {n}",
        )  # fmt: skip
    assert count() == once


def test_case_page_changes_agree_in_swedish(client, cases, caseworker):
    """ "Ärende skapad" was wrong (ett ärende: skapat); the row reads "Ärende skapades",
    which agrees with every record's gender."""
    text = _get(client, caseworker, reverse("cases:detail", args=[cases.a.pk])).content.decode()
    assert "Ärende skapades" in text
    assert "Ärende skapad<" not in text and "Ärende skapad " not in text


def test_columns_without_a_verbose_name_are_named_in_the_readers_language():
    """Django names such a column from the field ("created at") in English; the history
    shows it translated."""
    from bokvar.history import label_of
    from cases.models import CaseAssignment

    with translation.override("sv"):
        assert label_of(CaseAssignment._meta.get_field("case")) == "ärende"
        assert label_of(CaseAssignment._meta.get_field("assigned_at")) == "tilldelad"
    with translation.override("en"):
        assert label_of(CaseAssignment._meta.get_field("assigned_at")) == "assigned at"
