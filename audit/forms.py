from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from bokvar.forms import within_calendar

from .models import How


class NoEchoInput(forms.TextInput):
    """An identity number is never written back into the page (history, caches, screens)."""

    def format_value(self, value):
        return None


class PersonSearchForm(forms.Form):
    personal_number = forms.CharField(
        label=_("Personal identity number"),
        max_length=20,
        widget=NoEchoInput(attrs={"autocomplete": "off"}),
    )


class HoldForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the legal hold"), widget=forms.Textarea(attrs={"rows": 3})
    )


class LogFilterForm(forms.Form):
    start = forms.DateField(
        label=_("From"),
        required=False,
        validators=[within_calendar],
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    end = forms.DateField(
        label=_("To"),
        required=False,
        validators=[within_calendar],
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=None, required=False)
    how = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("All"))] + How.choices)
    user = forms.IntegerField(label=_("User id"), required=False, min_value=1)
    person = forms.IntegerField(label=_("Person id"), required=False, min_value=1)
    case = forms.IntegerField(label=_("Case id"), required=False, min_value=1)
    flagged = forms.BooleanField(label=_("Only flagged reads"), required=False)

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", _("The end date is before the start date."))
        return data
