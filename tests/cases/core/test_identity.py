import pytest
from hypothesis import given
from hypothesis import strategies as st

from cases.core.identity import (
    InvalidPersonalNumber,
    birth_year_band,
    parse_personal_number,
)


@pytest.mark.parametrize(
    "written",
    [
        "600707-1290",
        "6007071290",
        "19600707-1290",
        "196007071290",
        " 600707-1290 ",
        "19600707 1290",
    ],
)
def test_every_common_form_gives_one_canonical_form(written):
    assert parse_personal_number(written) == "19600707-1290"


def test_centenarian_plus_sign():
    assert parse_personal_number("600707+1290") == "18600707-1290"


def test_coordination_number_is_accepted():
    canonical = parse_personal_number("900161-0014")
    assert canonical == "19900161-0014"


@pytest.mark.parametrize("bad", ["600707-1291", "601307-1290", "abc", "", "1234", "19600707-12900"])
def test_invalid_numbers_are_refused(bad):
    with pytest.raises(InvalidPersonalNumber):
        parse_personal_number(bad)


def test_birth_year_band_is_a_decade():
    assert birth_year_band("19600707-1290") == 1960
    assert birth_year_band("19900161-0014") == 1990


@given(st.text(max_size=20))
def test_parser_never_crashes_on_arbitrary_input(text):
    try:
        result = parse_personal_number(text)
    except InvalidPersonalNumber:
        return
    assert len(result) == 13 and result[8] == "-"
