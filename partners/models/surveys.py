"""Client surveys (brukarenkäter, issue 20 point 6; the Bo Kvar plan §7 follows the team's
work up with them): a short questionnaire for the clients of a team or the guests of a
meeting place, answered anonymously through single-use codes or typed in from paper.

Anonymity is in the tables' shape, not in a promise:
- a code is stored only as a keyed hash, and only whether it is used, never when;
- an answer (`SurveyResponse`) has no link to a code, no time of day (only the date)
  and no history table, so nothing ties an answer to the person a code was handed to;
- free text is screened for identity numbers, phone numbers and e-mail addresses
  before it is stored (`partners.screening`): only the masked text is kept, encrypted.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from bokvar.fields import EncryptedTextField, row_key_field
from bokvar.models import Unit

from .meeting_places import MeetingPlace


class Survey(models.Model):
    class Audience(models.TextChoices):
        CLIENTS = "clients", _("Clients of the team")
        GUESTS = "guests", _("Guests of a meeting place")

    class Status(models.TextChoices):
        # Questions are written while a draft; answers come only while open, so no
        # answer is ever given to a question that changed after it.
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open for answers")
        CLOSED = "closed", _("Closed")

    title = models.CharField(_("title"), max_length=200)
    introduction = models.TextField(
        _("introduction"),
        blank=True,
        help_text=_("Shown above the questions: what the survey is for, that it is anonymous."),
    )
    audience = models.CharField(_("for"), max_length=10, choices=Audience.choices)
    # The owner: a team (clients) or a meeting place (guests), exactly one.
    unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="surveys",
        verbose_name=_("team"),
    )
    place = models.ForeignKey(
        MeetingPlace,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="surveys",
        verbose_name=_("meeting place"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_on = models.DateField(_("created"), auto_now_add=True)
    version = models.PositiveIntegerField(default=1)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["-created_on", "title"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(audience="clients", unit__isnull=False, place__isnull=True))
                | Q(audience="guests", unit__isnull=True, place__isnull=False),
                name="survey_one_owner_for_its_audience",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def owner_name(self) -> str:
        return self.place.partner.name if self.place is not None else str(self.unit)


class SurveyQuestion(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", _("One choice")
        MULTIPLE = "multiple", _("Several choices")
        SCALE = "scale", _("Scale")
        NUMBER = "number", _("Number")
        TEXT = "text", _("Free text")

    survey = models.ForeignKey(
        Survey, on_delete=models.CASCADE, related_name="questions", verbose_name=_("survey")
    )
    position = models.PositiveSmallIntegerField(_("position"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    text = models.CharField(_("question"), max_length=300)
    # The options of a choice question, in order; an answer stores the option's index.
    options = models.JSONField(_("options"), default=list, blank=True)
    scale_min = models.SmallIntegerField(_("scale from"), default=1)
    scale_max = models.SmallIntegerField(_("scale to"), default=5)
    required = models.BooleanField(_("required"), default=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("survey question")
        verbose_name_plural = _("survey questions")
        ordering = ["survey", "position"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "position"], name="question_position_once"),
            models.CheckConstraint(
                condition=Q(scale_max__gt=F("scale_min")), name="question_scale_ordered"
            ),
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def field_name(self) -> str:
        """The form field (and the 400's field name) of this question."""
        return f"q{self.pk}"

    @property
    def choices(self) -> list[tuple[int, str]]:
        """(value, label) of a choice or scale question."""
        if self.kind == self.Kind.SCALE:
            return [(n, str(n)) for n in range(self.scale_min, self.scale_max + 1)]
        return list(enumerate(self.options))


class SurveyCode(models.Model):
    """One handed-out code: answers the survey once. Only a keyed hash (HMAC with the
    blind-index key) is kept, and whether it is used: no time, no link to the answer."""

    survey = models.ForeignKey(
        Survey, on_delete=models.CASCADE, related_name="codes", verbose_name=_("survey")
    )
    code_hash = models.CharField(max_length=64, unique=True, editable=False)
    used = models.BooleanField(_("used"), default=False)

    class Meta:
        verbose_name = _("survey code")
        verbose_name_plural = _("survey codes")

    def __str__(self) -> str:
        return f"{self.survey_id}: {self.code_hash[:8]}"


class SurveyResponse(models.Model):
    """One person's answers. No history, no code, no time of day: see the module's doc."""

    class Source(models.TextChoices):
        WEB = "web", _("On a phone or tablet")
        PAPER = "paper", _("Typed in from paper")

    survey = models.ForeignKey(
        Survey, on_delete=models.PROTECT, related_name="responses", verbose_name=_("survey")
    )
    answered_on = models.DateField(_("answered on"))
    source = models.CharField(_("source"), max_length=5, choices=Source.choices)

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")

    def __str__(self) -> str:
        return f"{self.survey_id}: {self.answered_on}"


class SurveyAnswer(models.Model):
    """An answer to one question: an option's index (one row per option chosen), a
    number (scale or number) or a screened free text."""

    response = models.ForeignKey(SurveyResponse, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(SurveyQuestion, on_delete=models.PROTECT, related_name="answers")
    option = models.PositiveSmallIntegerField(null=True, blank=True)
    number = models.IntegerField(null=True, blank=True)
    row_key = row_key_field()  # binds its encrypted text to this row
    # Screened before it is stored: only the masked text is ever kept.
    text = EncryptedTextField()
    masked = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("survey answer")
        verbose_name_plural = _("survey answers")
        indexes = [models.Index(fields=["question", "option"])]

    def __str__(self) -> str:
        return f"{self.question_id}"
