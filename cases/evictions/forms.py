"""Forms of the eviction-prevention pages: signals and their triage, imports, threats,
contacts and interventions, the landlord register."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bokvar.forms import NOTE_MAX, IdsChoiceField, choose, limit_choices, not_in_future
from bokvar.models import District, Unit, User
from bokvar.rendering import KeptBlank
from cases.core.identity import InvalidPersonalNumber, parse_personal_number
from cases.models import (
    Contact,
    EvictionThreat,
    Intervention,
    Landlord,
    LandlordSignal,
    PaymentRoute,
)

from .selectors import income_support_units
from .services.landlord_signals import MisconductSteps, SignalInput
from .services.payment_routes import RouteData
from .services.threats import ThreatData

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MAX_CHILDREN = 12
YES_NO = [("", _("Unknown")), ("yes", _("Yes")), ("no", _("No"))]


def _yes_no(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


class LandlordChoiceField(forms.ModelChoiceField[Landlord]):
    """Landlords by name: a private landlord's `str()` is only its number, kept out of
    logs; the coordinator choosing one needs the name."""

    def label_from_instance(self, obj: Landlord) -> str:
        return obj.display_name or str(obj)


class SignalForm(forms.Form):
    landlord = LandlordChoiceField(label=_("Landlord"), queryset=Landlord.objects.none())
    kind = forms.ChoiceField(label=_("Kind"), choices=choose(LandlordSignal.Kind.choices))
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=[
            c
            for c in LandlordSignal.Channel.choices
            if c[0] not in (LandlordSignal.Channel.API, LandlordSignal.Channel.IMPORT)
        ],
    )
    received_on = forms.DateField(label=_("Received"), widget=DATE, validators=[not_in_future])
    personal_number = forms.CharField(
        label=_("Tenant's identity number"), required=False, max_length=20
    )
    name = forms.CharField(label=_("Tenant's name"), required=False, max_length=200)
    address = forms.CharField(label=_("Tenant's address"), required=False, max_length=300)
    arrears_amount = forms.DecimalField(
        label=_("Arrears amount (SEK)"), required=False, min_value=0, decimal_places=2
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea, max_length=NOTE_MAX
    )
    landlord_warned_tenant = forms.ChoiceField(
        label=_("Disturbance, complaints or neglect: has the landlord warned the tenant?"),
        choices=YES_NO,
        required=False,
    )
    landlord_warned_tenant_on = forms.DateField(
        label=_("Date of the landlord's warning to the tenant"), required=False, widget=DATE
    )
    landlord_notified_board = forms.ChoiceField(
        label=_(
            "Disturbance, complaints or neglect: has the landlord notified the social "
            "welfare board?"
        ),
        choices=YES_NO,
        required=False,
    )
    landlord_notified_board_on = forms.DateField(
        label=_("Date the landlord notified the social welfare board"),
        required=False,
        widget=DATE,
    )
    particularly_serious = forms.BooleanField(
        label=_("The landlord claims particularly serious disturbances (no warning needed)"),
        required=False,
    )

    def __init__(self, *args: Any, districts: list[int] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, "landlord", Landlord.objects.filter(is_active=True))
        # A coordinator of several districts says whose signal it is; with one, it is theirs.
        if districts is not None and len(districts) > 1:
            self.fields["district"] = forms.ModelChoiceField(
                label=_("District"), queryset=District.objects.filter(pk__in=districts)
            )

    def clean_personal_number(self) -> str:
        value = self.cleaned_data["personal_number"]
        if value.strip():
            try:
                return parse_personal_number(value)
            except InvalidPersonalNumber as exc:
                raise forms.ValidationError(exc.message) from exc
        return ""

    def to_input(self) -> SignalInput:
        c = self.cleaned_data
        return SignalInput(
            kind=c["kind"],
            received_on=c["received_on"],
            channel=c["channel"],
            personal_number=c["personal_number"],
            name=c["name"],
            address=c["address"],
            arrears_amount=c["arrears_amount"],
            description=c["description"],
            landlord_warned_tenant=_yes_no(c["landlord_warned_tenant"]),
            landlord_notified_board=_yes_no(c["landlord_notified_board"]),
            landlord_warned_tenant_on=c["landlord_warned_tenant_on"],
            landlord_notified_board_on=c["landlord_notified_board_on"],
            particularly_serious=c["particularly_serious"],
        )


class MisconductStepsForm(forms.Form):
    """What the landlord did before terminating for misconduct (12 kap. 25 §, 43 §),
    recorded on the signal when it becomes known."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    landlord_warned_tenant = forms.ChoiceField(
        label=_("Has the landlord warned the tenant?"), choices=YES_NO, required=False
    )
    landlord_warned_tenant_on = forms.DateField(
        label=_("Date of the landlord's warning to the tenant"), required=False, widget=DATE
    )
    landlord_notified_board = forms.ChoiceField(
        label=_("Has the landlord notified the social welfare board?"),
        choices=YES_NO,
        required=False,
    )
    landlord_notified_board_on = forms.DateField(
        label=_("Date the landlord notified the social welfare board"),
        required=False,
        widget=DATE,
    )
    particularly_serious = forms.BooleanField(
        label=_("The landlord claims particularly serious disturbances (no warning needed)"),
        required=False,
    )

    @classmethod
    def for_signal(cls, signal: LandlordSignal) -> MisconductStepsForm:
        def answer(value: bool | None) -> str:
            return {True: "yes", False: "no"}.get(value, "") if value is not None else ""

        return cls(
            initial={
                "version": signal.version,
                "landlord_warned_tenant": answer(signal.landlord_warned_tenant),
                "landlord_warned_tenant_on": signal.landlord_warned_tenant_on,
                "landlord_notified_board": answer(signal.landlord_notified_board),
                "landlord_notified_board_on": signal.landlord_notified_board_on,
                "particularly_serious": signal.particularly_serious,
            }
        )

    def to_steps(self) -> MisconductSteps:
        c = self.cleaned_data
        return MisconductSteps(
            warned=_yes_no(c["landlord_warned_tenant"]),
            warned_on=c["landlord_warned_tenant_on"],
            notified_board=_yes_no(c["landlord_notified_board"]),
            notified_board_on=c["landlord_notified_board_on"],
            particularly_serious=c["particularly_serious"],
        )


class LinkForm(forms.Form):
    case = forms.IntegerField(widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput)


class ReopenForm(LinkForm):
    case_version = forms.IntegerField(widget=forms.HiddenInput)


def parse_birth_years(value: str) -> list[int]:
    """ "2015, 2019" (commas, semicolons or spaces) into years; each one checked."""
    years = []
    for part in value.replace(";", ",").replace(" ", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not (part.isdigit() and len(part) == 4):
            raise forms.ValidationError(
                _("Write each birth year with four digits, e.g. 2015, 2019.")
            )
        year = int(part)
        if not 1900 <= year <= timezone.localdate().year:
            raise forms.ValidationError(
                _("A child's birth year must be between 1900 and this year.")
            )
        years.append(year)
    if len(years) > MAX_CHILDREN:
        raise forms.ValidationError(
            _("Enter at most %(count)s children here; add more on the case.")
            % {"count": MAX_CHILDREN}
        )
    return years


class OpenCaseForm(forms.Form):
    given_name = forms.CharField(label=_("Given name"), max_length=100)
    family_name = forms.CharField(label=_("Family name"), max_length=100)
    personal_number = forms.CharField(
        label=_("Personal identity number"), required=False, max_length=20
    )
    responsible_unit = forms.ModelChoiceField(
        label=_("Responsible unit"), queryset=Unit.objects.none()
    )
    assignees = IdsChoiceField(
        label=_("Assigned staff"), queryset=User.objects.none(), required=False
    )
    children_birth_years = forms.CharField(
        label=_("Children's birth years"),
        required=False,
        max_length=200,
        help_text=_("Children living in the household, by birth year only, e.g. 2015, 2019."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        units: QuerySet[Unit] | None = None,
        staff: QuerySet[User] | None = None,
        **kwargs: Any,
    ) -> None:
        # Two forms share the signal page: distinct ids keep labels unambiguous.
        kwargs.setdefault("auto_id", "open_%s")
        super().__init__(*args, **kwargs)
        limit_choices(self, "responsible_unit", units)
        limit_choices(self, "assignees", staff)

    def clean_personal_number(self) -> str:
        value = self.cleaned_data["personal_number"]
        if value.strip():
            try:
                return parse_personal_number(value)
            except InvalidPersonalNumber as exc:
                raise forms.ValidationError(exc.message) from exc
        return ""

    def clean_children_birth_years(self) -> list[int]:
        return parse_birth_years(self.cleaned_data["children_birth_years"])


class DismissForm(forms.Form):
    reason = forms.CharField(
        max_length=NOTE_MAX, label=_("Reason for dismissal"), widget=forms.Textarea
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "dismiss_%s")
        super().__init__(*args, **kwargs)


class ImportForm(forms.Form):
    landlord = LandlordChoiceField(label=_("Landlord"), queryset=Landlord.objects.none())
    file = forms.FileField(label=_("CSV file"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, "landlord", Landlord.objects.filter(is_active=True))


class ThreatForm(KeptBlank, forms.Form):
    # A new threat's form is blank: its markup is kept (bokvar.rendering.KeptBlank).
    arrears_notice_on = forms.DateField(label=_("Rent-arrears notice"), required=False, widget=DATE)
    arrears_amount = forms.DecimalField(
        label=_("Rent arrears (SEK)"), required=False, decimal_places=2
    )
    termination_served_on = forms.DateField(
        label=_("Notice of termination served on the tenant"), required=False, widget=DATE
    )
    termination_notice = forms.ChoiceField(
        label=_("Was the notice of termination correct?"),
        choices=EvictionThreat.NoticeCheck.choices,
        required=False,
        help_text=EvictionThreat._meta.get_field("termination_notice").help_text,
    )
    board_notice_given_on = forms.DateField(
        label=_("Notice given to the social welfare board"),
        required=False,
        widget=DATE,
        help_text=EvictionThreat._meta.get_field("board_notice_given_on").help_text,
    )
    board_notified_on = forms.DateField(
        label=_("Notice reached the social welfare board"),
        required=False,
        widget=DATE,
        help_text=_(
            "When only this date is known, the recovery deadline is shown as at the latest: "
            "the lawful one may be earlier."
        ),
    )
    board_notice_amount_wrong = forms.BooleanField(
        label=_("The notice to the board states a wrong amount"),
        required=False,
        help_text=EvictionThreat._meta.get_field("board_notice_amount_wrong").help_text,
    )
    recovery_amount = forms.DecimalField(
        label=_("Amount needed to recover the lease (SEK)"), required=False, decimal_places=2
    )
    application_to = forms.ChoiceField(
        label=_("Application to"), choices=EvictionThreat.ApplicationTo.choices, required=False
    )
    application_on = forms.DateField(label=_("Application date"), required=False, widget=DATE)
    application_served_on = forms.DateField(
        label=_("Application served on the tenant"),
        required=False,
        widget=DATE,
        help_text=EvictionThreat._meta.get_field("application_served_on").help_text,
    )
    prevented_by_illness = forms.BooleanField(
        label=_("The tenant was prevented by illness or a similar unforeseen circumstance"),
        required=False,
        help_text=EvictionThreat._meta.get_field("prevented_by_illness").help_text,
    )
    eviction_on = forms.DateField(label=_("Eviction date"), required=False, widget=DATE)
    paid_on = forms.DateField(label=_("Payment made"), required=False, widget=DATE)
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=EvictionThreat.Outcome.choices, required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def to_data(self) -> ThreatData:
        c = dict(self.cleaned_data)
        c.pop("version", None)
        return ThreatData(**c)


class UnitChoiceField(forms.ModelChoiceField[Unit]):
    """An income-support unit by name and district (it may sit in another district)."""

    def label_from_instance(self, obj: Unit) -> str:
        return f"{obj.name} ({obj.district.name})"


class PaymentRouteForm(forms.Form):
    """The payment route of a threat. Dates in order, amounts above zero and no step in
    the future are the service's rules (`services.payment_routes.validate`): its refusals
    land on these fields by name."""

    applied_on = forms.DateField(
        label=_("Income-support application made"), required=False, widget=DATE
    )
    income_support_unit = UnitChoiceField(
        label=_("Income-support unit"), required=False, queryset=Unit.objects.none()
    )
    decision = forms.ChoiceField(
        label=_("Decision"), choices=PaymentRoute.Decision.choices, required=False
    )
    decided_on = forms.DateField(label=_("Decision made"), required=False, widget=DATE)
    settlement = forms.ChoiceField(
        label=_("Payment or written commitment to the landlord"),
        choices=PaymentRoute.Settlement.choices,
        required=False,
    )
    settled_on = forms.DateField(label=_("Paid or committed on"), required=False, widget=DATE)
    settled_amount = forms.DecimalField(
        label=_("Amount paid or committed (SEK)"),
        required=False,
        max_digits=10,
        decimal_places=2,
    )
    landlord_confirmed_on = forms.DateField(
        label=_("Landlord confirmed receipt"), required=False, widget=DATE
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, "income_support_unit", income_support_units())

    @staticmethod
    def initial_from(route: PaymentRoute | None) -> dict[str, Any]:
        if route is None:
            return {"version": 0}
        return {
            "applied_on": route.applied_on,
            "income_support_unit": route.income_support_unit_id,
            "decision": route.decision,
            "decided_on": route.decided_on,
            "settlement": route.settlement,
            "settled_on": route.settled_on,
            "settled_amount": route.amount,
            "landlord_confirmed_on": route.landlord_confirmed_on,
            "version": route.version,
        }

    def to_data(self) -> RouteData:
        c = dict(self.cleaned_data)
        c.pop("version", None)
        unit = c.pop("income_support_unit")
        return RouteData(**c, income_support_unit_id=unit.pk if unit else None)


class ContactForm(KeptBlank, forms.Form):
    # A new contact's form: blank but for today's date (bokvar.rendering.KeptBlank).
    kept_initial = frozenset({"on"})
    kind = forms.ChoiceField(label=_("Kind"), choices=choose(Contact.Kind.choices))
    on = forms.DateField(label=_("Date"), widget=DATE, validators=[not_in_future])
    reached = forms.BooleanField(label=_("Reached the person"), required=False)
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea, max_length=NOTE_MAX
    )
    follow_up_on = forms.DateField(label=_("Agreed follow-up"), required=False, widget=DATE)


class InterventionForm(KeptBlank, forms.Form):
    kept_initial = frozenset({"on"})  # today's date (bokvar.rendering.KeptBlank)
    # A referral to a partner is recorded as a referral (partners app, issue 20) with its
    # partner, steps, outcome and the client's consent; the old kind is kept only so
    # that interventions recorded before read as they did.
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=choose(
            [c for c in Intervention.Kind.choices if c[0] != Intervention.Kind.PARTNER_REFERRAL]
        ),
    )
    status = forms.ChoiceField(label=_("Status"), choices=choose(Intervention.Status.choices))
    on = forms.DateField(
        label=_("Date"),
        widget=DATE,
        help_text=_("When it started or ended; for a planned intervention, when it starts."),
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea, max_length=NOTE_MAX
    )
    outcome = forms.CharField(
        label=_("Outcome"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=NOTE_MAX,
        help_text=_("What came of it; needed when it is done or cancelled."),
    )


class InterventionUpdateForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Intervention.Status.choices)
    on = forms.DateField(label=_("Date"), widget=DATE)
    outcome = InterventionForm.base_fields["outcome"]
    version = forms.IntegerField(widget=forms.HiddenInput)


class LandlordForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Landlord.Kind.choices)
    name = forms.CharField(label=_("Name"), max_length=200)
    organisation_number = forms.CharField(
        label=_("Organisation number"), max_length=20, required=False
    )
    contact_person = forms.CharField(label=_("Contact person"), max_length=200, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=50, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    districts = IdsChoiceField(
        label=_("Districts where the landlord has flats"),
        queryset=District.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_(
            "None ticked means all of yours. Signals from a landlord of one district go "
            "straight to its coordinators."
        ),
    )

    def __init__(
        self, *args: Any, districts: QuerySet[District] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, "districts", districts)


class LandlordEditForm(LandlordForm):
    is_active = forms.BooleanField(
        label=_("Active"),
        required=False,
        help_text=_(
            "A landlord that is not active cannot report signals; its API tokens are revoked."
        ),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["districts"].help_text = _(
            "Among the districts you coordinate; other districts are kept as they are."
        )
