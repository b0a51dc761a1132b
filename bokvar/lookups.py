"""`field__any=ids`: the field equals one of these values, sent as one array.

Django's `__in` with a list writes one placeholder per value (`IN (%s, %s, …)`): for the
thousands of ids of a retention batch, building, splitting and sending those statements
was about half of the batch's own CPU time, and PostgreSQL parsed as many constants.
`field = ANY(%s)` with the list as one array parameter is the same condition (an index
answers it the same way) at the cost of one value. Other databases get the IN list."""

from __future__ import annotations

import re
from typing import Any

from django.db import NotSupportedError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, ForeignObject, IntegerField, Lookup
from django.db.models.sql.compiler import SQLCompiler


class OneId(list[Any]):
    """One value for `field__any=`, to be written `field = %s` with the value alone
    (`bokvar.compiled.KeptIdRows`): PostgreSQL plans a prepared statement with one array
    parameter afresh on every run, its length unknown to a generic plan, while one with
    a plain value it plans once and keeps (issue 22)."""


class AnyOf(Lookup):
    lookup_name = "any"
    prepare_rhs = False

    def get_prep_lookup(self) -> list[Any]:
        return self.rhs if isinstance(self.rhs, OneId) else list(self.rhs)

    def as_sql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper
    ) -> tuple[str, tuple[Any, ...]]:
        lhs, params = self.process_lhs(compiler, connection)
        values = list(self.rhs)
        if isinstance(self.rhs, OneId) and len(values) == 1:
            return f"{lhs} = %s", (*params, values[0])
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", (*params, values)
        if not values:
            return "1 = 0", tuple(params)
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", (*params, *values)


class AnyOfArray(Lookup):
    """`field__any_of_array=ArraySubquery(...)` (PostgreSQL): the field equals one of the
    values a subquery gives, made once into an array (an InitPlan), so PostgreSQL reads
    the rows by the field's index instead of testing each row against the subquery."""

    lookup_name = "any_of_array"

    def as_sql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper
    ) -> tuple[str, tuple[Any, ...]]:
        if connection.vendor != "postgresql":
            raise NotSupportedError("any_of_array needs PostgreSQL's arrays")
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = compiler.compile(self.rhs)
        return f"{lhs} = ANY({rhs})", (*lhs_params, *rhs_params)


# What `is_constant` accepts: an enumeration's stored value (`ProtectedIdentity.NONE` is
# "none"), never text from outside the code.
_CONSTANT = re.compile(r"[a-z][a-z0-9_]*")


class IsConstant(Lookup):
    """`field__is_constant=Choices.VALUE`: the field equals one of the code's constants,
    written into the statement's text instead of bound as a parameter.

    PostgreSQL can use a partial index whose condition names a constant only when the
    statement names the same constant: bound as a parameter, a prepared statement's
    generic plan cannot, so PostgreSQL planned it afresh on every run (the people hidden
    from a reader, on every signal page and the triage queue: 0.30 ms of planning beside
    0.003 ms of execution; issue 22). Only a constant of the code is accepted: a name, the
    empty string, or an int."""

    lookup_name = "is_constant"
    prepare_rhs = False

    def get_prep_lookup(self) -> Any:
        return self.rhs

    def as_sql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper
    ) -> tuple[str, tuple[Any, ...]]:
        value = getattr(self.rhs, "value", self.rhs)
        lhs, params = self.process_lhs(compiler, connection)
        # An id the code read itself (a permission's, `cases.core.selectors.permissions`),
        # for an integer column: written as digits, nothing else.
        field = self.lhs.output_field
        if type(value) is int and isinstance(getattr(field, "target_field", field), IntegerField):
            return f"{lhs} = {value:d}", tuple(params)
        # The empty string too: the blank a partial index leaves out (people without an
        # identity number, `cases.core.selectors.cases._numbered`).
        if not isinstance(value, str) or not (value == "" or _CONSTANT.fullmatch(value)):
            raise ValueError(f"is_constant takes a constant of the code, not {value!r}")
        return f"{lhs} = '{value}'", tuple(params)


def register_any() -> None:
    for lookup in (AnyOf, AnyOfArray, IsConstant):
        Field.register_lookup(lookup)
        ForeignObject.register_lookup(lookup)  # relations list their own lookups only
