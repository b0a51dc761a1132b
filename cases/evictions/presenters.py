"""The triage queue's rows, My deadlines' rows and the signal page's facts, written in
Python.

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

from django.utils.formats import localize
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext

from bokvar.rendering import address, escaped, id_address, iso_day, line_breaks
from bokvar.templatetags.numbers import grouped


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
        due = escaped(iso_day(d.due_on))
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
                    "date": escaped(iso_day(step.in_time_until)),
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
        day = iso_day(deadline.due_on)
        what = (
            f'<time datetime="{day}">{day}</time> {escaped(deadline.get_kind_display())} — '
            f"{escaped(line['status'])}"
        )
    return mark_safe(  # noqa: S308  every value above is escaped
        f'\n<p class="next-deadline{" urgent" if urgent else ""}" id="next-deadline">'
        f"<strong>{heading}:</strong>\n  {what}</p>\n\n"
    )


def _yes_no(value: bool | None) -> str:
    """`{{ value|yesno:_("yes,no,unknown") }}`."""
    yes, no, unknown = gettext("yes,no,unknown").split(",")[:3]
    return escaped(unknown if value is None else yes if value else no)


def _dated(on: date | None) -> str:
    return f" ({iso_day(on)})" if on else ""


def _misconduct(s: Any) -> str:
    serious = ""
    if s.particularly_serious:
        serious = (
            f"<dt>{gettext('Particularly serious disturbances')}</dt>"
            f"<dd>{gettext('The landlord claims so: no warning needed (12 kap. 25 §, 43 §)')}</dd>"
        )
    return (
        f"\n  <dt>{gettext('Landlord has warned the tenant')}</dt>"
        f'<dd id="misconduct-warned">{_yes_no(s.landlord_warned_tenant)}'
        f"{_dated(s.landlord_warned_tenant_on)}</dd>\n"
        f"  <dt>{gettext('Landlord has notified the social welfare board')}</dt>"
        f'<dd id="misconduct-board">{_yes_no(s.landlord_notified_board)}'
        f"{_dated(s.landlord_notified_board_on)}</dd>\n  {serious}\n  "
    )


def _tenant_facts(s: Any) -> str:
    if getattr(s, "withheld", False):
        return (
            f'\n  <dt>{gettext("Tenant")}</dt><dd class="protected">'
            f"{gettext('Withheld: concerns a person with protected identity')}</dd>\n  "
        )
    arrears = ""
    if s.arrears_amount is not None:
        arrears = f"<dt>{gettext('Arrears amount (SEK)')}</dt><dd>{escaped(grouped(s.arrears_amount))}</dd>"
    dismissal = ""
    if s.dismissal_reason:
        dismissal = (
            f"<dt>{gettext('Reason for dismissal')}</dt><dd>{escaped(s.dismissal_reason)}</dd>"
        )
    name, number = gettext("Tenant's name"), gettext("Tenant's identity number")
    living = gettext("Tenant's address")
    return (
        f"\n  <dt>{name}</dt><dd>{escaped(s.tenant_name or '—')}</dd>\n"
        f"  <dt>{number}</dt><dd>{escaped(s.tenant_personal_number or '—')}</dd>\n"
        f"  <dt>{living}</dt><dd>{escaped(s.tenant_address or '—')}</dd>\n"
        f"  {arrears}\n  {_misconduct(s) if s.is_misconduct else ''}\n"
        f"  <dt>{gettext('Description')}</dt>"
        f"<dd>{line_breaks(s.description or '—')}</dd>\n"
        f"  {dismissal}\n  "
    )


def signal_facts(signal: Any, repeat_of: Any) -> SafeString:
    """The signal page's heading, the warning of missing misconduct steps and the facts,
    as templates/cases/evictions/signal_detail.html wrote them (tests/cases/evictions/
    test_signal_page_facts.py renders the page's template as it was beside it, in both
    languages, for signals of every kind of fact). Through the template engine, about
    thirty translations, lookups and filters on every opening of a signal were a third
    of the page's rendering (issue 22). Messages are written as `{% translate %}` writes
    them (not escaped: the code's own text), every value escaped."""
    s = signal
    heading = gettext("Signal: %(kind)s") % {"kind": escaped(s.get_kind_display())}
    out = [f"<h1>{heading}</h1>\n"]
    missing = s.disturbance_steps_missing
    if missing:
        steps = "; ".join(escaped(step) for step in missing)
        out.append(
            '\n<div class="message message-warning" role="note" id="disturbance-warning">\n'
            f"  <p><strong>{gettext('Not done or not known:')}</strong> {steps}.</p>\n"
            "  <p>"
            + gettext(
                "A termination for disturbance, neighbour complaints or neglect requires "
                "that the landlord has first warned the tenant to put it right and notified "
                "the social welfare board (jordabalken 12 kap. 25 § and 43 §), unless the "
                "disturbances are particularly serious."
            )
            + "</p>\n</div>\n"
        )
    case = ""
    if s.case_id:
        case = f': <a href="{address("cases:detail", s.case_id)}">{escaped(s.case.number)}</a>'
    out.append(
        '\n<dl class="facts">\n'
        f"  <dt>{gettext('Landlord')}</dt><dd>{escaped(s.landlord.display_name)}</dd>\n"
        f"  <dt>{gettext('Received')}</dt>"
        f"<dd>{iso_day(s.received_on)} ({escaped(s.get_channel_display())})</dd>\n"
        f"  <dt>{gettext('Status')}</dt><dd>{escaped(s.get_status_display())}{case}</dd>\n"
        f"  {_tenant_facts(s)}\n  "
    )
    if s.first_contact_days is not None:
        out.append(
            f"<dt>{gettext('Days to first contact')}</dt>"
            f"<dd>{escaped(localize(s.first_contact_days))}</dd>"
        )
    out.append("\n  ")
    if repeat_of:
        received = gettext("the signal received %(date)s") % {
            "date": escaped(iso_day(repeat_of.received_on))
        }
        follows = ""
        if repeat_of.status == "untriaged":
            follows = f" ({gettext('triage that signal; this one follows it')})"
        out.append(
            f"<dt>{gettext('Repeat of')}</dt><dd>"
            f'<a href="{address("cases:signal", repeat_of.pk)}">{received}</a>{follows}</dd>'
        )
    out.append("\n</dl>")
    return mark_safe("".join(out))  # noqa: S308  every value above is escaped
