"""The triage queue's rows and My deadlines' rows, written in Python.

The queue shows up to a few hundred signals, and each row went through the template
engine: a URL reversed, a date formatted, a dozen variables looked up, localised and
escaped, three translations. That was about two fifths of the page's CPU (issue 22),
more than reading, describing and logging the rows together. The markup here is byte
for byte what `{% for s in signals %}` in templates/cases/evictions/signal_queue.html
wrote (tests/cases/evictions/test_signal_queue_rows.py renders both, in both languages,
for signals of every kind of row: repeats, missing misconduct steps, withheld, named,
numbered and unknown tenants), with the same escaping."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext

from bokvar.rendering import escaped, id_address


def _tenant(signal: Any, protected: str, unknown: str) -> str:
    if getattr(signal, "withheld", False):
        return f'<span class="tag protected">{protected}</span>'
    if signal.tenant_name:
        return escaped(signal.tenant_name)
    if signal.tenant_personal_number:
        return escaped(signal.tenant_personal_number)
    return unknown


def signal_queue_rows(signals: Iterable[Any]) -> SafeString:
    """The `<tr>` of each signal of the triage queue, as the template's loop wrote them."""
    before, after = id_address("cases:signal")
    open_signal = escaped(gettext("open signal"))
    warning = escaped(gettext("Warning or board notice missing (12 kap. 25 §, 43 §)"))
    protected = escaped(gettext("Protected identity"))
    unknown = escaped(gettext("Not known yet"))
    parts = []
    for s in signals:
        pk = escaped(str(s.pk))
        received = escaped(s.received_on.isoformat() if s.received_on else "")
        kind = escaped(s.get_kind_display())
        repeats = getattr(s, "repeat_count", 0)
        if repeats:
            counted = ngettext("and %(counter)s repeat", "and %(counter)s repeats", repeats)
            kind += f' <span class="hint">({counted % {"counter": escaped(repeats)}})</span>'
        if getattr(s, "disturbance_steps_missing", None):
            kind += (
                f'<br><span class="tag protected" id="disturbance-warning-{pk}">{warning}</span>'
            )
        parts.append(
            "\n    <tr>\n"
            f'      <td><a href="{before}{pk}{after}">{received}'
            f'<span class="visually-hidden"> {open_signal} {pk}</span></a></td>\n'
            f"      <td>{escaped(s.landlord.display_name)}</td>\n"
            f"      <td>{kind}</td>\n"
            f"      <td>{escaped(s.get_channel_display())}</td>\n"
            f"      <td>{_tenant(s, protected, unknown)}</td>\n"
            "    </tr>\n  "
        )
    return mark_safe("".join(parts))  # noqa: S308  every value above is escaped


def _day(value: date | None) -> str:
    return value.strftime("%Y-%m-%d") if value else ""  # the `date` filter's "Y-m-d"


def deadline_rows(
    deadlines: Iterable[Any], *, overdue: bool, today: date, csrf_input: str
) -> SafeString:
    """The `<tr>` of each of My deadlines' rows, as the row template included once a row
    wrote them (tests/cases/evictions/reference_deadline_row.html;
    tests/cases/evictions/test_answered_deadlines.py compares them, in both languages).
    `csrf_input`: the hidden token input as `{% csrf_token %}` writes it."""
    case_before, case_after = id_address("cases:detail")
    done_before, done_after = id_address("cases:deadline_done")
    # The same for every row of the list.
    state = f"<strong>{escaped(gettext('Overdue'))}</strong>" if overdue else ""
    today_word, upcoming_word = escaped(gettext("Today")), escaped(gettext("Upcoming"))
    children_note = escaped(gettext("Children live in the household."))
    before_recovery = escaped(
        gettext(
            "Before the end of the recovery period: it cannot be carried out while the "
            "tenant may still pay."
        )
    )
    application = escaped(gettext("income-support application"))
    done_word = escaped(gettext("Mark as done"))
    parts = []
    for d in deadlines:
        pk = escaped(str(d.pk))
        urgent = getattr(d, "urgent", False)
        due = escaped(_day(d.due_on))
        shown_due = f"<strong>{due}</strong>" if urgent else due
        when = state or (today_word if d.due_on == today else upcoming_word)
        status = f"{when}: {escaped(getattr(d, 'status', ''))}"
        if getattr(d, "children", False):
            status += f" <strong>{children_note}</strong>"
        if getattr(d, "eviction_before_recovery", False):
            status += f' <strong class="eviction-before-recovery">{before_recovery}</strong>'
        kind = escaped(d.get_kind_display())
        what = f"<strong>{kind}</strong>" if urgent else kind
        number = escaped(d.case.number)
        if not getattr(d, "case_openable", False):
            what += f" ({application})"
            step = getattr(d, "route_step", None)
            if step:
                what += "<br>" + gettext("%(step)s: in time until %(date)s") % {
                    "step": escaped(step.label),
                    "date": escaped(_day(step.in_time_until)),
                }
            case = f"{number}, {escaped(d.case.responsible_unit.name)}"
            action = ""
        else:
            case = f'<a href="{case_before}{escaped(str(d.case.pk))}{case_after}">{number}</a>'
            action = (
                f'<form method="post" action="{done_before}{pk}{done_after}">{csrf_input}'
                f'<button type="submit">{done_word}<span class="visually-hidden"> {kind} '
                f"{number}</span></button></form>"
            )
        row_class = ' class="deadline"' if urgent else ""
        parts.append(
            f'<tr id="deadline-{pk}"{row_class}>\n'
            f'  <td><time datetime="{due}">{shown_due}</time></td>\n'
            f"  <td>{status}</td>\n"
            f"  <td>{what}</td>\n"
            f"  <td>{case}</td>\n"
            f"  <td>{action}</td>\n"
            "</tr>\n"
        )
    return mark_safe("".join(parts))  # noqa: S308  every value above is escaped


def next_deadline(line: dict[str, Any] | None) -> SafeString:
    """The case page's first screen's next deadline (`page.next_deadline`), as templates/
    cases/evictions/next_deadline.html wrote it (tests/cases/evictions/
    test_next_deadline_section.py keeps that template and renders both): a fifth of a
    millisecond through the template engine on every case page (issue 22)."""
    urgent = line is not None and (line["urgent"] or line["days"] < 0)
    heading = escaped(gettext("Next deadline"))
    if line is None:
        what = escaped(gettext("No open deadlines."))
    else:
        deadline = line["deadline"]
        day = escaped(deadline.due_on.strftime("%Y-%m-%d"))
        what = (
            f'<time datetime="{day}">{day}</time> {escaped(deadline.get_kind_display())} — '
            f"{escaped(line['status'])}"
        )
    return mark_safe(  # noqa: S308  every value above is escaped
        f'\n<p class="next-deadline{" urgent" if urgent else ""}" id="next-deadline">'
        f"<strong>{heading}:</strong>\n  {what}</p>\n\n"
    )
