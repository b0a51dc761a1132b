"""Forms of referrals: proposing one (with the client's consent) and moving it a step on."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..forms import DATE
from ..models import Referral


class ReferralForm(forms.Form):
    partner = forms.TypedChoiceField(label=_("Partner"), coerce=int)
    person = forms.TypedChoiceField(label=_("Client"), coerce=int)
    proposed_on = forms.DateField(label=_("Proposed on"), initial=timezone.localdate, **DATE)
    consent_on = forms.DateField(
        label=_("Consent given on"),
        initial=timezone.localdate,
        help_text=_("When the client agreed to what may be shared with the partner."),
        **DATE,
    )
    share_contact = forms.BooleanField(
        label=_("The client agreed to share name and contact details"), required=False
    )
    share_need = forms.BooleanField(label=_("The client agreed to share the need"), required=False)
    need = forms.CharField(
        label=_("Need"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Only what the client agreed may be told to the partner."),
    )

    def __init__(self, *args, partners=(), people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].choices = [("", "---------"), *partners]
        self.fields["person"].choices = list(people)


class ReferralStepForm(forms.Form):
    status = forms.ChoiceField(label=_("Next step"))
    on = forms.DateField(label=_("Date"), initial=timezone.localdate, **DATE)
    reason = forms.CharField(
        label=_("Reason for declining"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Only when the partner declined."),
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        required=False,
        choices=[("", "---------"), *Referral.Outcome.choices],
        help_text=_("Only when the referral ended."),
    )
    outcome_note = forms.CharField(
        label=_("What came of it"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, steps=(), **kwargs):
        super().__init__(*args, **kwargs)
        # Every status is accepted here: an illegal step is the service's to refuse,
        # with the reason, not the form's to call an unknown choice.
        self.fields["status"].choices = [*steps] or list(Referral.Status.choices)
        self.fields["status"].valid_value = lambda value: value in Referral.Status.values
