"""People and households. Every identifying value is an EncryptedTextField; exact
search goes through blind indexes; statistics use only the coarse plain columns."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from guardian.models import UserObjectPermissionBase
from simple_history.models import HistoricalRecords

from bokvar.fields import EncryptedTextField, row_key_field

BLIND_INDEXES = ["name_bidx", "personal_number_bidx"]


class ProtectedIdentity(models.TextChoices):
    NONE = "none", _("None")
    SECRECY_MARKING = "secrecy_marking", _("Secrecy marking")
    PROTECTED_REGISTRATION = "protected_registration", _("Protected registration")
    ASSUMED_IDENTITY = "assumed_identity", _("Assumed identity")


class Sex(models.TextChoices):
    UNRECORDED = "", _("Not recorded")
    FEMALE = "F", _("Woman")
    MALE = "M", _("Man")
    OTHER = "X", _("Other")


class Household(models.Model):
    """The people living together. Children are counted by birth year only."""

    head = models.ForeignKey(
        "cases.Person",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("main tenant"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")

    def __str__(self) -> str:
        return f"#{self.pk}"


class HouseholdChild(models.Model):
    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="children", verbose_name=_("household")
    )
    birth_year = models.PositiveSmallIntegerField(_("birth year"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("child")
        verbose_name_plural = _("children")
        ordering = ["birth_year", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(birth_year__gte=1900) & Q(birth_year__lte=2200),
                name="child_birth_year_sane",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"


class Person(models.Model):
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="members", verbose_name=_("household")
    )
    row_key = row_key_field()  # binds its encrypted values to this row
    given_name = EncryptedTextField(_("given name"))
    family_name = EncryptedTextField(_("family name"))
    personal_number = EncryptedTextField(_("personal identity number"))
    address = EncryptedTextField(_("address"))
    phone = EncryptedTextField(_("phone"))
    email = EncryptedTextField(_("e-mail"))
    needs_interpreter = models.BooleanField(_("needs an interpreter"), default=False)
    interpreter_language = EncryptedTextField(_("interpreter language"))
    notes = EncryptedTextField(_("notes"))
    # Keyed hashes for exact search; never decryptable, never in history.
    name_bidx = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    personal_number_bidx = models.CharField(max_length=64, blank=True, editable=False)
    # Coarse, non-identifying columns for statistics.
    birth_year_band = models.PositiveSmallIntegerField(_("birth decade"), null=True, blank=True)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, blank=True, default="")
    protected_identity = models.CharField(
        _("protected identity"),
        max_length=24,
        choices=ProtectedIdentity.choices,
        default=ProtectedIdentity.NONE,
    )
    protected_identity_noted_on = models.DateField(
        _("protected identity noted on"), null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)
    history = HistoricalRecords(excluded_fields=BLIND_INDEXES)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        permissions = [("view_protected_person", _("Can see a person with protected identity"))]
        constraints = [
            models.UniqueConstraint(
                fields=["personal_number_bidx"],
                condition=~Q(personal_number_bidx=""),
                name="person_personal_number_unique",
            ),
            models.CheckConstraint(
                condition=Q(protected_identity=ProtectedIdentity.NONE)
                | Q(protected_identity_noted_on__isnull=False),
                name="person_protected_identity_dated",
            ),
        ]
        # The people with a protected identity, by household: who is hidden from a
        # reader (`people.hidden_people`, built on most pages through `Sight`) is read
        # from these few rows instead of scanning every person (issue 22, point 2).
        indexes = [
            models.Index(
                fields=["household"],
                condition=~Q(protected_identity=ProtectedIdentity.NONE),
                name="person_protected_household",
            )
        ]

    def __str__(self) -> str:
        # Never a name: __str__ ends up in admin logs and error reports.
        return f"#{self.pk}"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()

    @property
    def is_protected(self) -> bool:
        return self.protected_identity != ProtectedIdentity.NONE


class PersonNameToken(models.Model):
    """One word of a person's given or family name as a blind index, for search by part
    of a name (issue 19, point 8; cases.core.identity). Never in history."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="name_tokens")
    token_bidx = models.CharField(max_length=64, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "token_bidx"], name="person_name_token_unique"
            )
        ]
        # Search goes from the token to the person.
        indexes = [models.Index(fields=["token_bidx", "person"], name="person_name_token_find")]

    def __str__(self) -> str:
        return f"#{self.pk}"


class PersonUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Person, on_delete=models.CASCADE)
    # Who let whom see a protected person, and why.
    history = HistoricalRecords()
