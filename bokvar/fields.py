"""Model fields whose values are encrypted in the database (and in history tables).

Each value is sealed for its place: the model and column, and the row's random
``row_key`` (issue 17, point 3). Decrypting therefore needs to know where a value was
read from: the field knows its model and column, and checks the row key once the whole
row is loaded (in the model's ``from_db``, which every loaded row goes through). A value
that was moved there from elsewhere is never shown: it reads as a :class:`Tampered`
placeholder, and a ``bokvar.security`` error is logged naming the place (never the
value).
"""

from __future__ import annotations

import logging
import uuid
from functools import cache
from typing import Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.expressions import Expression
from django.utils.translation import gettext

from . import crypto

ROW_KEY = "row_key"
security_log = logging.getLogger("bokvar.security")


def row_key_field() -> models.UUIDField[uuid.UUID, uuid.UUID]:
    """The stable random key every row with encrypted fields carries, set at creation
    (the primary key is not known before INSERT). History rows copy it."""
    return models.UUIDField(default=uuid.uuid4, editable=False)


class Sealed(str):
    """Ciphertext already sealed for its place by `pre_save`: written as it is."""


class Tampered(str):
    """Shown instead of a value that does not belong where it was read. Keeps the stored
    ciphertext so that saving the row again writes the evidence back unchanged."""

    stored: str
    row_named: bool = False  # whether the log line named the row yet

    def __new__(cls, stored: str) -> Tampered:
        obj = super().__new__(cls, gettext("[withheld: this value failed its integrity check]"))
        obj.stored = stored
        return obj

    def __reduce__(self) -> tuple[type[Tampered], tuple[str]]:
        return (Tampered, (self.stored,))


def original_model_name(meta: Any) -> str:
    """The model a history model records (``historicalperson`` -> ``person``): history
    rows are sealed for the original place, so that their copies decrypt. A rule on
    names, because the migration state's history models know nothing else."""
    name: str = meta.model_name
    if name.startswith("historical") and any(f.name == "history_id" for f in meta.fields):
        return name[len("historical") :]
    return name


def place_of(field: models.Field[Any, Any]) -> str:
    """``app_label.model.column``: what a value of this field is bound to."""
    meta = field.model._meta
    return f"{meta.app_label}.{original_model_name(meta)}.{column(field)}"


def report_tampering(place: str, row: object, why: str) -> None:
    # The place and row only: the value itself is exactly what must not spread.
    security_log.error(
        "Encrypted value withheld at %s (row %s): %s; possible tampering.",
        place,
        row,
        why,
        extra={"tampering": True, "place": place},
    )


class EncryptedTextField(models.TextField[str, str]):
    """Plaintext in Python, ``enc2:`` ciphertext in the database. Not searchable:
    pair it with a blind-index column where exact search is needed. Its model needs a
    ``row_key = row_key_field()``. Values are written through `save()`, `bulk_create`
    or :mod:`bokvar.bulk` (which know the row), never `QuerySet.update`."""

    encrypted = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def contribute_to_class(
        self, cls: type[models.Model], name: str, private_only: bool = False
    ) -> None:
        super().contribute_to_class(cls, name, private_only)
        if not cls._meta.abstract and "from_db" not in cls.__dict__:
            # Not a post_init receiver per class: the migration framework renders a new
            # class for every model state, and each Signal.connect scans every receiver
            # connected before (they are never removed), which made migrating from empty
            # quadratic (48 s of a template migration). Only loaded rows need the check,
            # and they all come through from_db (querysets, select_related, raw).
            cls.from_db = _checked_from_db(cls)  # type: ignore[method-assign]

    def from_db_value(
        self, value: str | None, expression: Expression, connection: BaseDatabaseWrapper
    ) -> str | None:
        if value is None or value == "":
            return value
        place = place_of(self)
        try:
            return crypto.decrypt(value, place=place)
        except crypto.UnknownKeyError:
            raise  # a key removed too early: configuration, not tampering
        except crypto.DecryptionError as exc:
            report_tampering(place, "?", str(exc))
            return Tampered(value)

    def to_python(self, value: Any) -> Any:
        return value

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = getattr(model_instance, self.attname)
        return self.seal(value, getattr(model_instance, ROW_KEY))

    def seal(self, value: Any, row_key: uuid.UUID | str | None) -> Any:
        """The database value of `value` in the row with `row_key`."""
        if value is None or value == "" or isinstance(value, Sealed):
            return value
        if isinstance(value, Tampered):
            return Sealed(value.stored)
        if not row_key:
            raise TypeError(f"{place_of(self)}: a row key is needed to encrypt")
        key = row_key.hex if isinstance(row_key, uuid.UUID) else str(row_key)
        return Sealed(crypto.encrypt(str(value), place=place_of(self), row_key=key))

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "" or isinstance(value, Sealed):
            return value
        # A comparison without a row: a lookup, or a check constraint validated in
        # Python (`full_clean`). As before, a fresh ciphertext equals no stored value and
        # is not empty; it is sealed for no row, so it could never be read as a value.
        return crypto.encrypt(str(value), place=place_of(self), row_key="none")

    def get_db_prep_save(self, value: Any, connection: BaseDatabaseWrapper) -> Any:
        if value is None or value == "" or isinstance(value, Sealed):
            return super().get_db_prep_save(value, connection)
        # A write without its row (QuerySet.update): there is nothing to bind the value
        # to, so refuse rather than write something no one can read.
        raise TypeError(
            f"{place_of(self)}: encrypted values are written through save() or bokvar.bulk"
        )


def _checked_from_db(owner: type[models.Model]) -> Any:
    def from_db(
        cls: type[models.Model], db: str | None, field_names: Any, values: Any
    ) -> models.Model:
        instance: models.Model = super(owner, cls).from_db(db, field_names, values)  # type: ignore[misc]
        _check_row_keys(cls, instance)
        return instance

    return classmethod(from_db)


def _check_row_keys(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    """A value read from the database names the row key it was sealed for: one copied
    from another row of the same column authenticates, but names another key."""
    loaded = instance.__dict__
    row_key: str | None = None
    for field in encrypted_fields(sender):
        value = loaded.get(field.attname)
        if isinstance(value, Tampered) and not value.row_named:
            # from_db_value could not name the row; the loaded instance can.
            report_tampering(place_of(field), instance.pk, "sealed for another place")
            value.row_named = True
            continue
        if not isinstance(value, crypto.Opened):
            continue
        if row_key is None:
            # Deferred (`only()`) row keys are fetched: one query, and only then.
            own = getattr(instance, ROW_KEY)
            row_key = own.hex if isinstance(own, uuid.UUID) else str(own).replace("-", "")
        if value.row_key == row_key:
            loaded[field.attname] = str(value)
        else:
            place = place_of(field)
            report_tampering(place, instance.pk, "sealed for another row")
            withheld = Tampered(value.stored)
            withheld.row_named = True
            loaded[field.attname] = withheld


def column(field: models.Field[Any, Any]) -> str:
    """A concrete field's column name (only fields without a column of their own, such as
    a many-to-many, have none: asking for one is a programming error)."""
    if field.column is None:
        raise TypeError(f"{field.name} has no column")
    return field.column


@cache
def encrypted_fields(model: type[models.Model]) -> tuple[EncryptedTextField, ...]:
    # Per model class, found once: asked for every instance read of an encrypted model
    # (`_check_row_keys`), a fiftieth of the inbox's CPU (issue 22). A model's fields are
    # fixed once its class is made.
    return tuple(f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField))
