"""people.csv as real exports write it: one name column, NHS numbers with spaces."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from workers.sources.csvfile import Note
from workers.sources.mapping import load_mapping
from workers.sources.people import BadPerson, PersonRow, read_people


def _mapping(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "map.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def test_one_name_column_is_split_into_family_and_given_names(tmp_path: Path) -> None:
    """PARIS and Mosaic reports give "SURNAME, Forename" in one column: the whole of it became
    the family name, and the person matched no one by name."""
    people = tmp_path / "people.csv"
    people.write_text(
        "Person ID,Name,NHS No\n"
        'M1,"MULLER, Zoë Anne",943 476 5919\n'
        "M2,José Núñez,\n"
        "M3,Cher,\n"
        'M4,"O\'BRIEN , ",\n',
        encoding="cp1252",
    )
    mapping = load_mapping(
        _mapping(
            tmp_path,
            "people_columns: {person_id: Person ID, full_name: Name, nhs_number: NHS No}\n",
        )
    )
    absent: list[Note] = []
    rows = list(read_people(people, mapping, absent.extend))
    assert all(isinstance(row, PersonRow) for row in rows)
    names = [(r.given_name, r.family_name) for r in rows if isinstance(r, PersonRow)]
    assert names == [("Zoë Anne", "MULLER"), ("José", "Núñez"), ("", "Cher"), ("", "O'BRIEN")]
    first = rows[0]
    assert isinstance(first, PersonRow) and first.nhs_number == "9434765919"
    # The name columns a full name stands for are not reported absent.
    absent_columns = {note.detail.split("'")[1] for note in absent}
    assert not absent_columns & {"given_name", "family_name", "full_name"}


def test_separate_name_columns_win_and_full_name_is_not_expected(tmp_path: Path) -> None:
    people = tmp_path / "people.csv"
    people.write_text(
        'person_id,given_name,family_name,full_name\nP1,Ann,Ash,"ASH, Annie"\n',
        encoding="utf-8",
    )
    absent: list[Note] = []
    (row,) = list(read_people(people, load_mapping(), absent.extend))
    assert isinstance(row, PersonRow) and (row.given_name, row.family_name) == ("Ann", "Ash")
    without = tmp_path / "without.csv"
    without.write_text("person_id,given_name,family_name\nP1,Ann,Ash\n", encoding="utf-8")
    absent.clear()
    list(read_people(without, load_mapping(), absent.extend))
    assert not any("full_name" in note.detail for note in absent)


def test_an_nhs_number_written_with_hyphens_is_kept_as_its_digits(tmp_path: Path) -> None:
    """The check allowed "943-476-5919" and the hyphens were stored: the number then matched no
    NHS number found in a document's text, nor a finder's search."""
    people = tmp_path / "people.csv"
    people.write_text(
        "person_id,nhs_number\nP1,943-476-5919\nP2, 943 476 5919 \n", encoding="utf-8"
    )
    rows = list(read_people(people, load_mapping()))
    assert [r.nhs_number for r in rows if isinstance(r, PersonRow)] == ["9434765919"] * 2


def test_bare_legacy_ids_take_the_mappings_legacy_id_system(tmp_path: Path) -> None:
    """A crosswalk column of bare client numbers ("PARIS ID": 123) made every person a bad row,
    loaded never, whatever the mapping's legacy_id_system said."""
    people = tmp_path / "people.csv"
    people.write_text("person_id,PARIS ID\nP1,00123\nP2,MOSAIC:9;456\n", encoding="utf-8")
    mapping = load_mapping(
        _mapping(tmp_path, "legacy_id_system: paris\npeople_columns: {legacy_ids: PARIS ID}\n")
    )
    rows = list(read_people(people, mapping))
    assert [r.legacy_ids for r in rows if isinstance(r, PersonRow)] == [
        (("PARIS", "123"),),
        (("MOSAIC", "9"), ("PARIS", "456")),
    ]
    # Without one, the row is refused as before, saying what would read it.
    (bad, _) = list(
        read_people(
            people, load_mapping(_mapping(tmp_path, "people_columns: {legacy_ids: PARIS ID}\n"))
        )
    )
    assert isinstance(bad, BadPerson)
    assert bad.detail == (
        "legacy_ids entry '00123' is not SYSTEM:ID (a mapping's legacy_id_system names the "
        "system of IDs given alone)"
    )


def test_placeholder_and_future_dates_of_birth_are_left_empty_with_a_warning(
    tmp_path: Path,
) -> None:
    """Legacy systems write 01/01/1900 (or Excel's day 0, or 31/12/9999 for "no end") where a
    date is unknown: loaded as a date of birth, a looked-after child's record was 126 years
    old and due for disposal at once, and 9999 as a date of death was a death never checked."""
    people = tmp_path / "people.csv"
    people.write_text(
        "person_id,date_of_birth,date_of_death\n"
        "P1,01/01/1900,31/12/9999\n"
        "P2,30/12/1899,\n"
        "P3,01/01/2990,\n"
        "P4,01/01/1970,01/01/1901\n",
        encoding="utf-8",
    )
    rows = [r for r in read_people(people, load_mapping()) if isinstance(r, PersonRow)]
    assert [(r.date_of_birth, r.date_of_death) for r in rows] == [
        (None, None),
        (None, None),
        (None, None),
        (date(1970, 1, 1), date(1901, 1, 1)),  # real days, however odd
    ]
    assert [w.code for w in rows[0].warnings] == ["placeholder_date", "placeholder_date"]
    assert str(rows[0].warnings[0]) == (
        "date_of_birth 01/01/1900 is a placeholder legacy systems write for an unknown date; "
        "left empty"
    )
    assert str(rows[2].warnings[0]) == "date_of_birth 01/01/2990 is in the future; left empty"


def test_a_whole_name_in_the_family_name_column_is_a_warning_naming_full_name(
    tmp_path: Path,
) -> None:
    """Mapped as family_name, "MULLER, Zoë" loaded as a family name without a word."""
    people = tmp_path / "people.csv"
    people.write_text('person_id,Name\nM1,"MULLER, Zoë"\nM2,Smith\n', encoding="utf-8")
    mapping = load_mapping(_mapping(tmp_path, "people_columns: {family_name: Name}\n"))
    first, second = list(read_people(people, mapping))
    assert isinstance(first, PersonRow) and first.family_name == "MULLER, Zoë"
    assert [(w.code, str(w)) for w in first.warnings] == [
        (
            "name_in_one_column",
            "family_name 'MULLER, Zoë' holds a comma and the row has no given name: if the "
            "column holds whole names, map it as full_name to split them",
        )
    ]
    assert isinstance(second, PersonRow) and second.warnings == ()


def test_a_database_exports_null_is_an_empty_cell(tmp_path: Path) -> None:
    people = tmp_path / "people.csv"
    people.write_text(
        "person_id,given_name,family_name,date_of_birth,nhs_number,legacy_ids\n"
        "P1,Ann,NULL,NULL,NULL,NULL\n",
        encoding="utf-8",
    )
    (row,) = list(read_people(people, load_mapping()))
    assert isinstance(row, PersonRow) and row.warnings == ()
    assert (row.family_name, row.date_of_birth, row.nhs_number, row.legacy_ids) == (
        "",
        None,
        "",
        (),
    )
