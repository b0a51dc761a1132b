"""The case page's housing section, written in Python: its shelter nights (`night_rows`)
and the whole section around them (`case_section`).

A homeless client's year is hundreds of nights, each a row through the template engine:
a date, the shelter, the cost in the reader's number format and, for a reader who may
remove it, a form with its own address and token. At national scale the section was
the costliest template of the case page (4.7 ms of its 16 ms of CPU, issue 22). The
markup here is byte for byte what templates/housing/case_panel.html wrote (kept as
tests/housing/reference_case_panel.html; tests/housing/test_case_section.py renders
both, in both languages, with and without the right to remove, with values to escape),
with the same escaping."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext

from bokvar.rendering import button, column_headers, escaped, id_address, iso_day
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


def case_section(panel: dict[str, Any], *, case_id: int, csrf_input: str) -> SafeString:
    """The case page's housing section (`panel.case_panel`), as templates/housing/
    case_panel.html wrote it (tests/housing/test_case_section.py keeps that template and
    renders both, in both languages). Through the template engine it was the costliest
    section of the case page at national scale (0.54 ms, issue 22): a dozen translations,
    three addresses, the chain's and the lists' dates. `csrf_input`: the token's hidden
    input as `{% csrf_token %}` writes it (a cost's removal form)."""
    out = [
        '\n<section aria-labelledby="housing-heading">\n'
        f'  <h2 id="housing-heading">{escaped(gettext("Housing"))}</h2>\n  '
    ]
    if panel["may_write_housing"]:
        place = ""
        if panel["may_place"]:
            place = button("housing:placement_new", case_id, label=gettext("New placement"))
        out.append(
            "<p>\n    "
            f"{button('housing:nights_new', case_id, label=gettext('Register shelter nights'))}"
            f"\n    {place}\n    "
            f"{button('housing:cost_new', case_id, label=gettext('Add a cost'))}\n  </p>"
        )
    out.append(f"\n  <h3>{escaped(gettext('Housing chain'))}</h3>\n  ")
    if panel["chain"]:
        out.append(f'\n  <ol class="timeline">{_chain(panel["chain"])}</ol>\n  ')
    else:
        out.append(f"<p>{escaped(gettext('No shelter nights or placements.'))}</p>")
    out.append("\n  ")
    if panel["placements"]:
        out.append(
            f"\n  <h3>{escaped(gettext('Placements'))}</h3>\n"
            f'  <ul class="plain">{_placements(panel["placements"])}</ul>\n  '
        )
    out.append("\n  ")
    remove = escaped(gettext("Remove"))
    remove_header = (
        f'<th scope="col"><span class="visually-hidden">{remove}</span></th>'
        if panel["may_remove"]
        else ""
    )
    year = escaped(str(panel["year"]))
    if panel["cost_items"]:
        caption = gettext("Other costs %(year)s") % {"year": year}
        headers = column_headers(
            gettext("Date"), gettext("Category"), gettext("Amount (SEK)"), gettext("Note")
        )
        out.append(
            '\n  <div class="table-scroll" tabindex="0" role="region" '
            'aria-labelledby="housing-case-panel-table-1">\n  <table>\n'
            f'    <caption id="housing-case-panel-table-1">{caption}</caption>\n'
            f"    <thead><tr>{headers}{remove_header}</tr></thead>\n"
            f"    <tbody>{_cost_rows(panel, case_id, csrf_input, remove)}</tbody>\n"
            "  </table>\n  </div>\n  "
        )
    out.append("\n  ")
    if panel["nights"]:
        count = len(panel["nights"])
        summary = ngettext(
            "Shelter nights %(year)s: %(counter)s night",
            "Shelter nights %(year)s: %(counter)s nights",
            count,
        ) % {"year": year, "counter": escaped(str(count))}
        caption = gettext("Shelter nights %(year)s") % {"year": year}
        headers = column_headers(gettext("Night"), gettext("Shelter"), gettext("Cost (SEK)"))
        out.append(
            '\n  \n  <details class="more">\n'
            f"  <summary>{summary}</summary>\n"
            '  <div class="table-scroll" tabindex="0" role="region" '
            'aria-labelledby="housing-case-panel-table-2">\n  <table>\n'
            f'    <caption id="housing-case-panel-table-2">{caption}</caption>\n'
            f"    <thead><tr>{headers}{remove_header}</tr></thead>\n"
            f"    <tbody>{panel['night_rows']}</tbody>\n"
            "  </table>\n  </div>\n  </details>\n  "
        )
    out.append("\n  ")
    forecast = panel["forecast"]
    if forecast and forecast.so_far:
        text = gettext(
            "Cost so far this year: %(so_far)s SEK; forecast for the year: %(forecast)s SEK."
        ) % {
            "so_far": escaped(grouped(forecast.so_far)),
            "forecast": escaped(grouped(forecast.forecast)),
        }
        out.append(f"\n  <p>{text}</p>\n  ")
    out.append("\n</section>\n")
    return mark_safe("".join(out))  # noqa: S308  every value above is escaped


def _chain(steps: Iterable[Any]) -> str:
    parts = []
    for s in steps:
        start = iso_day(s.start)
        until = f"– {iso_day(s.end)} " if s.end and s.end != s.start else ""
        detail = f": {escaped(s.detail)}" if s.detail else ""
        parts.append(
            f'<li><time datetime="{start}">{start}</time>{until}'
            f"<strong>{escaped(s.label)}</strong>{detail}</li>"
        )
    return "".join(parts)


def _placements(placements: Iterable[Any]) -> str:
    before, after = id_address("housing:placement")
    parts = []
    for p in placements:
        ended = ""
        if p.end_on:
            ended = f"–{iso_day(p.end_on)} ({escaped(p.get_outcome_display())})"
        parts.append(
            f'<li><a href="{before}{escaped(str(p.pk))}{after}">'
            f"{escaped(p.apartment.get_kind_display())} {escaped(p.apartment.reference)}</a>, "
            f"{iso_day(p.start_on)}{ended}</li>"
        )
    return "".join(parts)


def _cost_rows(panel: dict[str, Any], case_id: int, csrf_input: str, remove: str) -> str:
    withheld_note = escaped(gettext("Withheld: concerns a person with protected identity"))
    if panel["may_remove"]:
        before, after = id_address("housing:cost_remove", case_id)
    parts = []
    for item in panel["cost_items"]:
        on, category = iso_day(item.on), escaped(item.category.name)
        note = withheld_note if panel["withheld"] and item.note else escaped(item.note)
        parts.append(
            f"<tr><td>{on}</td><td>{category}</td>"
            f'<td class="num">{escaped(grouped(item.amount))}</td><td>{note}</td>'
        )
        if panel["may_remove"]:
            parts.append(
                f'<td><form method="post" action="{before}{escaped(str(item.pk))}{after}" '
                f'class="inline">{csrf_input}<button type="submit">{remove}'
                f'<span class="visually-hidden"> {category} {on}</span></button></form></td>'
            )
        parts.append("</tr>")
    return "".join(parts)
