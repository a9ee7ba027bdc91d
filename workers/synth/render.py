"""Turn one planned row of the synthetic archive into its words, its file bytes and its path."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta

from workers.synth import files as sf
from workers.synth.plan import Quote, RowPlan
from workers.synth.text import (
    ADULT_NAMES,
    CHILD_NAMES,
    FAMILY_NAMES,
    STAFF,
    TEAMS,
    TYPES,
    compose,
    compose_pages,
    make_phrase,
)

EXTENSIONS = {
    "scan_pdf": "pdf",
    "tiff": "tif",
    "tiff2": "tif",
    "jpeg": "jpg",
    "png": "png",
    "docx": "docx",
    "rtf": "rtf",
    "eml": "eml",
    "html": "htm",
    "txt": "txt",
    "txt1252": "txt",
    "mdb": "mdb",
    "pdf_as_doc": "doc",  # a PDF under a Word extension: type must come from the content
}
ESCAPING_PATH = "../../outside.txt"  # never written: the pipeline must refuse it unread
_EARLIEST, _LATEST = date(2005, 1, 1), date(2023, 12, 31)


@dataclass(frozen=True)
class RenderedRow:
    """One row's document: where it lives, its bytes and the words the manifest shows."""

    path: str  # manifest file_path, relative, forward slashes
    data: bytes | None  # None: nothing on disk (missing file, path escape)
    title: str
    legacy_type: str  # a legacy code, free text or empty
    phrase: str  # as written in the document (uppercase in scans)
    day: date
    author: str
    sha256: str  # of data; empty when there is no file


def _doc_day(rng: random.Random, plan: RowPlan) -> date:
    first, last = _EARLIEST, _LATEST
    for p in plan.people:  # a document falls within its people's lives
        first = max(first, p.date_of_birth + timedelta(days=30))
        last = min(last, p.date_of_death or last)
    return first + timedelta(days=rng.randint(0, max(0, (last - first).days)))


def _names(rng: random.Random, plan: RowPlan) -> tuple[str, str]:
    """(given names, full names) of the people the document is about."""
    if plan.quote is not None:  # a noisy archive: as the document misquotes them
        return plan.quote.name.split()[0], plan.quote.name
    if not plan.people:  # unknown or missing legacy ID: someone not in people.csv
        given = rng.choice(CHILD_NAMES + ADULT_NAMES)
        return given, f"{given} {rng.choice(FAMILY_NAMES)}"
    given = " and ".join(p.given_name for p in plan.people)
    return given, f"{given} {plan.people[0].family_name}"


def _quoted_header(rng: random.Random, quote: Quote) -> list[str]:
    """A noisy archive's subject lines, laid out as a form's fields or a letter's heading."""
    nhs = f"{quote.nhs[:3]} {quote.nhs[3:6]} {quote.nhs[6:]}" if rng.random() < 0.6 else quote.nhs
    style = rng.choice(("form", "letter", "inline"))
    if style == "form":
        lines = [f"Name: {quote.name}"]
        lines += [f"Date of birth: {quote.dob}"] if quote.dob else []
        lines += [f"NHS number: {nhs}"] if quote.nhs else []
        lines += [f"Address: {quote.address}"] if quote.address else []
        return lines
    subject = f"Re: {quote.name}" if style == "letter" else f"Name: {quote.name}"
    lines = [f"{subject}, DOB {quote.dob}" if quote.dob else subject]
    lines += [f"NHS No: {nhs}"] if quote.nhs else []
    return lines + ([quote.address] if quote.address else [])


def _header(rng: random.Random, plan: RowPlan, name: str, day: date, author: str) -> list[str]:
    if plan.quote is not None:
        team = plan.people[0].team
        lines = _quoted_header(rng, plan.quote)
        return [*lines, f"Date: {day:%d/%m/%Y}", f"Worker: {author}, {team}"]
    lines = [f"Name: {name}"]
    if len(plan.people) == 1:
        lines.append(f"Date of birth: {plan.people[0].date_of_birth:%d/%m/%Y}")
    if plan.nhs_of is not None:
        nhs = plan.nhs_of.nhs_number
        spaced = f"{nhs[:3]} {nhs[3:6]} {nhs[6:]}"
        lines.append(f"NHS number: {spaced}" if rng.random() < 0.6 else f"NHS No: {nhs}")
    team = plan.people[0].team if plan.people else rng.choice(TEAMS)
    return [*lines, f"Date: {day:%d/%m/%Y}", f"Worker: {author}, {team}"]


def _legacy_type(rng: random.Random, plan: RowPlan) -> str:
    spec = TYPES[plan.doc_type]
    if plan.code_mode == "free":
        return spec.label
    if plan.code_mode == "empty":
        return ""
    code = rng.choice(spec.codes)
    # Codes are matched trimmed and case-insensitively; exports are not consistent about either.
    roll = rng.random()
    return code.lower() if roll < 0.1 else (code + " " if roll < 0.15 else code)


def _scan_bytes(plan: RowPlan, title: str, name: str, day: date, phrase: str) -> bytes:
    big = phrase.upper()
    lines = [title, f"Name: {name}", f"Date: {day:%d/%m/%Y}"]
    if plan.quote is not None and plan.quote.dob:  # a noisy archive's scans show it too
        lines[2:2] = [f"Date of birth: {plan.quote.dob}"]
    if plan.kind == "tiff2":  # the phrase on page 2, so OCR must read every page
        pages = sf.scan_images([(lines[:-1], None), (["Page 2 of 2", lines[-1]], big)])
        return sf.tiff_bytes(pages)
    (image,) = sf.scan_images([(lines, big)])
    if plan.kind == "scan_pdf":
        return sf.scan_pdf_bytes([image], day)
    if plan.kind == "tiff":
        return sf.tiff_bytes([image])
    return sf.jpeg_bytes(image) if plan.kind == "jpeg" else sf.png_bytes(image)


def _email(rng: random.Random, doc: sf.TextDoc, index: int, used: set[str]) -> bytes:
    fields = {"first": "", "name": "Parent/Carer", "worker": doc.author, "date": ""}
    letter = compose("correspondence", fields, make_phrase(rng, used), rng)
    attached = sf.TextDoc("Letter to the family", [], letter, doc.created, doc.author)
    if index % 2:
        attachment = ("letter.pdf", sf.pdf_bytes(attached))
    else:
        attachment = ("notes.txt", sf.txt_bytes(attached, cp1252=False))
    sender = doc.author.lower().replace(" ", ".") + "@synthshire.example"
    return sf.eml_bytes(
        doc,
        message_id=f"synth-{index:06d}",
        sender=f"{doc.author} <{sender}>",
        to="Duty Team <duty.team@synthshire.example>",
        attachment=attachment,
    )


def _file_bytes(
    rng: random.Random, plan: RowPlan, doc: sf.TextDoc, index: int, used: set[str]
) -> bytes | None:
    kind = plan.kind
    writers: dict[str, Callable[[sf.TextDoc], bytes]] = {
        "docx": sf.docx_bytes,
        "rtf": sf.rtf_bytes,
        "html": sf.html_bytes,
        "txt": lambda d: sf.txt_bytes(d, cp1252=False),
        "txt1252": lambda d: sf.txt_bytes(d, cp1252=True),
    }
    if kind in ("missing", "escape"):
        return None
    if kind == "empty":
        return b""
    if kind == "mdb":
        return sf.mdb_bytes(rng)
    if kind == "eml":
        return _email(rng, doc, index, used)
    if kind in writers:
        return writers[kind](doc)
    if kind == "encrypted":
        return sf.pdf_bytes(doc, user_password="Synth2024")
    pdf = sf.pdf_bytes(doc)  # pdf, pdf_as_doc, checksum, truncated
    return pdf[:200] if kind == "truncated" else pdf


def render_row(
    rng: random.Random,
    plan: RowPlan,
    used_phrases: set[str],
    index: int,
    original: RenderedRow | None = None,
) -> RenderedRow:
    """Make one row's document; with `original`, the same bytes under a new path and title."""
    day = _doc_day(rng, plan)
    author = rng.choice(STAFF)
    first, name = _names(rng, plan)
    spec = TYPES[plan.doc_type]
    title = f"{spec.title} - {name}" if rng.random() < 0.5 else spec.title
    title = "" if plan.bare else title  # a scan made without an index: nothing in the manifest
    if plan.kind == "eml":
        title = rng.choice(("Update on {}", "RE: arrangements for {}", "FW: {} - next steps"))
        title = title.format(first)
    slug = "-".join(spec.title.lower().replace("-", " ").split()[:4])
    ext = EXTENSIONS.get(plan.kind, "pdf")
    path = f"files/{day.year}/{day.month:02d}/{slug}_{index:05d}.{ext}"
    if plan.kind == "escape":
        path = ESCAPING_PATH
    legacy = _legacy_type(rng, plan)
    if original is not None:
        return replace(original, path=path, title=title, legacy_type=legacy)
    phrase = make_phrase(rng, used_phrases)
    header = _header(rng, plan, name, day, author)
    fields = {"first": first, "name": name, "worker": author, "date": f"{day:%d/%m/%Y}"}
    if plan.pages:
        paragraphs = compose_pages(plan.doc_type, fields, phrase, rng, pages=plan.pages, day=day)
    else:
        paragraphs = compose(plan.doc_type, fields, phrase, rng, long=plan.long)
    if plan.kind in ("scan_pdf", "tiff", "tiff2", "jpeg", "png"):
        data: bytes | None = _scan_bytes(plan, spec.title, name, day, phrase)
        phrase = phrase.upper()
    else:
        doc = sf.TextDoc(title, header, paragraphs, day, author)
        data = _file_bytes(rng, plan, doc, index, used_phrases)
    sha = hashlib.sha256(data).hexdigest() if data is not None else ""
    return RenderedRow(path, data, title, legacy, phrase, day, author, sha)
