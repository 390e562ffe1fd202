"""Personal-data detection: e-mail addresses, phone numbers and Nordic identity numbers.

Every pattern here is linear (no nested quantifiers), and candidates are confirmed by
their checksums and dates, so a 20,000-character post is checked in well under a
millisecond per kilobyte.

Decisions:

- Danish CPR (DDMMYY-SSSS): the date must exist, with the century read from the first
  digit of the serial number as CPR does. The modulus-11 check is *not* required:
  since 2007 CPR issues numbers that fail it, and missing a real CPR number is worse
  than holding a post for a facilitator to look at.
- Norwegian fødselsnummer (DDMMYYIIIKK): both check digits; D-numbers (day + 40) and
  H-numbers (month + 40) are accepted.
- Swedish personnummer (YYMMDD-NNNN, YYMMDD+NNNN, YYYYMMDDNNNN): Luhn over the ten
  digits; samordningsnummer (day + 60) accepted.
- Finnish henkilötunnus (DDMMYYCZZZQ): century sign (+, -, Y X W V U, A B C D E F) and
  the check character (the nine digits modulo 31).
- Phone numbers: "+CC" or "00CC" international numbers of 7-15 digits; Danish and
  Norwegian eight-digit numbers (2-9 first, written together or in groups of 2/3);
  Swedish and Finnish national numbers starting with 0 (8-10 digits).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l

# Kinds, in the order they are reported.
EMAIL, PHONE, CPR, FNR, PNR, HETU = ("email", "phone", "dk_cpr", "no_fnr", "se_pnr", "fi_hetu")

LABELS = {
    EMAIL: _l("an e-mail address"),
    PHONE: _l("a phone number"),
    CPR: _l("a Danish CPR number"),
    FNR: _l("a Norwegian national identity number"),
    PNR: _l("a Swedish personal identity number"),
    HETU: _l("a Finnish personal identity code"),
}


@dataclass(frozen=True)
class Finding:
    kind: str
    start: int
    end: int


_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9-]{1,63}"
    r"(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}(?![\w-])")
# Digit runs with single separators: ids and phone numbers are both cut out of these.
_NUMBER = re.compile(r"(?<![\w+])(?:\+|00)?\d(?:[ .\-+]?\d){5,16}(?![\w])")
_HETU = re.compile(r"(?<!\w)(\d{6})([-+YXWVUABCDEF])(\d{3})([0-9A-Y])(?!\w)")
_GROUPED_8 = re.compile(r"^(?:\d{8}|\d{2}( \d{2}){3}|\d{3} \d{2} \d{3}|\d{4} \d{4})$")
HETU_CHECK = "0123456789ABCDEFHJKLMNPRSTUVWXY"
HETU_CENTURY = {"+": 1800, "-": 1900, "Y": 1900, "X": 1900, "W": 1900, "V": 1900, "U": 1900,
                "A": 2000, "B": 2000, "C": 2000, "D": 2000, "E": 2000, "F": 2000}


def find_personal_data(text: str) -> list[Finding]:
    """Every e-mail address, phone number and identity number found in `text`."""
    found: list[Finding] = []
    if "@" in text:
        found.extend(Finding(EMAIL, m.start(), m.end()) for m in _EMAIL.finditer(text))
    for m in _HETU.finditer(text):
        if valid_hetu(m.group(0)):
            found.append(Finding(HETU, m.start(), m.end()))
    for m in _NUMBER.finditer(text):
        kind = classify_number(m.group(0))
        if kind:
            found.append(Finding(kind, m.start(), m.end()))
    return found


def kinds(text: str) -> list[str]:
    """The distinct kinds of personal data in `text`, in a stable order."""
    seen = {f.kind for f in find_personal_data(text)}
    return [k for k in (EMAIL, PHONE, CPR, FNR, PNR, HETU) if k in seen]


def classify_number(raw: str) -> str | None:
    """What a run of digits (with separators) is, if it is personal data."""
    digits = re.sub(r"\D", "", raw)
    if raw.startswith("+") or raw.startswith("00"):
        national = digits[2:] if raw.startswith("00") else digits
        return PHONE if 7 <= len(national) <= 15 else None
    separators = re.sub(r"\d", "", raw)
    if len(digits) == 10 and separators in ("", "-", "+", " ") and _id_shape(raw):
        if valid_cpr(digits):
            return CPR
        if valid_pnr(raw):
            return PNR
    if len(digits) == 11 and separators in ("", " ") and valid_fnr(digits):
        return FNR
    if len(digits) == 12 and separators in ("", "-") and valid_pnr(raw):
        return PNR
    if len(digits) == 8 and digits[0] in "23456789" and _GROUPED_8.match(raw) \
            and not _looks_like_date(digits):
        return PHONE
    if digits.startswith("0") and not digits.startswith("00") and 8 <= len(digits) <= 10 \
            and separators.strip(" -") == "":
        return PHONE
    return None


def _id_shape(raw: str) -> bool:
    """Ten-digit ids are written DDMMYY-SSSS / YYMMDD-NNNN, or run together."""
    return bool(re.fullmatch(r"\d{6}[-+ ]?\d{4}", raw))


def _looks_like_date(digits: str) -> bool:
    """YYYYMMDD: a date, not a phone number."""
    return digits[:2] in ("19", "20") and _date(int(digits[:4]), int(digits[4:6]),
                                                 int(digits[6:8]))


def _date(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


# --- Denmark -----------------------------------------------------------------------------

def cpr_century(yy: int, first_serial_digit: int) -> int:
    """The century of a CPR number, from its year and the serial's first digit."""
    d = first_serial_digit
    if d <= 3:
        return 1900
    if d in (4, 9):
        return 2000 if yy <= 36 else 1900
    return 2000 if yy <= 57 else 1800  # 5-8


def valid_cpr(digits: str) -> bool:
    """Ten digits DDMMYYSSSS naming a date that exists (no modulus-11; see above)."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    dd, mm, yy = int(digits[:2]), int(digits[2:4]), int(digits[4:6])
    return _date(cpr_century(yy, int(digits[6])) + yy, mm, dd)


# --- Norway ------------------------------------------------------------------------------

_FNR_W1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)
_FNR_W2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def fnr_check_digits(nine: str) -> str | None:
    """The two check digits for the first nine digits, or None when there are none."""
    d = [int(c) for c in nine]
    k1 = 11 - sum(w * x for w, x in zip(_FNR_W1, d, strict=True)) % 11
    k1 = 0 if k1 == 11 else k1
    if k1 == 10:
        return None
    k2 = 11 - sum(w * x for w, x in zip(_FNR_W2, [*d, k1], strict=True)) % 11
    k2 = 0 if k2 == 11 else k2
    if k2 == 10:
        return None
    return f"{k1}{k2}"


def fnr_year(yy: int, individual: int) -> list[int]:
    """The possible birth years for a two-digit year and the individual number."""
    years = []
    if individual <= 499:
        years.append(1900 + yy)
    if 500 <= individual <= 749 and yy >= 54:
        years.append(1800 + yy)
    if 500 <= individual <= 999 and yy <= 39:
        years.append(2000 + yy)
    if 900 <= individual <= 999 and yy >= 40:
        years.append(1900 + yy)
    return years


def valid_fnr(digits: str) -> bool:
    """Eleven digits DDMMYYIIIKK with both check digits and a real date.

    D-numbers add 4 to the first digit (day + 40); H-numbers add 4 to the third
    (month + 40).
    """
    if len(digits) != 11 or not digits.isdigit():
        return False
    if fnr_check_digits(digits[:9]) != digits[9:]:
        return False
    dd, mm, yy, individual = (int(digits[:2]), int(digits[2:4]), int(digits[4:6]),
                              int(digits[6:9]))
    if dd > 40:
        dd -= 40
    if mm > 40:
        mm -= 40
    return any(_date(year, mm, dd) for year in fnr_year(yy, individual))


# --- Sweden ------------------------------------------------------------------------------

def luhn_ok(digits: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(digits)):
        n = int(c)
        if i % 2 == 1:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def valid_pnr(raw: str) -> bool:
    """YYMMDD-NNNN, YYMMDD+NNNN (a hundred or older), YYYYMMDDNNNN or YYYYMMDD-NNNN.

    Luhn over the ten digits YYMMDDNNNN; samordningsnummer add 60 to the day.
    """
    m = re.fullmatch(r"(\d{2})?(\d{2})(\d{2})(\d{2})([-+ ]?)(\d{4})", raw)
    if not m:
        return False
    century, yy, mm, dd, _sep, serial = m.groups()
    if not luhn_ok(f"{yy}{mm}{dd}{serial}"):
        return False
    day = int(dd) - 60 if int(dd) > 60 else int(dd)
    if century:
        return int(century) in (18, 19, 20) and _date(int(century + yy), int(mm), day)
    return any(_date(c + int(yy), int(mm), day) for c in (1800, 1900, 2000))


# --- Finland -----------------------------------------------------------------------------

def hetu_check_char(ddmmyy: str, individual: str) -> str:
    return HETU_CHECK[int(ddmmyy + individual) % 31]


def valid_hetu(raw: str) -> bool:
    """DDMMYYCZZZQ: a real date in the century given by C, ZZZ 002-899, Q the checksum."""
    m = _HETU.fullmatch(raw.upper())
    if not m:
        return False
    ddmmyy, sign, individual, check = m.groups()
    if not 2 <= int(individual) <= 899:
        return False
    year = HETU_CENTURY[sign] + int(ddmmyy[4:])
    if not _date(year, int(ddmmyy[2:4]), int(ddmmyy[:2])):
        return False
    return hetu_check_char(ddmmyy, individual) == check
