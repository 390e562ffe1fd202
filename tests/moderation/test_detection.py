"""Personal-data detection: valid numbers are computed here by each country's algorithm,
and invalid ones are the same numbers with a check digit or the date broken."""

from __future__ import annotations

import pytest

from community.moderation import detection
from community.moderation.detection import (
    CPR,
    EMAIL,
    FNR,
    HETU,
    PHONE,
    PNR,
    fnr_check_digits,
    hetu_check_char,
    kinds,
    luhn_ok,
)


def make_fnr(ddmmyy: str, individual: str) -> str:
    for serial in range(int(individual), int(individual) + 50):
        nine = ddmmyy + f"{serial:03d}"
        check = fnr_check_digits(nine)
        if check is not None:
            return nine + check
    raise AssertionError("no valid number in range")


def make_pnr(yymmdd: str, serial3: str) -> str:
    for check in range(10):
        if luhn_ok(f"{yymmdd}{serial3}{check}"):
            return f"{yymmdd}-{serial3}{check}"
    raise AssertionError


def make_hetu(ddmmyy: str, sign: str, individual: str) -> str:
    return f"{ddmmyy}{sign}{individual}{hetu_check_char(ddmmyy, individual)}"


def test_email_addresses_are_found_but_not_at_signs_alone():
    assert kinds("write me at kim.larsen+job@example.dk please") == [EMAIL]
    assert kinds("meet @Kit at 10") == []
    assert kinds("an address like x@y is not complete") == []


@pytest.mark.parametrize("number", ["+45 12 34 56 78", "+4712345678", "0046 70 123 45 67",
                                    "+358 40 123 4567", "22 33 44 55", "98765432",
                                    "070-123 45 67", "040 123 4567", "412 34 567"])
def test_phone_numbers_in_nordic_and_international_formats_are_found(number):
    assert PHONE in kinds(f"call me on {number} tonight")


@pytest.mark.parametrize("text", ["I was born in 1998", "it costs 12 500 kr", "20240131",
                                  "between 2019 and 2021", "12345", "version 1.2.3"])
def test_ordinary_numbers_are_not_personal_data(text):
    assert kinds(text) == []


def test_danish_cpr_needs_a_real_date_but_not_modulus_11():
    assert kinds("my cpr is 010190-1234") == [CPR]  # fails modulus 11, still a CPR number
    assert kinds("cpr 3112992345") == [CPR]
    assert CPR not in kinds("cpr 320190-1234")  # no 32nd day
    assert CPR not in kinds("cpr 290201-1234")  # 1901 was not a leap year (serial 1 -> 1900s)
    assert kinds("cpr 290200-4234") == [CPR]  # serial 4, year 00 -> 2000, a leap year


def test_cpr_century_follows_the_serial_number():
    assert detection.cpr_century(36, 4) == 2000
    assert detection.cpr_century(37, 4) == 1900
    assert detection.cpr_century(57, 5) == 2000
    assert detection.cpr_century(58, 5) == 1800
    assert detection.cpr_century(99, 2) == 1900


def test_norwegian_fodselsnummer_with_both_check_digits():
    valid = make_fnr("150585", "123")
    assert detection.valid_fnr(valid)
    assert FNR in kinds(f"fnr {valid}")
    broken = valid[:10] + str((int(valid[10]) + 1) % 10)
    assert not detection.valid_fnr(broken)
    first_broken = valid[:9] + str((int(valid[9]) + 1) % 10) + valid[10]
    assert not detection.valid_fnr(first_broken)


def test_norwegian_d_numbers_and_impossible_dates():
    d_number = make_fnr("550585", "123")  # day 15 + 40
    assert detection.valid_fnr(d_number)
    assert not detection.valid_fnr(make_fnr("320585", "123"))  # day 32 is no date


def test_swedish_personnummer_with_luhn_in_every_written_form():
    short = make_pnr("811218", "987")
    assert detection.valid_pnr(short)
    assert kinds(f"pnr {short}") == [PNR] or PNR in kinds(f"pnr {short}")
    assert PNR in kinds(f"pnr 19{short.replace('-', '')}")
    assert PNR in kinds(f"pnr 19{short}")
    wrong = short[:-1] + str((int(short[-1]) + 1) % 10)
    assert not detection.valid_pnr(wrong)


def test_swedish_samordningsnummer_add_sixty_to_the_day():
    number = make_pnr("811278", "987")  # day 18 + 60
    assert detection.valid_pnr(number)
    assert not detection.valid_pnr(make_pnr("811299", "987"))  # day 39: no date


def test_finnish_henkilotunnus_with_century_sign_and_check_character():
    for sign in "-+AY":
        code = make_hetu("131052", sign, "308")
        assert detection.valid_hetu(code), code
        assert HETU in kinds(f"hetu {code}.")
    code = make_hetu("131052", "-", "308")
    wrong = code[:-1] + ("A" if code[-1] != "A" else "B")
    assert not detection.valid_hetu(wrong)
    assert not detection.valid_hetu(make_hetu("310252", "-", "308"))  # 31 February
    assert not detection.valid_hetu(make_hetu("131052", "-", "900"))  # individual > 899


def test_a_long_text_of_digits_and_at_signs_is_checked_quickly():
    import time

    hostile = ("1 2 3 4 5 6 7 8 9 0 " * 500) + ("a@" * 3000) + ("+4" * 2000)
    start = time.perf_counter()
    detection.find_personal_data(hostile)
    assert time.perf_counter() - start < 0.5
