"""The Fellegi-Sunter model, scored by Splink on an embedded DuckDB (docs/decisions/0031).

Five fields, each with agreement levels from strongest to none; each level has an m
probability (how often a true match is at that level) and a u probability (how often a random
pair is). Priors are written here so a catalog with no history can match; u is then estimated
from random pairs of the catalog's own people and documents, and m from the confirmed pairs
(crosswalk links the text did not contradict, reviewers' links) once there are enough.

Blocking (BLOCKING_RULES) keeps the pairs scored to those sharing a date of birth, an NHS
number, a Soundex key and birth year, a given name form and birth year, or a postcode: the
cost grows with the candidates, not with people x documents.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import Linker, SettingsCreator, block_on
from splink.internals.duckdb.database_api import DuckDBAPI

from workers.matching.records import COLUMNS, DISAGREE, Record

# Confirmed pairs needed before m is learned from them rather than taken from the priors.
MIN_TRAINING_PAIRS = 50
U_SAMPLE_PAIRS = 200_000


def _level(sql: str, label: str, m: float, u: float) -> Any:
    return cll.CustomLevel(sql, label).configure(m_probability=m, u_probability=u)


def _null(column: str) -> Any:
    return cll.NullLevel(column)


def _else(m: float, u: float) -> Any:
    return cll.ElseLevel().configure(m_probability=m, u_probability=u)


# (field shown to people, Splink output column, levels): the levels' labels are what the
# exception queue shows. Priors: m from what documents get wrong (typos, nicknames, swapped
# day and month), u from how common each agreement is among strangers.
COMPARISONS = (
    cl.CustomComparison(
        [
            _null("given"),
            _level('"given_l" = "given_r"', "exact", 0.82, 0.01),
            _level(
                "list_has_any(given_forms_l, given_forms_r)",
                "nickname or other spelling",
                0.08,
                0.002,
            ),
            _level(
                "jaro_winkler_similarity(given_l, given_r) >= 0.88", "similar spelling", 0.06, 0.02
            ),
            _else(0.04, 0.968),
        ],
        output_column_name="given_name",
    ),
    cl.CustomComparison(
        [
            _null("family"),
            _level('"family_l" = "family_r"', "exact", 0.85, 0.005),
            _level(
                "damerau_levenshtein(family_l, family_r) <= 1 "
                "OR jaro_winkler_similarity(family_l, family_r) >= 0.92",
                "one letter different",
                0.07,
                0.003,
            ),
            _level('"family_key_l" = "family_key_r"', "sounds the same", 0.03, 0.01),
            _else(0.05, 0.982),
        ],
        output_column_name="family_name",
    ),
    cl.CustomComparison(
        [
            _null("dob"),
            _level('"dob_l" = "dob_r"', "exact", 0.86, 0.0002),
            _level(
                "substr(dob_l, 1, 4) = substr(dob_r, 1, 4) "
                "AND substr(dob_l, 6, 2) = substr(dob_r, 9, 2) "
                "AND substr(dob_l, 9, 2) = substr(dob_r, 6, 2)",
                "day and month swapped",
                0.05,
                0.00002,
            ),
            _level("levenshtein(dob_l, dob_r) <= 1", "one digit different", 0.05, 0.004),
            _else(0.04, 0.9958),
        ],
        output_column_name="date_of_birth",
    ),
    cl.CustomComparison(
        [
            _null("nhs"),
            _level('"nhs_l" = "nhs_r"', "exact", 0.97, 0.00001),
            _else(0.03, 0.99999),
        ],
        output_column_name="nhs_number",
    ),
    cl.CustomComparison(
        [
            _null("postcode"),
            _level('"postcode_l" = "postcode_r"', "exact", 0.6, 0.001),
            _level('"outward_l" = "outward_r"', "same district", 0.15, 0.03),
            _else(0.25, 0.969),
        ],
        output_column_name="postcode",
    ),
)
FIELDS = tuple(c.create_output_column_name() or "" for c in COMPARISONS)

BLOCKING_RULES = (
    block_on("dob"),
    block_on("nhs"),
    block_on("family_key", "substr(dob, 1, 4)"),
    block_on("given", "substr(dob, 1, 4)"),
    block_on("family_key", "given"),
    block_on("postcode", "substr(given, 1, 1)"),
)


def settings(people: int) -> SettingsCreator:
    return SettingsCreator(
        link_type="link_only",
        unique_id_column_name="unique_id",
        comparisons=list(COMPARISONS),
        blocking_rules_to_generate_predictions=list(BLOCKING_RULES),
        # A document is about one of the catalog's people: the prior of a random pair.
        probability_two_random_records_match=1.0 / max(people, 2),
        retain_matching_columns=True,
        retain_intermediate_calculation_columns=True,
        additional_columns_to_retain=[],
    )


@dataclass(frozen=True)
class Scored:
    """One (person, subject record) pair the blocking let through, scored."""

    person_id: str
    subject_id: str
    match_weight: float
    match_probability: float
    levels: dict[str, tuple[str, float, str, str]]  # field -> (level, weight, text, person)


_TABLE = "matching_people"


def _arrow(records: Sequence[Record]) -> Any:
    import pyarrow as pa

    schema = pa.schema(
        [
            ("unique_id", pa.string()),
            ("given", pa.string()),
            ("given_forms", pa.list_(pa.string())),
            ("family", pa.string()),
            ("family_key", pa.string()),
            ("dob", pa.string()),
            ("nhs", pa.string()),
            ("postcode", pa.string()),
            ("outward", pa.string()),
            ("label", pa.string()),
        ]
    )
    # Column by column: from_pylist on a dict a row cost twice as much at 100,000 people.
    return pa.Table.from_arrays(
        [pa.array([r.get(c) for r in records], type=schema.field(c).type) for c in COLUMNS],
        schema=schema,
    )


class Matcher:
    """The catalog's people loaded once into DuckDB, the model trained; score() a batch."""

    def __init__(self, people: Sequence[Record], training: Sequence[Record] = ()) -> None:
        self.people_count = len(people)
        self.training_pairs = len({r["unique_id"].split(":")[0] for r in training})
        self._con = duckdb.connect()
        # One DuckDB connection refuses a second call while one runs ("connection is busy"),
        # and the process's matcher is shared by the Celery worker's threads: one batch at a
        # time (score's queries run one after another on the connection anyway).
        self._scoring = threading.Lock()
        self._api = DuckDBAPI(connection=self._con)
        self._people = self._api.register(_arrow(people), table_name=_TABLE)
        self._batches = 0
        # Splink's own table for training: the people and the confirmed subjects.
        others = self._api.register(_arrow(training), table_name="matching_training")
        self._linker = Linker([self._people, others], settings(len(people)), log_level=None)
        logging.getLogger("splink").setLevel(logging.WARNING)
        # u from a handful of random pairs is noise (one confirmed subject against three
        # people gave a sure match 0.985): the priors stand until there are enough pairs.
        if people and self.training_pairs >= MIN_TRAINING_PAIRS:
            self._train()

    def _train(self) -> None:
        training = self._linker.training
        # One pass over the sampled pairs per comparison. Splink's default (a probe, then ten
        # chunks, stopping once every level has 100 pairs) ran 47 queries here, each with its
        # SQL generated again: half the matcher's CPU (0.83 -> 0.42 s on 2,000 realistic
        # documents). u then counts every sampled pair, not the chunks that first reached 100
        # a level: the same u wherever a rare level never does (decision 0036).
        training.estimate_u_using_random_sampling(max_pairs=U_SAMPLE_PAIRS, seed=1, num_chunks=1)
        training.estimate_m_from_label_column("label")

    def score(self, subjects: Sequence[Record], min_probability: float = 0.0) -> list[Scored]:
        """Every blocked (person, subject) pair of this batch scoring at least min_probability,
        with each field's level and weight.

        The threshold is applied in DuckDB and only the columns shown are read back: at
        100,000 people the blocking lets through ~12 pairs a document, nearly all strangers,
        and turning them into Python dicts cost ten times the SQL (decision 0031)."""
        if not subjects or not self.people_count:
            return []
        with self._scoring:
            return self._score(subjects, min_probability)

    def _score(self, subjects: Sequence[Record], min_probability: float) -> list[Scored]:
        self._batches += 1
        name = f"matching_batch_{self._batches}"
        batch = self._api.register(_arrow(subjects), table_name=name)
        try:
            predictions = self._linker.inference.predict_between(
                self._people,
                batch,
                warning_mode="never",
                threshold_match_probability=min_probability or None,
            )
            try:
                rows = self._con.execute(
                    f"SELECT {', '.join(_READ)} FROM {predictions.physical_name}"
                ).fetchall()
            finally:
                predictions.drop_table_from_database_and_remove_from_cache()
        finally:
            self._con.execute(f"DROP VIEW IF EXISTS {name}")
        return [_scored(row) for row in rows]

    def parameters(self) -> dict[str, Any]:
        """The model's m and u by field and level (for the decision note and the queue)."""
        out: dict[str, Any] = {}
        for comparison in self._linker._settings_obj.comparisons:
            out[comparison.output_column_name] = {
                level.label_for_charts: (level.m_probability, level.u_probability)
                for level in comparison.comparison_levels
                if not level.is_null_level
            }
        return out


_SHOWN = {"given_name": "given", "family_name": "family", "date_of_birth": "dob",
          "nhs_number": "nhs", "postcode": "postcode"}  # fmt: skip


# What score() reads of Splink's predictions: predict_between(people, batch) puts the
# people on the left (_l) and the batch's subjects on the right (_r).
_READ = (
    "unique_id_l",
    "unique_id_r",
    "match_weight",
    "match_probability",
    *(
        f"{prefix}{name}"
        for field, column in _SHOWN.items()
        for prefix, name in (
            ("gamma_", field),
            ("mw_", field),
            ("", f"{column}_r"),
            ("", f"{column}_l"),
        )
    ),
)


def _scored(row: tuple[Any, ...]) -> Scored:
    levels: dict[str, tuple[str, float, str, str]] = {}
    for i, field in enumerate(_SHOWN):
        gamma, weight, text, person = row[4 + 4 * i : 8 + 4 * i]
        levels[field] = (
            LEVEL_LABELS[field].get(-1 if gamma is None else int(gamma), "not given"),
            round(float(weight or 0.0), 2),  # Splink's log2 Bayes factor
            str(text or ""),
            str(person or ""),
        )
    return Scored(
        person_id=str(row[0]),
        subject_id=str(row[1]),
        match_weight=float(row[2]),
        match_probability=float(row[3]),
        levels=levels,
    )


def _labels() -> dict[str, dict[int, str]]:
    out: dict[str, dict[int, str]] = {}
    for comparison in COMPARISONS:
        levels = comparison.create_comparison_levels()
        count = len(levels) - 1  # gamma counts down from the strongest; null is -1
        labels: dict[int, str] = {-1: "not given"}
        for position, level in enumerate(levels[1:]):
            labels[count - 1 - position] = getattr(level, "label_for_charts", None) or DISAGREE
        out[comparison.create_output_column_name() or ""] = labels
    return out


LEVEL_LABELS = _labels()
