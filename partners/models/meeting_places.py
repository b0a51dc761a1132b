"""Meeting places (träfflokaler, träffpunkter): a kind of partner that is open at set
times, is staffed, costs money per year, and counts its visits anonymously."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .partners import Partner


class MeetingPlace(models.Model):
    partner = models.OneToOneField(
        Partner,
        on_delete=models.PROTECT,
        related_name="meeting_place",
        verbose_name=_("partner organisation"),
    )
    staff_fte = models.DecimalField(
        _("staffing (full-time equivalents)"), max_digits=5, decimal_places=2, default=0
    )
    version = models.PositiveIntegerField(default=1)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("meeting place")
        verbose_name_plural = _("meeting places")
        ordering = ["partner__name"]
        constraints = [
            models.CheckConstraint(condition=Q(staff_fte__gte=0), name="place_fte_not_negative"),
        ]

    def __str__(self) -> str:
        return self.partner.name


class OpeningPeriod(models.Model):
    """When the place is open: a season (from, until) on some weekdays at set hours."""

    place = models.ForeignKey(
        MeetingPlace,
        on_delete=models.CASCADE,
        related_name="opening_periods",
        verbose_name=_("meeting place"),
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), null=True, blank=True)
    # ISO weekdays as digits, "135" = Monday, Wednesday, Friday.
    weekdays = models.CharField(_("weekdays"), max_length=7)
    opens_at = models.TimeField(_("opens"))
    closes_at = models.TimeField(_("closes"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("opening period")
        verbose_name_plural = _("opening periods")
        ordering = ["starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="opening_period_ordered",
            ),
            models.CheckConstraint(
                condition=Q(closes_at__gt=F("opens_at")), name="opening_hours_ordered"
            ),
            models.CheckConstraint(
                condition=Q(weekdays__regex=r"^[1-7]{1,7}$"), name="opening_weekdays_iso"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.place} {self.starts_on}"


class PlaceCost(models.Model):
    """A year's budget or cost of one kind. Rent per occasion is the price of one
    opening; the year's cost is that price times the openings tallied."""

    class Kind(models.TextChoices):
        STAFF = "staff", _("Staff")
        RENT = "rent", _("Rent")
        RENT_PER_OCCASION = "rent_per_occasion", _("Rent per occasion")
        FOOD_INSPECTION = "food_inspection", _("Food inspection")
        OTHER = "other", _("Other costs")

    place = models.ForeignKey(
        MeetingPlace,
        on_delete=models.CASCADE,
        related_name="costs",
        verbose_name=_("meeting place"),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    amount = models.DecimalField(_("amount (SEK)"), max_digits=12, decimal_places=2)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("meeting-place cost")
        verbose_name_plural = _("meeting-place costs")
        ordering = ["year", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["place", "year", "kind"], name="place_cost_once"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="place_cost_not_negative"),
            models.CheckConstraint(
                condition=Q(year__gte=1990, year__lte=2100), name="place_cost_year_sane"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.get_kind_display()}"


class PlaceStaff(models.Model):
    """Which meeting places a skötare works at: the scope of the meeting-place staff
    role (the role itself comes from a unit membership, like every role)."""

    place = models.ForeignKey(
        MeetingPlace,
        on_delete=models.CASCADE,
        related_name="staff",
        verbose_name=_("meeting place"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="meeting_places",
        verbose_name=_("user"),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("meeting-place staff")
        verbose_name_plural = _("meeting-place staff")
        constraints = [
            models.UniqueConstraint(fields=["place", "user"], name="place_staff_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.place}"
