from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from bokvar.forms import NOTE_MAX, UserChoiceField, choose, limit_choices
from bokvar.models import Unit, User
from bokvar.rendering import KeptBlank
from cases.models import Handover


class SendForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=choose(
            [
                (Handover.Kind.TRANSFER, _("Transfer: the receiving unit takes over the case")),
                (Handover.Kind.CONSULTATION, _("Consultation: the receiving unit takes part")),
            ]
        ),
    )
    to_unit = forms.ModelChoiceField(label=_("To unit"), queryset=Unit.objects.none())
    reason = forms.CharField(
        max_length=NOTE_MAX, label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3})
    )
    expectations = forms.CharField(
        max_length=NOTE_MAX,
        label=_("What the receiving unit is expected to do"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Handover.Urgency.choices)
    grants_protected = forms.BooleanField(
        label=_("Let the receiving unit see the people with protected identity once it accepts"),
        required=False,
    )

    def __init__(
        self,
        *args: Any,
        units: QuerySet[Unit],
        may_grant_protected: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, "to_unit", units)
        if not may_grant_protected:
            # Offered only to those granted the household's protected people.
            del self.fields["grants_protected"]


class RequestForm(forms.Form):
    from_unit = forms.ModelChoiceField(label=_("Your unit"), queryset=Unit.objects.none())
    reason = forms.CharField(
        max_length=NOTE_MAX, label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3})
    )
    expectations = forms.CharField(
        max_length=NOTE_MAX,
        label=_("What the responsible unit is expected to do"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Handover.Urgency.choices)

    def __init__(self, *args: Any, units: QuerySet[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, "from_unit", units)


class ReturnForm(KeptBlank, forms.Form):
    # Given blank on every pending handover's page: its markup is kept (KeptBlank).
    reason = forms.CharField(
        max_length=NOTE_MAX,
        label=_("Reason for returning"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AcceptForm(forms.Form):
    """Accepting names who in the unit takes the case: nobody is preselected. The unit's
    staff are read as rows (`UserChoiceField`), by a statement kept per unit when the
    caller gives `takers_key` (the handover page: every pending handover's page offers
    them)."""

    taken_by = UserChoiceField(
        label=_("Who in the unit takes the case"),
        queryset=User.objects.none(),
        empty_label=_("Choose a caseworker"),
    )

    def __init__(
        self, *args: Any, takers: QuerySet[User], takers_key: Any = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, "taken_by", takers, key=takers_key)
