"""Swedish is complete: every message has a Swedish translation, and the committed
compiled catalogues say exactly what the .po files say."""

import gettext
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

LOCALE = Path(__file__).resolve().parents[2] / "locale"


def _catalogue(lang: str):
    with open(LOCALE / lang / "LC_MESSAGES" / "django.po", "rb") as fh:
        return read_po(fh, locale=lang)


def test_swedish_catalogue_has_no_missing_or_fuzzy_translation():
    catalogue = _catalogue("sv")
    assert len(catalogue) > 50
    problems = []
    for message in catalogue:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            problems.append(message.id)
    assert not problems, problems[:20]


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_compiled_catalogue_matches_the_po_file(lang):
    with open(LOCALE / lang / "LC_MESSAGES" / "django.mo", "rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    for message in _catalogue(lang):
        if not message.id or message.fuzzy:
            continue
        if isinstance(message.id, tuple):
            if message.string[0]:
                got = (
                    compiled.npgettext(message.context, *message.id, 1)
                    if message.context
                    else compiled.ngettext(*message.id, 1)
                )
                assert got == message.string[0], message.id
        elif message.string:
            got = (
                compiled.pgettext(message.context, message.id)
                if message.context
                else compiled.gettext(message.id)
            )
            assert got == message.string, f"{message.id!r} is stale: run `make messages`"
