"""Scanned pages with ground truth, for the OCR tests and benchmark (bench/bench_ocr_quality.py).

A page is typed case-record text (names, dates, NHS numbers, addresses from workers/synth/text)
rendered at 300 dpi in a real TrueType font, then spoiled the ways archive scans are: turned a
quarter or half turn, skewed a few degrees, speckled, faded, sent by fax, or laid out as a form
of boxes and ruling lines. `word_recall` is the one measure of how much of the truth came back.
"""

from __future__ import annotations

import io
import random
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

from workers.synth.people import nhs_check_digit
from workers.synth.text import ADULT_NAMES, CHILD_NAMES, FAMILY_NAMES, STAFF, TEAMS, _history

DPI = 300
# Debian's fonts-dejavu-core: a real TrueType face, as typed letters and forms were printed.
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
_WIDTH = 2480  # A4 at 300 dpi
_MARGIN = 180


@dataclass(frozen=True)
class Scan:
    """One page image and the words printed on it."""

    kind: str
    image: Image.Image
    truth: str
    dpi: tuple[int, int] = (DPI, DPI)

    def file_bytes(self) -> bytes:
        """The page as a scanner would store it: G4 TIFF for a fax, PNG otherwise."""
        out = io.BytesIO()
        if self.image.mode == "1":
            self.image.save(out, "TIFF", compression="group4", dpi=self.dpi)
        else:
            self.image.save(out, "PNG", dpi=self.dpi)
        return out.getvalue()


def font(size_pt: float, face: str = "DejaVuSerif.ttf") -> ImageFont.FreeTypeFont:
    """A DejaVu face at `size_pt` points on a 300 dpi page."""
    path = FONT_DIR / face
    if not path.exists():
        raise FileNotFoundError(f"{path}: install Debian's fonts-dejavu-core")
    return ImageFont.truetype(str(path), round(size_pt * DPI / 72))


def _nhs(rng: random.Random) -> str:
    while True:
        nine = f"999{rng.randrange(1_000_000):06d}"
        check = nhs_check_digit(nine)
        if check is not None:
            number = nine + str(check)
            return f"{number[:3]} {number[3:6]} {number[6:]}"


def _day(rng: random.Random) -> date:
    return date(rng.randint(1950, 2022), rng.randint(1, 12), rng.randint(1, 28))


def _person(rng: random.Random) -> dict[str, str]:
    first = rng.choice(CHILD_NAMES + ADULT_NAMES)
    surname = rng.choice(FAMILY_NAMES)
    return {
        "first": first,
        "name": f"{first} {surname}",
        "worker": rng.choice(STAFF),
        "address": f"{rng.randint(1, 99)} Station Road, Eastfield",
        "team": rng.choice(TEAMS),
    }


def _wrap(text: str, face: ImageFont.FreeTypeFont, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and face.getlength(f"{lines[-1]} {word}") <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return lines


def letter_page(rng: random.Random, paragraphs: int = 3, size_pt: float = 11) -> Scan:
    """A typed case note: a header of name, date of birth and NHS number, then case history."""
    person = _person(rng)
    body = _wrap_lines(rng, person, paragraphs, font(size_pt))
    header = [
        f"{person['team']} - Case Note",
        f"Name: {person['name']}   Date of birth: {_day(rng):%d/%m/%Y}",
        f"NHS number: {_nhs(rng)}   Recorded by: {person['worker']}",
    ]
    lines = [*header, "", *body]
    face, step = font(size_pt), round(size_pt * DPI / 72 * 1.5)
    image = Image.new("L", (_WIDTH, 2 * _MARGIN + step * len(lines)), 255)
    draw = ImageDraw.Draw(image)
    for number, line in enumerate(lines):
        draw.text((_MARGIN, _MARGIN + number * step), line, font=face, fill=0)
    return Scan("clean", image, "\n".join(lines))


def _wrap_lines(
    rng: random.Random, person: dict[str, str], paragraphs: int, face: ImageFont.FreeTypeFont
) -> list[str]:
    lines: list[str] = []
    for _ in range(paragraphs):
        text = _history(rng, person, _day(rng))
        lines += [*_wrap(text, face, _WIDTH - 2 * _MARGIN), ""]
    return lines[:-1]


def form_page(rng: random.Random, rows: int = 8) -> Scan:
    """A referral form as councils printed them: tight boxes whose ruling lines run close to
    the typed values, values typed onto underlines, tick boxes and a ruled contacts table."""
    person = _person(rng)
    label, value = font(9, "DejaVuSans.ttf"), font(11)
    fields = [
        ("Surname", person["name"].split()[-1]),
        ("Forename", person["first"]),
        ("Date of birth", f"{_day(rng):%d/%m/%Y}"),
        ("NHS number", _nhs(rng)),
        ("Address", person["address"]),
        ("Allocated worker", person["worker"]),
        ("Team", person["team"]),
        ("Date of referral", f"{_day(rng):%d/%m/%Y}"),
    ][:rows]
    box_h, top = 70, _MARGIN + 140
    height = top + box_h * (len(fields) + 12) + _MARGIN
    image = Image.new("L", (_WIDTH, height), 255)
    draw = ImageDraw.Draw(image)
    title = "REFERRAL FORM - PART A"
    draw.text((_MARGIN, _MARGIN), title, font=font(14, "DejaVuSans-Bold.ttf"), fill=0)
    words = [title]
    split = _MARGIN + 420
    for number, (name, text) in enumerate(fields):
        y = top + number * box_h
        draw.rectangle((_MARGIN, y, _WIDTH - _MARGIN, y + box_h), outline=0, width=4)
        draw.line((split, y, split, y + box_h), fill=0, width=4)
        draw.text((_MARGIN + 10, y + 14), name, font=label, fill=0)
        # Typed in after printing: values sit on the box's lower line, as a typewriter left them.
        draw.text((split + 8, y + box_h - 44), text, font=value, fill=0)
        words += [name, text]
    y = top + len(fields) * box_h + 60
    ticks = ["Child protection", "Child in need", "Early help"]
    for number, name in enumerate(ticks):
        x = _MARGIN + number * 700
        draw.rectangle((x, y, x + 60, y + 60), outline=0, width=4)
        if number == rng.randrange(3):
            draw.line((x, y, x + 60, y + 60), fill=0, width=5)
            draw.line((x, y + 60, x + 60, y), fill=0, width=5)
        draw.text((x + 72, y + 4), name, font=label, fill=0)
        words.append(name)
    y += 130
    for name in ("Reason for referral", "Signed"):
        draw.text((_MARGIN, y), f"{name}:", font=label, fill=0)
        start = _MARGIN + round(label.getlength(f"{name}: "))
        text = (
            _history(rng, person, _day(rng))[:60].rsplit(" ", 1)[0]
            if name != "Signed"
            else person["worker"]
        )
        draw.text((start + 10, y - 10), text, font=value, fill=0)
        draw.line((start, y + 44, _WIDTH - _MARGIN, y + 44), fill=0, width=3)
        words += [name, text]
        y += box_h + 20
    y += 40
    for row in range(4):
        cells = [
            _person(rng)["name"],
            "Grandparent",
            f"07{rng.randint(100, 999)} {rng.randint(100000, 999999)}",
        ]
        if row == 0:
            cells = ["Contact name", "Relationship", "Telephone"]
        for column, text in enumerate(cells):
            x = _MARGIN + column * 706
            draw.rectangle((x, y, x + 706, y + box_h), outline=0, width=4)
            draw.text((x + 8, y + 10), text, font=value if row else label, fill=0)
            words.append(text)
        y += box_h
    return Scan("form", image, "\n".join(words))


# -- the ways a scan is spoiled -----------------------------------------------------------


def rotated(scan: Scan, quarter_turns: int) -> Scan:
    """Fed into the scanner sideways or upside down (90, 180 or 270 degrees)."""
    turn = {1: Image.Transpose.ROTATE_90, 2: Image.Transpose.ROTATE_180}
    image = scan.image.transpose(turn.get(quarter_turns, Image.Transpose.ROTATE_270))
    return Scan(f"rotated{quarter_turns * 90}", image, scan.truth, scan.dpi)


def skewed(scan: Scan, degrees: float) -> Scan:
    """Fed in at an angle: turned a few degrees, the corners filled with paper white."""
    image = scan.image.rotate(
        degrees, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255
    )
    return Scan("skewed", image, scan.truth, scan.dpi)


def noisy(scan: Scan, rng: random.Random) -> Scan:
    """A dirty platen and a grainy sensor: speckles, grain and a little blur."""
    size = scan.image.size
    grain = Image.effect_noise(size, 40)
    image = ImageChops.add(scan.image, grain, scale=1.0, offset=-128)
    image = image.filter(ImageFilter.GaussianBlur(1.2))
    specks = Image.effect_noise(size, 40).point(lambda v: 0 if v > 232 else 255)
    specks = specks.filter(ImageFilter.MinFilter(3))
    image = ImageChops.darker(image, specks)
    del rng  # Pillow's noise has its own generator
    return Scan("noisy", image, scan.truth, scan.dpi)


def low_contrast(scan: Scan) -> Scan:
    """A faded photocopy under uneven light: grey type on grey paper, darker to one side."""
    width, height = scan.image.size
    faded = scan.image.point(lambda v: 150 + v * 75 // 255)
    shade = Image.linear_gradient("L").rotate(90).resize((width, height))
    shade = shade.point(lambda v: v * 60 // 255)
    return Scan("low_contrast", ImageChops.subtract(faded, shade), scan.truth, scan.dpi)


def faxed(scan: Scan) -> Scan:
    """Sent by fax in standard mode: 204 x 98 dpi, one bit a pixel, stored as a G4 TIFF."""
    width, height = scan.image.size
    small = scan.image.resize(
        (round(width * 204 / DPI), round(height * 98 / DPI)), Image.Resampling.BOX
    )
    image = small.point(lambda v: 0 if v < 150 else 255).convert("1", dither=Image.Dither.NONE)
    return Scan("fax_g4", image, scan.truth, (204, 98))


def scanned_form(rng: random.Random) -> Scan:
    """A form as archives hold them: photocopied (faded, grainy) and fed in at an angle."""
    form = form_page(rng)
    spoiled = skewed(low_contrast(noisy(form, rng)), rng.uniform(1, 3))
    return Scan("scanned_form", spoiled.image, form.truth)


# -- the measure ---------------------------------------------------------------------------

_WORD = re.compile(r"[0-9A-Za-zÀ-ÿ'/]+")


def words(text: str) -> Counter[str]:
    """The words of `text`, lower-cased, punctuation at their ends dropped."""
    return Counter(w.strip("'/").lower() for w in _WORD.findall(text) if w.strip("'/"))


def word_recall(truth: str, read: str) -> float:
    """The share of the true words (with repeats) that the OCR text holds."""
    expected = words(truth)
    total = sum(expected.values())
    if not total:
        return 1.0
    found = words(read)
    return sum(min(count, found[word]) for word, count in expected.items()) / total


Spoil = Callable[[Scan], Scan]
