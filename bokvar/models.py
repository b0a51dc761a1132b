"""The organisation: districts, their units, the staff and the roles they hold."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser, Group
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device
from simple_history.models import HistoricalRecords


class Role(models.TextChoices):
    COORDINATOR = "coordinator", _("Housing coordinator")
    GUIDE = "guide", _("Housing guide")
    CASEWORKER = "caseworker", _("Caseworker")
    STEERING = "steering", _("Steering group")
    AUDITOR = "auditor", _("Auditor")
    ADMINISTRATOR = "administrator", _("Administrator")
    # Skötare of a drop-in meeting place: its anonymous tallies only, never a person.
    MEETING_PLACE_STAFF = "meeting_place_staff", _("Meeting-place staff")


class BreakGlassOnly(ValidationError):
    """Superuser status is reserved for the break-glass accounts (issue 21, point 3)."""


class User(AbstractUser):  # type: ignore[django-manager-missing]  # Passkey.user comes from django-otp's untyped Device
    """Staff account. Clients are never users."""

    # The language they chose with the language button (empty: never chose; the default,
    # Swedish, applies): notifications and e-mails are written in it.
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, blank=True, default=""
    )
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Here, not only in the admin's form: `createsuperuser`, the shell and every
        # other way of writing a user meet the same rule.
        if self.is_superuser and self.username not in settings.BREAK_GLASS_USERNAMES:
            raise BreakGlassOnly(
                {
                    "is_superuser": _(
                        "Only a break-glass account (BOKVAR_BREAK_GLASS_USERS) may be a superuser."
                    )
                }
            )
        super().save(*args, **kwargs)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class District(models.Model):
    """A district's social services (stadsdelsförvaltning); the widest scope a role has."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("district")
        verbose_name_plural = _("districts")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Unit(models.Model):
    class Kind(models.TextChoices):
        HOUSING_TEAM = "housing_team", _("Housing team (Bo Kvar)")
        ADULT = "adult", _("Adult unit")
        SOCIAL_PSYCHIATRY = "social_psychiatry", _("Social psychiatry")
        ELDERLY_CARE = "elderly_care", _("Elderly care")
        INCOME_SUPPORT = "income_support", _("Income support")
        DISABILITY = "disability", _("Disability unit")
        YOUNG_ADULTS = "young_adults", _("Young-adults team")
        DEBT_COUNSELLING = "debt_counselling", _("Budget and debt counselling")

    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="units", verbose_name=_("district")
    )
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    # Object permissions are granted to this group, so a unit's members share them.
    group = models.OneToOneField(
        Group, on_delete=models.PROTECT, related_name="unit", editable=False
    )
    email = models.EmailField(_("functional mailbox"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["district__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "name"], name="unit_name_unique_in_district"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user's role in a unit. Roles come only from memberships."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("unit")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    is_lead = models.BooleanField(
        _("unit lead"), default=False, help_text=_("A unit lead may act for the whole unit.")
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "unit", "role"], name="membership_unique_role"),
        ]
        indexes = [
            # The staff of a district's units (`cases.core.selectors.cases.staff_choices`,
            # the case list's and the forms' options) read from the index alone, a unit
            # at a time: without it PostgreSQL read every membership of the country by a
            # scan to find a district's 46, 1.2 of every case list page's ms at national
            # scale; with it 0.3 ms (issue 22, the twenty-third round).
            models.Index(fields=["unit", "role", "user"], name="membership_unit_role_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.unit} · {self.get_role_display()}"


class Notification(models.Model):
    """An in-app notification that may also go out by e-mail.

    The row is the truth: the `dedupe_key` makes each reminder or escalation step
    exist once per recipient, however often the scanning task runs, and the e-mail
    state lets a sender claim, send and mark it, so a lost task is picked up later.
    Subjects and bodies never hold personal data: they name case numbers, not people.
    """

    class EmailState(models.TextChoices):
        NONE = "none", _("No e-mail")
        PENDING = "pending", _("Waiting to be sent")
        SENDING = "sending", _("Being sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    recipient = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("recipient")
    )
    kind = models.CharField(_("kind"), max_length=40)
    dedupe_key = models.CharField(max_length=200)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    email_state = models.CharField(
        max_length=10, choices=EmailState.choices, default=EmailState.NONE
    )
    email_claimed_at = models.DateTimeField(null=True, blank=True)
    email_sent_at = models.DateTimeField(null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "dedupe_key"], name="notification_once"),
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
            models.Index(fields=["email_state", "email_claimed_at"], name="notification_outbox"),
        ]

    def __str__(self) -> str:
        return self.subject


class SecondFactorReset(models.Model):
    """One administrator removed another user's second factor (issue 21): kept for the
    auditor, never edited. The reason is the administrator's own words, no client data."""

    at = models.DateTimeField(_("when"), auto_now_add=True)
    actor = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("administrator")
    )
    user = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("user")
    )
    reason = models.CharField(_("reason"), max_length=200)

    class Meta:
        verbose_name = _("second-factor reset")
        verbose_name_plural = _("second-factor resets")
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(actor=models.F("user")), name="second_factor_reset_by_another"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} · {self.at:%Y-%m-%d}"


class RoleGrant(models.Model):
    """A role that sees client data, asked for by one administrator and given only when
    a second one approves (issue 21, point 3): no single administrator can give anyone,
    themselves included, access to clients' cases."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.CASCADE, related_name="+", verbose_name=_("unit")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    is_lead = models.BooleanField(_("unit lead"), default=False)
    requested_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    requested_at = models.DateTimeField(_("requested"), auto_now_add=True)
    approved_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)

    class Meta:
        verbose_name = _("role request")
        verbose_name_plural = _("role requests")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(approved_by=models.F("requested_by")),
                name="role_grant_second_administrator",
            ),
            models.CheckConstraint(
                condition=~models.Q(approved_by=models.F("user")), name="role_grant_not_own"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.unit} · {self.get_role_display()}"


class JobHeartbeat(models.Model):
    """When a periodic job last ran on a worker. The scheduler sends the heartbeat job
    every minute, so an old row means the scheduler (or every worker) has stopped: the
    health check (`bokvar/health.py`) compares it with the schedule."""

    name = models.CharField(max_length=80, unique=True)
    ran_at = models.DateTimeField()

    class Meta:
        verbose_name = _("job heartbeat")
        verbose_name_plural = _("job heartbeats")

    def __str__(self) -> str:
        return f"{self.name} · {self.ran_at:%Y-%m-%d %H:%M}"


class ApiClient(models.Model):
    """An integration's system that calls the API with a token: a landlord's system
    (signals), a shelter's (nights), a meeting place's (tallies) or the steering group's
    tools (statistics). The kind is the scope: a token reaches its kind's endpoints and no
    other. Only a SHA-256 hash of the token is stored; the token is shown once."""

    class Kind(models.TextChoices):
        LANDLORD = "landlord", _("Landlord's system (signals)")
        SHELTER = "shelter", _("Shelter's system (nights)")
        MEETING_PLACE = "meeting_place", _("Meeting place's system (tallies)")
        STEERING = "steering", _("Steering group's tools (statistics)")

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # The landlord, shelter or meeting place the client speaks for (kinds landlord,
    # shelter, meeting_place). A plain id, not a key: the kernel depends on no app.
    subject_id = models.PositiveBigIntegerField(_("speaks for (id)"), null=True, blank=True)
    # The district whose statistics a steering client reads.
    district = models.ForeignKey(
        District,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("district"),
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    # The first characters, so an administrator can tell tokens apart; not enough to use one.
    prefix = models.CharField(_("prefix"), max_length=12, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    # Written at most once a minute (bokvar.api_clients.LAST_USE_GRANULARITY), not per request.
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    history = HistoricalRecords(excluded_fields=["key_hash", "last_used_at"])

    class Meta:
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")
        indexes = [models.Index(fields=["kind", "subject_id"], name="apiclient_subject")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind__in=["landlord", "meeting_place", "shelter"])
                | models.Q(subject_id__isnull=False),
                name="apiclient_subject_given",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="steering") | models.Q(district__isnull=False),
                name="apiclient_steering_district",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class Passkey(Device):  # type: ignore[misc]  # django-otp ships no types
    """A WebAuthn credential (a passkey or a security key) of a staff account (issue 21,
    point 1), a django-otp device so a session it verified counts as signed in with a
    second factor everywhere else. It holds no personal data: the credential id, the
    public key (inside the attested credential data) and the signature counter."""

    credential_id = models.BinaryField(_("credential id"), max_length=1023, unique=True)
    # fido2's AttestedCredentialData: AAGUID, credential id and COSE public key.
    credential_data = models.BinaryField(_("credential data"))
    # The authenticator's signature counter: an assertion must raise it (a copied key
    # repeats or lowers it), unless the authenticator keeps none (always 0).
    sign_count = models.PositiveBigIntegerField(_("signature counter"), default=0)
    created_at = models.DateTimeField(_("registered"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("passkey")
        verbose_name_plural = _("passkeys")

    def verify_token(self, token: object) -> bool:
        # A passkey answers a challenge (bokvar.passkeys), never a typed code.
        return False
