"""Apply a document-type model learned from the archive's labelled documents (decision 0032).

Training is in workers/type_training.py (scikit-learn); this module only applies a trained model,
with numpy and the standard library, so the sandbox children that use it never import
scikit-learn. The model is TF-IDF over words with a linear model (logistic loss, each type
against the rest), its probabilities calibrated by one temperature fitted on out-of-fold scores.
The tf-idf is computed here as scikit-learn's TfidfVectorizer(sublinear_tf=True) computes it,
which a test holds.

A model is a file `ESCR_HOME/models/doc_types/vNNNN.npz` (arrays only, loaded without pickle: a
file cannot run code). The newest version is the one used; a file that cannot be read is logged
with its reason and the keyword rules classify instead.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import string
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import structlog

log = structlog.get_logger(__name__)

# What the model reads: the same opening the keyword rules read (workers.classify.TEXT_WINDOW).
WINDOW = 20_000
FORMAT = 1  # of the file; a file of another format is refused, not misread
MODEL_DIR = ("models", "doc_types")
_NAME = re.compile(r"^v(\d{4,})\.npz$")
# A text with fewer characters or words than these is classified by its title and the rules.
MIN_TEXT_CHARS = 50
MIN_WORDS = 8
# How many terms the reason names.
REASON_TERMS = 4
# Words are split at white space and ASCII punctuation, on the UTF-8 bytes: bytes.translate and
# split run in C, 8x faster than a token regex over 20 KB (0.1 ms, not 0.8; decision 0032), and
# UTF-8 never puts an ASCII byte inside a multi-byte character, so every word stays whole.
_PUNCTUATION = bytes(32 if chr(b) in string.punctuation else b for b in range(256))
# The non-ASCII punctuation office documents are full of (curly quotes, dashes, bullets).
_WIDE_PUNCTUATION = ("\u2018", "\u2019", "\u201c", "\u201d", "\u2013", "\u2014", "\u2022", "\u00a0")

Floats = npt.NDArray[np.float32]


class TooFewLabels(ValueError):
    """Not enough labelled documents, or types, to learn from."""


class ModelUnusable(Exception):
    """A model file that cannot be used: missing arrays, another format, wrong shapes."""


def readable(text: str) -> bool:
    """Whether a text has enough to classify by (a scan without OCR text has none)."""
    return len(text) >= MIN_TEXT_CHARS and len(text[:1000].split()) >= MIN_WORDS


def words(text: str) -> list[bytes]:
    """The terms a text is counted by, in training and in use: its words, lower-cased, as
    UTF-8."""
    opening = text[:WINDOW].lower()
    for mark in _WIDE_PUNCTUATION:
        if mark in opening:
            opening = opening.replace(mark, " ")
    return opening.encode("utf-8", "replace").translate(_PUNCTUATION).split()


@dataclass(frozen=True)
class TypePrediction:
    """A model's answer for one text. `model` is the model's digest: a child's answer is used
    only under the model it was made with."""

    doc_type: str
    confidence: float
    terms: tuple[tuple[str, float], ...]  # the strongest contributions to doc_type, largest first
    model: str


@dataclass(frozen=True)
class ModelInfo:
    """What a stored model says about itself (kept in the file)."""

    version: int
    trained_on: int  # labelled documents
    macro_f1: float  # 5-fold cross-validated, on those documents
    trained_at: str  # ISO time
    classes: tuple[str, ...]
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class TypeModel:
    about: ModelInfo
    vocabulary: dict[bytes, int]  # a term's UTF-8 -> its row + 1
    terms: tuple[str, ...]
    idf: Floats  # (terms,)
    coef: Floats  # (terms, classes)
    intercept: Floats  # (classes,)
    temperature: float
    digest: str

    def predict(self, text: str) -> TypePrediction:
        """The likeliest type, its calibrated probability and the terms that weighed most."""
        # Term numbers start at 1 so that filter(None, ...) drops unknown words in C.
        known = np.fromiter(filter(None, map(self.vocabulary.get, words(text))), dtype=np.intp)
        counts = np.bincount(known, minlength=len(self.terms) + 1)[1:]
        cols = np.flatnonzero(counts)
        # Sublinear tf x idf, l2-normalised: scikit-learn's TfidfVectorizer(sublinear_tf=True).
        x = (1.0 + np.log(counts[cols])) * self.idf[cols]
        norm = np.sqrt(np.dot(x, x))
        if norm:
            x /= norm
        weights = self.coef[cols]
        z = (x @ weights + self.intercept) / self.temperature
        p = np.exp(z - z.max())
        p /= p.sum()
        best = int(np.argmax(p))
        contributions = x * weights[:, best]
        top = np.argsort(-contributions)[:REASON_TERMS]
        terms = tuple(
            (self.terms[int(cols[i])], round(float(contributions[i]), 3))
            for i in top
            if contributions[i] > 0
        )
        return TypePrediction(
            self.about.classes[best], round(float(p[best]), 3), terms, self.digest
        )

    def reason(self, prediction: TypePrediction) -> str:
        """What a person reads: the model, how good it measured, and the terms that decided."""
        said = ", ".join(f"'{t}'" for t, _ in prediction.terms) or "no known term"
        about = self.about
        return (
            f"learned model v{about.version} ({about.trained_on} labelled documents, "
            f"cross-validated macro-F1 {about.macro_f1:.2f}): {said}"
        )


def model_dir(home: Path) -> Path:
    return home.joinpath(*MODEL_DIR)


def versions(home: Path) -> list[tuple[int, Path]]:
    """The stored models' (version, file), oldest first."""
    folder = model_dir(home)
    if not folder.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in folder.iterdir() if (m := _NAME.match(p.name))]
    return sorted(found)


def encode(
    about: ModelInfo,
    terms: Sequence[str],
    idf: Floats,
    coef: Floats,
    intercept: Floats,
    temperature: float,
) -> bytes:
    """A model as the bytes of its file."""
    meta = {
        "format": FORMAT,
        "version": about.version,
        "trained_on": about.trained_on,
        "macro_f1": about.macro_f1,
        "trained_at": about.trained_at,
        "classes": list(about.classes),
        "temperature": temperature,
        "extra": about.extra,
    }
    out = io.BytesIO()
    np.savez_compressed(
        out,
        meta=np.asarray(json.dumps(meta)),
        terms=np.asarray(list(terms), dtype=str),
        idf=np.asarray(idf, dtype=np.float32),
        coef=np.asarray(coef, dtype=np.float32),
        intercept=np.asarray(intercept, dtype=np.float32),
    )
    return out.getvalue()


def decode(data: bytes) -> TypeModel:
    """A model from its file's bytes; ModelUnusable when they are not one."""
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
            meta = json.loads(str(arrays["meta"]))
            terms = tuple(str(t) for t in arrays["terms"].tolist())
            idf = arrays["idf"].astype(np.float32)
            coef = arrays["coef"].astype(np.float32)
            intercept = arrays["intercept"].astype(np.float32)
    except Exception as exc:  # a zip, an array or JSON that is not one: all mean "unusable"
        raise ModelUnusable(f"not a model file ({type(exc).__name__}: {exc})") from exc
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        found = meta.get("format") if isinstance(meta, dict) else meta
        raise ModelUnusable(f"model format {found!r} is not {FORMAT}")
    classes = tuple(str(c) for c in meta["classes"])
    shape_ok = (
        idf.shape == (len(terms),)
        and coef.shape == (len(terms), len(classes))
        and intercept.shape == (len(classes),)
    )
    temperature = float(meta.get("temperature", 1.0))
    if not shape_ok or len(classes) < 2 or not temperature > 0:
        raise ModelUnusable(
            f"model arrays disagree: {len(terms)} terms, {len(classes)} classes, idf "
            f"{idf.shape}, coef {coef.shape}, intercept {intercept.shape}"
        )
    about = ModelInfo(
        version=int(meta["version"]),
        trained_on=int(meta["trained_on"]),
        macro_f1=float(meta["macro_f1"]),
        trained_at=str(meta["trained_at"]),
        classes=classes,
        extra=dict(meta.get("extra") or {}),
    )
    digest = hashlib.blake2b(data, digest_size=12).hexdigest()
    vocabulary = {t.encode(): i for i, t in enumerate(terms, start=1)}
    return TypeModel(about, vocabulary, terms, idf, coef, intercept, temperature, digest)


def read_model(path: Path) -> TypeModel:
    """The model in `path`; ModelUnusable when it cannot be read or is not a model."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelUnusable(f"cannot read {path}: {exc.strerror or exc}") from exc
    return decode(data)


@lru_cache(maxsize=4)
def _cached(path: str, mtime_ns: int, size: int) -> TypeModel:
    return read_model(Path(path))


def model_at(path: Path) -> TypeModel:
    """The model in `path`, read once per process for each version of the file."""
    stat = path.stat()
    return _cached(str(path), stat.st_mtime_ns, stat.st_size)


def current_model_path(home: Path) -> Path | None:
    """The newest stored model's file, if any."""
    found = versions(home)
    return found[-1][1] if found else None


def usable_model(path: Path | None) -> TypeModel | None:
    """The model in `path`, or None (with the reason logged) when there is none or it is
    unusable: the keyword rules then classify, as they did before any model was trained."""
    if path is None:
        return None
    try:
        return model_at(path)
    except (ModelUnusable, OSError) as exc:
        log.warning("classify.model_unusable", path=str(path), reason=str(exc))
        return None
