"""The shelter-nights form's selects (issue 22): the shelters and units read and written
as rows (bokvar.forms.RowChoiceField) by statements kept per key, the household's people
as the page read them (bokvar.forms.GivenChoiceField, no query): the markup Django's own
model choice fields give, and choosing still validates."""

from __future__ import annotations

import pytest
from django import forms
from django.db import connection
from django.forms.renderers import DjangoTemplates
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bokvar.models import Unit
from bokvar.services import create_unit
from cases.models import Person
from housing.forms import NightsForm
from housing.models import Shelter

pytestmark = pytest.mark.django_db


class DjangosNights(forms.Form):
    """The same fields as Django's own model choice fields would give them."""

    person = forms.ModelChoiceField(label="Person", queryset=Person.objects.none())
    shelter = forms.ModelChoiceField(label="Shelter", queryset=Shelter.objects.none())
    paying_unit = forms.ModelChoiceField(label="Paying unit", queryset=Unit.objects.none())


def _both(org, cases, data=None):
    people = Person.objects.filter(household_id=cases.a.household_id)
    units = Unit.objects.filter(district=org.district, is_active=True)
    names = {p.pk: p.full_name for p in people}
    initial = {"paying_unit": org.units["adult"].pk, "first": timezone.localdate()}
    ours = NightsForm(
        data,
        people=list(people),
        units=units,
        units_key=("test", "units", org.district.pk),
        names=names,
        initial=initial,
    )
    django = DjangosNights(data, initial=initial, renderer=DjangoTemplates())
    django.fields["person"].queryset = people
    django.fields["person"].label_from_instance = lambda p: names[p.pk]
    django.fields["shelter"].queryset = Shelter.objects.filter(is_active=True)
    django.fields["paying_unit"].queryset = units
    return ours, django


def test_the_selects_are_djangos_markup(org, cases, shelter):
    Shelter.objects.create(name='Härbärget <"Öster">', district=org.district)
    Shelter.objects.create(name="Stängt", is_active=False, district=org.district)
    for data in (None, {"shelter": str(shelter.pk), "person": "", "paying_unit": "0"}):
        ours, django = _both(org, cases, data)
        for name in ("person", "shelter", "paying_unit"):
            assert str(ours[name]) == str(django[name]), name
    html = str(ours["shelter"])
    assert "Härbärget &lt;&quot;Öster&quot;&gt;" in html and "Stängt" not in html
    assert f'<option value="{shelter.pk}" selected>' in html


def test_the_people_read_nothing_and_each_other_select_one_plain_query(org, cases, shelter):
    ours, _django = _both(org, cases)
    with CaptureQueriesContext(connection) as queries:
        str(ours["person"])
    assert len(queries) == 0  # the people the page read
    with CaptureQueriesContext(connection) as queries:
        for name in ("shelter", "paying_unit"):
            str(ours[name])
    assert len(queries) == 2
    assert not any(q["sql"].lstrip().upper().startswith("DECLARE") for q in queries)
    # A shelter opened since is offered at once (the kept statement runs afresh).
    Shelter.objects.create(name="Nyöppnat", district=org.district)
    again, _django = _both(org, cases)
    assert "Nyöppnat" in str(again["shelter"])


def test_choosing_still_validates(org, cases, shelter):
    person = Person.objects.filter(household_id=cases.a.household_id).first()
    day = str(timezone.localdate())
    good = {
        "person": person.pk,
        "shelter": shelter.pk,
        "first": day,
        "paying_unit": org.units["adult"].pk,
    }
    ours, _django = _both(org, cases, good)
    assert ours.is_valid(), ours.errors
    assert ours.cleaned_data["person"] == person  # the instance, as a model choice field
    assert ours.cleaned_data["shelter"] == shelter
    assert ours.cleaned_data["paying_unit"] == org.units["adult"]
    closed = Shelter.objects.create(name="Stängt", is_active=False, district=org.district)
    foreign = create_unit(district=org.district, name="Inaktiv", kind=Unit.Kind.ADULT)
    Unit.objects.filter(pk=foreign.pk).update(is_active=False)  # not offered
    ours, _django = _both(org, cases, {**good, "shelter": closed.pk, "paying_unit": foreign.pk})
    assert not ours.is_valid()
    assert set(ours.errors) == {"shelter", "paying_unit"}


def test_a_person_not_offered_is_refused(org, cases, shelter):
    outsider = Person.objects.exclude(household_id=cases.a.household_id).first()
    assert outsider is not None
    day = str(timezone.localdate())
    for chosen in (outsider.pk, "not a number", ""):
        data = {
            "person": chosen,
            "shelter": shelter.pk,
            "first": day,
            "paying_unit": org.units["adult"].pk,
        }
        ours, django = _both(org, cases, data)
        assert not ours.is_valid() and set(ours.errors) == {"person"}, chosen
        assert not django.is_valid() and "person" in django.errors
        assert ours.errors["person"] == django.errors["person"], chosen
