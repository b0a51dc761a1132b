"""Model fields whose values are encrypted in the database (and in history tables)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.expressions import Expression

from . import crypto


class EncryptedTextField(models.TextField[str, str]):
    """Plaintext in Python, ``enc1:`` ciphertext in the database. Not searchable:
    pair it with a blind-index column where exact search is needed."""

    encrypted = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def from_db_value(
        self, value: str | None, expression: Expression, connection: BaseDatabaseWrapper
    ) -> str | None:
        if value is None or value == "":
            return value
        return crypto.decrypt(value)

    def to_python(self, value: Any) -> Any:
        return value

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(str(value))


def column(field: models.Field[Any, Any]) -> str:
    """A concrete field's column name (only fields without a column of their own, such as
    a many-to-many, have none: asking for one is a programming error)."""
    if field.column is None:
        raise TypeError(f"{field.name} has no column")
    return field.column


def encrypted_fields(model: type[models.Model]) -> list[EncryptedTextField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
