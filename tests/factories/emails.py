"""An archive of emails with attachments (some forwarding an email with its own attachment),
for the tests that kill a load: every document, attachments included, carries a word of its
own, so a search shows whether it was indexed."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from workers.synth import files as sf

PEOPLE = (
    "person_id,target_system,legacy_ids,given_name,family_name,date_of_birth,date_of_death,"
    "nhs_number,service\n"
    "MOS1,Mosaic,PARIS:100,Ann,Ash,2010-01-01,,,children\n"
    "MOS2,Mosaic,PARIS:200,Ben,Birch,2011-02-02,,,children\n"
)


def codeword(number: int, kind: str) -> str:
    """A word no other document holds (letters only: every tokenizer keeps it whole)."""
    letters = ""
    for _ in range(4):
        number, digit = divmod(number, 26)
        letters += chr(ord("a") + digit)
    return f"{kind}{letters}"


@dataclass
class EmailArchive:
    root: Path
    manifest: Path
    people: Path
    # The codeword of each document, attachments included: what a search must find.
    words: list[str] = field(default_factory=list)


def _doc(title: str, word: str) -> sf.TextDoc:
    paragraph = f"The duty worker recorded {word} after the visit to the family home."
    return sf.TextDoc(title, [f"Reference: {word}"], [paragraph], date(2020, 5, 4), "Sam Smith")


def _email(number: int, word: str, attachment: tuple[str, bytes]) -> bytes:
    return sf.eml_bytes(
        _doc(f"Visit note {number}", word),
        message_id=f"kill-{number:05d}",
        sender="Sam Smith <sam.smith@synthshire.example>",
        to="Duty Team <duty.team@synthshire.example>",
        attachment=attachment,
    )


def make_email_archive(root: Path, emails: int, letters: int = 0) -> EmailArchive:
    """`emails` manifest rows, each an email with one attachment: a PDF, a text file, or (one
    in eight) a forwarded email with a text file attached to it; then `letters` rows of plain
    text letters (a load reads them in pages of rows: more rows, more pages)."""
    files = root / "mail"
    files.mkdir(parents=True)
    archive = EmailArchive(root, root / "manifest.csv", root / "people.csv")
    archive.people.write_text(PEOPLE, encoding="utf-8")
    with archive.manifest.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["source_system", "source_document_id", "legacy_person_id", "file_path"])
        for number in range(emails):
            outer, inner = codeword(number, "mail"), codeword(number, "attached")
            archive.words += [outer, inner]
            if number % 8 == 7:
                deepest = codeword(number, "forwarded")
                archive.words.append(deepest)
                notes = ("notes.txt", sf.txt_bytes(_doc("Notes", deepest), cp1252=False))
                attachment = ("forwarded.eml", _email(number + 100_000, inner, notes))
            elif number % 2:
                attachment = ("letter.pdf", sf.pdf_bytes(_doc("Letter", inner)))
            else:
                attachment = ("notes.txt", sf.txt_bytes(_doc("Notes", inner), cp1252=False))
            path = files / f"{number:04d}.eml"
            path.write_bytes(_email(number, outer, attachment))
            person = "100" if number % 3 else "200"
            writer.writerow(["PARIS", f"M{number:04d}", person, f"mail/{path.name}"])
        for number in range(letters):
            word = codeword(number, "letter")
            archive.words.append(word)
            path = files / f"letter-{number:04d}.txt"
            path.write_bytes(sf.txt_bytes(_doc(f"Letter {number}", word), cp1252=False))
            writer.writerow(["PARIS", f"L{number:04d}", "100", f"mail/{path.name}"])
    return archive
