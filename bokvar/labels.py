"""`get_FOO_display()` read from the field's labels translated once per language.

Django's `Model._get_FIELD_display` builds a dictionary of all the field's choices on
every call, hashing each choice, and hashing a lazily translated label translates it:
about 45 µs a call on this machine, called for every row of a list (a signal's kind and
channel on each of the triage queue's rows, an apartment's kind and status: 2–5 ms of
those pages, issue 22). Here each field's labels are translated once per language and
kept (as many tables as fields with choices, times languages); the answer is Django's
own, the label in the reader's language or the value itself when it is none of the
choices (tests/bokvar/test_labels.py compares them for every choice of every model, in
both languages). Only Django's own `get_FOO_display` is replaced: a model that writes its
own keeps it."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partialmethod
from typing import Any

from django.core.signals import setting_changed
from django.db.models import Field, Model
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable
from django.utils.translation import get_language

_LABELS: dict[tuple[Field[Any, Any], str | None], dict[Any, Any]] = {}


def _forget(**kwargs: object) -> None:
    _LABELS.clear()


setting_changed.connect(_forget)


def display(instance: Model, field: Field[Any, Any]) -> Any:
    """What `instance.get_<field>_display()` answers, from the kept labels."""
    key = (field, get_language())
    labels = _LABELS.get(key)
    if labels is None:
        labels = _LABELS[key] = {
            make_hashable(value): force_str(label, strings_only=True)
            for value, label in field.flatchoices
        }
    value = make_hashable(getattr(instance, field.attname))
    if value in labels:
        return labels[value]
    return force_str(value, strings_only=True)


# Django's own, which every field with choices gets unless its model writes its own (the
# stubs do not declare it).
_DJANGOS = Model._get_FIELD_display  # type: ignore[attr-defined]


def _is_djangos(method: Any) -> bool:
    return isinstance(method, partialmethod) and method.func is _DJANGOS


def use_kept_labels(models: Iterable[type[Model]]) -> None:
    """Give each of `models`' fields with choices the kept labels' `get_FOO_display`."""
    for model in models:
        for field in model._meta.concrete_fields:
            if field.choices is None:
                continue
            name = f"get_{field.name}_display"
            if _is_djangos(model.__dict__.get(name)):
                setattr(model, name, partialmethod(display, field=field))
