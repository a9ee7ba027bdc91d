"""People the tests add to an archive's people.csv between rounds."""

from __future__ import annotations

import csv
from pathlib import Path

LATE_ARRIVAL = "MOS999001"


def add_late_arrival(people_csv: Path, system: str, legacy_id: str) -> str:
    """Append a person the first round did not know, carrying `system:legacy_id`; their ID."""
    with people_csv.open("a", encoding="utf-8", newline="") as handle:
        # person_id, target_system, legacy_ids, names, date_of_birth, date_of_death,
        # nhs_number, service, and the archive's extra column (team)
        row = [LATE_ARRIVAL, "Mosaic", f"{system}:{legacy_id}", "Late", "Arrival"]
        csv.writer(handle).writerow([*row, "2012-02-02", "", "", "children", "North"])
    return LATE_ARRIVAL
