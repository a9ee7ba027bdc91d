"""The person finder's parts: what a search's words are, and how names are compared."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from domain.person_names import fold, name_tokens, other_forms
from records.finder_query import parse
from records.name_index import EXACT, ONE_SLIP, PREFIX, SHORT_FORM, TWO_SLIPS, NameIndex


@pytest.mark.parametrize(
    "written",
    ["17/07/2004", "17-07-2004", "17.07.2004", "2004-07-17", "17 July 2004", "17th Jul 2004"],
)
def test_a_date_of_birth_in_any_common_uk_form(written: str) -> None:
    query = parse(f"Ali {written}")
    assert query.date_of_birth == date(2004, 7, 17)
    assert query.names == ("ali",)


def test_day_first_is_the_uk_order_and_an_impossible_date_is_not_a_date() -> None:
    assert parse("03/04/2010").date_of_birth == date(2010, 4, 3)
    assert parse("31/02/2010").date_of_birth is None


@pytest.mark.parametrize("written", ["9434765919", "943 476 5919", "943-476-5919"])
def test_an_nhs_number_with_or_without_spaces(written: str) -> None:
    query = parse(written)
    assert query.nhs_number == "9434765919"
    assert query.identifiers == ("9434765919",)  # also tried as a ten-digit legacy ID


def test_ten_digits_failing_the_check_are_no_nhs_number_but_may_be_a_legacy_id() -> None:
    query = parse("9434765918")
    assert query.nhs_number == "" and query.identifiers == ("9434765918",)


def test_person_and_legacy_ids_with_or_without_their_system() -> None:
    assert parse("LCS527117").identifiers == ("LCS527117",)
    assert parse("LCS527117").names == ()
    assert parse("PARIS 0977606").system_id == ("PARIS", "977606")
    assert parse("paris:977606").system_id == ("PARIS", "977606")
    assert parse("977606").identifiers == ("977606",)
    assert parse("Zara Ali").system_id is None


def test_names_fold_case_accents_and_apostrophes() -> None:
    assert fold("Zoë O'Brien") == "zoe obrien"
    assert name_tokens("SMITH-JONES, Ærin Łukasz") == ["smith", "jones", "aerin", "lukasz"]
    assert "robert" in other_forms("bob") and "rob" in other_forms("bob")
    assert other_forms("zara") == frozenset()


def _index() -> NameIndex:
    index = NameIndex(version=(0, datetime(2024, 1, 1)))
    index.add("P1", "Zara Ali", date(2004, 7, 17))
    index.add("P2", "Zoë O'Brien", date(2010, 1, 1))
    index.add("P3", "Robert Kowalczyk", date(1950, 5, 5))
    index.add("P4", "Zara Alison", date(2004, 7, 18))
    index.add("P5", "Katherine Montgomery-Smith", None)
    index.seal()
    return index


def test_each_way_a_name_word_may_be_found() -> None:
    index = _index()
    assert index.search(["zara", "ali"], None) == {"P1": 2 * EXACT, "P4": EXACT + PREFIX}
    assert index.search(["zoe", "obrien"], None) == {"P2": 2 * EXACT}
    assert index.search(["bob"], None) == {"P3": SHORT_FORM}
    assert index.search(["kowalcyzk"], None) == {"P3": ONE_SLIP}  # two letters swapped
    assert index.search(["muntgommery"], None) == {"P5": TWO_SLIPS}
    assert index.search(["kate", "smith"], None) == {"P5": SHORT_FORM + EXACT}


def test_every_word_must_match_and_the_date_narrows() -> None:
    index = _index()
    assert index.search(["zara", "brien"], None) == {}
    assert index.search(["zara"], date(2004, 7, 18)) == {"P4": EXACT}
    assert index.search([], date(2004, 7, 17)) == {"P1": EXACT}


def test_short_words_are_not_stretched_to_typos() -> None:
    # "al" is a prefix of Ali and Alison, never a slip of another two-letter word.
    assert set(_index().search(["al"], None)) == {"P1", "P4"}
    assert _index().search(["z"], None) == {}
