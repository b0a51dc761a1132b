"""The seam between a form and a service: one way to put what a service refused on the
form, and one way to tell the user that someone else saved first.

A service raises `ValidationError` naming the field at fault (or none), or
`ConflictError` when the record moved on since the form was shown (optimistic locking,
`bokvar.concurrency`). A view calls the service inside `submitting(form)`::

    with submitting(form) as result:
        services.update_case(...)
    if result.ok:
        return redirect(...)
    return render(request, "...", {"form": form, "conflict": result.conflict})

The refusal's messages land on the form's fields (`add_service_errors`); a conflict's
message is `result.conflict`, which the page shows in its "Edit conflict" box
(`includes/conflict.html`). Nothing else is caught.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms.models import ModelChoiceIterator
from django.http import HttpResponse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from .compiled import KeptValues
from .concurrency import ConflictError
from .rendering import escaped, html_attrs

Rename = Mapping[str, str] | Callable[[str], str]

# The longest free text (a note, a description, an outcome) a form accepts.
NOTE_MAX = 4000
# The longest name (a person's given or family name, a tenant's, a landlord's) and
# address that a form, an API or an import accepts: a name of thousands of characters is
# a mistake, and it broke every page it was shown on (issue 19).
NAME_MAX = 200
ADDRESS_MAX = 300


def length_errors(values: Mapping[str, tuple[str, int]]) -> dict[str, list[str]]:
    """{field: [message]} for each value longer than its limit ({field: (value, limit)}).
    For services, so that an API or an import is refused as the form is, naming the
    field."""
    return {
        name: [
            gettext("Use at most %(limit)s characters (this has %(length)s).")
            % {"limit": limit, "length": len(value)}
        ]
        for name, (value, limit) in values.items()
        if value and len(value) > limit
    }


def choose(choices: Iterable[tuple[str, StrOrPromise]]) -> list[tuple[str, StrOrPromise]]:
    """A choice that matters starts unchosen: saving the form untouched must not record
    the first option as if somebody had picked it."""
    return [("", _("— choose —")), *choices]


# The dates a record or a filter may name. At the calendar's edges (year 1, year 9999)
# the date arithmetic behind reports (a year back, a day forward, a datetime in the
# local zone) overflows: a 500 instead of an answer (issue 21, point 9).
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2199, 12, 31)


def within_calendar(value: date | None) -> None:
    """For any date a user gives: between EARLIEST_DATE and LATEST_DATE."""
    if value is not None and not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValidationError(
            _("Give a date between %(first)s and %(last)s.")
            % {"first": EARLIEST_DATE.isoformat(), "last": LATEST_DATE.isoformat()},
            code="out_of_range",
        )


class YearForm(forms.Form):
    """A year in a query string (?year=): within the dates `within_calendar` allows."""

    year = forms.IntegerField(
        label=_("Year"), min_value=EARLIEST_DATE.year, max_value=LATEST_DATE.year
    )


def bad_request_naming_fields(form: forms.BaseForm) -> HttpResponse:
    """400 for a bad query string with no page of its own to show it on: one line per
    error, each naming its field."""
    lines = [f"{name}: {message}" for name, messages in form.errors.items() for message in messages]
    return HttpResponse("\n".join(lines), status=400, content_type="text/plain; charset=utf-8")


def not_in_future(value: date | None) -> None:
    """For the date of something that has happened."""
    if value is not None and value > timezone.localdate():
        raise ValidationError(_("This date cannot be in the future."), code="future")


def add_service_errors(
    form: forms.BaseForm,
    exc: ValidationError,
    *,
    rename: Rename | None = None,
    formsets: Mapping[str, forms.BaseFormSet[Any]] | None = None,
) -> None:
    """Put each of a service's messages on the field it names when the form has that field,
    otherwise on the form as a whole. `rename` maps a service's field name to the form's
    (e.g. "children" → "children_birth_years"), as a mapping or a function; `formsets` routes a "<prefix>-<n>-<field>"
    key to form n of the formset with that prefix (a case's people)."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for key, messages in exc.message_dict.items():
        name = rename(key) if callable(rename) else (rename or {}).get(key, key)
        prefix, _, rest = name.partition("-")
        if formsets and prefix in formsets and rest:
            index, _, field_name = rest.partition("-")
            if index.isdigit() and int(index) < len(formsets[prefix].forms):
                target = formsets[prefix].forms[int(index)]
                target.add_error(field_name if field_name in target.fields else None, messages)
                continue
        form.add_error(name if name in form.fields else None, messages)


@dataclass
class Submission:
    """What became of a service call made for a form."""

    # Who saved the record in between, and which fields (never values): the page says so.
    conflict: str = ""
    # The service refused the input (its messages are on the form, or in `messages`).
    refused: bool = False
    messages: list[str] = field(default_factory=list)
    # The refusal itself, for a page that offers more than its messages (a clash's offer).
    error: ValidationError | None = None

    @property
    def ok(self) -> bool:
        return not (self.conflict or self.refused)

    @property
    def message(self) -> str:
        """Everything to tell the user in one line (pages that redirect with a message)."""
        return self.conflict or " ".join(self.messages)


@contextmanager
def submitting(
    form: forms.BaseForm | None = None,
    *,
    rename: Rename | None = None,
    formsets: Mapping[str, forms.BaseFormSet[Any]] | None = None,
    conflict_on_form: bool = False,
) -> Iterator[Submission]:
    """Run a service call for `form`: a `ValidationError` goes onto the form (or, without
    a form, into `Submission.messages`); a `ConflictError` becomes `Submission.conflict`,
    and with `conflict_on_form` also the form's error (pages without a conflict box)."""
    result = Submission()
    try:
        yield result
    except ConflictError as exc:
        result.conflict = exc.message
        if form is not None and conflict_on_form:
            form.add_error(None, exc.message)
    except ValidationError as exc:
        result.refused, result.error = True, exc
        result.messages = list(exc.messages)
        if form is not None:
            add_service_errors(form, exc, rename=rename, formsets=formsets)


if TYPE_CHECKING:
    _ModelChoices = ModelChoiceIterator[Any]
else:
    _ModelChoices = ModelChoiceIterator


class ListedChoiceIterator(_ModelChoices):
    """Django's model choices, read with one ordinary query. Django's iterator reads them
    with `QuerySet.iterator()`, which on PostgreSQL is a server-side cursor (DECLARE …
    WITH HOLD outside a transaction, FETCH, CLOSE: three round trips and a materialised
    result for a few dozen options), to save memory on huge lists that a select would not
    show anyway (issue 22: the case list's two selects were a tenth of its CPU). The same
    query, the same options in the same order; read afresh on every iteration, as
    Django's, and not kept on the field's queryset."""

    def __iter__(self) -> Iterator[Any]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        queryset: Any = self.queryset
        if not queryset._prefetch_related_lookups:
            queryset = queryset.all()  # a copy: the field's queryset keeps no rows
        for obj in queryset:
            yield self.choice(obj)


def limit_choices(
    form: forms.BaseForm, name: str, queryset: QuerySet[Any] | None, *, key: Any = None
) -> None:
    """Offer `queryset` in the model choice field `name` of `form`, and nothing when it is
    None: what a form may offer depends on who asks, so its fields declare an empty
    queryset and each form's `__init__` fills it in here.

    `key`: everything the queryset's text depends on (the reader's key, `bokvar.compiled
    .reader_key`, and what the options are), for a `RowChoiceField` to read its options
    by a statement kept per key; None reads them the ORM's way."""
    field = form.fields[name]
    if not isinstance(field, forms.ModelChoiceField):
        raise TypeError(f"{name} is not a model choice field")
    if queryset is None:
        if field.queryset is None:
            raise TypeError(f"{name} declares no queryset to offer none of")
        queryset = field.queryset.none()
    if field.iterator is ModelChoiceIterator:
        # Before the queryset: setting it gives the widget its choices' iterator.
        field.iterator = ListedChoiceIterator
    if isinstance(field, RowChoiceField):
        field.rows_key = None if key is None else (key, name)
    field.queryset = queryset


class RowChoiceIterator(ListedChoiceIterator):
    """`ListedChoiceIterator`, and `labels()`: the options as (value, label) strings, read
    as rows of the label's columns instead of as model instances (`RowChoiceField`)."""

    def labels(self) -> Iterator[tuple[str, str]]:
        return iter(self.labelled(self.rows()))

    def rows(self) -> tuple[Any, str | None, tuple[tuple[Any, ...], ...]]:
        """What the labels are made from: the field's way of labelling a row (its class's
        `label_from_row`), its empty label, and the rows as read now (pk and the label's
        columns)."""
        field: Any = self.field
        rows = LABEL_ROWS.rows(
            field.rows_key, lambda: self.queryset.values_list("pk", *field.label_columns)
        )
        empty = None if field.empty_label is None else str(field.empty_label)
        return type(field).label_from_row, empty, tuple(rows)

    def labelled(
        self, source: tuple[Any, str | None, tuple[tuple[Any, ...], ...]]
    ) -> list[tuple[str, str]]:
        """The (value, label) options of `rows()`."""
        _label, empty, rows = source
        label = self.field.label_from_row  # type: ignore[attr-defined]
        out = [] if empty is None else [("", empty)]
        out.extend((str(pk), label(*columns)) for pk, *columns in rows)
        return out


# The row choice fields' options by a statement kept per `rows_key` (`limit_choices`):
# building and compiling the case list's two selects' statements was 1 ms of each page.
LABEL_ROWS = KeptValues()


class RowSelect(forms.Select):
    """A select of a `RowChoiceField`, written in one pass over its (value, label) rows.

    The same markup as Django's `Select` through `bokvar.rendering.render_select`, without
    a model instance, an option dictionary and an attribute rendering for each option:
    the access log's filter offers every staff member and unit of the country (about
    2,300 options at national scale), which was two thirds of that page's CPU (issue
    22). Any other choices render as Django's."""

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: Any = None,
    ) -> SafeString:
        choices: Any = self.choices
        rows = getattr(choices, "rows", None)
        if rows is None or self.allow_multiple_selected:
            return super().render(name, value, attrs, renderer)
        chosen = self.format_value(value)
        opening = (
            f'<select name="{escaped(name)}"{html_attrs(self.build_attrs(self.attrs, attrs))}>'
        )
        source = rows()
        # Kept by what the labels are made from, not by the labels: labelling every row
        # to look the markup up was a fifth of the access log's CPU (2,300 options).
        key = (source, tuple(chosen))
        options = _OPTIONS.get(key)
        if options is None:
            options = _options(choices.labelled(source), chosen)
            if len(_OPTIONS) >= _MAX_OPTIONS:
                _OPTIONS.clear()
            _OPTIONS[key] = options
        return mark_safe(f"{opening}{options}\n</select>")  # noqa: S308  escaped above


# The options of the row selects written lately, by their rows (as read on this request,
# with the field's way of labelling them and its empty label) and the chosen values: the
# access log's filter offers about 2,300 staff and units at national scale, and escaping
# and writing them on every page was a fifth of its CPU (issue 22). The rows are read
# afresh every time; only the markup of rows equal to those of an earlier page is taken
# again. Staff and units, never a client. Bounded.
_OPTIONS: dict[tuple[Any, ...], str] = {}
_MAX_OPTIONS = 64


def _options(rows: tuple[tuple[str, str], ...], chosen: list[str]) -> str:
    parts = []
    found = False
    for option, label in rows:
        # As `ChoiceWidget.optgroups`: the first option whose value is chosen.
        selected = not found and option in chosen
        found = found or selected
        parts.append(
            f'\n  <option value="{escaped(option)}"'
            f"{' selected' if selected else ''}>{escaped(label)}</option>\n"
        )
    return "".join(parts)


class RowChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A model choice field for long lists: its options are read as rows of
    `label_columns` and labelled by `label_from_row`, from which an instance's label is
    made too (tests/bokvar/test_model_choices.py compares the markup with Django's).
    Choosing still reads the chosen instance, as Django's."""

    iterator = RowChoiceIterator
    widget = RowSelect
    label_columns: tuple[str, ...] = ()
    # What the options' statement is kept by (`limit_choices`); None: not kept.
    rows_key: Any = None

    def label_from_row(self, *columns: Any) -> str:
        raise NotImplementedError

    def label_from_instance(self, obj: Any) -> str:
        return self.label_from_row(*(getattr(obj, name) for name in self.label_columns))


class UnitChoiceField(RowChoiceField):
    """Units by name (`str(unit)`)."""

    label_columns = ("name",)

    def label_from_row(self, name: str) -> str:
        return name


class UserChoiceField(RowChoiceField):
    """Staff by full name, or username without one (`str(user)`)."""

    label_columns = ("first_name", "last_name", "username")

    def label_from_row(self, first_name: str, last_name: str, username: str) -> str:
        return full_name(first_name, last_name) or username


# What a database integer holds (64 bits, signed): every id of Bo Kvar's tables.
_ID_RANGE = range(-(2**63), 2**63)


class IdsChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    """Django's model multiple choice field, refusing an id no database integer can hold
    before asking the database about it: on SQLite the driver cannot convert such a
    number and the page answered 500 (tests/cases/core/test_ids_out_of_range.py); on
    PostgreSQL it was refused, as it is here, as a value that is no choice."""

    def clean(self, value: Any) -> Any:
        for pk in value if isinstance(value, (list, tuple)) else ():
            try:
                number = int(str(pk))
            except ValueError:
                continue  # no number at all: Django's own check refuses it
            if number not in _ID_RANGE:
                raise ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": pk},
                )
        return super().clean(value)


class GivenChoiceField(forms.ChoiceField):
    """A choice among instances the view has already read, each with its label (`offer`):
    nothing is read again to offer them or to check the choice, and the cleaned value is
    the chosen instance, as a model choice field gives it. The markup is a model choice
    field's (tests/housing/test_nights_form.py compares them). For a short list the page
    read anyway (a household's people, shown by their decrypted names): a model choice
    field read and decrypted them a second time (issue 22)."""

    # A model choice field's words: a refused choice is not echoed back.
    default_error_messages = {
        "invalid_choice": forms.ModelChoiceField.default_error_messages["invalid_choice"]
    }

    def __init__(self, *args: Any, empty_label: str = "---------", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.empty_label = empty_label
        self.instances: dict[str, Any] = {}

    def offer(self, items: Iterable[tuple[Any, str]]) -> None:
        items = list(items)
        self.instances = {str(obj.pk): obj for obj, _label in items}
        self.choices = [("", self.empty_label), *((obj.pk, label) for obj, label in items)]

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values:
            return None
        key = str(value.pk if hasattr(value, "pk") else value)
        if key not in self.instances:
            raise ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": value},
            )
        return self.instances[key]

    def validate(self, value: Any) -> None:
        forms.Field.validate(self, value)  # required; the choice itself is checked above


def full_name(first_name: str, last_name: str) -> str:
    """`User.get_full_name()` of these columns."""
    return f"{first_name} {last_name}".strip()
