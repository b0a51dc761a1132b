"""The access log page's rows, written in Python.

Fifty entries a page, each through the template engine: a moment moved into the local
time zone and formatted, eleven cells of looked-up, localised and escaped values, the
flags, and for a flagged entry its review form: about four fifths of the page's CPU at
national scale (issue 22). The markup here is byte for byte what `{% for row in rows %}`
in templates/audit/log.html wrote (tests/audit/test_log_rows.py renders both, in both
languages, for entries reviewed, flagged and plain, with and without a person, a case,
a unit or an address, and with values to escape), with the same escaping."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from urllib.parse import quote

from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from bokvar.rendering import escaped, id_address

DASH = "—"


def _local(moment: datetime, form: str) -> str:
    # The `date` filter: the moment in the current time zone first (expects_localtime).
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return moment.strftime(form)


def _review(row: Any, csrf_input: str, next_path: str, review_url: tuple[str, str]) -> str:
    e = row.entry
    review = getattr(e, "review", None)
    if review:
        done = gettext("Reviewed by %(who)s, %(when)s") % {
            "who": escaped(review.reviewed_by.get_full_name()),
            "when": escaped(_local(review.reviewed_at, "%Y-%m-%d %H:%M")),
        }
        return f"{done}: {escaped(review.comment)}\n      "
    if row.flags:
        seq = escaped(str(e.seq))
        before, after = review_url
        return (
            f'<form method="post" action="{before}{seq}{after}" class="review">\n'
            f'        {csrf_input}<input type="hidden" name="next" value="{next_path}">\n'
            f'        <label for="review-{seq}">{escaped(gettext("Comment"))}</label>\n'
            f'        <textarea id="review-{seq}" name="comment" rows="2" maxlength="2000" '
            "required></textarea>\n"
            f'        <button type="submit">{escaped(gettext("Mark reviewed"))}</button>\n'
            "      </form>"
        )
    return DASH


def log_rows(rows: Iterable[Any], *, csrf_input: str, next_path: str) -> SafeString:
    """The `<tr>` of each reviewed row (`review.NamedRow`) as the template's loop wrote
    them, or its one row saying there are no entries. `csrf_input`: the form's hidden
    token input as `{% csrf_token %}` writes it; `next_path`: the page's own address."""
    review_url = id_address("audit:log_review")
    next_path = escaped(next_path)
    parts = []
    for row in rows:
        e = row.entry
        person = (
            f'<a href="?person={escaped(str(e.person_id))}">{escaped(row.person)}</a>'
            if e.person_id
            else DASH
        )
        case = (
            f'<a href="?case={escaped(quote(str(row.case), safe="/"))}">{escaped(row.case)}</a>'
            if row.case
            else DASH
        )
        flags = "; ".join(
            f'<strong class="flag">{escaped(label)}</strong>' for label in row.flag_labels
        )
        parts.append(
            "\n  <tr>\n"
            f"    <td>{escaped(str(e.seq))}</td>"
            f"<td>{escaped(_local(e.at, '%Y-%m-%d %H:%M:%S'))}</td>\n"
            f'    <td><a href="?user={escaped(str(e.user_id))}">{escaped(row.reader)}</a></td>\n'
            f"    <td>{escaped(row.record)}</td><td>{escaped(row.how)}</td>"
            f"<td>{escaped(e.ip or DASH)}</td>\n"
            f"    <td>{person}</td>\n"
            f"    <td>{case}</td>\n"
            f"    <td>{escaped(row.unit or DASH)}</td>\n"
            f"    <td>{flags or DASH}</td>\n"
            f"    <td>{_review(row, csrf_input, next_path, review_url)}</td>\n"
            "  </tr>\n  "
        )
    if not parts:
        parts.append(f'\n  <tr><td colspan="11">{escaped(gettext("No entries."))}</td></tr>\n  ')
    return mark_safe("".join(parts))  # noqa: S308  every value above is escaped
