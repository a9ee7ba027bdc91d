"""Moved to domain.values and domain.nhs (decision 0022); kept for importers not yet switched."""

from __future__ import annotations

from domain.nhs import nhs_number_valid, nhs_numbers_in_text
from domain.values import (
    control_character,
    controls_in_cells,
    normalise_legacy_id,
    parse_date,
    without_controls,
)

__all__ = [
    "control_character",
    "controls_in_cells",
    "nhs_number_valid",
    "nhs_numbers_in_text",
    "normalise_legacy_id",
    "parse_date",
    "without_controls",
]
