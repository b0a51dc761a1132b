from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bokvar.forms import UnitChoiceField, full_name, within_calendar
from bokvar.models import User

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


# The access log reaches back no further than this, and no further ahead than a year:
# a date outside is a typing error, refused with its field named (and never reaches the
# database as a time it cannot represent).
EARLIEST = date(2000, 1, 1)


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
    unit = UnitChoiceField(label=_("Unit"), queryset=None, required=False)
    how = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("All"))] + How.choices)
    # The reader by username, or by a row's link (`user`, an id): a list of every member
    # of staff was most of the page at national scale (2,141 options; the page went
    # from 196 to 41 kB, issue 22). Any account, a closed one too: its reads stay in
    # the log.
    username = forms.CharField(label=_("User (username)"), required=False, max_length=150)
    user: forms.ModelChoiceField[User] = forms.ModelChoiceField(
        queryset=None, required=False, widget=forms.HiddenInput
    )
    case = forms.CharField(
        label=_("Case number"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"placeholder": "BK-2026-0001"}),
    )
    # Reached by a person's link in the log or by the identity-number search (which
    # logs the lookup and redirects here): never an identity number in the address.
    person = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    flagged = forms.BooleanField(label=_("Only flagged reads"), required=False)
    awaiting_review = forms.BooleanField(
        label=_("Only flagged reads awaiting review"), required=False
    )

    def __init__(self, *args, units, users, find_case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["user"].queryset = users
        self.find_case = find_case

    def _clean_day(self, name: str) -> date | None:
        day = self.cleaned_data.get(name)
        latest = timezone.localdate() + timedelta(days=366)
        if day is not None and not EARLIEST <= day <= latest:
            raise forms.ValidationError(
                _("Choose a date from %(earliest)s to %(latest)s."),
                params={"earliest": EARLIEST.isoformat(), "latest": latest.isoformat()},
            )
        return day

    def clean_start(self):
        return self._clean_day("start")

    def clean_end(self):
        return self._clean_day("end")

    def clean_username(self):
        name = self.cleaned_data.get("username", "").strip()
        if not name:
            return None
        found = self.fields["user"].queryset.filter(username__iexact=name).first()
        if found is None:
            raise forms.ValidationError(_("No user has this username."))
        return found

    def reader(self):
        """The user whose reads are asked for (by username, else by a row's link), or
        None; after validation."""
        return self.cleaned_data.get("username") or self.cleaned_data.get("user")

    def reader_label(self) -> str:
        """How the page names the reader asked for: full name and username."""
        reader = self.reader()
        if reader is None:
            return ""
        name = full_name(reader.first_name, reader.last_name)
        return f"{name} ({reader.username})" if name else reader.username

    def clean_case(self) -> int | None:
        number = self.cleaned_data.get("case", "").strip()
        if not number:
            return None
        case_id = self.find_case(number)
        if case_id is None:
            raise forms.ValidationError(_("No case has this number."))
        return case_id

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", _("The end date is before the start date."))
        return data


class ReviewForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
