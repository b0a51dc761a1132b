"""The housing section's list of the case's shelter nights, written in Python.

A homeless client's year is hundreds of nights, each a row through the template engine:
a date, the shelter, the cost in the reader's number format and, for a reader who may
remove it, a form with its own address and token. At national scale the section was
the costliest template of the case page (4.7 ms of its 16 ms of CPU, issue 22). The
markup here is byte for byte what `{% for n in panel.nights %}` in
templates/housing/case_panel.html wrote (tests/housing/test_case_panel_rows.py renders
both, in both languages, with and without the right to remove, with values to escape),
with the same escaping."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from bokvar.rendering import escaped, id_address
from bokvar.templatetags.numbers import grouped


def night_rows(
    nights: Iterable[Any], *, case_id: int, may_remove: bool, csrf_input: str
) -> SafeString:
    """The `<tr>` of each night as the template's loop wrote them. `csrf_input`: the
    form's hidden token input as `{% csrf_token %}` writes it."""
    parts = []
    if may_remove:
        before, after = id_address("housing:night_remove", case_id)
        remove = escaped(gettext("Remove"))
    # A household's nights are at a few shelters and costs: each cost formatted once (the
    # number format was half of the rows' CPU, 36 nights of a case page at city scale,
    # issue 22), each shelter's name escaped once.
    costs: dict[Any, str] = {}
    shelters: dict[str, str] = {}
    for n in nights:
        day = escaped(n.night.isoformat())  # `date:"Y-m-d"` of a date
        name = n.shelter_name  # `forecast.Night`
        shelter = shelters.get(name)
        if shelter is None:
            shelter = shelters[name] = escaped(name)
        cost = costs.get(n.cost)
        if cost is None:
            cost = costs[n.cost] = escaped(grouped(n.cost))
        parts.append(f'<tr><td>{day}</td><td>{shelter}</td><td class="num">{cost}</td>')
        if may_remove:
            parts.append(
                f'<td><form method="post" action="{before}{escaped(str(n.pk))}{after}" '
                f'class="inline">{csrf_input}<button type="submit">{remove}'
                f'<span class="visually-hidden"> {shelter} {day}</span></button></form></td>'
            )
        parts.append("</tr>")
    return mark_safe("".join(parts))  # noqa: S308  every value above is escaped
