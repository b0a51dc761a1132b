"""Landlords: housing companies, cooperatives and private landlords. A private
landlord is a person, so their name and contact details are encrypted; every
landlord is found by name through a blind index."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from bokvar.fields import EncryptedTextField, row_key_field
from bokvar.models import District


class Landlord(models.Model):
    class Kind(models.TextChoices):
        HOUSING_COMPANY = "housing_company", _("Housing company")
        COOPERATIVE = "cooperative", _("Housing cooperative")
        PRIVATE = "private", _("Private landlord")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # Companies and cooperatives are not personal data; their name stays readable.
    organisation_name = models.CharField(_("organisation name"), max_length=200, blank=True)
    organisation_number = models.CharField(_("organisation number"), max_length=20, blank=True)
    row_key = row_key_field()  # binds its encrypted values to this row
    private_name = EncryptedTextField(_("name (private landlord)"))
    name_bidx = models.CharField(max_length=64, unique=True, editable=False)
    contact_person = EncryptedTextField(_("contact person"))
    phone = EncryptedTextField(_("phone"))
    email = EncryptedTextField(_("e-mail"))
    address = EncryptedTextField(_("address"))
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(default=1)
    # Where the landlord's flats are: a signal from a landlord of one district belongs
    # to that district's coordinators from the moment it arrives (see district_for in
    # cases.evictions.services.landlord_signals). Not personal data; not kept in history.
    districts = models.ManyToManyField(
        District, blank=True, related_name="landlords", verbose_name=_("districts")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(excluded_fields=["name_bidx"])

    class Meta:
        verbose_name = _("landlord")
        verbose_name_plural = _("landlords")
        ordering = ["organisation_name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(kind="private")
                    & ~models.Q(private_name="")
                    & models.Q(organisation_name="")
                )
                | (~models.Q(kind="private") & ~models.Q(organisation_name="")),
                name="landlord_named_by_kind",
            ),
        ]

    def __str__(self) -> str:
        # A private landlord's name is personal data: never in __str__ (admin logs, errors).
        return self.organisation_name if self.kind != self.Kind.PRIVATE else f"#{self.pk}"

    @property
    def display_name(self) -> str:
        return self.private_name if self.kind == self.Kind.PRIVATE else self.organisation_name
