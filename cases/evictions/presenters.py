"""The triage queue's rows, written in Python.

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
