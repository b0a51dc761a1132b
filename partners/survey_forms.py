"""Forms of the client surveys: building one, handing out codes, and answering it (the
same form on the public page and for typing in a paper answer)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from bokvar.forms import choose
from bokvar.models import Unit

from .models import MeetingPlace, Survey, SurveyQuestion
from .survey_services import CODE_LENGTH, MAX_CODES_AT_ONCE, MAX_OPTIONS


class SurveyForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    introduction = forms.CharField(
        label=_("Introduction"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the survey is for, and that it is anonymous."),
    )
    owner = forms.ChoiceField(label=_("For"))

    def __init__(self, *args: Any, units=(), places=(), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices: list[tuple[str, Any]] = [
            (f"unit-{u.pk}", _("Clients of %(team)s") % {"team": u.name}) for u in units
        ]
        choices += [
            (f"place-{p.pk}", _("Guests of %(place)s") % {"place": p.partner.name}) for p in places
        ]
        owner = self.fields["owner"]
        assert isinstance(owner, forms.ChoiceField)
        owner.choices = choose(choices)


class QuestionForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind of question"), choices=choose(SurveyQuestion.Kind.choices)
    )
    text = forms.CharField(label=_("Question"), max_length=300)
    options = forms.CharField(
        label=_("Options"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For a choice question: one option a line, 2 to %(n)d.") % {"n": MAX_OPTIONS},
    )
    scale_min = forms.IntegerField(label=_("Scale from"), initial=1, min_value=0, max_value=10)
    scale_max = forms.IntegerField(label=_("Scale to"), initial=5, min_value=0, max_value=10)
    required = forms.BooleanField(label=_("An answer is required"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)


class CodesForm(forms.Form):
    count = forms.IntegerField(
        label=_("Number of codes"), min_value=1, max_value=MAX_CODES_AT_ONCE, initial=20
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Your code"),
        max_length=CODE_LENGTH + 4,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )


class AnswerForm(forms.Form):
    """One field per question, named "q<id>". Whether an answer is required and in range
    is the service's to say (`survey_services.clean_answers`), so paper answers and the
    public page are checked alike; the fields here only draw the questions."""

    def __init__(self, *args: Any, survey: Survey, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kind = SurveyQuestion.Kind
        for q in survey.questions.order_by("position"):
            common: dict[str, Any] = {"label": q.text, "required": False}
            if q.kind in (kind.SINGLE, kind.SCALE):
                self.fields[q.field_name] = forms.ChoiceField(
                    choices=q.choices, widget=forms.RadioSelect, **common
                )
            elif q.kind == kind.MULTIPLE:
                self.fields[q.field_name] = forms.MultipleChoiceField(
                    choices=q.choices, widget=forms.CheckboxSelectMultiple, **common
                )
            elif q.kind == kind.NUMBER:
                self.fields[q.field_name] = forms.IntegerField(
                    widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 0}), **common
                )
            else:
                self.fields[q.field_name] = forms.CharField(
                    widget=forms.Textarea(attrs={"rows": 3}),
                    help_text=_("Please do not write your name, phone number or identity number."),
                    **common,
                )
            if q.required:
                self.fields[q.field_name].label = f"{q.text} *"


def owner_of(value: str, *, units, places) -> tuple[Unit | None, MeetingPlace | None]:
    kind, _, pk = value.partition("-")
    if kind == "unit":
        return next(u for u in units if str(u.pk) == pk), None
    return None, next(p for p in places if str(p.pk) == pk)
