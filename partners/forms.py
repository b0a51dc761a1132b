from __future__ import annotations

from typing import TypedDict

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bokvar.models import District

from .models import Partner, PlaceCost


# The keyword arguments the fields below share (typed, so each field checks them).
class _Widget(TypedDict):
    widget: forms.Widget


class _Count(TypedDict):
    min_value: int
    widget: forms.Widget


DATE: _Widget = {"widget": forms.DateInput(attrs={"type": "date"})}
TIME: _Widget = {"widget": forms.TimeInput(attrs={"type": "time"})}
# A count on a phone: the numeric keypad, big enough to hit.
COUNT: _Count = {
    "min_value": 0,
    "widget": forms.NumberInput(attrs={"inputmode": "numeric", "min": 0, "class": "count"}),
}


class PartnerForm(forms.Form):
    district = forms.ModelChoiceField(label=_("District"), queryset=District.objects.none())
    name = forms.CharField(label=_("Name"), max_length=120)
    kind = forms.ChoiceField(label=_("Kind"), choices=Partner.Kind.choices)
    contact_person = forms.CharField(label=_("Contact person"), max_length=120, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")
    target_groups = forms.CharField(label=_("Target groups"), max_length=300, required=False)
    description = forms.CharField(
        label=_("What it offers"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    agreement_from = forms.DateField(label=_("Cooperation agreement from"), required=False, **DATE)
    agreement_until = forms.DateField(
        label=_("Cooperation agreement until"), required=False, **DATE
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, districts=None, **kwargs):
        super().__init__(*args, **kwargs)
        if districts is None:
            del self.fields["district"]  # editing: the district stays
        else:
            self.fields["district"].queryset = districts

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("agreement_from"), cleaned.get("agreement_until")
        if end and not start:
            self.add_error("agreement_from", _("Give the date the agreement started."))
        if start and end and end < start:
            self.add_error("agreement_until", _("The agreement cannot end before it starts."))
        return cleaned


class StaffingForm(forms.Form):
    staff_fte = forms.DecimalField(
        label=_("Staffing (full-time equivalents)"), min_value=0, max_digits=5, decimal_places=2
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class OpeningPeriodForm(forms.Form):
    WEEKDAY_CHOICES = [
        ("1", _("Monday")),
        ("2", _("Tuesday")),
        ("3", _("Wednesday")),
        ("4", _("Thursday")),
        ("5", _("Friday")),
        ("6", _("Saturday")),
        ("7", _("Sunday")),
    ]
    starts_on = forms.DateField(label=_("From"), **DATE)
    ends_on = forms.DateField(label=_("Until"), required=False, **DATE)
    weekdays = forms.MultipleChoiceField(
        label=_("Weekdays"), choices=WEEKDAY_CHOICES, widget=forms.CheckboxSelectMultiple
    )
    opens_at = forms.TimeField(label=_("Opens"), **TIME)
    closes_at = forms.TimeField(label=_("Closes"), **TIME)


class CostForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=1990, max_value=2100)
    kind = forms.ChoiceField(label=_("Kind"), choices=PlaceCost.Kind.choices)
    amount = forms.DecimalField(
        label=_("Amount (SEK)"),
        min_value=0,
        max_digits=12,
        decimal_places=2,
        help_text=_("For rent per occasion: the price of one opening."),
    )


class TallyForm(forms.Form):
    """A day at the meeting place, quick to fill in on a phone: the unknown parts of each
    breakdown are what is left of the visits."""

    day = forms.DateField(label=_("Day"), **DATE)
    visits = forms.IntegerField(label=_("Visits"), **COUNT)
    new_visitors = forms.IntegerField(
        label=_("Of these, first visit this year"), initial=0, **COUNT
    )
    women = forms.IntegerField(label=_("Women"), initial=0, **COUNT)
    men = forms.IntegerField(label=_("Men"), initial=0, **COUNT)
    from_this_district = forms.IntegerField(label=_("From this district"), initial=0, **COUNT)
    from_other_district = forms.IntegerField(label=_("From another district"), initial=0, **COUNT)
    from_other_municipality = forms.IntegerField(
        label=_("From another municipality"), initial=0, **COUNT
    )
    activities = forms.IntegerField(label=_("Activities held"), initial=0, **COUNT)
    participants = forms.IntegerField(label=_("Activity participants"), initial=0, **COUNT)
    meals = forms.IntegerField(label=_("Meals served"), initial=0, **COUNT)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def clean_day(self):
        day = self.cleaned_data["day"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("A day in the future cannot be tallied."))
        return day


class ReportForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=1990, max_value=2100)
    # None chosen: every place the reader may open.
    place = forms.TypedMultipleChoiceField(
        label=_("Meeting places"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, places=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].choices = [(p.pk, p.partner.name) for p in places]
