"""The subject access clock: one calendar month, working days, extension, pauses (issue 15)."""

from __future__ import annotations

from datetime import date

import pytest

from core.errors import InvalidInput
from domain.bank_holidays import bank_holidays, easter_sunday
from records.sar_clock import (
    ExtensionTooLate,
    add_months,
    check_extension,
    due_date,
    next_working_day,
    paused_days,
)

# GOV.UK's published England and Wales list (https://www.gov.uk/bank-holidays), typed in here
# by hand so the rules are checked against the published days, not against themselves.
PUBLISHED = {
    2018: "01-01 03-30 04-02 05-07 05-28 08-27 12-25 12-26",
    2019: "01-01 04-19 04-22 05-06 05-27 08-26 12-25 12-26",
    2020: "01-01 04-10 04-13 05-08 05-25 08-31 12-25 12-28",
    2021: "01-01 04-02 04-05 05-03 05-31 08-30 12-27 12-28",
    2022: "01-03 04-15 04-18 05-02 06-02 06-03 08-29 09-19 12-26 12-27",
    2023: "01-02 04-07 04-10 05-01 05-08 05-29 08-28 12-25 12-26",
    2024: "01-01 03-29 04-01 05-06 05-27 08-26 12-25 12-26",
    2025: "01-01 04-18 04-21 05-05 05-26 08-25 12-25 12-26",
    2026: "01-01 04-03 04-06 05-04 05-25 08-31 12-25 12-28",
    2027: "01-01 03-26 03-29 05-03 05-31 08-30 12-27 12-28",
}


@pytest.mark.parametrize("year", sorted(PUBLISHED))
def test_bank_holidays_are_the_published_ones(year: int) -> None:
    expected = {date.fromisoformat(f"{year}-{md}") for md in PUBLISHED[year].split()}
    assert set(bank_holidays(year)) == expected


def test_one_off_holidays_of_2002_2011_and_2012() -> None:
    assert date(2002, 6, 3) in bank_holidays(2002) and date(2002, 6, 4) in bank_holidays(2002)
    assert date(2002, 5, 27) not in bank_holidays(2002)  # the spring holiday moved
    assert date(2011, 4, 29) in bank_holidays(2011)
    assert {date(2012, 6, 4), date(2012, 6, 5)} <= set(bank_holidays(2012))
    assert easter_sunday(2000) == date(2000, 4, 23) and easter_sunday(2035) == date(2035, 3, 25)


def test_31_january_is_due_on_the_last_day_of_february() -> None:
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert due_date(date(2025, 1, 31)) == date(2025, 2, 28)  # a Friday
    assert due_date(date(2024, 1, 31)) == date(2024, 2, 29)  # a leap year's Thursday
    # 31 January 2026: 28 February 2026 is a Saturday, so Monday 2 March.
    assert due_date(date(2026, 1, 31)) == date(2026, 3, 2)


def test_30_november_moves_past_the_weekend_and_new_years_day() -> None:
    # 30 December 2023 is a Saturday; Monday 1 January 2024 is a bank holiday.
    assert due_date(date(2023, 11, 30)) == date(2024, 1, 2)
    assert due_date(date(2025, 11, 30)) == date(2025, 12, 30)  # a Tuesday: unchanged
    # 30 November 2021: due 30 December 2021, a Thursday after the substitute days of 27-28.
    assert due_date(date(2021, 11, 30)) == date(2021, 12, 30)


def test_a_friday_before_a_bank_holiday() -> None:
    # Due on Friday 23 May 2025, before the spring bank holiday: the Friday stands.
    assert due_date(date(2025, 4, 23)) == date(2025, 5, 23)
    # Due on Saturday 24 May 2025: Sunday, then Monday 26 May is a bank holiday: Tuesday.
    assert due_date(date(2025, 4, 24)) == date(2025, 5, 27)
    # Due on Good Friday 18 April 2025: the weekend and Easter Monday pass: Tuesday 22 April.
    assert due_date(date(2025, 3, 18)) == date(2025, 4, 22)


def test_a_councils_closure_day_moves_the_due_date() -> None:
    assert due_date(date(2025, 11, 29)) == date(2025, 12, 29)
    assert due_date(date(2025, 11, 29), closures=[date(2025, 12, 29)]) == date(2025, 12, 30)
    assert next_working_day(date(2025, 12, 25), [date(2025, 12, 29)]) == date(2025, 12, 30)


def test_an_extension_within_the_first_month_adds_two_months() -> None:
    received = date(2025, 1, 10)  # due Monday 10 February 2025
    extended = check_extension(
        received, date(2025, 2, 10), "complex: five source systems", paused=0
    )
    assert extended == date(2025, 4, 10)


def test_an_extension_recorded_late_is_refused() -> None:
    received = date(2025, 1, 10)
    with pytest.raises(ExtensionTooLate, match=r"within the first month \(by 2025-02-10\)"):
        check_extension(received, date(2025, 2, 11), "complex", paused=0)
    # A pause moved the first month's end, so the same day is now in time.
    assert check_extension(received, date(2025, 2, 11), "complex", paused=3) == date(2025, 4, 14)


def test_an_extension_needs_a_reason() -> None:
    with pytest.raises(InvalidInput, match="reason"):
        check_extension(date(2025, 1, 10), date(2025, 1, 20), "  ", paused=0)


def test_a_pause_moves_the_due_date_by_the_days_paused() -> None:
    received = date(2025, 3, 3)  # due Thursday 3 April 2025
    assert due_date(received) == date(2025, 4, 3)
    paused = paused_days([(date(2025, 3, 5), date(2025, 3, 12))], today=date(2025, 3, 20))
    assert paused == 7
    assert due_date(received, paused=paused) == date(2025, 4, 10)
    # Still paused: the days count to today; overlapping pauses count a day once.
    assert paused_days([(date(2025, 3, 5), None)], today=date(2025, 3, 9)) == 4
    overlapping = [(date(2025, 3, 5), date(2025, 3, 12)), (date(2025, 3, 10), date(2025, 3, 14))]
    assert paused_days(overlapping, today=date(2025, 4, 1)) == 9
    # The working-day move comes last: 3 April + 15 days is Good Friday 18 April.
    assert due_date(received, paused=15) == date(2025, 4, 22)
