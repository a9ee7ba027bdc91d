"""Quarantine is only raised; what lists of files and results carry is its outcome, a value
(Quarantined) that compares, pickles and has no traceback to lose."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from core.states import Reason
from workers.ingest import Quarantine, Quarantined, Spooled, resolve_path, spool_result
from workers.pipeline import Context, locate_files
from workers.sources.mapping import load_mapping

MAPPING = load_mapping()


def test_the_exception_carries_its_outcome_as_a_value(tmp_path: Path) -> None:
    with pytest.raises(Quarantine) as caught:
        resolve_path(tmp_path, "nothing.pdf", MAPPING)
    outcome = caught.value.outcome
    assert type(outcome) is Quarantined and outcome.reason == Reason.MISSING_FILE
    # The value crosses a process boundary (a sandbox child's result); the exception does not.
    assert pickle.loads(pickle.dumps(outcome)) == outcome
    with pytest.raises(TypeError):
        pickle.loads(pickle.dumps(caught.value))


def test_lists_of_files_carry_values_not_exceptions(tmp_path: Path) -> None:
    (tmp_path / "letter.txt").write_text("a letter")
    (tmp_path / "empty.txt").write_bytes(b"")
    ctx = Context(store=None, index=None, mapping=MAPPING, tmp_dir=tmp_path)  # type: ignore[arg-type]
    found = locate_files(ctx, ["letter.txt", "../outside.txt", "gone.txt"], tmp_path)
    assert found[0] == tmp_path / "letter.txt"
    assert [type(item) for item in found[1:]] == [Quarantined, Quarantined]
    assert [item.reason for item in found[1:] if isinstance(item, Quarantined)] == [
        Reason.PATH_ESCAPE,
        Reason.MISSING_FILE,
    ]
    read = spool_result(tmp_path / "empty.txt", tmp_path).spooled()
    assert read == Quarantined(Reason.EMPTY_FILE, "the file has zero bytes")
    assert not isinstance(read, Exception | Spooled)
