"""The base layout's header (skip link, brand, main navigation, language form, the
reader's name and sign-out), written in Python.

Every page renders it. Through the template engine it cost about 1.3 ms of the web
process's CPU on every page (issue 22, point 2: a variable lookup, a localisation and
an escape for each of its values, two `{% csrf_token %}`, four `{% url %}`, a dozen
translations), more than some pages' own content. The markup is byte for byte what
templates/base.html wrote with those tags (tests/home/test_layout.py renders both for
readers of every role, signed out, in both languages, and compares), with the same
escaping. The language form's `next` stays a template block between the two halves:
the error pages set it."""

from __future__ import annotations

from typing import Any

from django.template.defaulttags import CsrfTokenNode
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext, ngettext, pgettext

from bokvar.rendering import escaped

_CSRF = CsrfTokenNode()
# The largest number a navigation badge shows; past it, "99+" (the badges are counted
# up to one more and no further: home.navigation, bokvar.counting.counter).
BADGE_MOST = 99
# The addresses the header links to, reversed once per script prefix and URL
# configuration (none has a parameter or a language prefix).
_URLS: dict[tuple[str, str, object], str] = {}


def url(name: str) -> str:
    key = (name, get_script_prefix(), get_urlconf())
    found = _URLS.get(key)
    if found is None:
        found = _URLS[key] = reverse(name)
    return found


def forget_urls() -> None:
    _URLS.clear()


def _nav_item(item: dict[str, Any]) -> str:
    current = ' aria-current="page"' if item["current"] else ""
    badge = ""
    if item["badge"]:
        count = item["badge"]
        if count > BADGE_MOST:
            waiting = gettext("more than %(most)s waiting") % {"most": BADGE_MOST}
            badge = f' <span class="badge" aria-label="{waiting}">{BADGE_MOST}+</span>'
        else:
            waiting = ngettext("%(counter)s waiting", "%(counter)s waiting", count) % {
                "counter": escaped(count)
            }
            badge = f' <span class="badge" aria-label="{waiting}">{escaped(count)}</span>'
    return (
        f'\n        <li><a href="{escaped(item["url"])}"{current}>'
        f"{escaped(item['label'])}{badge}</a></li>\n        "
    )


def header_start(context: Any) -> SafeString:
    """From the skip link to the language form's `next` value, which the template fills."""
    user = context.get("user")
    signed_in = user is not None and user.is_authenticated
    nav = ""
    if signed_in:
        items = "".join(_nav_item(item) for item in context.get("nav_items") or ())
        nav = (
            f'\n    <nav aria-label="{escaped(gettext("Main navigation"))}" class="main-nav">'
            f"\n      <ul>\n        {items}\n      </ul>\n    </nav>\n    "
        )
    return mark_safe(  # noqa: S308  every value above and below is escaped
        f'<a class="skip-link" href="#main">{escaped(gettext("Skip to main content"))}</a>\n'
        '  <header class="site-header">\n'
        f'    <div class="brand"><a href="{escaped(url("home"))}">'
        f"{escaped(gettext('Bo Kvar'))}</a></div>\n"
        f"    {nav}\n"
        '    <div class="header-tools">\n'
        f'      <form action="{escaped(url("set_language"))}" method="post" '
        'class="language-form">\n'
        f"        {_CSRF.render(context)}\n"
        '        <input name="next" type="hidden" value="'
    )


def _language_options(current: str) -> str:
    from django.conf import settings

    options = []
    for code, _name in settings.LANGUAGES:
        selected = " selected" if code == current else ""
        name = "Svenska" if code == "sv" else "English"
        options.append(
            f'\n          <option value="{escaped(code)}" lang="{escaped(code)}"{selected}>'
            f"{name}</option>\n          "
        )
    return "".join(options)


def header_end(context: Any) -> SafeString:
    """From the end of the language form's `next` value to the end of the header."""
    user = context.get("user")
    signed_in = user is not None and user.is_authenticated
    tools = ""
    if signed_in:
        password = ""
        if context.get("local_passwords") and user.has_usable_password():
            password = (
                f'<a href="{escaped(url("password-change"))}">'
                f"{escaped(gettext('Change password'))}</a>"
            )
        tools = (
            f'\n      <span class="whoami">{escaped(user.get_full_name() or user.username)}'
            f"</span>\n      {password}\n\n"
            f'      <a href="{escaped(url("passkeys"))}">{escaped(gettext("Passkeys"))}</a>\n'
            f'      <form action="{escaped(url("logout"))}" method="post">\n'
            f"        {_CSRF.render(context)}\n"
            '        <button type="submit" class="link-button">'
            f"{escaped(gettext('Sign out'))}</button>\n"
            "      </form>\n      "
        )
    return mark_safe(  # noqa: S308  every value is escaped
        '">\n'
        f'        <label for="language-select">{escaped(gettext("Language"))}</label>\n'
        '        <select name="language" id="language-select">\n'
        f"          {_language_options(get_language())}\n"
        "        </select>\n"
        '        <button type="submit">'
        f"{escaped(pgettext('language button', 'Change'))}</button>\n"
        "      </form>\n"
        f"      {tools}\n"
        "    </div>\n"
        "  </header>"
    )
