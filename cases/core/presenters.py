"""The case list's rows and the case page's own sections, written in Python.

A page of the case list shows up to fifty cases, and each row went through the template
engine: a URL reversed, a date formatted, six variables looked up, localised and
escaped (issue 22: the list's rows were the largest part of its template). The markup
here is byte for byte what `{% for row in rows %}` in templates/cases/case_list.html
wrote (tests/cases/core/test_case_list_page.py renders both, in both languages, for
rows with names to escape, a protected household's placeholder and no rows at all),
with the same escaping."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.template.defaultfilters import date as date_filter
from django.utils import timezone
from django.utils.formats import localize
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator, capfirst
from django.utils.translation import gettext, gettext_noop, ngettext, pgettext

from bokvar.paging import pagination
from bokvar.rendering import address, escaped, id_address, line_breaks


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


# --- The case list page ----------------------------------------------------------------
# templates/cases/case_list.html's content written in Python: its translations, addresses,
# caption and pager through the template engine were about 6 % of the coordinator's first
# list page's CPU samples at national scale, 2.5 % written here (issue 22, the
# twenty-fifth round; the filter form's fields and the pager's count aside). Byte for
# byte what the template wrote (tests/cases/core/test_case_list_page.py renders the
# reference copy beside it, in both languages: with and without the right to open a
# case, a search that expired, no rows, and pages before and after).


def case_list_content(context: dict[str, Any], *, csrf_token: str) -> SafeString:
    """The case list page's content block from the page's `context` (its `form`, `page`,
    `case_rows` from `case_list_rows`, `query` and `may_create`): heading, filter form,
    search help, the table under its count, and the pager."""
    form, page, query = context["form"], context["page"], context["query"]
    create = (
        f'<p><a class="button primary" href="{address("cases:create")}">'
        f"{escaped(gettext('New case'))}</a></p>"
        if context["may_create"]
        else ""
    )
    fields = "".join(f'<div class="field">{field.as_field_group()}</div>' for field in form)
    help_items = "".join(f"    <li>{escaped(gettext(text))}</li>\n" for text in _SEARCH_HELP)
    paginator = page.paginator
    # Counted before `more` is asked: the capped count sets it (the template asked first,
    # and a district's first page said "1000 cases" above "page 1 of more than 40").
    counter = escaped(localize(paginator.count))
    if getattr(paginator, "more", False):
        caption = ngettext(
            "More than %(counter)s case", "More than %(counter)s cases", paginator.count
        )
    else:
        caption = ngettext("%(counter)s case", "%(counter)s cases", paginator.count)
    headers = "".join(
        f'    <th scope="col">{escaped(gettext(text))}</th>\n' for text in _LIST_COLUMNS
    )
    return mark_safe(  # noqa: S308  every value above is escaped
        f"\n<h1>{escaped(gettext('Cases'))}</h1>\n"
        f"{create}\n"
        f'<form method="post" action="{address("cases:list")}" class="filters" '
        f'role="search" aria-label="{escaped(gettext("Search and filter cases"))}" '
        "novalidate>\n"
        f'  <input type="hidden" name="csrfmiddlewaretoken" value="{escaped(csrf_token)}">\n'
        f"  {fields}\n"
        f'  <div class="field"><button type="submit">{escaped(gettext("Search"))}</button>'
        "</div>\n"
        "</form>\n"
        '<details class="search-help">\n'
        f"  <summary>{escaped(gettext('What search matches'))}</summary>\n"
        "  <ul>\n"
        f"{help_items}"
        "  </ul>\n"
        "</details>\n\n"
        '<div class="table-scroll" tabindex="0" role="region" '
        'aria-labelledby="cases-case-list-table">\n'
        "<table>\n"
        f'  <caption id="cases-case-list-table">{caption % {"counter": counter}}</caption>\n'
        "  <thead><tr>\n"
        f"{headers}"
        "  </tr></thead>\n"
        "  <tbody>\n"
        f"  {context['case_rows']}\n"
        "  </tbody>\n"
        "</table>\n"
        "</div>\n"
        f"{pagination(page, query)}\n"
    )


_SEARCH_HELP = (
    gettext_noop(
        "A case number (BK-…) or an identity number, written with or without the century "
        "and the dash."
    ),
    gettext_noop(
        "Words of a name: a case matches when someone in its household has every word you "
        "write among their given and family names. “Bergström” finds every Bergström; "
        "“Anna Bergström” only Anna Bergström; “Karin” also finds Anna-Karin."
    ),
    gettext_noop(
        "Whole words only, not the beginning of a word. Upper and lower case and accents "
        "do not matter: “bergstrom” finds Bergström, “Muller” finds Müller."
    ),
    gettext_noop(
        "Only cases and people you may see are found: never a household with a protected "
        "identity you have not been granted."
    ),
)
_LIST_COLUMNS = (
    gettext_noop("Case number"),
    gettext_noop("Main tenant"),
    gettext_noop("Kind"),
    gettext_noop("Status"),
    gettext_noop("Responsible unit"),
    gettext_noop("Opened"),
)


# --- The case page's own sections -------------------------------------------------------
# The about, household, timeline and changes sections of templates/cases/case_detail.html,
# written in Python: a case page rendered 78 variables, 75 translations and 14 reversed
# addresses through the template engine, about a third of its CPU at national scale
# (issue 22, the twenty-fourth round). The markup is byte for byte what the template wrote
# (tests/cases/core/test_case_page_sections.py renders both, in both languages, for
# readers who may write and who may not, a protected household, children, a closed case,
# a long timeline and every kind of change).


def _date(value: Any, format_string: str) -> str:
    """`{{ value|date:format_string }}`: in the current time zone, as the template's
    `date` filter is given a date and time."""
    if value is None:
        return ""
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return escaped(date_filter(value, format_string))


def about_and_household(
    *,
    case: Any,
    assignees: Iterable[Any],
    people: Iterable[Any],
    children: list[Any],
    may_write: bool,
    may_grant: bool,
    may_grant_protected: bool,
    may_open_new_case: bool,
) -> SafeString:
    """The case's facts, what the reader may do with it, and its household."""
    out = [
        '<section aria-labelledby="about-heading" id="about">\n'
        f'<h2 id="about-heading">{escaped(gettext("About the case"))}</h2>\n'
        '<dl class="facts">\n'
        f"  <dt>{escaped(gettext('Kind'))}</dt><dd>{escaped(case.get_kind_display())}</dd>\n"
        f"  <dt>{escaped(gettext('Status'))}</dt><dd>{escaped(case.get_status_display())}"
    ]
    if case.outcome:
        out.append(f": {escaped(case.get_outcome_display())}")
    out.append(
        "</dd>\n"
        f"  <dt>{escaped(gettext('Responsible unit'))}</dt>"
        f"<dd>{escaped(case.responsible_unit.name)}</dd>\n"
        f"  <dt>{escaped(gettext('Responsible caseworker'))}</dt><dd>"
    )
    responsible = case.responsible_caseworker
    if responsible:
        out.append(escaped(responsible.get_full_name() or responsible.username))
    else:
        out.append(escaped(gettext("Not named")))
    out.append(f"</dd>\n  <dt>{escaped(gettext('Assigned staff'))}</dt><dd>")
    names = [escaped(u.get_full_name() or u.username) for u in assignees]
    out.append(", ".join(names) if names else escaped(gettext("Nobody yet")))
    out.append(
        f"</dd>\n  <dt>{escaped(gettext('Opened'))}</dt><dd>{_date(case.opened_on, 'Y-m-d')}</dd>\n  "
    )
    if case.closed_on:
        out.append(
            f"<dt>{escaped(gettext('Closed'))}</dt><dd>{_date(case.closed_on, 'Y-m-d')}</dd>"
        )
    out.append("\n</dl>\n")
    if may_write:
        pk = case.pk
        out.append(
            "\n<p>\n"
            f'  <a class="button" href="{address("cases:edit", pk)}">'
            f"{escaped(gettext('Edit case'))}</a>\n  "
        )
        if case.status == "open":
            out.append(
                f'<a class="button" href="{address("cases:close", pk)}">'
                f"{escaped(gettext('Close case'))}</a>"
            )
        out.append("\n  ")
        if may_grant:
            out.append(
                f'<a class="button" href="{address("cases:access", pk)}">'
                f"{escaped(gettext('Give access'))}</a>"
            )
        out.append("\n  ")
        if may_grant_protected:
            protected_access = address("cases:protected_access", pk)
            label = escaped(gettext("Let a colleague see a protected person"))
            out.append(f'<a class="button" href="{protected_access}">{label}</a>')
        out.append("\n</p>\n")
    out.append("\n")
    if may_open_new_case:
        new_case = address("cases:household_new_case", case.household_id)
        label = escaped(gettext("Open a new case for this household"))
        out.append(f'\n<p><a class="button" href="{new_case}">{label}</a></p>\n')
    out.append(
        "\n</section>\n\n"
        '<section aria-labelledby="household-heading" id="household">\n'
        f'  <h2 id="household-heading">{escaped(gettext("Household"))}</h2>\n  '
    )
    if may_write:
        edit_before, edit_after = id_address("cases:person_edit", case.pk)
    person_before, person_after = id_address("cases:person", case.pk)
    for p in people:
        label = escaped(gettext("Protected identity")) if p.hidden else escaped(p.name)
        out.append(f'\n  <article class="card" aria-label="{label}">\n    <h3>')
        if p.hidden:
            out.append(f'<span class="protected">{escaped(p.name)}</span>')
        else:
            out.append(
                f'<a href="{person_before}{escaped(str(p.pk))}{person_after}">{escaped(p.name)}</a>'
            )
        out.append("</h3>\n    ")
        if not p.hidden:
            out.append("\n    ")
            out.append(_person_facts(p))
            out.append("\n    ")
            if may_write:
                out.append(
                    f'<p><a href="{edit_before}{escaped(str(p.pk))}{edit_after}">'
                    f"{escaped(gettext('Edit details'))}"
                    f'<span class="visually-hidden"> {escaped(p.name)}</span></a></p>'
                )
            out.append("\n    ")
        out.append("\n  </article>\n  ")
    out.append(f"\n  <h3>{escaped(gettext('Children'))}</h3>\n  ")
    if children:
        count = len(children)
        # `blocktranslate`: its text as translated, its values escaped.
        many = ngettext("%(counter)s child", "%(counter)s children", count) % {"counter": count}
        years = ", ".join(
            gettext("born %(year)s") % {"year": escaped(c.birth_year)} for c in children
        )
        out.append(f"\n  <p>{many}:\n    {years}</p>\n  ")
    else:
        out.append(f"<p>{escaped(gettext('No children in the household.'))}</p>")
    out.append("\n  ")
    if may_write:
        children_address = address("cases:children", case.pk)
        out.append(
            f'<p><a href="{children_address}">{escaped(gettext("Add or remove children"))}</a></p>'
        )
    out.append("\n</section>")
    return mark_safe("".join(out))  # noqa: S308  every value above is escaped


def _person_facts(p: Any) -> str:
    """templates/cases/_person_facts.html for a person's card."""
    dash = "—"
    out = [
        '<dl class="facts">\n'
        f"      <dt>{escaped(gettext('Personal identity number'))}</dt>"
        f"<dd>{escaped(p.personal_number or dash)}</dd>\n"
        f"      <dt>{escaped(gettext('Address'))}</dt><dd>{line_breaks(p.address or dash)}</dd>\n"
        f"      <dt>{escaped(gettext('Phone'))}</dt><dd>{escaped(p.phone or dash)}</dd>\n"
        f"      <dt>{escaped(gettext('E-mail'))}</dt><dd>{escaped(p.email or dash)}</dd>\n      "
    ]
    if p.sex:
        out.append(f"<dt>{escaped(gettext('Sex'))}</dt><dd>{escaped(p.sex)}</dd>")
    out.append(f"\n      <dt>{escaped(gettext('Interpreter'))}</dt><dd>")
    if p.needs_interpreter:
        out.append(escaped(p.interpreter_language))
    else:
        out.append(escaped(gettext("Not needed")))
    out.append("</dd>\n      ")
    if p.protected_identity:
        out.append(
            f"<dt>{escaped(gettext('Protected identity'))}</dt><dd>"
            f'<span class="protected">{escaped(p.protected_identity)}</span> '
            f"({escaped(gettext('noted'))} {_date(p.protected_identity_noted_on, 'Y-m-d')})</dd>"
        )
    out.append("\n      ")
    if p.notes:
        out.append(f"<dt>{escaped(gettext('Notes'))}</dt><dd>{line_breaks(p.notes)}</dd>")
    out.append("\n    </dl>\n")
    return "".join(out)


TIMELINE_OPEN = 8  # the newest events shown; the earlier ones folded


def timeline_and_changes(*, case: Any, timeline: list[Any], changes: list[Any]) -> SafeString:
    """The case's timeline, newest first, and the latest changes to it and its household."""
    out = [
        '<section aria-labelledby="timeline-heading" id="timeline">\n'
        f'  <h2 id="timeline-heading">{escaped(gettext("Timeline"))}</h2>\n  \n'
        '  <ol class="timeline">\n    '
    ]
    if timeline:
        # The include's file ends with a line break, and the loop's body adds one.
        out.extend(_event(e) + "\n\n    " for e in timeline[:TIMELINE_OPEN])
    else:
        opened = _date(case.opened_on, "Y-m-d")
        out.append(
            f'\n    <li><time datetime="{opened}">{opened}</time>'
            f"{escaped(gettext('Case opened'))}</li>\n    "
        )
    out.append("\n  </ol>\n  ")
    if len(timeline) > TIMELINE_OPEN:
        earlier = len(timeline) - TIMELINE_OPEN
        summary = ngettext("%(counter)s earlier event", "%(counter)s earlier events", earlier) % {
            "counter": earlier
        }
        out.append(
            '\n  <details class="more">\n'
            f"    <summary>{summary}</summary>\n"
            '    <ol class="timeline">'
            + "".join(_event(e) + "\n" for e in timeline[TIMELINE_OPEN:])
            + "</ol>\n  </details>\n  "
        )
    count = len(changes)
    latest = ngettext("The latest change", "The latest %(counter)s changes", count) % {
        "counter": count
    }
    out.append(
        "\n</section>\n\n"
        '<section aria-labelledby="changes-heading" id="changes">\n'
        f'  <h2 id="changes-heading">{escaped(gettext("Changes"))}</h2>\n'
        '  <details class="more">\n'
        f"  <summary>{latest}</summary>\n"
        '  <div class="table-scroll" tabindex="0" role="region" '
        'aria-labelledby="cases-case-detail-table">\n'
        "  <table>\n"
        '    <caption id="cases-case-detail-table" class="visually-hidden">'
        f"{escaped(gettext('Latest changes to the case and its household'))}</caption>\n"
        f'    <thead><tr><th scope="col">{escaped(gettext("When"))}</th>'
        f'<th scope="col">{escaped(gettext("Who"))}</th>'
        f'<th scope="col">{escaped(gettext("What"))}</th>'
        f'<th scope="col">{escaped(gettext("Fields"))}</th></tr></thead>\n'
        "    <tbody>\n    "
    )
    done = {
        "+": escaped(pgettext("history: the record was", "created")),
        "-": escaped(pgettext("history: the record was", "removed")),
    }
    changed = escaped(pgettext("history: the record was", "changed"))
    system = escaped(gettext("the system"))
    for c in changes:
        who = escaped(c.who) if c.who else system
        fields = ", ".join(escaped(f) for f in c.fields)
        out.append(
            f"\n      <tr><td>{_date(c.when, 'Y-m-d H:i')}</td><td>{who}</td>\n"
            f"        <td>{escaped(capfirst(c.what))} {done.get(c.kind, changed)}</td>\n"
            f"        <td>{fields}</td></tr>\n    "
        )
    out.append("\n    </tbody>\n  </table>\n  </div>\n  </details>\n</section>")
    return mark_safe("".join(out))  # noqa: S308  every value above is escaped


def _event(e: Any) -> str:
    """One event of the timeline, as templates/cases/_timeline_event.html (now gone) wrote it."""
    day = _date(e.sort_key, "Y-m-d")
    css = ' class="deadline"' if e.is_deadline else ""
    title = escaped(e.title)
    if e.url:
        title = f'<a href="{escaped(e.url)}">{title}</a>'
    detail = f'<br><span class="hint">{escaped(e.detail)}</span>' if e.detail else ""
    return f'<li{css}><time datetime="{day}">{day}</time>{title}{detail}</li>'


def history_section(case_id: int) -> SafeString:
    """The case page's link to the case's full change history (`case_page.SECTIONS`), as
    templates/audit/history_panel.html wrote it (tests/cases/core/test_history_section.py
    keeps that template and renders both). The audit app's page is named by its URL only,
    so nothing of the audit app is imported."""
    heading = escaped(gettext("Full change history"))
    label = escaped(gettext("Every change of every record of this case, old and new values"))
    return mark_safe(  # noqa: S308  every value above is escaped
        '\n<section aria-labelledby="audit-history-heading" class="panel">\n'
        f'  <h2 id="audit-history-heading">{heading}</h2>\n'
        f'  <p><a href="{address("audit:case_history", case_id)}">{label}</a></p>\n'
        "</section>\n"
    )


def overview_and_page_nav(
    *,
    first_screen: list[dict[str, Any]],
    people: list[Any],
    children: list[Any],
    latest_contacts: list[Any],
    panels: list[dict[str, Any]],
) -> SafeString:
    """The case page's first screen (the next deadline, the household's names, the latest
    contacts) and its "on this page" navigation, as templates/cases/case_detail.html
    wrote them (tests/cases/core/test_case_page_sections.py renders the page's template
    as it was beside it). The first screen's parts give their own markup (`html`)."""
    out = [
        '<section aria-labelledby="overview-heading" class="first-screen" id="overview">\n'
        f'  <h2 id="overview-heading" class="visually-hidden">{escaped(gettext("Overview"))}'
        "</h2>\n  "
    ]
    out.extend(part["html"] for part in first_screen)
    names = ", ".join(
        f'<span class="protected">{escaped(p.name)}</span>' if p.hidden else escaped(p.name)
        for p in people
    )
    out.append(
        f'\n  \n  <p id="household-summary"><strong>{escaped(gettext("Household"))}:</strong>'
        f"\n    {names}"
    )
    if children:
        count = len(children)
        counted = ngettext("%(counter)s child", "%(counter)s children", count) % {"counter": count}
        out.append(f";\n    {counted}")
    out.append(
        "</p>\n"
        f'  <h3 class="first-screen-heading">{escaped(gettext("Latest contacts"))}</h3>\n'
        '  <ul class="latest-contacts" id="latest-contacts">\n    '
    )
    for event in latest_contacts:
        day = _date(event.sort_key, "Y-m-d")
        detail = ""
        if event.detail:
            detail = f': <span class="hint">{escaped(Truncator(event.detail).chars(140))}</span>'
        out.append(
            f'<li><time datetime="{day}">{day}</time> {escaped(event.title)}{detail}</li>\n    '
        )
    if not latest_contacts:
        out.append(f"<li>{escaped(gettext('No contacts recorded yet.'))}</li>")
    sections = "".join(
        f'<li><a href="#section-{escaped(panel["key"])}">{escaped(panel["title"])}</a></li>'
        for panel in panels
        if panel["title"]
    )
    out.append(
        "\n  </ul>\n</section>\n"
        f'<nav aria-label="{escaped(gettext("On this page"))}" class="page-nav">\n'
        '  <ul class="inline-list">\n'
        f'    <li><a href="#about">{escaped(gettext("About the case"))}</a></li>\n'
        f'    <li><a href="#household">{escaped(gettext("Household"))}</a></li>\n'
        f"    {sections}\n"
        f'    <li><a href="#timeline">{escaped(gettext("Timeline"))}</a></li>\n'
        f'    <li><a href="#changes">{escaped(gettext("Changes"))}</a></li>\n'
        "  </ul>\n</nav>"
    )
    return mark_safe("".join(out))  # noqa: S308  every value above is escaped
