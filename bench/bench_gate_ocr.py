"""The release gate's OCR of a redacted page, setting by setting (decision 0047): seconds a page,
and how many planted third-party terms each setting still reads (found/planted), side by side
in one run on the same pages.

The pages are tests/factories/gate_pages.py's: case records, 8 pt small print, a contacts
table, two columns, italics, white type on a black band, pale grey type and noisy skewed
scans, with two names, two postcodes and two phone numbers planted on each. Each is burned by
workers/redact/burn.py twice: without boxes (every planted term must be found: a page whose
burn missed them all) and with the planted terms redacted (nothing may be found). Tesseract
runs with one thread, as in the sandbox.
Decision 0049 adds the reading of a grainy page cleaned (ocr_repair.cleaned_in_place): the
burn-in's search of a page without a text layer, burned with its terms with the cleaning off
and on (terms boxed per page kind, seconds a page), and the gate's reading with and without it
(found/planted per page kind).
`.venv/bin/python -m bench.bench_gate_ocr [--rounds 2] [--only NAME ...] [--burn]`
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pikepdf

from tests.factories.gate_pages import PlantedDocument, planted_documents
from workers.extract import ocr_repair
from workers.extract.base import Limits
from workers.redact.base import RedactRequest
from workers.redact.burn import burn
from workers.redact.gate import read_pages, readable_terms

Reader = Callable[[list[bytes], str], list[str]]


def _pytesseract(jpegs: list[bytes], language: str) -> list[str]:
    """The gate before decision 0047: pytesseract per page, the JPEG decoded and re-encoded."""
    import pytesseract
    from PIL import Image

    texts = []
    for jpeg in jpegs:
        with Image.open(io.BytesIO(jpeg)) as image:
            texts.append(pytesseract.image_to_string(image, lang=language))
    return texts


def _cli(*options: str, batch: bool, reencode: bool = False) -> Reader:
    """Tesseract's command on the PDF's own JPEG bytes (or, `reencode`, on the JPEG pytesseract
    writes of the decoded page: Pillow's default quality 75): one process a page, or one a
    document."""

    def read(jpegs: list[bytes], language: str) -> list[str]:
        from PIL import Image

        with tempfile.TemporaryDirectory() as folder:
            paths = []
            for number, jpeg in enumerate(jpegs):
                paths.append(Path(folder) / f"{number}.jpg")
                if reencode:
                    with Image.open(io.BytesIO(jpeg)) as image:
                        image.save(paths[-1], format="JPEG")
                else:
                    paths[-1].write_bytes(jpeg)
            if not batch:
                return [_run(str(p), language, options)[0] for p in paths]
            listing = Path(folder) / "pages.txt"
            listing.write_text("".join(f"{p}\n" for p in paths))
            texts = _run(str(listing), language, options)
            assert len(texts) == len(jpegs), (len(texts), len(jpegs))
            return texts

    return read


def _run(source: str, language: str, options: tuple[str, ...]) -> list[str]:
    command = ["tesseract", source, "stdout", "-l", language, *options]
    out = subprocess.run(command, capture_output=True, check=True).stdout.decode()
    return out.split("\f")  # a form feed between pages


NO_INVERT = ("-c", "tessedit_do_invert=0")
SETTINGS: dict[str, Reader] = {
    "pytesseract psm3 (before)": _pytesseract,
    "cli psm3": _cli("--psm", "3", batch=False),
    "cli psm3 no-invert": _cli("--psm", "3", *NO_INVERT, batch=False),
    "cli psm4": _cli("--psm", "4", batch=False),
    "cli psm6": _cli("--psm", "6", batch=False),
    "cli psm11": _cli("--psm", "11", batch=False),
    "cli psm3 batch": _cli("--psm", "3", batch=True),
    "cli psm3 batch re-encoded": _cli("--psm", "3", batch=True, reencode=True),
    "cli psm4 batch": _cli("--psm", "4", batch=True),
    "cli psm11 batch": _cli("--psm", "11", batch=True),
    "cli psm11 batch re-encoded": _cli("--psm", "11", batch=True, reencode=True),
    "gate.read_pages, not cleaned (0047)": lambda jpegs, language: read_pages(
        jpegs, language, clean=False
    ),
    "gate.read_pages, grainy pages cleaned too (0049)": read_pages,
}
_BY_KIND = (
    "gate.read_pages, not cleaned (0047)",
    "gate.read_pages, grainy pages cleaned too (0049)",
)


@contextmanager
def _cleaning(on: bool) -> Iterator[None]:
    """The burn-in and the gate with decision 0049's cleaning, or without it (as before)."""
    kept = ocr_repair.cleaned_in_place
    if not on:
        ocr_repair.cleaned_in_place = lambda image: None  # type: ignore[assignment]
    try:
        yield
    finally:
        ocr_repair.cleaned_in_place = kept  # type: ignore[assignment]


def _burn_table(root: Path, documents: list[PlantedDocument]) -> None:
    """Each document burned with its terms, cleaning off and on, alternated: the planted terms
    the burn-in boxed (found on the page), what the gate still read, seconds a page."""
    print("| page kind | cleaning | boxed/planted | gate found on the burned pages | s a page |")
    print("| --- | --- | --- | --- | --- |")
    for document in documents:
        terms = tuple(sorted({t for page in document.planted for t in page}))
        for on in (False, True):
            request = RedactRequest(
                str(document.path), str(root / "burned.pdf"), terms=terms, footer=True
            )
            with _cleaning(on):
                result = burn(request, Limits(timeout_s=600))
            boxed = sum(
                len({t for p, t in result.found if p == number} & set(planted))
                for number, planted in enumerate(document.planted)
            )
            planted_count = sum(len(set(p)) for p in document.planted)
            seconds = result.seconds / result.pages
            print(f"| {document.kind} | {'on' if on else 'off'} | {boxed}/{planted_count} | "
                  f"{len(result.leaks)} | {seconds:.3f} |", flush=True)  # fmt: skip


def _jpegs(path: Path) -> list[bytes]:
    with pikepdf.open(path) as pdf:
        return [
            next(iter(page.images.values())).read_raw_bytes() for page in pdf.pages
        ]  # the burn writes one JPEG a page


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--burn", action="store_true", help="also the burn-in, cleaning off/on")
    args = parser.parse_args()
    os.environ["OMP_THREAD_LIMIT"] = "1"  # as the sandbox runs Tesseract
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        documents = planted_documents(root)
        if args.burn:
            _burn_table(root, documents)
        plain, boxed = [], []
        for document in documents:
            terms = tuple(sorted({t for page in document.planted for t in page}))
            for out, given in ((root / "plain.pdf", ()), (root / "boxed.pdf", terms)):
                request = RedactRequest(str(document.path), str(out), terms=given, footer=True)
                burn(request, Limits(timeout_s=600))
            plain.append((document, _jpegs(root / "plain.pdf")))
            boxed.append((document, _jpegs(root / "boxed.pdf")))
        pages = sum(len(j) for _, j in plain)
        head = "| setting | s a page | found/planted (no boxes) | found on boxed pages"
        print(f"{len(documents)} documents, {pages} pages, {pages * 6} planted terms; each")
        print("page read twice (without and with boxes)")
        print(f"{head} | missed (and found on boxed pages) |")
        print("| --- | --- | --- | --- | --- |")
        for name, reader in SETTINGS.items():
            if args.only and name not in args.only:
                continue
            best, kind_best = float("inf"), dict[str, float]()
            for _ in range(args.rounds):
                started = time.monotonic()
                read_plain: list[tuple[PlantedDocument, list[str]]] = []
                read_boxed: list[tuple[PlantedDocument, list[str]]] = []
                took: dict[str, float] = {}
                for read, burned in ((read_plain, plain), (read_boxed, boxed)):
                    for document, jpegs in burned:
                        began = time.monotonic()
                        read.append((document, reader(jpegs, "eng")))
                        spent = (time.monotonic() - began) / (2 * len(jpegs))
                        took[document.kind] = took.get(document.kind, 0.0) + spent
                best = min(best, (time.monotonic() - started) / (2 * pages))
                for kind, spent in took.items():
                    kind_best[kind] = min(kind_best.get(kind, float("inf")), spent)
            found, false, missed = 0, 0, list[str]()
            kinds: dict[str, list[int]] = {}
            for document, texts in read_plain:
                for number, (text, planted) in enumerate(zip(texts, document.planted, strict=True)):
                    hits = readable_terms(text, planted)
                    found += len(hits)
                    tally = kinds.setdefault(document.kind, [0, 0])
                    tally[0] += len(hits)
                    tally[1] += len(planted)
                    missed += [f"{document.kind}{number + 1}:{t}" for t in planted if t not in hits]
            for document, texts in read_boxed:
                for number, (text, planted) in enumerate(zip(texts, document.planted, strict=True)):
                    hits = readable_terms(text, planted)
                    false += len(hits)
                    missed += [f"boxed {document.kind}{number + 1}:{t}" for t in hits]
            print(f"| {name} | {best:.3f} | {found}/{pages * 6} | {false} | "
                  f"{', '.join(missed) or '-'} |", flush=True)  # fmt: skip
            if name in _BY_KIND:
                shown = (f"{k} {f}/{n} {kind_best[k]:.3f} s" for k, (f, n) in kinds.items())
                print("  by kind (found/planted, s a page): " + ", ".join(shown))


if __name__ == "__main__":
    main()
