from __future__ import annotations

import random
import re
from datetime import date

import pytest

from domain.nhs import nhs_number_valid, nhs_numbers_in_text
from domain.values import normalise_legacy_id, parse_date

FORMATS = ("%d/%m/%Y", "%d-%b-%y", "%d-%b-%Y")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019-03-04", date(2019, 3, 4)),
        ("04/03/2019", date(2019, 3, 4)),
        ("4-Mar-19", date(2019, 3, 4)),
        ("43528", date(2019, 3, 4)),  # Excel serial
        ("", None),
        ("  ", None),
    ],
)
def test_parse_date_accepts_legacy_forms(text: str, expected: date | None) -> None:
    assert parse_date(text, FORMATS) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A spreadsheet's date-time cells: the time of day after the date (it was unreadable).
        ("04/03/2019 14:30", date(2019, 3, 4)),
        ("04/03/2019 14:30:05", date(2019, 3, 4)),
        ("4/3/2019 2:30 PM", date(2019, 3, 4)),
        ("04-Mar-2019 00:00:00", date(2019, 3, 4)),
        ("2019-03-04 09:00:00", date(2019, 3, 4)),
        ("2019-03-04T10:15:00Z", date(2019, 3, 4)),
        # Year first is never ambiguous, however it is separated or padded.
        ("2019-3-4", date(2019, 3, 4)),
        ("2019/03/04", date(2019, 3, 4)),
        ("2019/3/4 09:00", date(2019, 3, 4)),
        # An Excel serial of a date and time (noon on the day).
        ("43528.5", date(2019, 3, 4)),
        # A two-digit year is never read into the future: a date of birth in 1952, not 2052.
        ("05-Jun-52", date(1952, 6, 5)),
        ("30-Dec-65", date(1965, 12, 30)),
        ("12-Jan-05", date(2005, 1, 12)),
    ],
)
def test_parse_date_reads_what_spreadsheets_write(text: str, expected: date) -> None:
    assert parse_date(text, FORMATS) == expected


def test_a_two_digit_year_is_the_last_hundred_years_from_today() -> None:
    this_year = date.today().year % 100
    past = f"01-Jan-{(this_year + 1) % 100:02d}"  # next year's two digits: a century ago
    assert parse_date(past, FORMATS).year == date.today().year + 1 - 100  # type: ignore[union-attr]


def test_parse_date_refuses_nonsense() -> None:
    # The shape of a known format but no such day: said so, not just "unreadable".
    with pytest.raises(ValueError, match="'31/02/2019' is not a real date"):
        parse_date("31/02/2019", FORMATS)
    with pytest.raises(ValueError, match="unreadable date '2nd April 2019'"):
        parse_date("2nd April 2019", FORMATS)
    with pytest.raises(ValueError):
        parse_date("yesterday", FORMATS)
    with pytest.raises(ValueError, match="'31/02/2019 10:00' is not a real date"):
        parse_date("31/02/2019 10:00", FORMATS)
    with pytest.raises(ValueError, match="unreadable date '04/03/2019 25:99'"):
        parse_date("04/03/2019 25:99", FORMATS)
    with pytest.raises(ValueError, match="'2019/02/30' is not a real date"):
        parse_date("2019/02/30", FORMATS)


def test_nhs_number_check() -> None:
    assert nhs_number_valid("9434765919")
    assert nhs_number_valid("943 476 5919")
    assert not nhs_number_valid("9434765918")  # wrong check digit
    assert not nhs_number_valid("0000000000")  # placeholder that passes the arithmetic
    assert not nhs_number_valid("1111111111")
    assert not nhs_number_valid("943476591")


def test_nhs_numbers_found_in_text_only_when_valid() -> None:
    text = "NHS No: 943 476 5919, ref 9434765918, phone 01234 567890, id 1111111111"
    assert nhs_numbers_in_text(text) == ["9434765919"]


def test_legacy_ids_normalised() -> None:
    assert normalise_legacy_id(" 000123 ") == "123"
    assert normalise_legacy_id("ab-01") == "AB-01"
    assert normalise_legacy_id("000") == "0"


def test_a_legacy_id_a_spreadsheet_wrote_as_a_decimal_is_its_integer() -> None:
    """A column of client numbers with one blank cell is a float column to pandas and some
    report writers: "123.0" in one file and "123" in the other never matched."""
    assert normalise_legacy_id("123.0") == "123"
    assert normalise_legacy_id("00123.00") == "123"
    assert normalise_legacy_id("123.5") == "123.5"  # not an integer: left as it is
    assert normalise_legacy_id("1.0.0") == "1.0.0"


def test_nhs_numbers_in_text_finds_what_the_look_behind_pattern_found() -> None:
    """The faster scan (no look-behind) must find exactly what the plain pattern finds, on
    text dense with digit runs, spaces and dashes where the boundaries matter."""
    reference = re.compile(r"(?<![\d])(\d{3})[ -]?(\d{3})[ -]?(\d{4})(?![\d])")

    def expected(text: str) -> list[str]:
        found: list[str] = []
        for match in reference.finditer(text):
            number = "".join(match.groups())
            if number not in found and nhs_number_valid(number):
                found.append(number)
        return found

    rng = random.Random(7)
    valid = ["9434765919", "4010232137", "9434765870"]
    alphabet = "0123456789" * 3 + "  --ab\n"
    checked = 0
    for _ in range(3000):
        parts = [rng.choice(alphabet) for _ in range(rng.randint(0, 40))]
        for _ in range(rng.randint(0, 3)):
            number = rng.choice(valid)
            spaced = rng.choice([number, f"{number[:3]} {number[3:6]} {number[6:]}"])
            parts.insert(rng.randint(0, len(parts)), spaced)
        text = "".join(parts)
        assert nhs_numbers_in_text(text) == expected(text), text
        checked += bool(expected(text))
    assert checked > 200  # the generator does produce texts with numbers in them
