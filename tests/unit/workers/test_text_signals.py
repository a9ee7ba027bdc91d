"""The sandbox children scan the texts they read for the keyword rules, NHS numbers and the first
date, and the loader's main thread uses their scan instead of scanning again."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from workers import classify as classify_module
from workers import dates as dates_module
from workers import link as link_module
from workers.classify import body_hits, classify
from workers.dates import first_date_in_text
from workers.extract import signals
from workers.extract.base import Limits
from workers.ingest import spool_result
from workers.sandbox import SandboxPool
from workers.sources.mapping import load_mapping
from workers.synth.people import is_valid_nhs

MAPPING = load_mapping()
NHS = next(f"943476{n:04d}" for n in range(10_000) if is_valid_nhs(f"943476{n:04d}"))
TEXT = (
    f"Name: Ava Hall\nDOB: 02/03/2012\nNHS number: {NHS[:3]} {NHS[3:6]} {NHS[6:]}\n"
    "Date: 14/05/2019\nThe single assessment was completed after a home visit. "
) * 3


@pytest.fixture()
def pool(tmp_path: Path) -> Iterator[SandboxPool]:
    signals.forget_all()
    with SandboxPool(1, Limits(timeout_s=30), tmp_path) as sandbox:
        yield sandbox
    signals.forget_all()


def _file(tmp_path: Path, text: str = TEXT) -> Path:
    path = tmp_path / "note.txt"
    path.write_text(text, encoding="utf-8")
    return path


def _no_scans(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any scan of the text in this process fails the test."""

    def scanned(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the main process scanned the text")

    monkeypatch.setattr(classify_module, "body_hits", scanned)
    monkeypatch.setattr(link_module, "nhs_numbers_in_text", scanned)

    class NoSearch:
        def search(self, *_args: object) -> None:
            scanned()

    monkeypatch.setattr(dates_module, "_DATE", NoSearch())


def test_the_child_returns_the_signals_with_the_text(pool: SandboxPool, tmp_path: Path) -> None:
    pool.scan_with(MAPPING.keywords)
    result = pool.submit(str(_file(tmp_path)), "text/plain").result(timeout=60)
    assert result.ok and result.signals is not None
    assert result.signals.keyword_hits == body_hits(TEXT, MAPPING.keywords)
    assert result.signals.keyword_hits["assessment"] == ["assessment", "single assessment"]
    assert result.signals.nhs_numbers == (NHS,)
    # The labelled date of birth is not the first date; the document's own date is.
    assert result.signals.first_date == date(2019, 5, 14)


def test_without_rules_the_child_scans_nothing(pool: SandboxPool, tmp_path: Path) -> None:
    result = pool.submit(str(_file(tmp_path)), "text/plain").result(timeout=60)
    assert result.ok and result.signals is None


def test_a_spool_read_brings_the_signals_too(pool: SandboxPool, tmp_path: Path) -> None:
    pool.scan_with(MAPPING.keywords)
    path = _file(tmp_path)
    (read,) = pool.spool([str(path)], extract=[True]).result(timeout=60)
    assert read.file is not None and read.file.extraction is not None
    assert read.file.extraction.signals is not None
    assert read.file.extraction.signals.nhs_numbers == (NHS,)


def test_the_main_process_uses_the_childs_scan(
    pool: SandboxPool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pool.scan_with(MAPPING.keywords)
    expected = classify(legacy_doc_type="", title="", text=TEXT, mime="", mapping=MAPPING)
    result = pool.submit(str(_file(tmp_path)), "text/plain").result(timeout=60)
    text = "".join(result.text)  # an equal text, not the same object (read back from a store)
    _no_scans(monkeypatch)
    found = classify(legacy_doc_type="", title="Notes", text=text, mime="", mapping=MAPPING)
    assert (found.doc_type, found.reason) == (expected.doc_type, expected.reason)
    assert link_module._nhs_numbers(text) == (NHS,)
    assert first_date_in_text(text) == date(2019, 5, 14)


def test_a_skipped_first_date_scans_again(pool: SandboxPool, tmp_path: Path) -> None:
    """The child's first date is a linked person's birthday: the next date is looked for."""
    pool.scan_with(MAPPING.keywords)
    text = "Seen on 14/05/2019. Next review 01/09/2019. " + TEXT
    result = pool.submit(str(_file(tmp_path, text)), "text/plain").result(timeout=60)
    assert result.signals is not None and result.signals.first_date == date(2019, 5, 14)
    assert first_date_in_text(result.text, skip={date(2019, 5, 14)}) == date(2019, 9, 1)


def test_other_rules_or_another_text_are_scanned_here(
    pool: SandboxPool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pool.scan_with({"complaint": ("home visit",)})
    pool.submit(str(_file(tmp_path)), "text/plain").result(timeout=60)
    # The mapping's rules are not the ones the child scanned with: classify scans itself.
    found = classify(legacy_doc_type="", title="", text=TEXT, mime="", mapping=MAPPING)
    assert found.doc_type == "assessment"
    _no_scans(monkeypatch)
    with pytest.raises(AssertionError, match="scanned"):
        link_module._nhs_numbers(TEXT + " more")


def test_a_restarted_child_is_told_the_rules_again(pool: SandboxPool, tmp_path: Path) -> None:
    pool.scan_with(MAPPING.keywords)
    path = _file(tmp_path)
    pool.submit(str(path), "text/plain").result(timeout=60)
    worker = pool._workers[0]
    assert worker._process is not None and worker._process.pid is not None
    os.kill(worker._process.pid, signal.SIGKILL)
    worker._process.join(timeout=10)
    result = pool.submit(str(path), "text/plain").result(timeout=60)
    assert result.ok and result.signals is not None


def test_the_primed_scans_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(signals, "PRIMED_MAX", 3)
    signals.forget_all()
    for n in range(5):
        signals.prime(f"text {n}", signals.text_signals(f"text {n}", MAPPING.keywords))
    assert [signals.primed(f"text {n}") is not None for n in range(5)] == [False] * 2 + [True] * 3
    signals.forget_all()


def test_spool_result_unchanged_without_the_pool(tmp_path: Path) -> None:
    """Reading for ingest outside the pool carries no signals (nothing was scanned)."""
    result = spool_result(_file(tmp_path), tmp_path, None)
    assert result.file is not None and result.file.extraction is None
