"""A model choice field offered through `limit_choices` reads its options with one
ordinary query (bokvar.forms.ListedChoiceIterator, issue 22), not Django's server-side
cursor: the same options, read afresh on every rendering, and none kept on the field."""

from __future__ import annotations

import pytest
from django.db import connection
from django.forms.models import ModelChoiceIterator
from django.test.utils import CaptureQueriesContext

from bokvar.forms import ListedChoiceIterator
from bokvar.models import Unit
from cases.core.forms import CaseFilterForm
from cases.core.selectors import cases as case_selectors

pytestmark = pytest.mark.django_db


def _form(org, iterator=None):
    coordinator = org.users["coordinator"]
    form = CaseFilterForm(
        {"unit": "", "assignee": str(org.users["caseworker"].pk)},
        units=Unit.objects.filter(district=org.district),
        staff=case_selectors.staff_choices(coordinator),
    )
    if iterator is not None:  # Django's own, for comparison
        for name in ("unit", "assignee"):
            field = form.fields[name]
            field.iterator = iterator
            field.queryset = field.queryset
    return form


def test_the_options_are_djangos_read_with_one_ordinary_query_each(org):
    ours, django = _form(org), _form(org, ModelChoiceIterator)
    assert ours.is_valid() and django.is_valid()  # cleaning reads the chosen user
    assert ours.cleaned_data == django.cleaned_data
    for name in ("unit", "assignee"):
        assert ours.fields[name].iterator is ListedChoiceIterator
        with CaptureQueriesContext(connection) as queries:
            html = str(ours[name])
            again = str(ours[name])
        assert html == again == str(django[name])
        assert "selected>" in str(ours["assignee"])
        # Read afresh on each rendering, one plain query each time, nothing kept.
        assert len(queries) == 2
        assert not any(q["sql"].lstrip().upper().startswith("DECLARE") for q in queries)
        assert ours.fields[name].queryset._result_cache is None
