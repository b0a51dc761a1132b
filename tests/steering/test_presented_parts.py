"""A report's parts (key figures, units side by side, detailed figures) are presented and
rendered once per process for the same report and language (steering.presenters.parts,
issue 22): the same HTML as rendering them afresh, never another report's."""

from __future__ import annotations

import copy

import pytest
from django.template import engines
from django.urls import reverse
from django.utils import translation

from steering import presenters, snapshots
from steering.periods import parse_period

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(org, stats_cases):
    return snapshots.report_for(district=org.district, period=parse_period("2026-03"))


@pytest.fixture(autouse=True)
def nothing_kept():
    presenters.forget()
    yield
    presenters.forget()


def afresh(report: dict) -> dict[str, str]:
    """The parts as the pages rendered them before: each template included in the page
    context."""
    context = presenters.page_context(report)
    return {
        name: engines["django"].from_string(f'{{% include "{path}" %}}').render(context)
        for name, path in presenters.PARTS.items()
    }


def count_presenting(monkeypatch) -> list[int]:
    calls: list[int] = []
    original = presenters.page_context

    def counting(report):
        calls.append(1)
        return original(report)

    monkeypatch.setattr(presenters, "page_context", counting)
    return calls


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_parts_are_what_rendering_them_afresh_gives(report, language):
    with translation.override(language):
        expected = afresh(report)
        assert presenters.parts(report) == expected
        assert presenters.parts(report) == expected  # kept
    assert '<svg class="chart"' in expected["figures"]


def test_the_same_report_is_presented_once(report, monkeypatch):
    calls = count_presenting(monkeypatch)
    first = presenters.parts(report)
    # An equal report made again (another request): its moment differs, nothing else.
    again = copy.deepcopy(report)
    again["generated_at"] = "2030-01-01T00:00:00+00:00"
    assert presenters.parts(again) is first
    assert len(calls) == 1


def test_a_changed_number_is_presented_afresh(report, monkeypatch):
    calls = count_presenting(monkeypatch)
    before = presenters.parts(report)
    changed = copy.deepcopy(report)
    item = changed["key_figures"][0]
    item["current"] = {**item["current"], "value": 987654, "display": "987654"}
    after = presenters.parts(changed)
    assert len(calls) == 2
    assert after != before
    assert "987\xa0654" in after["key_figures"]
    assert "987\xa0654" not in before["key_figures"]
    assert after == afresh(changed)


def test_each_language_is_presented_in_its_own_words(report):
    with translation.override("sv"):
        swedish = presenters.parts(report)
    with translation.override("en"):
        english = presenters.parts(report)
    assert swedish != english
    with translation.override("sv"):
        heading = translation.gettext("Key figures")
    assert heading != "Key figures"
    assert heading in swedish["key_figures"]
    assert "Key figures" in english["key_figures"]


def test_what_is_kept_is_bounded(report, monkeypatch):
    monkeypatch.setattr(presenters, "page_context", lambda report: {})
    for number in range(presenters._MAX_KEPT + 5):
        presenters.parts({**report, "threshold": number})
    assert len(presenters._KEPT) == presenters._MAX_KEPT


def test_a_settings_change_forgets_them(report, settings):
    presenters.parts(report)
    assert presenters._KEPT
    settings.LANGUAGE_CODE = settings.LANGUAGE_CODE
    assert not presenters._KEPT


def test_the_dashboard_shows_the_parts(client, org, steering, stats_cases):
    client.force_login(steering, backend="django.contrib.auth.backends.ModelBackend")
    first = client.get(reverse("steering:dashboard"), {"period": "2026-03"}).content.decode()
    second = client.get(reverse("steering:dashboard"), {"period": "2026-03"}).content.decode()
    report = snapshots.report_for(district=org.district, period=parse_period("2026-03"))
    with translation.override("sv"):
        for part in afresh(report).values():
            assert part in first
            assert part in second
