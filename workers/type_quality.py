"""The document-type figures of `escr quality`: the current learned model's 5-fold
cross-validated macro-F1, per-type F1 and confusion matrix, as measured when it was trained
(workers.learn_types.train stores them in the model file; decision 0032)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from workers.learn_types import current_model


@dataclass(frozen=True)
class TypeQuality:
    version: int
    trained_on: int
    trained_at: str
    macro_f1: float
    classes: tuple[str, ...]
    per_class_f1: dict[str, float]
    support: dict[str, int]
    confusion: list[list[int]]  # rows: true type, columns: predicted, in `classes` order

    def confusion_table(self) -> str:
        """The confusion matrix as text, one row a true type."""
        return confusion_table(self.classes, self.confusion)


def confusion_table(classes: Sequence[str], counts: Sequence[Sequence[int]]) -> str:
    """A confusion matrix as text: a row a true type, a column a predicted one (names cut to
    six characters above the columns)."""
    if not classes:
        return "(no types)"
    width = max(len(c) for c in classes)
    head = " " * (width + 1) + " ".join(f"{c[:6]:>6}" for c in classes)
    rows = [
        f"{c:<{width}} " + " ".join(f"{n:>6}" for n in row)
        for c, row in zip(classes, counts, strict=True)
    ]
    return "\n".join([head, *rows])


def type_quality(home: Path) -> TypeQuality | None:
    """The current model's cross-validated figures; None when no usable model exists."""
    model = current_model(home)
    if model is None:
        return None
    about, extra = model.about, model.about.extra
    return TypeQuality(
        version=about.version,
        trained_on=about.trained_on,
        trained_at=about.trained_at,
        macro_f1=about.macro_f1,
        classes=about.classes,
        per_class_f1={str(k): float(v) for k, v in dict(extra.get("per_class_f1", {})).items()},
        support={str(k): int(v) for k, v in dict(extra.get("support", {})).items()},
        confusion=[[int(n) for n in row] for row in extra.get("confusion", [])],
    )
