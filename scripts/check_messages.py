#!/usr/bin/env python
"""Fail when a user-visible string has no Swedish: extract every msgid afresh
(`makemessages`, as `make messages` does) into a temporary copy of the project, fill it
from locale/translations/*.txt (scripts/po_fill.py) and require, in Swedish, a non-empty,
non-fuzzy msgstr for every msgid, and in English no fuzzy entry (English is the source
language: an empty msgstr shows the msgid itself, a fuzzy one would be a stale guess).

Usage: scripts/check_messages.py   (part of `make lint`; needs GNU gettext's xgettext)
The checked-in catalogues are not touched, so it judges what `make messages` would
produce from the code and the translation files, not whether someone ran it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
# What makemessages reads (code and templates) and what filling needs; not the
# virtualenv, the tests or generated files.
SKIP = {".git", ".venv", "var", "staticfiles", "node_modules", ".ruff_cache", ".mypy_cache"}


def problems(po: Path, *, require_translation: bool) -> list[str]:
    with open(po, "rb") as fh:
        catalogue = read_po(fh)
    found = []
    for message in catalogue:
        if not message.id:
            continue
        msgid = " || ".join(message.id) if isinstance(message.id, tuple) else message.id
        where = f"[{message.context}] {msgid}" if message.context else msgid
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy:
            found.append(f"fuzzy: {where}")
        elif require_translation and not all(strings):
            found.append(f"untranslated: {where}")
    return found


def check(root: Path = ROOT) -> list[str]:
    with tempfile.TemporaryDirectory(prefix="bokvar-messages-") as tmp:
        copy = Path(tmp) / "project"
        shutil.copytree(root, copy, ignore=lambda d, names: [n for n in names if n in SKIP])
        env = {**os.environ, "DEBUG": "1"}

        def run(*args: str) -> None:
            subprocess.run(  # noqa: S603 - our own tools, fixed arguments
                [sys.executable, *args], cwd=copy, env=env, check=True, stdout=subprocess.DEVNULL
            )

        run("manage.py", "makemessages", "-l", "sv", "-l", "en", "--no-obsolete",
            "--ignore=tests", "--ignore=bench")  # fmt: skip
        translations = sorted(str(p) for p in (copy / "locale" / "translations").glob("*.txt"))
        run("scripts/po_fill.py", *translations)
        messages = copy / "locale"
        return [
            f"sv: {p}"
            for p in problems(messages / "sv/LC_MESSAGES/django.po", require_translation=True)
        ] + [
            f"en: {p}"
            for p in problems(messages / "en/LC_MESSAGES/django.po", require_translation=False)
        ]


def main() -> int:
    found = check()
    for line in found:
        print(line)
    if found:
        print(
            f"{len(found)} message(s) need Swedish: add them to a file in locale/translations/ "
            "(see scripts/po_fill.py), then `make messages`."
        )
        return 1
    print("Every message has its Swedish.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
