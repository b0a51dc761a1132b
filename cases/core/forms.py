"""Forms of the case pages: the case list's filters, a new case with its people and
children, editing a case or a person, closing, access grants."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.forms import BaseFormSet, formset_factory
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bokvar.forms import NOTE_MAX, IdsChoiceField, UnitChoiceField, UserChoiceField, limit_choices
from bokvar.models import Unit, User

from ..models import Case, Person, ProtectedIdentity, Sex
from .identity import InvalidPersonalNumber, parse_personal_number
from .services.people import PersonData


class CaseFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        help_text=_("Identity number, case number, or one or more words of a name"),
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All"))] + Case.Status.choices
    )
    # Read and written as rows (bokvar.forms.RowChoiceField): on every case list page.
    unit = UnitChoiceField(
        label=_("Unit"), required=False, queryset=Unit.objects.none(), empty_label=_("All")
    )
    assignee = UserChoiceField(
        label=_("Assigned to"),
        required=False,
        queryset=User.objects.none(),
        empty_label=_("Anyone"),
    )

    def __init__(
        self,
        *args: Any,
        units: QuerySet[Unit] | None = None,
        staff: QuerySet[User] | None = None,
        choices_key: Any = None,
        **kwargs: Any,
    ) -> None:
        """`choices_key`: what `units` and `staff` depend on (the reader's key), to read
        them by statements kept per key (`limit_choices`)."""
        super().__init__(*args, **kwargs)
        limit_choices(self, "unit", units, key=choices_key)
        limit_choices(self, "assignee", staff, key=choices_key)


class StaffChoiceField(IdsChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.get_full_name() or obj.username


class CaseCreateForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of case"), choices=Case.Kind.choices)
    responsible_unit = forms.ModelChoiceField(
        label=_("Responsible unit"), queryset=Unit.objects.none()
    )
    assignees = StaffChoiceField(
        label=_("Assigned staff"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(
        self,
        *args: Any,
        units: QuerySet[Unit] | None = None,
        staff: QuerySet[User] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, "responsible_unit", units)
        limit_choices(self, "assignees", staff)


class CaseEditForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of case"), choices=Case.Kind.choices)
    assignees = StaffChoiceField(
        label=_("Assigned staff"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, staff: QuerySet[User] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, "assignees", staff)


class PersonForm(forms.Form):
    given_name = forms.CharField(label=_("Given name"), max_length=200)
    family_name = forms.CharField(label=_("Family name"), max_length=200)
    personal_number = forms.CharField(
        label=_("Personal identity number"),
        required=False,
        max_length=20,
        help_text=_(
            "Personal identity number or coordination number, with or without dash or century."
        ),
    )
    address = forms.CharField(
        max_length=NOTE_MAX,
        label=_("Address"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    phone = forms.CharField(label=_("Phone"), required=False, max_length=40)
    email = forms.EmailField(label=_("E-mail"), required=False)
    sex = forms.ChoiceField(label=_("Sex"), required=False, choices=Sex.choices)
    needs_interpreter = forms.BooleanField(label=_("Needs an interpreter"), required=False)
    interpreter_language = forms.CharField(
        label=_("Interpreter language"), required=False, max_length=80
    )
    protected_identity = forms.ChoiceField(
        label=_("Protected identity"),
        choices=ProtectedIdentity.choices,
        initial=ProtectedIdentity.NONE,
    )
    protected_identity_noted_on = forms.DateField(
        label=_("Protected identity noted on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    notes = forms.CharField(
        max_length=NOTE_MAX,
        label=_("Notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean_personal_number(self) -> str:
        value = self.cleaned_data["personal_number"]
        if not value:
            return ""
        try:
            return parse_personal_number(value)
        except InvalidPersonalNumber as exc:
            raise forms.ValidationError(InvalidPersonalNumber.message) from exc

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("needs_interpreter") and not cleaned.get("interpreter_language"):
            self.add_error(
                "interpreter_language", _("Say which language the interpreter is needed for.")
            )
        noted = cleaned.get("protected_identity_noted_on")
        if noted and noted > timezone.localdate():
            self.add_error("protected_identity_noted_on", _("The date cannot be in the future."))
        return cleaned

    def to_data(self) -> PersonData:
        c = self.cleaned_data
        return PersonData(
            given_name=c["given_name"],
            family_name=c["family_name"],
            personal_number=c["personal_number"],
            address=c["address"],
            phone=c["phone"],
            email=c["email"],
            needs_interpreter=c["needs_interpreter"],
            interpreter_language=c["interpreter_language"],
            notes=c["notes"],
            sex=c["sex"],
            protected_identity=c["protected_identity"],
            protected_identity_noted_on=c["protected_identity_noted_on"],
        )


class PersonEditForm(PersonForm):
    version = forms.IntegerField(widget=forms.HiddenInput)


class ChildForm(forms.Form):
    birth_year = forms.IntegerField(label=_("Child's birth year"), min_value=1900, required=False)

    def clean_birth_year(self) -> int | None:
        year: int | None = self.cleaned_data["birth_year"]
        if year is not None and year > timezone.localdate().year:
            raise forms.ValidationError(_("The birth year cannot be in the future."))
        return year


class HouseholdChildForm(ChildForm):
    """Add one child to an existing household; the version guards against a parallel edit."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["birth_year"].required = True


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)


def person_formset(extra: int = 0) -> type[BaseFormSet[PersonForm]]:
    """The first adult is required; further rows may be left empty."""
    return formset_factory(
        PersonForm, extra=extra, min_num=1, validate_min=True, max_num=8, validate_max=True
    )


def child_formset(extra: int = 0) -> type[BaseFormSet[ChildForm]]:
    return formset_factory(ChildForm, extra=extra, max_num=12, validate_max=True)


class CloseCaseForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=[("", "—"), *Case.Outcome.choices])
    closed_on = forms.DateField(
        label=_("Closed on"),
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, case: Case | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.case = case

    def clean_closed_on(self) -> date:
        closed_on: date = self.cleaned_data["closed_on"]
        if closed_on > timezone.localdate():
            raise forms.ValidationError(_("The closing date cannot be in the future."))
        if self.case and closed_on < self.case.opened_on:
            raise forms.ValidationError(_("The closing date cannot be before the case was opened."))
        return closed_on


class GrantForm(forms.Form):
    user = forms.ModelChoiceField(
        label=_("Staff member"), queryset=User.objects.none(), required=False
    )
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=Unit.objects.none(), required=False)

    def __init__(
        self,
        *args: Any,
        staff: QuerySet[User] | None = None,
        units: QuerySet[Unit] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, "user", staff)
        limit_choices(self, "unit", units)

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if bool(cleaned.get("user")) == bool(cleaned.get("unit")):
            raise forms.ValidationError(_("Choose either a staff member or a unit."))
        return cleaned


class ColleagueChoiceField(forms.ModelChoiceField[User]):
    def label_from_instance(self, obj: User) -> str:
        return obj.get_full_name() or obj.username


class ProtectedPersonChoiceField(forms.ModelChoiceField[Person]):
    def label_from_instance(self, obj: Person) -> str:
        return obj.full_name or str(obj)


class ProtectedGrantForm(forms.Form):
    person = ProtectedPersonChoiceField(
        label=_("Person with protected identity"),
        queryset=Person.objects.none(),
        error_messages={
            "required": _("Choose the person with protected identity."),
            "invalid_choice": _("Choose a person with protected identity from the list."),
        },
    )
    user = ColleagueChoiceField(
        label=_("Colleague"),
        queryset=User.objects.none(),
        error_messages={
            "required": _("Choose the colleague who should see the person."),
            "invalid_choice": _("Choose a colleague from the list."),
        },
    )

    def __init__(
        self,
        *args: Any,
        people: QuerySet[Person] | None = None,
        staff: QuerySet[User] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, "person", people)
        limit_choices(self, "user", staff)
