"""A subject access bundle: each document's rendition burned (in the sandbox), then one PDF of
covering letter, index, documents, redaction log and glossary, every page stamped "Page N of
M", and a zip of its parts with a manifest of their SHA-256; released only once the release
gate has read it all back and found nothing (docs/decisions/0034).

Plain inputs, plain outputs: the faces read the catalog and the reviewer's decisions
(records/sar_redact.py) and hand this module files and terms; it writes under temporary names
in the output folder and renames them only after the gate has passed, so a refused bundle
leaves nothing that could be sent.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import shutil
import tempfile
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import pikepdf
from pikepdf import Dictionary, Name

from core.spreadsheet import spreadsheet_safe
from domain.redaction import contains_any, find_terms
from workers.redact import front
from workers.redact.base import Box, RedactRequest, RedactResult
from workers.redact.gate import _CLEAN_PAGE, check_pdf, shown_term
from workers.redact.run import SECONDS_A_PAGE
from workers.sandbox import SandboxPool

PDF_NAME, ZIP_NAME = "bundle.pdf", "bundle.zip"
WHOLE_FILE = -1  # BundleDocument.read_pages: a text read from the file with no page breaks
REDACTED = "[redacted]"


@dataclass(frozen=True)
class LogEntry:
    """One accepted redaction of a document, for the log: a term (found on whatever pages the
    burn-in found it) or a box on `page` (0-based)."""

    code: str
    reason: str
    approver: str
    term: str = ""
    page: int | None = None


@dataclass(frozen=True)
class BundleDocument:
    document_id: int
    title: str
    date: str
    doc_type: str
    source_system: str
    rendition: Path
    pages: int
    terms: tuple[str, ...] = ()
    boxes: tuple[Box, ...] = ()
    log: tuple[LogEntry, ...] = ()
    # The text extraction read on each page (0-based) it OCRed, with OCR repair: where a
    # term is read here but the burn-in, reading the rendition's page again, did not find
    # it, no box was drawn over it (unlocated_terms).
    read_pages: dict[int, str] = field(default_factory=dict)


@dataclass
class BundleOutcome:
    ok: bool
    problems: list[str] = field(default_factory=list)
    pdf: Path | None = None
    zip: Path | None = None
    pages: int = 0
    documents: int = 0
    manifest: dict[str, str] = field(default_factory=dict)
    pdf_sha256: str = ""
    zip_sha256: str = ""
    seconds: dict[str, float] = field(default_factory=dict)


def scrub(text: str, terms: Sequence[str]) -> str:
    """The text with every redacted term replaced (a title or a reason may name the person)."""
    hits = find_terms(text, tuple(terms))
    for hit in reversed(hits):
        text = text[: hit.start] + REDACTED + text[hit.end :]
    return text


def build_bundle(
    pool: SandboxPool,
    documents: Sequence[BundleDocument],
    letter: front.Letter,
    out_dir: Path,
    *,
    dpi: int = 200,
) -> BundleOutcome:
    out_dir.mkdir(parents=True, exist_ok=True)
    outcome = BundleOutcome(ok=False, documents=len(documents))
    work = Path(tempfile.mkdtemp(prefix=".escr-bundle-", dir=out_dir))
    try:
        _build(pool, documents, letter, out_dir, work, dpi, outcome)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return outcome


def _build(
    pool: SandboxPool,
    documents: Sequence[BundleDocument],
    letter: front.Letter,
    out_dir: Path,
    work: Path,
    dpi: int,
    outcome: BundleOutcome,
) -> None:
    started = time.monotonic()
    futures = [
        pool.redact(
            RedactRequest(
                path=str(doc.rendition),
                out_path=str(work / f"{number:05d}.pdf"),
                terms=doc.terms,
                boxes=doc.boxes,
                footer=True,
                dpi=dpi,
                timeout_s=SECONDS_A_PAGE * max(1, doc.pages),
            )
        )
        for number, doc in enumerate(documents, 1)
    ]
    results: list[RedactResult] = [future.result() for future in futures]
    outcome.seconds["burn"] = time.monotonic() - started
    for doc, result in zip(documents, results, strict=True):
        if not result.ok:
            outcome.problems.append(
                f"document {doc.document_id}: {result.reason or 'failed'} {result.detail}"[:300]
            )
        else:
            outcome.problems += unlocated_terms(doc, result)
    if outcome.problems:
        return
    every_term = tuple(dict.fromkeys(t for doc in documents for t in doc.terms))
    assembled = time.monotonic()
    parts = _front_and_back(documents, results, letter, every_term)
    bundle = work / PDF_NAME
    ranges = _assemble(parts, [work / f"{n:05d}.pdf" for n in range(1, len(documents) + 1)], bundle)
    outcome.seconds["assemble"] = time.monotonic() - assembled
    gated = time.monotonic()
    page_terms = _page_terms(documents, ranges, parts.total, every_term)
    verdict = check_pdf(bundle, (), page_terms=page_terms)
    outcome.problems += verdict.problems
    outcome.problems += _unchecked_images(verdict.image_sha256, results, ranges)
    outcome.seconds["gate"] = time.monotonic() - gated
    if outcome.problems:
        return
    zipped = time.monotonic()
    archive = work / ZIP_NAME
    outcome.manifest = _zip(bundle, archive, parts, documents, ranges, every_term, outcome)
    outcome.seconds["zip"] = time.monotonic() - zipped
    if outcome.problems:
        return
    # Both checked: now, and only now, do they take the names a person would send.
    outcome.pdf, outcome.zip = out_dir / PDF_NAME, out_dir / ZIP_NAME
    os.replace(bundle, outcome.pdf)
    os.replace(archive, outcome.zip)
    outcome.pdf_sha256 = _sha256(outcome.pdf.read_bytes())
    outcome.zip_sha256 = _sha256(outcome.zip.read_bytes())
    outcome.pages = parts.total
    outcome.ok = True


def unlocated_terms(doc: BundleDocument, result: RedactResult) -> list[str]:
    """A redacted term that extraction read on a scanned page, where the burn-in found it on
    no part of that page and no reviewer's box covers any of it: nothing was drawn over it.
    Extraction reads a scan with OCR repair (decision 0026); the burn-in and the gate read
    the page image as it is, and on a faint or speckled scan read nothing at all (decision
    0047), so the gate cannot be the proof there. The reviewer draws a box on the page."""
    problems = []
    boxed = {box.page for box in doc.boxes}
    for page, text in sorted(doc.read_pages.items()):
        whole = page == WHOLE_FILE  # its text's pages do not line up with the rendition's
        if (bool(boxed) if whole else page in boxed) or not text:
            continue
        for term in dict.fromkeys(hit.term for hit in find_terms(text, doc.terms)):
            found = any(t == term and (whole or p == page) for p, t in result.found)
            if not found:
                where = "a page" if whole else f"page {page + 1}"
                problems.append(
                    f"document {doc.document_id}: {shown_term(term)} was read on {where} when "
                    "the scan was loaded, but cannot be found on the page image to burn out: "
                    "draw a box over it there, then build again"
                )
    return problems


@dataclass
class _Parts:
    letter: bytes
    index: bytes
    log: bytes
    glossary: bytes
    index_rows: list[front.IndexRow]
    log_rows: list[front.LogRow]
    front_pages: int
    total: int


def _count(pdf: bytes) -> int:
    with pikepdf.open(io.BytesIO(pdf)) as document:
        return len(document.pages)


def _front_and_back(
    documents: Sequence[BundleDocument],
    results: Sequence[RedactResult],
    letter: front.Letter,
    every_term: tuple[str, ...],
) -> _Parts:
    """The letter and index (before the documents) and the log and glossary (after), with
    page numbers that count them all. The index's length depends only on its rows, the
    letter's on its numbers' digits at most: recounted until it settles."""
    doc_pages = sum(result.pages for result in results)
    glossary = front.glossary_pdf()
    front_pages, total = 2, 0
    for _ in range(4):
        first, index_rows = front_pages + 1, []
        for number, (doc, result) in enumerate(zip(documents, results, strict=True), 1):
            last = first + result.pages - 1
            title = scrub(doc.title, every_term)
            row = front.IndexRow(number, title, doc.date, doc.doc_type, doc.source_system,
                                 f"{first}-{last}" if last > first else str(first))  # fmt: skip
            index_rows.append(row)
            first = last + 1
        log_rows = _log_rows(documents, results, front_pages, every_term)
        log = front.log_pdf(log_rows)
        total = front_pages + doc_pages + _count(log) + _count(glossary)
        letter_pdf = front.letter_pdf(replace(letter, pages=total, documents=len(documents)))
        index = front.index_pdf(index_rows)
        counted = _count(letter_pdf) + _count(index)
        if counted == front_pages:
            break
        front_pages = counted
    return _Parts(letter_pdf, index, log, glossary, index_rows, log_rows, front_pages, total)


def _log_rows(
    documents: Sequence[BundleDocument],
    results: Sequence[RedactResult],
    front_pages: int,
    every_term: tuple[str, ...],
) -> list[front.LogRow]:
    rows: list[front.LogRow] = []
    first = front_pages + 1
    for doc, result in zip(documents, results, strict=True):
        for entry in doc.log:
            if entry.term:
                pages = sorted({page for page, term in result.found if term == entry.term})
            else:
                pages = [entry.page] if entry.page is not None else []
            reason = scrub(entry.reason, every_term)
            for page in pages:
                rows.append(front.LogRow(first + page, entry.code, reason, entry.approver))
        first += result.pages
    rows.sort(key=lambda row: row.page)
    return rows


def _assemble(parts: _Parts, burned: list[Path], out: Path) -> list[range]:
    """One PDF: front, documents, back, every page stamped; returns each document's pages
    (0-based ranges in the bundle)."""
    bundle = pikepdf.new()
    sources = [pikepdf.open(io.BytesIO(parts.letter)), pikepdf.open(io.BytesIO(parts.index))]
    ranges: list[range] = []
    try:
        for source in sources:
            bundle.pages.extend(source.pages)
        for path in burned:
            with pikepdf.open(path) as part:
                start = len(bundle.pages)
                bundle.pages.extend(part.pages)
                ranges.append(range(start, len(bundle.pages)))
        for tail in (parts.log, parts.glossary):
            source = pikepdf.open(io.BytesIO(tail))
            sources.append(source)
            bundle.pages.extend(source.pages)
        font = bundle.make_indirect(
            Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica)
        )
        total = len(bundle.pages)
        for number, page in enumerate(bundle.pages, 1):
            _clean_page(page)
            _stamp(bundle, page, font, f"Page {number} of {total}")
        bundle.save(out, deterministic_id=True)
    finally:
        for source in sources:
            source.close()
    return ranges


def _clean_page(page: pikepdf.Page) -> None:
    """Only what draws the page: fpdf2's pages carry links and groups we do not need."""
    for key in list(page.obj.keys()):
        if key not in _CLEAN_PAGE:
            del page.obj[key]


def _stamp(pdf: pikepdf.Pdf, page: pikepdf.Page, font: pikepdf.Object, label: str) -> None:
    """'Page N of M' at the foot of the page, right-aligned, in the footer strip the burn-in
    left (or the letter's bottom margin)."""
    width = float(page.mediabox[2]) - float(page.mediabox[0])
    x = width - 36 - len(label) * 4.6
    resources = page.obj.get("/Resources")
    if resources is None:
        page.obj.Resources = resources = Dictionary()
    if "/Font" not in resources:
        resources.Font = Dictionary()
    resources.Font.EscrPageNo = font
    text = f"q BT /EscrPageNo 9 Tf {x:.1f} 5 Td ({label}) Tj ET Q".encode()
    page.contents_add(pikepdf.Stream(pdf, text), prepend=False)


def _page_terms(
    documents: Sequence[BundleDocument],
    ranges: list[range],
    total: int,
    every_term: tuple[str, ...],
) -> dict[int, tuple[str, ...]]:
    """Which terms each page must not hold: a document's pages its own; the pages escr wrote
    (letter, index, log, glossary) every document's."""
    found = {page: every_term for page in range(total)}
    for doc, pages in zip(documents, ranges, strict=True):
        for page in pages:
            found[page] = doc.terms
    return found


def _unchecked_images(
    bundle_images: list[str], results: Sequence[RedactResult], ranges: list[range]
) -> list[str]:
    """Each document page's image in the bundle is byte for byte the one its own gate read."""
    problems = []
    for result, pages in zip(results, ranges, strict=True):
        for offset, page in enumerate(pages):
            if page >= len(bundle_images) or bundle_images[page] != result.image_sha256[offset]:
                problems.append(f"page {page + 1}: its image is not the one the gate read")
    return problems


def _zip(
    bundle: Path,
    archive: Path,
    parts: _Parts,
    documents: Sequence[BundleDocument],
    ranges: list[range],
    every_term: tuple[str, ...],
    outcome: BundleOutcome,
) -> dict[str, str]:
    """The zip: the letter, each document as its numbered pages, the index, log and glossary
    as CSV, and manifest.csv with the SHA-256 of every other file; each file gated."""
    files: dict[str, bytes] = {}
    with pikepdf.open(bundle) as pdf:
        files["00-covering-letter.pdf"] = _pages_of(pdf, range(0, parts.front_pages))
        for number, (doc, pages) in enumerate(zip(documents, ranges, strict=True), 1):
            files[f"documents/{number:04d}-document-{doc.document_id}.pdf"] = _pages_of(pdf, pages)
    files["index.csv"] = _csv(
        ("number", "document", "date", "type", "source_system", "pages"),
        [
            (r.number, r.title, r.date, r.doc_type, r.source_system, r.pages)
            for r in parts.index_rows
        ],
    )
    files["redaction-log.csv"] = _csv(
        ("page", "code", "reason", "approver"),
        [(r.page, r.code, r.reason, r.approver) for r in parts.log_rows],
    )
    files["glossary.csv"] = _csv(("term", "meaning"), front.glossary())
    terms_of = {f"documents/{n:04d}-document-{d.document_id}.pdf": d.terms
                for n, d in enumerate(documents, 1)}  # fmt: skip
    for name, data in files.items():
        terms = terms_of.get(name, every_term)
        if name.endswith(".pdf"):
            member = archive.with_name(".member.pdf")
            member.write_bytes(data)
            outcome.problems += [f"{name}: {p}" for p in check_pdf(member, terms).problems]
            member.unlink()
        else:
            found = contains_any(data.decode("utf-8"), terms)
            outcome.problems += [f"{name}: a redacted term" for _ in found]
    manifest = {name: _sha256(data) for name, data in files.items()}
    files["manifest.csv"] = _csv(("file", "sha256"), sorted(manifest.items()))
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as out:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            out.writestr(info, data)
    return manifest


def _pages_of(pdf: pikepdf.Pdf, pages: range) -> bytes:
    part = pikepdf.new()
    for index in pages:
        part.pages.append(pdf.pages[index])
    out = io.BytesIO()
    part.save(out, deterministic_id=True)
    return out.getvalue()


def _csv(header: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    # Titles and reasons are anyone's text, and the requester opens these in a spreadsheet.
    writer.writerows([spreadsheet_safe(cell) for cell in row] for row in rows)
    return out.getvalue().encode("utf-8")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
