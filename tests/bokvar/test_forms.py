"""The seam between forms and services (bokvar.forms) and the API's answer to an edit
conflict (bokvar.api): one way for every page and endpoint."""

from __future__ import annotations

from datetime import datetime

import pytest
from django import forms
from django.core.exceptions import ValidationError

from bokvar.api import exception_handler
from bokvar.concurrency import Change, ConflictError
from bokvar.forms import add_service_errors, submitting


class NameForm(forms.Form):
    name = forms.CharField()
    city = forms.CharField(required=False)


def _bound() -> NameForm:
    form = NameForm({"name": "x"})
    assert form.is_valid()
    return form


def _conflict() -> ConflictError:
    return ConflictError([Change(who="Anna", when=datetime(2026, 3, 4, 10, 5), fields=["name"])])


def test_a_refusal_lands_on_the_field_it_names_else_on_the_form():
    form = _bound()
    add_service_errors(
        form, ValidationError({"name": ["Taken."], "household": ["Has an open case."]})
    )
    assert form.errors["name"] == ["Taken."]
    assert form.non_field_errors() == ["Has an open case."]


def test_renamed_fields_and_formset_rows_get_their_messages():
    form = _bound()
    people = forms.formset_factory(NameForm, extra=2)({"form-TOTAL_FORMS": "2",
        "form-INITIAL_FORMS": "0", "form-0-name": "a", "form-1-name": "b"})  # fmt: skip
    assert people.is_valid()
    add_service_errors(
        form,
        ValidationError({"town": ["Unknown."], "form-1-name": ["Registered."]}),
        rename={"town": "city"},
        formsets={"form": people},
    )
    assert form.errors["city"] == ["Unknown."]
    assert people.forms[1].errors["name"] == ["Registered."] and not people.forms[0].errors


def test_submitting_tells_ok_refused_and_conflict_apart():
    form = _bound()
    with submitting(form) as done:
        pass
    assert done.ok
    with submitting(form) as refused:
        raise ValidationError({"name": "Too short."})
    assert not refused.ok and refused.refused and form.errors["name"] == ["Too short."]
    form = _bound()
    with submitting(form) as moved:
        raise _conflict()
    assert not moved.ok and "Anna" in moved.conflict and form.is_valid()
    with submitting(form, conflict_on_form=True) as on_form:
        raise _conflict()
    assert form.non_field_errors() == [on_form.conflict]


def test_submitting_lets_other_errors_through():
    with pytest.raises(KeyError), submitting(_bound()):
        raise KeyError("not a refusal")


def test_the_api_answers_a_conflict_with_409_naming_who_and_which_fields():
    response = exception_handler(_conflict(), {})
    assert response.status_code == 409
    assert "Anna" in response.data["detail"] and "name" in response.data["detail"]


def test_the_api_answers_a_service_refusal_with_400_naming_the_field():
    response = exception_handler(ValidationError({"reason": ["Give the reason."]}), {})
    assert response.status_code == 400
    assert response.data == {"detail": "invalid", "errors": {"reason": ["Give the reason."]}}
