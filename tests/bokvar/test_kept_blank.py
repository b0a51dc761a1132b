"""A blank form's field groups are written once per process (bokvar.rendering.KeptBlank)
and are then exactly what a fresh rendering gives, in each language, for each default
value; a bound form, an edit form's values and a form that did not opt in are written
afresh every time, and a client's values are never kept."""

from __future__ import annotations

from datetime import date

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils import translation

from bokvar import rendering
from bokvar.rendering import KeptBlank, Renderer
from cases.evictions.forms import ContactForm, InterventionForm, ThreatForm
from cases.handovers.forms import ReturnForm

KEPT_FORMS = [ThreatForm, ContactForm, InterventionForm, ReturnForm]


@pytest.fixture(autouse=True)
def _empty_store():
    rendering._BLANK.clear()
    yield
    rendering._BLANK.clear()


def _groups(form: forms.BaseForm) -> list[str]:
    return [str(field.as_field_group()) for field in form.visible_fields()]


@pytest.mark.parametrize("form_class", KEPT_FORMS)
@pytest.mark.parametrize("language", ["sv", "en"])
def test_kept_markup_is_a_fresh_rendering(form_class, language):
    initial = {"on": date(2026, 12, 6)} if form_class.kept_initial else {}
    with translation.override(language):
        fresh = _groups(form_class(initial=initial, renderer=DjangoTemplates()))
        first = _groups(form_class(initial=initial, renderer=Renderer()))
        kept = len(rendering._BLANK)
        again = _groups(form_class(initial=initial, renderer=Renderer()))
    assert first == again == fresh
    assert kept == len(form_class().visible_fields())  # all kept, and taken the second time
    assert len(rendering._BLANK) == kept


def test_each_language_and_each_default_date_has_its_own_markup():
    with translation.override("sv"):
        swedish = _groups(ContactForm(initial={"on": date(2026, 12, 6)}))
    with translation.override("en"):
        english = _groups(ContactForm(initial={"on": date(2026, 12, 6)}))
        tomorrow = _groups(ContactForm(initial={"on": date(2026, 12, 7)}))
    assert swedish != english
    assert 'value="2026-12-06"' in "".join(english)
    assert 'value="2026-12-07"' in "".join(tomorrow)
    assert 'value="2026-12-06"' not in "".join(tomorrow)


def test_a_bound_form_is_written_afresh_with_its_values_and_errors():
    ThreatForm().visible_fields()[0].as_field_group()
    before = dict(rendering._BLANK)
    bound = ThreatForm({"arrears_amount": "not a number", "outcome": "nonsense"})
    assert not bound.is_valid()
    markup = "".join(_groups(bound))
    assert "not a number" in markup and 'aria-invalid="true"' in markup
    assert before == rendering._BLANK


def test_an_edit_forms_values_are_never_kept():
    values = {"arrears_amount": "12345.67", "arrears_notice_on": date(2026, 3, 1), "version": 3}
    markup = "".join(_groups(ThreatForm(initial=values)))
    assert "12345.67" in markup and "2026-03-01" in markup
    kept = "".join(rendering._BLANK.values())
    assert "12345.67" not in kept and "2026-03-01" not in kept
    # The blank fields beside them are kept, without those values.
    assert rendering._BLANK


def test_a_form_that_did_not_opt_in_is_not_kept():
    class Plain(forms.Form):
        name = forms.CharField()

    class Kept(KeptBlank, forms.Form):
        name = forms.CharField()

    _groups(Plain(renderer=Renderer()))
    assert not rendering._BLANK
    _groups(Kept(renderer=Renderer()))
    assert len(rendering._BLANK) == 1


def test_the_store_is_bounded(monkeypatch):
    monkeypatch.setattr(rendering, "_MAX_BLANK", 3)
    for day in range(1, 10):
        _groups(ContactForm(initial={"on": date(2026, 1, day)}))
        assert len(rendering._BLANK) <= 3
