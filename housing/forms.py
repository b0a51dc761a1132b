from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bokvar.forms import (
    NOTE_MAX,
    GivenChoiceField,
    RowChoiceField,
    UnitChoiceField,
    limit_choices,
    within_calendar,
)
from bokvar.models import District, Unit, User
from cases.models import Landlord, Person

from .models import Apartment, CostCategory, Placement, Shelter

# Keyword arguments of a date field (**DATE): typed as such, not as a dict of widgets.
DATE: dict[str, Any] = {"widget": forms.DateInput(attrs={"type": "date"})}


class ShelterChoiceField(RowChoiceField):
    """Shelters by name (`str(shelter)`)."""

    label_columns = ("name",)

    def label_from_row(self, name: str) -> str:
        return name


class NightsForm(forms.Form):
    # The household's people as the page read them (their names decrypted once); the
    # country's shelters and the district's units read and written as rows, by statements
    # kept per key (bokvar.forms.RowChoiceField): an instance and an option dictionary for
    # each, and the statements built on every page, were half of the page's CPU (issue 22).
    person = GivenChoiceField(label=_("Person"))
    shelter = ShelterChoiceField(
        label=_("Shelter"), queryset=Shelter.objects.filter(is_active=True)
    )
    first = forms.DateField(label=_("First night"), **DATE)
    last = forms.DateField(
        label=_("Last night"), required=False, help_text=_("Leave empty for one night."), **DATE
    )
    paying_unit = UnitChoiceField(label=_("Paying unit"), queryset=Unit.objects.none())
    during_placement_confirmed = forms.BooleanField(
        label=_("Register them even if the household is placed in an apartment then"),
        required=False,
    )

    def __init__(
        self,
        *args,
        people: list[Person] | None = None,
        units=None,
        names=None,
        units_key: Any = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        names = names or {}
        person: Any = self.fields["person"]
        person.offer((p, names.get(p.pk, f"#{p.pk}")) for p in people or [])
        shelters = Shelter.objects.filter(is_active=True)
        limit_choices(self, "shelter", shelters, key=(shelters.db, "active shelters"))
        limit_choices(self, "paying_unit", units, key=units_key)

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("first"), cleaned.get("last") or cleaned.get("first")
        if first and first > timezone.localdate():
            self.add_error("first", _("A night in the future cannot be registered."))
        if first and last and last < first:
            self.add_error("last", _("The last night cannot be before the first."))
        cleaned["last"] = last
        return cleaned


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Invoice file (CSV)"),
        help_text=_("Columns: personal_number, shelter, night, paying_unit."),
    )


class ApartmentForm(forms.Form):
    district = forms.ModelChoiceField(label=_("District"), queryset=District.objects.none())
    kind = forms.ChoiceField(label=_("Kind"), choices=Apartment.Kind.choices)
    reference = forms.CharField(label=_("Reference"), max_length=40)
    address = forms.CharField(
        max_length=NOTE_MAX, label=_("Address"), widget=forms.Textarea(attrs={"rows": 2})
    )
    landlord = forms.ModelChoiceField(
        label=_("Landlord"), queryset=Landlord.objects.filter(is_active=True), required=False
    )
    rent = forms.DecimalField(
        label=_("Monthly rent (SEK)"), min_value=0, max_digits=9, decimal_places=2
    )
    municipality_first_hand = forms.BooleanField(
        label=_("The municipality holds the first-hand contract"), required=False, initial=True
    )
    status_since = forms.DateField(label=_("Vacant since"), initial=timezone.localdate, **DATE)

    def __init__(self, *args, districts=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Asked only of a coordinator of more than one district.
        if districts is None or districts.count() < 2:
            del self.fields["district"]
        else:
            self.fields["district"].queryset = districts


class ApartmentStatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("New status"),
        choices=[(s.value, s.label) for s in Apartment.SETTABLE_STATUSES],
        error_messages={
            "invalid_choice": _(
                "Choose vacant or being renovated: an apartment is occupied through a "
                "placement, and leaves the stock through a contract takeover."
            )
        },
    )
    since = forms.DateField(label=_("Since"), initial=timezone.localdate, **DATE)
    version = forms.IntegerField(widget=forms.HiddenInput)


class PlacementForm(forms.Form):
    apartment = forms.ModelChoiceField(label=_("Apartment"), queryset=Apartment.objects.none())
    start_on = forms.DateField(label=_("Moves in"), initial=timezone.localdate, **DATE)
    contract_type = forms.ChoiceField(
        label=_("Contract type"), choices=Placement.ContractType.choices
    )
    agreed_end_on = forms.DateField(
        label=_("Agreed until"),
        required=False,
        help_text=_("When the training or trial period ends, if a date was agreed."),
        **DATE,
    )
    guide = forms.ModelChoiceField(
        label=_("Housing guide"), queryset=User.objects.none(), required=False
    )
    monthly_cost = forms.DecimalField(
        label=_("Monthly cost to the district (SEK)"),
        min_value=0,
        max_digits=9,
        decimal_places=2,
        initial=0,
    )
    running_home = forms.BooleanField(label=_("Goal: running a home"), required=False)
    managing_money = forms.BooleanField(label=_("Goal: managing money"), required=False)
    social_skills = forms.BooleanField(label=_("Goal: social skills"), required=False)
    plan = forms.CharField(
        max_length=NOTE_MAX,
        label=_("Follow-up plan"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, apartments=None, guides=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["apartment"].queryset = (
            apartments if apartments is not None else Apartment.objects.none()
        )
        self.fields["guide"].queryset = guides if guides is not None else User.objects.none()


class EndPlacementForm(forms.Form):
    end_on = forms.DateField(label=_("Moved out"), initial=timezone.localdate, **DATE)
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=[("", "—")] + Placement.Outcome.choices[1:]
    )
    takeover_on = forms.DateField(label=_("Contract taken over on"), required=False, **DATE)
    version = forms.IntegerField(widget=forms.HiddenInput)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("outcome") == Placement.Outcome.TAKEOVER and not cleaned.get("takeover_on"):
            self.add_error("takeover_on", _("Give the date the client took over the contract."))
        return cleaned


class NoteForm(forms.Form):
    on = forms.DateField(label=_("Date"), initial=timezone.localdate, **DATE)
    note = forms.CharField(
        label=_("Progress note"), widget=forms.Textarea(attrs={"rows": 3}), max_length=NOTE_MAX
    )


class CostItemForm(forms.Form):
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=CostCategory.objects.filter(is_active=True)
    )
    on = forms.DateField(label=_("Date"), initial=timezone.localdate, **DATE)
    amount = forms.DecimalField(
        label=_("Amount (SEK)"), min_value=0, max_digits=10, decimal_places=2
    )
    note = forms.CharField(
        max_length=NOTE_MAX,
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), validators=[within_calendar], **DATE)
    end = forms.DateField(label=_("To"), validators=[within_calendar], **DATE)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("start") and cleaned.get("end") and cleaned["end"] < cleaned["start"]:
            self.add_error("end", _("The end of the period cannot be before its start."))
        return cleaned
