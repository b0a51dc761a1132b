#!/usr/bin/env python
"""Fill Swedish translations into locale/sv/LC_MESSAGES/django.po from a TSV-like file.

Usage: scripts/po_fill.py locale/translations/*.txt
Each entry is two lines: the English msgid, then the Swedish text; entries are
separated by a blank line. For plurals give "singular || plural" on both lines.
A message with a context (pgettext, `{% translate "x" context "y" %}`) is preceded by
a line `@context y`; without it an entry fills only messages without a context.
Only empty or fuzzy entries are filled, so it is safe to run repeatedly.
Run `make messages` first (to extract) and afterwards (to compile).
"""

import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

PO = Path(__file__).resolve().parent.parent / "locale" / "sv" / "LC_MESSAGES" / "django.po"


CONTEXT = "@context "


def load(path: str) -> dict[tuple[str | None, str], str]:
    """(context or None, msgid) -> the Swedish."""
    pairs: dict[tuple[str | None, str], str] = {}
    for chunk in Path(path).read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in chunk.strip("\n").splitlines() if not line.startswith("#")]
        context = None
        if lines and lines[0].startswith(CONTEXT):
            context = lines.pop(0)[len(CONTEXT) :]
        if len(lines) >= 2:
            pairs[(context, lines[0])] = lines[1]
    return pairs


def key_of(message) -> tuple[str | None, str]:
    msgid = " || ".join(message.id) if isinstance(message.id, tuple) else message.id
    return (message.context, msgid)


def main() -> None:
    pairs = {}
    for path in sys.argv[1:]:
        pairs.update(load(path))
    with open(PO, "rb") as fh:
        catalogue = read_po(fh, locale="sv")
    filled, missing = 0, list[str]()
    for message in catalogue:
        if not message.id:
            continue
        key = key_of(message)
        empty = not all(message.string) if isinstance(message.string, tuple) else not message.string
        if not (empty or message.fuzzy):
            continue
        if key in pairs:
            value = pairs[key]
            message.string = tuple(value.split(" || ")) if isinstance(message.id, tuple) else value
            message.flags.discard("fuzzy")
            filled += 1
        else:
            missing.append(key[1] if key[0] is None else f"{CONTEXT}{key[0]}: {key[1]}")
    with open(PO, "wb") as fh:
        write_po(fh, catalogue, width=0)
    print(f"filled {filled}; still missing {len(missing)}")
    for name in missing:
        print("  " + name)


if __name__ == "__main__":
    main()
