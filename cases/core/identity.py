"""Swedish personal identity numbers (personnummer) and coordination numbers
(samordningsnummer), validated by the `personnummer` library, and the blind indexes that
find a person by number or name without storing either in plain text."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from personnummer import personnummer

from bokvar.crypto import blind_index, blind_indexes, name_tokens, normalise_name


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
    return blind_index(canonical, purpose=PERSONAL_NUMBER)


def name_index(full_name: str) -> str:
    """The blind index of a full name, normalised (case, spacing, accents)."""
    return blind_index(normalise_name(full_name), purpose=NAME)


# Purposes: each has its own derived key (bokvar.crypto). A person's and a landlord
# signal's tenant share them on purpose: the product matches the one to the other.
PERSONAL_NUMBER = "personal_number"
NAME = "name"
# Search by part of a name (issue 19, point 8): one index per word of the given and of
# the family name, each under its own derived key, so a token cannot be compared with
# a full name's index nor a given name's word with a family name's.
GIVEN_NAME_TOKEN = "name:given-token"
FAMILY_NAME_TOKEN = "name:family-token"
# Words of a search that count; more narrow nothing a reader could not see on the list.
SEARCH_TOKENS_MAX = 6


def personal_number_indexes(canonical: str) -> list[str]:
    """Every form the number's index may be stored under while blind-index keys rotate:
    what searches and the uniqueness check look for."""
    return blind_indexes(canonical, purpose=PERSONAL_NUMBER)


def name_indexes(full_name: str) -> list[str]:
    return blind_indexes(normalise_name(full_name), purpose=NAME)


def name_token_index_set(given_name: str, family_name: str) -> set[str]:
    """The token indexes to store for a person, under the first blind-index key."""
    return {blind_index(t, purpose=GIVEN_NAME_TOKEN) for t in name_tokens(given_name)} | {
        blind_index(t, purpose=FAMILY_NAME_TOKEN) for t in name_tokens(family_name)
    }


def name_search_forms(text: str) -> list[list[str]]:
    """For each word searched (at most SEARCH_TOKENS_MAX): every form it may be stored
    under, as a given or a family name, under every configured key. A person matches
    when each word is one of their name's words."""
    return [
        blind_indexes(t, purpose=GIVEN_NAME_TOKEN) + blind_indexes(t, purpose=FAMILY_NAME_TOKEN)
        for t in name_tokens(text)[:SEARCH_TOKENS_MAX]
    ]


def register_blind_indexes() -> None:
    """The core's blind-index columns, for `rebuild_blind_indexes` (bokvar.blind_indexes)."""
    from bokvar.blind_indexes import IndexedColumn, IndexedTokens, register, register_tokens

    register(
        IndexedColumn(
            "cases.Person",
            "personal_number_bidx",
            PERSONAL_NUMBER,
            lambda p: p.personal_number or None,
            ("personal_number",),
        ),
        IndexedColumn(
            "cases.Person",
            "name_bidx",
            NAME,
            lambda p: normalise_name(p.full_name) or None,
            ("given_name", "family_name"),
        ),
    )
    register_tokens(
        IndexedTokens(
            owner="cases.Person",
            token_model="cases.PersonNameToken",
            owner_field="person",
            column="token_bidx",
            loads=("given_name", "family_name"),
            write=_rewrite_name_tokens,
        )
    )


def _rewrite_name_tokens(person: object) -> None:
    from .services.people import write_name_tokens

    write_name_tokens(person)  # type: ignore[arg-type]
