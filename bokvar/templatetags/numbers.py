"""Numbers for people: grouped by thousands and with the decimal sign of the reader's
language ("181 571,77" in Swedish, "181,571.77" in English).

Not USE_THOUSAND_SEPARATOR: that groups every number a template prints, ids in
addresses and hidden form fields and years among them ("2 026"). Amounts and counts
that people read use these filters instead; exports for machines keep plain numbers."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.utils.formats import number_format

register = template.Library()


def _decimals(value: Decimal) -> int:
    # Whole kronor show as whole numbers; öre, when there are any, with two places.
    return 0 if value == value.to_integral_value() else 2


@register.filter
def grouped(value: Any) -> Any:
    """`{{ amount|grouped }}`: the number in the reader's format; anything that is not a
    number (None, "—") is shown as it is."""
    if value is None or value == "" or isinstance(value, bool):
        return value
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return value
    return number_format(number, _decimals(number), force_grouping=True)
