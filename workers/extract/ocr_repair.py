"""Repairs of a poorly scanned page before it is read again: upright, straight, clean, black on
white, without the ruling lines of a form. Pillow only: each step is a handful of C-level image
operations, fast enough on the pages that need them (docs/decisions/0026 has the measurements).

`repaired_page` is the whole chain, for anything that wants the page as OCR saw it (a
rendition's text layer must line up with the repaired image it was read from).
`cleaned_in_place` is the part of it that moves no pixel (levelling, specks, binarising; not
the turn or the straightening), for a reading whose words are boxed on the page as it is
(the SAR burn-in and its release gate, docs/decisions/0049).
"""

from __future__ import annotations

from typing import cast

from PIL import Image, ImageChops, ImageFilter, ImageOps, ImageStat

# Skew is looked for within this many degrees either way: feeders skew pages a few degrees,
# and OSD has already put the page the right way up.
MAX_SKEW = 10.0
# Below this the page is left as it is: Tesseract copes with a slight skew itself, and every
# turn resamples the image.
MIN_SKEW = 0.3
# Working width for finding the skew: lines of text stay lines, and a turn costs ~1 ms.
_SKEW_WIDTH = 800
# Ink runs at least this long (a share of the page's width or height) are ruling lines: no
# printed character is that wide, and form boxes are far wider.
_RULE_SHARE = 1 / 25
_GRAINY = 2.0


def grey(image: Image.Image) -> Image.Image:
    """The page as 8-bit grey (a bilevel or colour scan becomes grey). Wide samples (16-bit,
    12-bit in 16, 32-bit integer or float) are stretched from their darkest to their lightest
    onto 0..255: Pillow's own conversion clips them at 255, which leaves a 12-bit or 16-bit
    scan blank white."""
    if image.mode == "L":
        return image
    if image.mode == "LAB":  # CIELAB (Pillow's tests have two TIFFs): its L band is lightness
        return image.getchannel("L")
    if image.mode in ("I", "F") or image.mode.startswith("I;16"):
        wide = image.convert("I") if image.mode.startswith("I;16") else image
        low, high = cast(tuple[float, float], wide.getextrema())  # one band: (min, max)
        scale = 255 / (high - low) if high > low else 1.0
        return wide.point(lambda v: (v - low) * scale).convert("L")
    return image.convert("L")


def turned(image: Image.Image, clockwise: int) -> Image.Image:
    """The page turned clockwise by a quarter turn or more (as OSD asks)."""
    turns = {
        90: Image.Transpose.ROTATE_270,
        180: Image.Transpose.ROTATE_180,
        270: Image.Transpose.ROTATE_90,
    }
    return image.transpose(turns[clockwise]) if clockwise in turns else image


def otsu(image: Image.Image) -> int:
    """The grey level that best splits the page's histogram into ink and paper (Otsu)."""
    histogram = grey(image).histogram()
    total = sum(histogram)
    grand = sum(level * count for level, count in enumerate(histogram))
    best, threshold, below, below_sum = -1.0, 128, 0, 0.0
    for level, count in enumerate(histogram):
        below += count
        below_sum += level * count
        above = total - below
        if below == 0 or above == 0:
            continue
        between = below * above * (below_sum / below - (grand - below_sum) / above) ** 2
        if between > best:
            best, threshold = between, level
    return threshold


def ink(image: Image.Image) -> Image.Image:
    """A mask of the page's ink (255) on paper (0), at the page's Otsu threshold."""
    level = otsu(image)
    return grey(image).point(lambda v: 255 if v <= level else 0)


def skew_angle(image: Image.Image) -> float:
    """Degrees to turn the page counter-clockwise to straighten its lines of text.

    Projection profiles: turned by the right angle, the page's rows are either all ink or
    all paper, so the row sums vary most. Found on a small copy, coarse then fine."""
    page = grey(image)
    scale = min(1.0, _SKEW_WIDTH / page.width)
    small = page.resize((max(1, round(page.width * scale)), max(1, round(page.height * scale))))
    mask = ink(small)

    def spread(angle: float) -> float:
        turned_mask = mask.rotate(angle, resample=Image.Resampling.BILINEAR, fillcolor=0)
        rows = turned_mask.resize((1, turned_mask.height), Image.Resampling.BOX)
        return float(ImageStat.Stat(rows).var[0])

    coarse = [step / 2 for step in range(round(-MAX_SKEW * 2), round(MAX_SKEW * 2) + 1)]
    best = max(coarse, key=spread)
    fine = [best + step / 10 for step in range(-5, 6)]
    return max(fine, key=spread)


def deskewed(image: Image.Image) -> Image.Image:
    """The page turned straight (unchanged when it is within MIN_SKEW degrees)."""
    angle = skew_angle(image)
    if abs(angle) < MIN_SKEW:
        return image
    return grey(image).rotate(
        angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=_paper(image)
    )


def _paper(image: Image.Image) -> int:
    """The page's paper shade: the median of its grey levels (most of a page is paper)."""
    return int(ImageStat.Stat(grey(image)).median[0])


def flattened(image: Image.Image) -> Image.Image:
    """Uneven light and faded type levelled: each pixel's darkness measured against the paper
    around it (the brightest shade nearby), then stretched to full contrast."""
    page = grey(image)
    small = page.resize((max(1, page.width // 8), max(1, page.height // 8)), Image.Resampling.BOX)
    paper = small.filter(ImageFilter.MaxFilter(7)).filter(ImageFilter.BoxBlur(4))
    paper = paper.resize(page.size, Image.Resampling.BILINEAR)
    darkness = ImageChops.subtract(paper, page)
    return ImageOps.autocontrast(ImageOps.invert(darkness), cutoff=(1, 0))


def binarised(image: Image.Image, *, grainy: bool = False) -> Image.Image:
    """Black type on white paper (an 8-bit image of 0 and 255), specks removed first: a
    5-pixel median clears grain and specks from a 300 dpi scan, but would eat the strokes of
    a clean or low-resolution one, which get a 3-pixel median."""
    page = grey(image).filter(ImageFilter.MedianFilter(5 if grainy else 3))
    return ImageOps.invert(ink(page))


def without_rules(image: Image.Image) -> Image.Image:
    """The page with its long straight ink runs (a form's ruling lines and boxes) painted
    white, found by averaging the ink over stretches of RULE_SHARE of the page: only a line
    fills a whole stretch."""
    mask = ink(image)
    lines = ImageChops.lighter(_runs(mask, horizontal=True), _runs(mask, horizontal=False))
    # The lines' anti-aliased edges go with them.
    lines = lines.filter(ImageFilter.MaxFilter(3))
    return ImageChops.lighter(grey(image), lines)


def _runs(mask: Image.Image, *, horizontal: bool) -> Image.Image:
    width, height = mask.size
    run = max(8, round((width if horizontal else height) * _RULE_SHARE))
    # Two grids half a run apart, so a line of at least 1.5 runs fills a whole cell of one.
    found = Image.new("L", mask.size, 0)
    for offset in (0, run // 2):
        if horizontal:
            cells = (max(1, (width - offset) // run), height)
            box = (offset, 0, offset + cells[0] * run, height)
        else:
            cells = (width, max(1, (height - offset) // run))
            box = (0, offset, width, offset + cells[1] * run)
        means = mask.crop(box).resize(cells, Image.Resampling.BOX)
        full = means.point(lambda v: 255 if v >= 230 else 0).resize(
            (box[2] - box[0], box[3] - box[1]), Image.Resampling.NEAREST
        )
        found.paste(ImageChops.lighter(found.crop(box), full), box)
    return found


def grainy(image: Image.Image) -> bool:
    """Whether a (levelled) grey page has grain and specks: the mean change a 3-pixel median
    makes to the middle of the page (~0.5 on a clean scan, ~5 on a grainy one)."""
    page = grey(image)
    middle = page.crop(
        (page.width // 4, page.height // 4, page.width * 3 // 4, page.height * 3 // 4)
    )
    change = ImageChops.difference(middle, middle.filter(ImageFilter.MedianFilter(3)))
    return float(ImageStat.Stat(change).mean[0]) > _GRAINY


def cleaned_in_place(image: Image.Image) -> Image.Image | None:
    """A grainy or speckled page levelled, cleared of specks and binarised, every pixel where
    it was: a word read on it has the same box on the page itself. None for a page without
    grain, which the cleaning would not help (and a second reading would only cost time)."""
    page = flattened(image)
    if not grainy(page):
        return None
    return binarised(page, grainy=True)


def repaired_page(image: Image.Image, clockwise: int = 0) -> Image.Image:
    """The whole repair: turned upright (by `clockwise`, from OSD), light levelled,
    straightened, binarised and ruling lines removed. Levelling comes before straightening:
    the shade of uneven light would pass for lines of ink. A bilevel scan (a fax) is already
    black and white: it is only turned, straightened and cleared of rules."""
    bilevel = image.mode == "1"
    page = turned(grey(image), clockwise)
    if not bilevel:
        page = flattened(page)
    page = deskewed(page)
    if not bilevel:
        page = binarised(page, grainy=grainy(page))
    return without_rules(page)
