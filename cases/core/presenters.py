"""The case list's rows, written in Python.

A page of the case list shows up to fifty cases, and each row went through the template
engine: a URL reversed, a date formatted, six variables looked up, localised and
escaped (issue 22: the list's rows were the largest part of its template). The markup
here is byte for byte what `{% for row in rows %}` in templates/cases/case_list.html
wrote (tests/cases/core/test_case_list_rows.py renders both, in both languages, for
rows with names to escape, a protected household's placeholder and no rows at all),
with the same escaping."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from bokvar.rendering import escaped, id_address


def case_list_rows(rows: Iterable[dict[str, Any]]) -> SafeString:
    """The `<tr>` of each row (`case`, `name`, `kind`, `status`) as the template's loop
    wrote them, or its one row saying that no case matches."""
    before, after = id_address("cases:detail")
    parts = []
    for row in rows:
        case = row["case"]
        opened = case.opened_on.isoformat() if case.opened_on else ""
        parts.append(
            "\n    <tr>\n"
            f'      <td><a href="{before}{escaped(str(case.pk))}{after}">'
            f"{escaped(case.number)}</a></td>\n"
            f"      <td>{escaped(row['name'])}</td>\n"
            f"      <td>{escaped(row['kind'])}</td>\n"
            f"      <td>{escaped(row['status'])}</td>\n"
            f"      <td>{escaped(case.responsible_unit.name)}</td>\n"
            f"      <td>{escaped(opened)}</td>\n"
            "    </tr>\n  "
        )
    if not parts:
        none = escaped(gettext("No cases match."))
        parts.append(f'\n    <tr><td colspan="6">{none}</td></tr>\n  ')
    return mark_safe("".join(parts))  # noqa: S308  every value above is escaped
