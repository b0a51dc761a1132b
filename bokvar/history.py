"""Who changed a record and why, for simple-history. Requests set the user through
the middleware; services, tasks and commands name the actor explicitly."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from django.db import models
from django.utils.translation import gettext, gettext_noop

if TYPE_CHECKING:
    from .models import User

M = TypeVar("M", bound=models.Model)

SYSTEM_USERNAME = "bokvar-system"


def system_user() -> User:
    """The account scheduled tasks and commands act as. It cannot sign in."""
    from .models import User

    user = User.objects.filter(username=SYSTEM_USERNAME).first()
    if user is None:
        user = User(
            username=SYSTEM_USERNAME, first_name="Bo Kvar", last_name="(system)", is_active=False
        )
        user.set_unusable_password()
        # The system account's own creation is its first act.
        attribute(user, user=user, reason="system account created").save()
    return user


def attribute(instance: M, *, user: User | None, reason: str) -> M:
    """Name the actor and the reason on the next history row of `instance`.
    Returns `instance` itself, typed as its own model, so a call can be chained."""
    # simple-history reads these two private attributes when it writes the history row.
    instance._history_user = user  # type: ignore[attr-defined]  # simple-history's hook, set on any model
    instance._change_reason = reason  # type: ignore[attr-defined]  # as above
    return instance


def history_of(model: type[models.Model]) -> Any:
    """simple-history's manager of `model`'s history rows. simple-history ships no
    types, so here, in one place, its manager becomes `Any`."""
    return model.history  # type: ignore[attr-defined]  # added by HistoricalRecords, untyped


# Columns without a verbose name get one Django makes from their name, in English and
# never translated; the history shows them, so their names are in the catalogue here.
AUTOMATIC_LABELS = frozenset(
    (
        gettext_noop("created at"),
        gettext_noop("created by"),
        gettext_noop("assigned at"),
        gettext_noop("accepted by"),
        gettext_noop("closed by"),
        gettext_noop("returned by"),
        gettext_noop("seen by"),
        gettext_noop("triaged by"),
        gettext_noop("registered by"),
        gettext_noop("return acknowledged at"),
        gettext_noop("author"),
        gettext_noop("source"),
        gettext_noop("case"),
        gettext_noop("user"),
        gettext_noop("unit"),
        gettext_noop("person"),
        gettext_noop("handover"),
        gettext_noop("status"),
    )
)


def label_of(field: models.Field[Any, Any]) -> str:
    """A column's name in the reader's language: its verbose name, or for a column that
    has none (a plain str Django made from the field's name) that name translated."""
    name = field.verbose_name
    if isinstance(name, str):
        return gettext(name) if name in AUTOMATIC_LABELS else name
    return str(name)


def field_label(model: type[models.Model] | models.Model, name: str) -> str:
    """The verbose name of the column `name` changed in a history diff (a diff lists
    columns, so this is a concrete field; anything else shows by its name)."""
    field = model._meta.get_field(name)
    return label_of(field) if isinstance(field, models.Field) else name


def give_reason(instance: M, reason: str) -> M:
    """Name only the reason on the next history row of `instance`: the actor is left to
    simple-history, which records the request's user (unlike `attribute(user=None)`,
    which records no one)."""
    instance._change_reason = reason  # type: ignore[attr-defined]  # simple-history's hook
    return instance


# Every reason the code records, in English as stored (the history keeps the words it
# was written with), marked here so the catalogue translates them when they are shown:
# `reason_label`. tests/bokvar/test_history_reasons.py finds any reason missing here.
REASONS = frozenset(
    (
        gettext_noop("access granted"),
        gettext_noop("API client created"),
        gettext_noop("API client revoked"),
        gettext_noop("single sign-on: account created"),
        gettext_noop("single sign-on: details updated"),
        gettext_noop("single sign-on: mapped from the identity provider's claims"),
        gettext_noop("single sign-on: no longer in the identity provider's claims"),
        gettext_noop("apartment registered"),
        gettext_noop("apartment status"),
        gettext_noop("assignees changed"),
        gettext_noop("benchmark account"),
        gettext_noop("case closed"),
        gettext_noop("case created"),
        gettext_noop("case edited"),
        gettext_noop("case opened"),
        gettext_noop("case opened from landlord signal"),
        gettext_noop("case reopened"),
        gettext_noop("case reopened from landlord signal"),
        gettext_noop("child added"),
        gettext_noop("child removed"),
        gettext_noop("consultation accepted"),
        gettext_noop("consultation closed"),
        gettext_noop("contact recorded"),
        gettext_noop("cost item"),
        gettext_noop("cost item removed (entered by mistake)"),
        gettext_noop("cost set"),
        gettext_noop("date removed from threat"),
        gettext_noop("deadline done"),
        gettext_noop("deadline from threat"),
        gettext_noop("deadline moved with threat"),
        gettext_noop("demo data"),
        gettext_noop("eviction threat recorded"),
        gettext_noop("eviction threat updated"),
        gettext_noop("first contact"),
        gettext_noop("follow-up agreed"),
        gettext_noop("guide of the placement"),
        gettext_noop("handover accepted"),
        gettext_noop("handover returned"),
        gettext_noop("handover seen"),
        gettext_noop("handover sent"),
        gettext_noop("handover superseded"),
        gettext_noop("intervention recorded"),
        gettext_noop("intervention updated"),
        gettext_noop("landlord deactivated"),
        gettext_noop("landlord registered"),
        gettext_noop("landlord updated"),
        gettext_noop("landlord's warning and notice recorded"),
        gettext_noop("legal hold placed"),
        gettext_noop("legal hold released"),
        gettext_noop("meeting place registered"),
        gettext_noop("membership added"),
        gettext_noop("membership removed"),
        gettext_noop("membership removed in the admin"),
        gettext_noop("new case for a returning household"),
        gettext_noop("opening period added"),
        gettext_noop("partner edited"),
        gettext_noop("partner registered"),
        gettext_noop("payment route recorded"),
        gettext_noop("payment route updated"),
        gettext_noop("person edited"),
        gettext_noop("placement ended"),
        gettext_noop("placement started"),
        gettext_noop("progress note"),
        gettext_noop("protected identity marked"),
        gettext_noop("protected person granted"),
        gettext_noop("protected person granted on accepting a handover"),
        gettext_noop("protected-person grant of a handover taken back"),
        gettext_noop("protected-person grant taken back"),
        gettext_noop("read access after handover"),
        gettext_noop("read access ended"),
        gettext_noop("read access period ended"),
        gettext_noop("read reviewed"),
        gettext_noop("referral proposed"),
        gettext_noop("register extract approved"),
        gettext_noop("register extract released"),
        gettext_noop("repeat of a signal waiting for triage"),
        gettext_noop("repeat signal linked to open case"),
        gettext_noop("responsibility moved by handover"),
        gettext_noop("return acknowledged"),
        gettext_noop("shelter night registered"),
        gettext_noop("shelter night removed (entered by mistake)"),
        gettext_noop("signal dismissed"),
        gettext_noop("signal forwarded to the responsible district"),
        gettext_noop("signal imported"),
        gettext_noop("signal linked"),
        gettext_noop("signal linked to reopened case"),
        gettext_noop("signal received"),
        gettext_noop("signal registered"),
        gettext_noop("staff assigned"),
        gettext_noop("staffing changed"),
        gettext_noop("superseded by responsibility"),
        gettext_noop("survey created"),
        gettext_noop("survey question added"),
        gettext_noop("survey question removed"),
        gettext_noop("system account created"),
        gettext_noop("tally corrected"),
        gettext_noop("tally recorded"),
        gettext_noop("token created"),
        gettext_noop("token revoked"),
        gettext_noop("triaged with the signal it repeats"),
        gettext_noop("unit created"),
        gettext_noop("unit created in the admin"),
        gettext_noop("unit lead changed"),
    )
)


def reason_label(reason: str) -> str:
    """A recorded reason in the reader's language (a reason not in REASONS, e.g. one
    made with a value in it, shows as recorded)."""
    return gettext(reason) if reason in REASONS else reason


def keep_history_manager_classes() -> None:
    """simple-history's `Model.history` (and `instance.history`, and every history row
    it writes on a save: `create_historical_record` reads the manager through it) made a
    new manager class on every access, `HistoryManager.from_queryset(HistoricalQuerySet)`,
    which lists every method of the queryset class with `inspect.getmembers`: about a
    millisecond of CPU for each save of a model with history. The class depends on
    nothing but the descriptor's manager and queryset classes, so it is made once per
    descriptor; the manager itself is still made for each access, bound to the instance
    as before."""
    from simple_history.manager import HistoryDescriptor

    if getattr(HistoryDescriptor.__get__, "keeps_manager_class", False):
        return

    def __get__(self: HistoryDescriptor, instance: Any, owner: Any) -> Any:
        manager_class = self.__dict__.get("_manager_with_queryset")
        if manager_class is None:
            manager_class = self.manager_class.from_queryset(self.queryset_class)
            self._manager_with_queryset = manager_class
        return manager_class(self.model, instance)

    __get__.keeps_manager_class = True  # type: ignore[attr-defined]
    HistoryDescriptor.__get__ = __get__
