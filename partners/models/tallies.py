"""Anonymous daily tallies of a meeting place: counts only, never who came.

Each breakdown (gender, where the visitor lives) adds up to the day's visits; what staff
do not enter is "other or unknown" / "unknown", so the phone form asks for the known
parts only and the database holds the whole."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .meeting_places import MeetingPlace


class DailyTally(models.Model):
    place = models.ForeignKey(
        MeetingPlace,
        on_delete=models.PROTECT,
        related_name="tallies",
        verbose_name=_("meeting place"),
    )
    day = models.DateField(_("day"))
    visits = models.PositiveIntegerField(_("visits"))
    # Visitors who came for the first time this calendar year: their sum over the year
    # is the number of unique visitors (README: "Unique visitors without identity").
    new_visitors = models.PositiveIntegerField(_("first visit this year"), default=0)
    women = models.PositiveIntegerField(_("women"), default=0)
    men = models.PositiveIntegerField(_("men"), default=0)
    gender_other_or_unknown = models.PositiveIntegerField(_("other or unknown gender"), default=0)
    from_this_district = models.PositiveIntegerField(_("from this district"), default=0)
    from_other_district = models.PositiveIntegerField(_("from another district"), default=0)
    from_other_municipality = models.PositiveIntegerField(_("from another municipality"), default=0)
    residence_unknown = models.PositiveIntegerField(_("residence unknown"), default=0)
    activities = models.PositiveIntegerField(_("activities held"), default=0)
    participants = models.PositiveIntegerField(_("activity participants"), default=0)
    meals = models.PositiveIntegerField(_("meals served"), default=0)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    version = models.PositiveIntegerField(default=1)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("daily tally")
        verbose_name_plural = _("daily tallies")
        ordering = ["place", "day"]
        constraints = [
            models.UniqueConstraint(fields=["place", "day"], name="tally_once_per_day"),
            models.CheckConstraint(
                condition=Q(new_visitors__lte=F("visits")), name="tally_new_within_visits"
            ),
            models.CheckConstraint(
                condition=Q(
                    visits=F("women") + F("men") + F("gender_other_or_unknown"),
                ),
                name="tally_gender_adds_up",
            ),
            models.CheckConstraint(
                condition=Q(
                    visits=F("from_this_district")
                    + F("from_other_district")
                    + F("from_other_municipality")
                    + F("residence_unknown"),
                ),
                name="tally_residence_adds_up",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.place_id} {self.day}"
