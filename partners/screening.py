"""Screening of free-text survey answers before anyone sees them (issue 20, point 6).

A guest who writes "call me on 070-123 45 67" or their personnummer into an anonymous
survey has made the answer identify them. Such parts are masked before the answer is
stored (the unmasked text is never saved), and the answer carries a note that something
was masked. Masked:

- identity numbers: personnummer and samordningsnummer, YYMMDD-NNNN or YYYYMMDDNNNN with
  or without the separator, whose check digit is right (Luhn, as Skatteverket's SKV 704
  describes); a samordningsnummer is the same with 60 added to the day. A ten- or
  twelve-digit run that fails the check is still masked when it looks like a date and a
  serial number: a mistyped number identifies a person almost as well;
- e-mail addresses;
- phone numbers: Swedish (0 or +46 then 6-12 digits with spaces or dashes) and any
  other run of eight or more digits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MASK = "[…]"

IDENTITY = re.compile(r"(?<![\d.,])(?:(?:19|20)?\d{6})[-+ ]?\d{4}(?![\d])")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"(?<![\w.,])(?:\+\s?46|0)[\d\s-]{6,16}\d")
LONG_NUMBER = re.compile(r"(?<![\d.,])\d(?:[\s-]?\d){7,}(?![\d])")


def luhn_ok(digits: str) -> bool:
    """The check digit of the last ten digits (Luhn, weights 2,1,2,1...)."""
    total = 0
    for i, ch in enumerate(digits[-10:]):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def _looks_like_identity(match: str) -> bool:
    digits = re.sub(r"\D", "", match)
    if len(digits) not in (10, 12):
        return False
    ten = digits[-10:]
    month, day = int(ten[2:4]), int(ten[4:6])
    if day > 60:
        day -= 60  # samordningsnummer
    plausible_date = 1 <= month <= 12 and 1 <= day <= 31
    return luhn_ok(ten) or plausible_date


@dataclass(frozen=True)
class Screened:
    text: str
    found: tuple[str, ...]  # the kinds masked ("identity", "email", "phone")

    @property
    def masked(self) -> bool:
        return bool(self.found)


def screen(text: str) -> Screened:
    found: list[str] = []

    def mask(kind: str, check=None):
        def replace(match: re.Match[str]) -> str:
            if check is not None and not check(match.group(0)):
                return match.group(0)
            if kind not in found:
                found.append(kind)
            return MASK

        return replace

    text = IDENTITY.sub(mask("identity", _looks_like_identity), text)
    text = EMAIL.sub(mask("email"), text)
    text = PHONE.sub(mask("phone"), text)
    text = LONG_NUMBER.sub(mask("phone"), text)
    return Screened(text=text, found=tuple(found))
