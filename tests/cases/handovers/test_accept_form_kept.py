"""The accept form offers the taking unit's staff as rows (`UserChoiceField`) by a
statement kept per unit (issue 22): the markup Django's model choice field gave, with
each person's full name or username, the unit's staff as they are now, and another
unit's handover offers its own unit's staff."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django import forms
from django.utils.translation import gettext_lazy as _

from bokvar.forms import LABEL_ROWS
from bokvar.models import Unit, User
from cases.handovers import selectors
from cases.handovers.forms import AcceptForm

from .conftest import make_income_colleague

pytestmark = pytest.mark.django_db


class DjangosAcceptForm(forms.Form):
    """The form as it was: Django's model choice field, labelled by full name."""

    taken_by = forms.ModelChoiceField(
        label=_("Who in the unit takes the case"),
        queryset=User.objects.none(),
        empty_label=_("Choose a caseworker"),
    )

    def __init__(self, *args: Any, takers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["taken_by"]
        field.queryset = takers
        field.label_from_instance = lambda user: user.get_full_name() or user.username


@pytest.fixture(autouse=True)
def _nothing_kept():
    LABEL_ROWS.statements.clear()
    yield
    LABEL_ROWS.statements.clear()


def _options(markup: str) -> list[tuple[str, str]]:
    return re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', markup)


def test_the_offered_staff_are_djangos_and_current(org, transfer):
    takers, key = selectors.takers(transfer), selectors.takers_key(transfer)
    ours = str(AcceptForm(takers=takers, takers_key=key)["taken_by"])
    djangos = str(DjangosAcceptForm(takers=takers)["taken_by"])
    assert ours == djangos
    assert len(_options(ours)) == 1 + takers.count() >= 2
    assert len(LABEL_ROWS.statements) == 1
    # A new member of the taking unit is offered at once.
    colleague = make_income_colleague(org.units[Unit.Kind.INCOME_SUPPORT])
    again = _options(str(AcceptForm(takers=takers, takers_key=key)["taken_by"]))
    assert (str(colleague.pk), "Ida Inkomstsson") in again
    assert len(LABEL_ROWS.statements) == 1


def test_choosing_still_validates_against_the_unit(org, transfer):
    takers, key = selectors.takers(transfer), selectors.takers_key(transfer)
    member = takers.first()
    form = AcceptForm({"taken_by": member.pk}, takers=takers, takers_key=key)
    assert form.is_valid() and form.cleaned_data["taken_by"] == member
    outsider = org.users["guide"]
    refused = AcceptForm({"taken_by": outsider.pk}, takers=takers, takers_key=key)
    assert not refused.is_valid() and "taken_by" in refused.errors


def test_each_unit_has_its_own_kept_options(org, cases, transfer):
    from .conftest import send

    to_housing = send(
        cases.a, actor=org.users["caseworker"], to_unit=org.units[Unit.Kind.HOUSING_TEAM]
    )
    keys = {selectors.takers_key(h) for h in (transfer, to_housing)}
    assert len(keys) == 2
    for handover in (transfer, to_housing):
        takers = selectors.takers(handover)
        ours = _options(
            str(AcceptForm(takers=takers, takers_key=selectors.takers_key(handover))["taken_by"])
        )
        assert {pk for pk, _label in ours[1:]} == {str(u.pk) for u in takers}
