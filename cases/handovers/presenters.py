"""The handover inbox's rows (waiting and returned), written in Python.

Each waiting handover's row went through the template engine: a URL reversed, four dates
formatted (two of them moved into the local time zone first), up to five translations
with plurals, a dozen variables looked up, localised and escaped: the largest part of
the inbox's CPU (issue 22). The markup here is byte for byte what `{% for item in waiting
%}` in templates/cases/handovers/inbox.html wrote (tests/cases/handovers/
test_inbox_rows.py renders both, in both languages, for rows escalated or not, with a
deadline passed, ahead or none, seen or not), with the same escaping."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext

from bokvar.rendering import button, column_headers, escaped, id_address, iso_day, line_breaks


def _local(moment: datetime) -> datetime:
    # As the `date` filter receives a moment: in the current time zone (expects_localtime).
    return timezone.localtime(moment) if timezone.is_aware(moment) else moment


def _waited(row: Any, sent_at: datetime) -> str:
    days = ngettext("%(days)s day", "%(days)s days", row.waited_days) % {
        "days": escaped(row.waited_days)
    }
    working = ngettext("%(days)s working day", "%(days)s working days", row.waited_working_days) % {
        "days": escaped(row.waited_working_days)
    }
    local = _local(sent_at)
    return (
        f'{days} <span class="hint">({working}; {escaped(gettext("sent"))} '
        f'<time datetime="{escaped(local.isoformat())}">{escaped(iso_day(local))}</time>)</span>'
    )


def _escalation(escalation: Any) -> str:
    if escalation.escalated:
        out = "<strong>" + gettext("Escalated (step %(step)s)") % {
            "step": escaped(escalation.steps_arrived)
        }
        out += "</strong>"
        if escalation.next_on:
            out += "<br>" + gettext("next step %(day)s") % {
                "day": escaped(iso_day(escalation.next_on))
            }
        return out
    if escalation.next_on:
        return gettext("Escalates %(day)s") % {"day": escaped(iso_day(escalation.next_on))}
    return ""


def _next_deadline(row: Any) -> str:
    if not row.next_deadline:
        return escaped(gettext("None"))
    day = escaped(iso_day(row.next_deadline))
    passed = row.deadline_working_days < 0
    if passed:
        left = escaped(gettext("passed"))
    else:
        left = ngettext(
            "%(days)s working day left", "%(days)s working days left", row.deadline_working_days
        ) % {"days": escaped(row.deadline_working_days)}
    return (
        f'<time datetime="{day}">{day}</time><br>'
        f'<span class="{"deadline" if passed else "hint"}">{left}</span>'
    )


def inbox_waiting_rows(waiting: Iterable[dict[str, Any]]) -> SafeString:
    """The `<tr>` of each waiting handover (`row`, `kind`, `urgency`) as the template's
    loop wrote them."""
    before, after = id_address("cases:handover")
    not_yet = escaped(gettext("Not yet"))
    parts = []
    for item in waiting:
        row = item["row"]
        h = row.handover
        escalated = ' class="escalated"' if row.escalation.escalated else ""
        seen = escaped(_local(h.seen_at).strftime("%Y-%m-%d %H:%M")) if h.seen_at else not_yet
        parts.append(
            f"\n    <tr{escalated}>\n"
            f'      <td><a href="{before}{escaped(str(h.pk))}{after}">'
            f"{escaped(h.case.number)}</a></td>\n"
            f"      <td>{escaped(item['kind'])}</td>\n"
            f"      <td>{_waited(row, h.sent_at)}</td>\n"
            f"      <td>{_escalation(row.escalation)}</td>\n"
            f"      <td>{_next_deadline(row)}</td>\n"
            f"      <td>{escaped(item['urgency'])}</td>\n"
            f"      <td>{escaped(h.from_unit.name)}</td>\n"
            f"      <td>{escaped(h.to_unit.name)}</td>\n"
            f"      <td>{seen}</td>\n"
            "    </tr>\n  "
        )
    return mark_safe("".join(parts))  # noqa: S308  every value above is escaped


def inbox_returned_rows(returned: Iterable[dict[str, Any]]) -> SafeString:
    """The `<tr>` of each returned handover (`h`, `kind`) as the template's loop wrote
    them."""
    before, after = id_address("cases:handover")
    parts = []
    for item in returned:
        h = item["h"]
        when = _local(h.returned_at).strftime("%Y-%m-%d %H:%M") if h.returned_at else ""
        by = h.returned_by.get_full_name() if h.returned_by else ""
        parts.append(
            f"\n    <tr><td>{escaped(when)}</td>"
            f'<td><a href="{before}{escaped(str(h.pk))}{after}">{escaped(item["kind"])}</a></td>'
            f"<td>{escaped(h.case.number)}</td><td>{escaped(h.to_unit.name)}</td>"
            f"<td>{escaped(by)}</td></tr>\n  "
        )
    return mark_safe("".join(parts))  # noqa: S308  every value above is escaped


def _moment(value: datetime | None) -> str:
    return _local(value).strftime("%Y-%m-%d %H:%M") if value else ""  # `date:"Y-m-d H:i"`


def _name(user: Any) -> str:
    return escaped(user.get_full_name()) if user is not None else ""


def case_section(panel: dict[str, Any], case_id: int) -> SafeString:
    """The case page's handover section (`page.handover_panel`), as templates/cases/
    handovers/panel.html wrote it (tests/cases/handovers/test_case_section.py keeps that
    template and renders both). Through the template engine it was the second-costliest
    section of the case page at national scale (0.44 ms for one handover, issue 22):
    nine translations, two addresses and each row's five moments and five names."""
    heading = escaped(gettext("Handovers"))
    out = [
        '\n<section aria-labelledby="handovers-heading" class="panel">\n'
        f'  <h2 id="handovers-heading">{heading}</h2>\n  '
    ]
    if panel["handovers"]:
        headers = column_headers(
            gettext("Kind"),
            gettext("From unit"),
            gettext("To unit"),
            gettext("Status"),
            gettext("Sent"),
            gettext("Seen"),
            gettext("Decided"),
        )
        caption = escaped(gettext("Handovers of the case"))
        out.append(
            '\n  <div class="table-scroll" tabindex="0" role="region" '
            'aria-labelledby="cases-handovers-panel-table">\n  <table>\n'
            f'    <caption id="cases-handovers-panel-table" class="visually-hidden">{caption}'
            f"</caption>\n    <thead><tr>{headers}</tr></thead>\n    <tbody>\n    "
            f"{_case_rows(panel['handovers'])}\n    </tbody>\n  </table>\n  </div>\n  "
        )
    send = ask = ""
    if panel["may_send"]:
        send = button("cases:handover_send", case_id, label=gettext("Hand over"))
    if panel["may_request"]:
        ask = button("cases:handover_request", case_id, label=gettext("Ask for the case"))
    out.append(f"\n  <p>\n    {send}\n    {ask}\n  </p>\n</section>\n")
    return mark_safe("".join(out))  # noqa: S308  every value above is escaped


def _case_rows(handovers: Iterable[Any]) -> str:
    """The `<tr>` of each of a case's handovers as `{% for h in panel.handovers %}` wrote
    them: its address, its moments moved into the local time zone, the names."""
    before, after = id_address("cases:handover")
    accepted, returned, closed = (
        escaped(gettext("Accepted")),
        escaped(gettext("Returned")),
        escaped(gettext("Closed")),
    )
    parts = []
    for h in handovers:
        seen = f"{escaped(_moment(h.seen_at))}, {_name(h.seen_by)}" if h.seen_at else "—"
        if h.accepted_at:
            decided = f"{accepted} {escaped(_moment(h.accepted_at))}, {_name(h.accepted_by)}"
        elif h.returned_at:
            decided = f"{returned} {escaped(_moment(h.returned_at))}, {_name(h.returned_by)}"
        else:
            decided = "—"
        if h.closed_at:
            decided += f"; {closed} {escaped(_moment(h.closed_at))}, {_name(h.closed_by)}"
        parts.append(
            f'\n      <tr><td><a href="{before}{escaped(str(h.pk))}{after}">'
            f"{escaped(h.get_kind_display())}</a></td><td>{escaped(h.from_unit.name)}</td>"
            f"<td>{escaped(h.to_unit.name)}</td><td>{escaped(h.get_status_display())}</td>\n"
            f"        <td>{escaped(_moment(h.sent_at))}, {_name(h.sent_by)}</td>\n"
            f"        <td>{seen}</td>\n"
            f"        <td>{decided}</td></tr>\n    "
        )
    return "".join(parts)


def handover_facts(*, handover: Any, summary: Any, withheld: bool) -> SafeString:
    """The handover page's heading, facts and decision summary, as templates/cases/
    handovers/detail.html wrote them (tests/cases/handovers/test_handover_page_facts.py
    renders the page's template as it was beside it): through the template engine,
    fifteen translations, a moment in local time, three texts with their line breaks and
    the summary's lines on every opening of a handover (issue 22)."""
    h = handover
    facts = [
        (gettext("Status"), escaped(h.get_status_display())),
        (gettext("From unit"), escaped(h.from_unit.name)),
        (gettext("To unit"), escaped(h.to_unit.name)),
        (gettext("Urgency"), escaped(h.get_urgency_display())),
        (gettext("Sent"), f"{escaped(_moment(h.sent_at))}, {_name(h.sent_by)}"),
    ]
    out = [f"<h1>{escaped(h.get_kind_display())}: {escaped(summary.case_number)}</h1>\n<dl>\n"]
    out.extend(f"  <dt>{escaped(label)}</dt><dd>{value}</dd>\n" for label, value in facts)
    out.append("  ")
    if h.taken_by:
        taken = h.taken_by.get_full_name() or h.taken_by.username
        out.append(f"<dt>{escaped(gettext('Taken by'))}</dt><dd>{escaped(taken)}</dd>")
    out.append("\n  ")
    reason = escaped(gettext("Reason"))
    if withheld:
        text = escaped(gettext("Withheld: concerns a person with protected identity"))
        out.append(f'\n  <dt>{reason}</dt><dd class="protected">{text}</dd>\n  ')
    else:
        expected = escaped(gettext("Expected of the receiver"))
        out.append(
            f"\n  <dt>{reason}</dt><dd>{line_breaks(h.reason)}</dd>\n"
            f"  <dt>{expected}</dt><dd>{line_breaks(h.expectations or '—')}</dd>\n  "
        )
        if h.returned_at:
            returning = escaped(gettext("Reason for returning"))
            out.append(f"<dt>{returning}</dt><dd>{line_breaks(h.return_reason)}</dd>")
        out.append("\n  ")
    if summary.children_ages:
        ages = ", ".join(escaped(age) for age in summary.children_ages)
    else:
        ages = escaped(gettext("No children"))
    lines = "".join(
        f"<dt>{escaped(label)}</dt><dd>{escaped(value)}</dd>" for label, value in summary.lines
    )
    # As `{% translate %}` writes a message: not escaped (the template's own text).
    children = gettext("Children's ages")
    out.append(
        "\n</dl>\n"
        '<section aria-labelledby="summary-heading">\n'
        f'  <h2 id="summary-heading">{escaped(gettext("Summary for the decision"))}</h2>\n'
        "  <dl>\n"
        f"    <dt>{escaped(gettext('Adults in the household'))}</dt>"
        f"<dd>{escaped(summary.adults)}</dd>\n"
        f"    <dt>{children}</dt><dd>{ages}</dd>\n"
        f"    {lines}\n"
        "  </dl>\n</section>"
    )
    return mark_safe("".join(out))  # noqa: S308  every value above is escaped
