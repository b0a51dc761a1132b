"""The form renderer: Django's, except that selects, inputs, text areas, labels and
field groups are written in Python.

Django renders every option of a select through two template includes (the option and
its attributes). A select of a few hundred options (the access log's readers, the case
list's staff, the units) then costs more than the rest of its page together (issue 22,
point 2: half the access log page's time at city scale, growing with the staff). The
markup here is byte for byte what Django's templates `django/forms/widgets/select.html`,
`select_option.html` and `attrs.html` give (tests/bokvar/test_rendering.py compares
them), with the same escaping; any other template, or a select whose options use
another template, goes through Django's templates as before. The same holds for the
inputs, text areas, labels, empty error lists and field groups below: each was a
template render or two for every field of every form.
"""

from __future__ import annotations

import html
from datetime import date
from typing import Any

from django.core.signals import setting_changed
from django.forms.renderers import DjangoTemplates
from django.http import HttpRequest
from django.template.defaultfilters import linebreaksbr
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

SELECT = "django/forms/widgets/select.html"
OPTION = "django/forms/widgets/select_option.html"
FIELD = "django/forms/field.html"
LABEL = "django/forms/label.html"
ERRORS = "django/forms/errors/list/default.html"
TEXTAREA = "django/forms/widgets/textarea.html"
# Django's input widgets' templates: `input.html` itself, and those that are nothing but
# `{% include "django/forms/widgets/input.html" %}` (tests/bokvar/test_rendering.py
# renders each through both and compares).
INPUTS = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in [
        "input",
        "checkbox",
        "color",
        "date",
        "datetime",
        "email",
        "hidden",
        "number",
        "password",
        "search",
        "tel",
        "text",
        "time",
        "url",
    ]
)
LABEL_CONTEXT = {"field", "label", "attrs", "use_tag", "tag"}
ERRORS_CONTEXT = {"errors", "error_class"}


def escaped(value: Any) -> str:
    """`conditional_escape(value)`: for a plain `str` straight through `html.escape`, as
    Django's `escape` does, without its wrapper for lazy arguments. The options of a
    long select are escaped twice each (the access log's filter: about 4,300 times a
    page at national scale, a third of its CPU through the wrapper; issue 22)."""
    if type(value) is str:
        return html.escape(value)
    return conditional_escape(value)


def iso_day(value: date | None) -> str:
    """`{{ value|date:"Y-m-d" }}` of a date (or of a moment already in local time); nothing
    for None, as the filter gives. Digits and dashes: nothing to escape."""
    return "" if value is None else value.strftime("%Y-%m-%d")


def line_breaks(value: Any) -> str:
    """`{{ value|linebreaksbr }}`: escaped, each line break a `<br>`."""
    return str(linebreaksbr(value, autoescape=True))


# No id is negative: the stand-ins for ids while an address is reversed (`address`).
_ID_STAND_IN = 770_000_991

# The addresses written in Python, each reversed once per process with stand-ins for its
# ids and kept as the escaped text around them: reversing was 17 calls and 0.4-0.6 ms of
# the case page at national scale (issue 22). Keyed as the layout's addresses are (the
# script prefix and the URL configuration of the thread); any change of settings (tests
# that change the URL configuration) empties it.
_PATTERNS: dict[tuple[str, int, str, object], tuple[str, ...]] = {}


def _forget_patterns(**kwargs: object) -> None:
    _PATTERNS.clear()


setting_changed.connect(_forget_patterns)


def _pattern(url_name: str, count: int) -> tuple[str, ...]:
    """The escaped text of `url_name`'s address around each of its `count` ids."""
    key = (url_name, count, get_script_prefix(), get_urlconf())
    parts = _PATTERNS.get(key)
    if parts is None:
        rest = reverse(url_name, args=[_ID_STAND_IN + i for i in range(count)])
        found = []
        for i in range(count):
            before, stand_in, rest = rest.partition(str(_ID_STAND_IN + i))
            if not stand_in:
                raise ValueError(f"{url_name}'s address does not show its ids as given")
            found.append(html.escape(before))
        parts = _PATTERNS[key] = (*found, html.escape(rest))
    return parts


def address(url_name: str, *ids: int) -> str:
    """`{% url url_name id … %}` for an address whose arguments are ids (integers),
    escaped, from the kept pattern (`_pattern`) instead of reversed on every page."""
    parts = _pattern(url_name, len(ids))
    out = [parts[0]]
    for value, after in zip(ids, parts[1:], strict=True):
        out.append(str(int(value)))  # an id: digits, which escaping leaves as they are
        out.append(after)
    return "".join(out)


def id_address(url_name: str, *leading: Any) -> tuple[str, str]:
    """The address of `url_name` for an id, as two escaped parts to write the id between:
    a list written in Python writes each row's address from them (the rows are the same
    address but for the id). `leading`: the address's arguments before the id, the same
    for every row (a case's id before its night's)."""
    parts = _pattern(url_name, len(leading) + 1)
    before = [parts[0]]
    for value, after in zip(leading, parts[1:-1], strict=True):
        before.append(str(int(value)))
        before.append(after)
    return "".join(before), parts[-1]


def button(url_name: str, *ids: int, label: Any) -> str:
    """`<a class="button" href="{% url url_name id … %}">{{ label }}</a>`."""
    return f'<a class="button" href="{address(url_name, *ids)}">{escaped(label)}</a>'


def column_headers(*labels: Any) -> str:
    """A table's `<th scope="col">` for each label, escaped."""
    return "".join(f'<th scope="col">{escaped(label)}</th>' for label in labels)


def html_attrs(attrs: dict[str, Any]) -> str:
    # attrs.html: `{% if value is not False %} name{% if value is not True %}="value"`
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        out.append(f" {escaped(name)}")
        if value is not True:
            out.append(f'="{escaped(str(value))}"')
    return "".join(out)


def render_select(widget: dict[str, Any]) -> SafeString:
    parts = [f'<select name="{escaped(widget["name"])}"{html_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{escaped(group_name)}">')
        for option in group_choices:
            parts.append(
                f'\n  <option value="{escaped(str(option["value"]))}"'
                f"{html_attrs(option['attrs'])}>{escaped(option['label'])}</option>\n"
            )  # the option template's file ends with a line break, which Django keeps
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return mark_safe("".join(parts))  # noqa: S308  every value above is escaped


def render_input(widget: dict[str, Any]) -> SafeString:
    """`input.html`: `<input type="…" name="…"{% if widget.value != None %} value="…"{%
    endif %}{% include attrs %}>`. Every date, text, check box and hidden field of every
    form went through two template renders (issue 22: a fifth of a case form's
    rendering)."""
    value = widget["value"]
    shown = "" if value is None else f' value="{escaped(str(value))}"'
    return mark_safe(  # noqa: S308  every value is escaped
        f'<input type="{escaped(widget["type"])}" '
        f'name="{escaped(widget["name"])}"{shown}{html_attrs(widget["attrs"])}>'
    )


def render_textarea(widget: dict[str, Any]) -> SafeString:
    """`textarea.html`: its line break after the opening tag, the value when there is one."""
    value = widget["value"]
    return mark_safe(  # noqa: S308  every value is escaped
        f'<textarea name="{escaped(widget["name"])}"{html_attrs(widget["attrs"])}>'
        f"\n{escaped(value) if value else ''}</textarea>"
    )


class KeptBlank:
    """A form whose blank markup is kept: each field group of an unbound form is written
    once per process for its class, prefix, field, value and language, and then taken
    from memory (`render_field_group`).

    A form given to its reader blank (a new threat, a new contact) renders the same
    markup every time, yet its field groups were written afresh on every page: for the
    threat form's fifteen fields a third of the page's CPU (issue 22), a label, a widget,
    a help text and a dozen translations each. Only a form whose markup is a function of
    its class takes this: static choices, no attribute set per instance in `__init__`
    (tests/bokvar/test_kept_blank.py holds each such form's kept markup to a fresh
    rendering). A field given an initial value is kept only when it is named in
    `kept_initial`: a default such as today's date, never a record's own values (an edit
    form's markup holds a client's data, which stays out of memory)."""

    kept_initial: frozenset[str] = frozenset()


# The kept field groups of blank forms (KeptBlank): bounded, emptied when full and on a
# change of settings (tests).
_BLANK: dict[tuple[Any, ...], SafeString] = {}
_MAX_BLANK = 1024


def _forget_blank(**kwargs: object) -> None:
    _BLANK.clear()


setting_changed.connect(_forget_blank)


def _blank_key(field: Any) -> tuple[Any, ...] | None:
    form = field.form  # a Django form (its type, not narrowed to the mix-in)
    if not issubclass(type(form), KeptBlank) or form.is_bound:
        return None
    if field.name in form.initial and field.name not in form.kept_initial:
        return None
    value = field.value()
    if not isinstance(value, (str, int, date, type(None))):
        return None  # a value whose text would not tell two apart (kept: plain values)
    return (
        type(form),
        form.prefix,
        form.auto_id,
        form.label_suffix,
        form.use_required_attribute,
        field.name,
        type(value),
        value,
        get_language(),
    )


def render_field_group(field: Any) -> SafeString:
    key = _blank_key(field)
    if key is None:
        return _field_group(field)
    markup = _BLANK.get(key)
    if markup is None:
        markup = _field_group(field)
        if len(_BLANK) >= _MAX_BLANK:
            _BLANK.clear()
        _BLANK[key] = markup
    return markup


def _field_group(field: Any) -> SafeString:
    """`{{ field.as_field_group }}`: Django's `django/forms/field.html` (label or legend,
    help text, errors, widget), its whitespace included, written in Python. Every form
    field of a page went through that template, a few hundred template nodes a form
    (issue 22: the filter forms' fields were a fifth of the case list's templates)."""
    parts = []
    fieldset = field.use_fieldset
    if fieldset:
        describedby = field.aria_describedby
        parts.append("\n  <fieldset")
        if describedby:
            parts.append(f' aria-describedby="{escaped(describedby)}"')
        parts.append(">\n  ")
        if field.label:
            parts.append(escaped(field.legend_tag()))
    else:
        parts.append("\n  ")
        if field.label:
            parts.append(escaped(field.label_tag()))
    parts.append("\n\n")
    if field.help_text:
        parts.append('<div class="helptext"')
        if field.auto_id:
            parts.append(f' id="{escaped(field.auto_id)}_helptext"')
        parts.append(f">{field.help_text}</div>")  # |safe, as the template
    parts.append(f"\n{escaped(field.errors)}\n{escaped(field)}")
    if fieldset:
        parts.append("</fieldset>")
    parts.append("\n")
    # Stripped, as Django's renderer strips what a template gives.
    return mark_safe("".join(parts).strip())  # noqa: S308  escaped as the template escapes


def render_label(context: dict[str, Any]) -> SafeString:
    """`BoundField.label_tag()` and `legend_tag()`: Django's `django/forms/label.html`
    (`{% if use_tag %}<{{ tag }}{% include attrs %}>{{ label }}</{{ tag }}>{% else %}
    {{ label }}{% endif %}`), written in Python: a template render for every label of
    every form field of a page (issue 22)."""
    label = escaped(context["label"])
    if not context["use_tag"]:
        return mark_safe(str(label).strip())  # noqa: S308  escaped as the template escapes
    tag = escaped(context["tag"])
    attrs = html_attrs(context["attrs"] or {})
    return mark_safe(f"<{tag}{attrs}>{label}</{tag}>".strip())  # noqa: S308  escaped above


class Renderer(DjangoTemplates):
    def render(
        self, template_name: str, context: dict[str, Any], request: HttpRequest | None = None
    ) -> str:
        if template_name == SELECT:
            widget = context["widget"]
            if all(
                option.get("template_name") == OPTION
                for _name, choices, _index in widget["optgroups"]
                for option in choices
            ):
                return render_select(widget)
        elif template_name in INPUTS:
            return render_input(context["widget"])
        elif template_name == TEXTAREA:
            return render_textarea(context["widget"])
        elif template_name == FIELD and set(context) == {"field"}:
            return render_field_group(context["field"])
        elif template_name == LABEL and set(context) == LABEL_CONTEXT:
            return render_label(context)
        elif template_name == ERRORS and set(context) == ERRORS_CONTEXT and not context["errors"]:
            # An empty error list is nothing (`{% if errors %}` of the template): every
            # field of every form asks. A list with errors goes through the template.
            return ""
        return super().render(template_name, context, request)
