"""Redaction suggestions (domain/redaction_suggest.py): each detector finds its kind of
third-party information, never the subject's own, and leaves professionals in role alone."""

from __future__ import annotations

import pytest

from domain.redaction_suggest import Context, OtherPerson, Subject, suggest

SUBJECT = Subject(
    "Jayden", "Walsh", identifiers=("PARIS:123456", "MOS1"), nhs_number="9434765919",
    other_details=("3 Hollybush Close", "07700 900111"),
)  # fmt: skip
SISTER = OtherPerson("MOS2", "Amelia", "Walsh", ("PARIS:222333", "MOS2"), "4010232137", True)
STRANGER = OtherPerson("MOS3", "Dennis", "Hughes", ("CAREFIRST:C77812",))


def context(**extra: object) -> Context:
    return Context(
        subject=SUBJECT,
        others=[SISTER, STRANGER],
        staff_names=["Claire Lowe"],
        team_names=["North Locality Team"],
        council_domains=["synthshire.gov.uk"],
        **extra,  # type: ignore[arg-type]
    )


def found(text: str, **extra: object) -> set[tuple[str, str]]:
    return {(s.kind, s.term) for s in suggest(text, context(**extra))}


@pytest.mark.parametrize(
    ("text", "kind", "term"),
    [
        ("Amelia Walsh came to the meeting.", "person", "Amelia Walsh"),
        ("Amelia came to the meeting.", "person", "Amelia"),  # linked: the given name alone
        ("Yesterday Dennis Hughes rang.", "person", "Dennis Hughes"),
        ("His file is C77812 on CareFirst.", "person", "C77812"),
        ("Sister's ref 222333.", "person", "222333"),
        ("NHS 401 023 2137 on her letter.", "nhs", "401 023 2137"),
        ("Call from Mrs Okafor about the school run.", "name", "Mrs Okafor"),
        ("He stays with Nan Hughes at weekends.", "name", "Nan Hughes"),
        ("Visited by Margaret Thompson, a family friend.", "name", "Margaret Thompson"),
        ("She lives at 12 Mill Lane, Synthbury.", "address", "12 Mill Lane"),
        ("Flat 2, 140a Queens Drive was let.", "address", "Flat 2, 140a Queens Drive"),
        ("moved to 7 Kingsway last year", "address", "7 Kingsway"),
        ("postcode SY3 4AB on the form", "postcode", "SY3 4AB"),
        ("Ring 07712 345678 after six.", "phone", "07712 345678"),
        ("Landline (01632) 960123 only.", "phone", "01632) 960123"),
        ("Mobile +44 7700 900123 given.", "phone", "+44 7700 900123"),
        ("wrote from dennis.h@example.com", "email", "dennis.h@example.com"),
    ],
)
def test_each_detector_finds_its_kind(text: str, kind: str, term: str) -> None:
    assert (kind, term) in found(text)


@pytest.mark.parametrize(
    "text",
    [
        "Jayden Walsh attended with his worker.",  # the subject
        "JAYDEN WALSH was seen.",
        "Jayden's NHS number is 943 476 5919.",  # the subject's own number
        "Jayden's PARIS ID 123456.",
        "He lives at 3 Hollybush Close.",  # the subject's address, known to the catalog
        "His phone is 07700 900111.",
        "Dear Mr Walsh, thank you for your letter.",  # the addressee is the subject
        "Claire Lowe met Jayden at home.",  # known staff
        "Social worker: Tom Brennan",  # a role word before
        "Sarah Jones, Team Manager, agreed the plan.",  # a role word after
        "Kind regards,\nPriya Shah\nNorth Locality Team",  # a signature with the team
        "Kind regards,\nPriya Shah\nSenior Practitioner",  # a signature with a job title
        "emailed claire.lowe@synthshire.gov.uk",  # the council's domain
        "The meeting in March 2021 at the Station Road centre.",  # no name, no number
        "Reference 1234567890 is not an NHS number.",  # fails the check digit
        "On 03/04/2021 and 12 May 2020 nothing happened.",
    ],
)
def test_not_suggested(text: str) -> None:
    assert found(text) == set()


def test_roles_can_be_suggested_when_asked() -> None:
    text = "Social worker: Tom Brennan"
    assert found(text) == set()
    assert ("name", "Tom Brennan") in {
        (s.kind, s.term) for s in suggest(text, context(), protect_roles=False)
    }


def test_role_words_are_configurable() -> None:
    text = "Housing officer: Tom Brennan"
    assert ("name", "Tom Brennan") in found(text)
    assert found(text, role_words=("housing officer",)) == set()


def test_offsets_point_at_the_term() -> None:
    text = "Seen with Nan Hughes (07712 345678) at 12 Mill Lane SY3 4AB."
    for s in suggest(text, context()):
        assert text[s.start : s.end] == s.term
