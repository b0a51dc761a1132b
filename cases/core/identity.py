"""Swedish personal identity numbers (personnummer) and coordination numbers
(samordningsnummer), validated by the `personnummer` library, and the blind indexes that
find a person by number or name without storing either in plain text."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from personnummer import personnummer

from bokvar.crypto import blind_index, normalise_name


class InvalidPersonalNumber(ValueError):
    message = _(
        "Enter a valid personal identity number or coordination number, e.g. 19800101-1234."
    )


def parse_personal_number(value: str) -> str:
    """Accept every common written form; return the canonical YYYYMMDD-NNNN."""
    cleaned = (value or "").strip().replace(" ", "")
    if not cleaned or not any(ch.isdigit() for ch in cleaned):
        raise InvalidPersonalNumber(value)
    try:
        parsed = personnummer.Personnummer(cleaned)
    except (personnummer.PersonnummerException, ValueError, TypeError) as exc:
        raise InvalidPersonalNumber(value) from exc
    long_form = parsed.format(True)  # YYYYMMDDNNNN
    return f"{long_form[:8]}-{long_form[8:]}"


def birth_year(canonical: str) -> int:
    return int(canonical[:4])


def birth_year_band(canonical: str) -> int:
    """The decade of birth: coarse enough for statistics, useless for identification."""
    return birth_year(canonical) // 10 * 10


def personal_number_index(canonical: str) -> str:
    """The blind index of a canonical identity number (exact search without plaintext)."""
    return blind_index(canonical, purpose="personal_number")


def name_index(full_name: str) -> str:
    """The blind index of a full name, normalised (case, spacing, accents)."""
    return blind_index(normalise_name(full_name), purpose="name")
