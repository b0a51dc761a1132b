"""A model's check constraints validated in one query instead of one each.

`Model.full_clean` validates every `CheckConstraint` through `Q.check`: a savepoint, a
`SELECT` and the savepoint's release for each constraint, so a model with nine checks
(an eviction threat) costs 27 round trips before it is saved. `validate_constraints`
below gives the same answer with one savepoint and one `SELECT` holding every check as
its own column: the same condition (`COALESCE(condition, true)`, as `Q.check` writes
it), against the same values, with the same errors in the same order. Constraints of
any other kind (unique constraints, subclasses with their own `validate`) still go
through their own `validate`. If the combined query fails, every constraint is validated
as Django would, one by one, so a database error answers as it did before."""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

from django.core.exceptions import FieldError, ValidationError
from django.db import DatabaseError, connections, router, transaction
from django.db.models import BaseConstraint, BooleanField, CheckConstraint, Model, Q, Value
from django.db.models.functions import Coalesce
from django.db.models.sql import Query
from django.db.models.sql.constants import SINGLE

# Django's own, kept for `install` to be undone (tests) and for nothing else.
django_validate_constraints = Model.validate_constraints


def checks_passed(
    instance: Model,
    model_class: type[Model],
    checks: list[CheckConstraint],
    exclude: set[str] | None,
    using: str,
) -> dict[int, bool] | None:
    """Whether each check holds for `instance`, by `id` of the constraint, from one
    query; None if the query failed (the caller then asks each constraint itself).
    A check that names an excluded field is left out of the query and counts as
    passed, as `CheckConstraint.validate` skips it (its FieldError)."""
    # What Q.check compares against, built as CheckConstraint.validate builds it.
    against = instance._get_field_expression_map(meta=model_class._meta, exclude=exclude)  # type: ignore[attr-defined]
    query = Query(None)
    for name, value in against.items():
        if not hasattr(value, "resolve_expression"):
            value = Value(value)
        query.add_annotation(value, name, select=False)
    passed: dict[int, bool] = {}
    aliases: dict[str, int] = {}
    for index, check in enumerate(checks):
        alias = f"_bokvar_check_{index}"
        try:
            query.add_annotation(
                Coalesce(Q(check.condition), True, output_field=BooleanField()), alias
            )
        except FieldError:  # names an excluded field: not validated, as in Django
            passed[id(check)] = True
            continue
        aliases[alias] = id(check)
    if not aliases:
        return passed
    connection = connections[using]
    savepoint = transaction.atomic(using=using) if connection.in_atomic_block else nullcontext()
    try:
        with savepoint:
            row = query.get_compiler(using=using).execute_sql(SINGLE)
    except DatabaseError:
        return None
    for alias, value in zip(query.annotation_select, row, strict=True):
        passed[aliases[alias]] = bool(value)
    return passed


def validate_constraints(self: Model, exclude: Any = None) -> None:
    """`Model.validate_constraints` with the model's plain check constraints in one
    query (see the module's docstring); the errors are collected exactly as Django's."""
    constraints = self.get_constraints()
    using = router.db_for_write(self.__class__, instance=self)
    passed: dict[int, bool] = {}
    for model_class, model_constraints in constraints:
        checks = [c for c in model_constraints if type(c) is CheckConstraint]
        if len(checks) > 1:  # one check costs one query either way
            answers = checks_passed(self, model_class, checks, exclude, using)
            passed.update(answers or {})

    errors: dict[str, Any] = {}
    constraint: BaseConstraint
    for model_class, model_constraints in constraints:
        for constraint in model_constraints:
            try:
                if id(constraint) not in passed:
                    constraint.validate(model_class, self, exclude=exclude, using=using)
                elif not passed[id(constraint)]:
                    raise ValidationError(
                        constraint.get_violation_error_message(),
                        code=constraint.violation_error_code,
                    )
            except ValidationError as e:
                if getattr(e, "code", None) == "unique" and len(constraint.fields) == 1:  # type: ignore[attr-defined]
                    errors.setdefault(constraint.fields[0], []).append(e)  # type: ignore[attr-defined]
                else:
                    errors = e.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


def install() -> None:
    """Every model validates its check constraints in one query (`BokvarConfig.ready`)."""
    Model.validate_constraints = validate_constraints  # type: ignore[method-assign]
