from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.orm import Session

from catalog.db import session_factory
from catalog.people import upsert_person
from catalog.schema import migrate
from core.settings import Settings
from workers.classify import classify
from workers.dates import first_date_in_text
from workers.link import decide_links
from workers.sources.mapping import load_mapping

MAPPING = load_mapping()


def test_legacy_code_wins_with_high_confidence() -> None:
    found = classify(legacy_doc_type=" cpc ", title="x", text="invoice", mime="", mapping=MAPPING)
    assert found.doc_type == "cp_conference"
    assert found.confidence >= 0.9
    assert "CPC" in found.reason.upper()


def test_keywords_classify_free_text_with_a_reason() -> None:
    found = classify(
        legacy_doc_type="Minutes of child protection conference",
        title="Review conference",
        text="The core group met. The child protection plan continues.",
        mime="application/pdf",
        mapping=MAPPING,
    )
    assert found.doc_type == "cp_conference"
    assert "child protection conference" in found.reason


def test_nothing_known_is_other_with_low_confidence() -> None:
    found = classify(legacy_doc_type="", title="scan0001", text="", mime="", mapping=MAPPING)
    assert (found.doc_type, found.confidence < 0.5) == ("other", True)


def test_email_by_mime() -> None:
    found = classify(
        legacy_doc_type="", title="Re: visit", text="", mime="message/rfc822", mapping=MAPPING
    )
    assert found.doc_type == "email"


def test_first_date_in_text_prefers_the_first_written() -> None:
    assert first_date_in_text("Seen on 3rd March 2019, born 01/01/1940, ref 12/05/2020") == date(
        2019, 3, 3
    )
    assert first_date_in_text("no dates here") is None


def _person(session: Session, person_id: str, legacy: list[tuple[str, str]], nhs: str) -> None:
    upsert_person(
        session,
        person_id=person_id,
        target_system="Mosaic",
        given_name="A",
        family_name="B",
        date_of_birth=None,
        date_of_death=None,
        nhs_number=nhs,
        service="children",
        extra={},
        legacy_ids=legacy,
        now=datetime.now(UTC).replace(tzinfo=None),
    )


def test_linking_rules(settings: Settings) -> None:
    migrate(settings.database_url)
    with session_factory(settings.database_url)() as session:
        _person(session, "M1", [("PARIS", "123")], "9434765919")
        _person(session, "M2", [("PARIS", "456")], "4010232137")
        _person(session, "M3", [("PARIS", "789"), ("PARIS", "790")], "")
        _person(session, "M4", [("PARIS", "789")], "")
        session.flush()

        sibling = decide_links(
            session, system="paris", legacy_person_ids=("000123", "456 "), text=""
        )
        assert sorted(sibling.links) == ["M1", "M2"] and not sibling.exceptions

        confirmed = decide_links(
            session, system="PARIS", legacy_person_ids=("123",), text="NHS 943 476 5919"
        )
        assert "confirmed by the NHS number" in confirmed.links["M1"]

        conflict = decide_links(
            session, system="PARIS", legacy_person_ids=("123",), text="NHS 4010232137"
        )
        assert conflict.links == {}
        assert [k for k, _ in conflict.exceptions] == ["nhs_conflict"]
        assert conflict.candidates == ["M1", "M2"]

        unknown = decide_links(session, system="PARIS", legacy_person_ids=("999",), text="")
        assert unknown.links == {} and unknown.exceptions[0][0] == "unknown_legacy_id"

        nobody = decide_links(session, system="PARIS", legacy_person_ids=(), text="NHS 9434765919")
        assert nobody.links == {} and nobody.exceptions[0][0] == "no_legacy_id"
        assert nobody.candidates == ["M1"]  # suggested to the reviewer, never linked

        ambiguous = decide_links(session, system="PARIS", legacy_person_ids=("789",), text="")
        assert ambiguous.links == {} and ambiguous.exceptions[0][0] == "ambiguous_legacy_id"
        assert ambiguous.candidates == ["M3", "M4"]


def test_linking_does_not_flush_the_documents_pending_changes(settings: Settings) -> None:
    """The loader links hundreds of documents with their changes pending: a lookup that
    flushed them wrote them one lookup at a time (5 ms a lookup on a realistic load)."""
    from sqlalchemy import event

    from catalog.models import Person

    migrate(settings.database_url)
    with session_factory(settings.database_url)() as session:
        _person(session, "M1", [("PARIS", "123")], "9434765919")
        session.commit()
        person = session.get(Person, "M1")
        assert person is not None
        person.given_name = "Z"  # a change pending, as the loader's documents are
        flushes: list[int] = []
        event.listen(session, "before_flush", lambda *_: flushes.append(1))
        found = decide_links(
            session, system="PARIS", legacy_person_ids=("123", "555"), text="NHS 943 476 5919"
        )
        assert "confirmed by the NHS number" in found.links["M1"]
        assert flushes == [] and session.dirty
