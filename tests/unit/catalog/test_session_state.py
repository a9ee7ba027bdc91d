"""The named slots of Session.info: typed, made empty on first use, gone once popped."""

from __future__ import annotations

from sqlalchemy.orm import Session

from catalog import session_state
from catalog.session_state import FRESH_DOCUMENTS, TEXTS, Slot


def test_a_slot_is_empty_until_used_and_gone_once_popped() -> None:
    session = Session()
    assert TEXTS.get(session) is None and not TEXTS.present(session)
    TEXTS.setdefault(session)[7] = "visit record"
    assert TEXTS.present(session) and TEXTS.get(session) == {7: "visit record"}
    assert TEXTS.pop(session) == {7: "visit record"} and TEXTS.get(session) is None
    FRESH_DOCUMENTS.set(session, {1})
    assert FRESH_DOCUMENTS.setdefault(session) == {1}


def test_every_slot_has_its_own_key() -> None:
    slots = [v for v in vars(session_state).values() if isinstance(v, Slot)]
    # every slot declared in the module, none sharing another's key
    assert len(slots) >= 6 and len({slot.key for slot in slots}) == len(slots)
