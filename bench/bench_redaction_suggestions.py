"""Precision and recall of the redaction suggestions (issue 15; domain/redaction_suggest.py;
docs/decisions/0036), per category, on a labelled synthetic set.

The text is the synthetic archive's case history (workers/synth/text.py HISTORY: a relative, a
second address with its postcode, a phone, a housing officer, the worker, the team, the
subject's own name and address), filled here so that every field's span is known, plus
sentences this bench adds for what HISTORY lacks: a sibling in the catalog (full name, given
name alone, legacy ID, NHS number), an unrelated catalog person, people escr does not know
("Margaret Thompson", a family friend), a relative's email, and professionals in role (a
signature with the team, "Social worker: ...", the council's email domain, a GP). Labels:
every third-party span (must be suggested) and every professional's or subject's span (must
not be). A labelled span counts as found when a suggestion overlaps it; a suggestion is right
when it overlaps a third-party span.

Four readings: staff known to escr (users' display names) or not, and the subject's own address
in the catalog or not (people.csv has no address column today).

    python -m bench.bench_redaction_suggestions --paragraphs 2000
"""

from __future__ import annotations

import argparse
import random
import string
import time
from collections import Counter
from dataclasses import dataclass, field

from domain.redaction_suggest import Context, OtherPerson, Subject, learn_staff, suggest
from workers.synth.people import nhs_check_digit
from workers.synth.text import (
    ADULT_NAMES,
    CHILD_NAMES,
    FAMILY_NAMES,
    HISTORY,
    RELATIVES,
    STAFF,
    STREETS,
    TEAMS,
    TOWNS,
)

# Sentences HISTORY lacks. {x} fields as in _fields(); the label of each is in LABELS.
EXTRA = (
    "{sibling} and {first} were seen together at the contact centre on {visit}.",
    "{sibling_first} said that {first} had been sharing a room since {visit}.",
    "A letter about {sibling_first} (NHS {sibling_nhs}) was copied to this file in error.",
    "Sibling's record: PARIS {sibling_id}.",
    "{stranger} from the same street was interviewed as a witness on {visit}.",
    "{friend}, a family friend, offered to help with school pick-ups.",
    "{relative} wrote from {email} on {visit} asking for a meeting.",
    "Kind regards,\n{worker}\n{team}",
    "Social worker: {worker}. Team: {team}.",
    "The plan was emailed to {worker_email} and agreed on {visit}.",
    "Dr {gp}, the family's GP, confirmed the appointment on {visit}.",
    "{first}'s mobile is {subject_phone} and {name} lives at {address}.",
)
THIRD_PARTY = {
    "relative": "name", "surname": "name", "address2": "address", "postcode2": "postcode",
    "phone": "phone", "sibling": "person", "sibling_first": "person", "sibling_nhs": "nhs",
    "sibling_id": "person", "stranger": "person", "friend": "name", "email": "email",
}  # fmt: skip
NOT_SUGGESTED = {
    "worker": "professional", "worker_email": "professional", "gp": "professional",
    "team": "professional", "name": "subject", "first": "subject", "address": "subject",
    "subject_phone": "subject",
}  # fmt: skip
FRIENDS = ("Margaret Thompson", "Keith Lewis", "Sheila Carter", "Raymond Fraser", "Irene Quinn")


def _nhs(rng: random.Random) -> str:
    while True:
        nine = f"{rng.randint(400_000_000, 799_999_999)}"
        check = nhs_check_digit(nine)
        if check is not None:
            digits = nine + str(check)
            return f"{digits[:3]} {digits[3:6]} {digits[6:]}"


def _postcode(rng: random.Random) -> str:
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    return f"SY{rng.randint(1, 19)} {rng.randint(1, 9)}{rng.choice(letters)}{rng.choice(letters)}"


@dataclass
class Case:
    """One paragraph and its labelled spans: (start, end, field name)."""

    text: str
    spans: list[tuple[int, int, str]] = field(default_factory=list)


def _fill(template: str, values: dict[str, str]) -> Case:
    """The template filled, each field's span recorded ("{address2}" is "12 Mill Lane, Town
    SY3 4AB": the street part labelled address, the postcode labelled postcode)."""
    case = Case("")
    for literal, name, _spec, _conv in string.Formatter().parse(template):
        case.text += literal
        if name is None:
            continue
        start = len(case.text)
        case.text += values[name]
        if name == "address2":
            street, _, rest = values[name].partition(",")
            case.spans.append((start, start + len(street), "address2"))
            code = values["postcode2"]
            at = case.text.rindex(code)
            case.spans.append((at, at + len(code), "postcode2"))
            del rest
        else:
            case.spans.append((start, len(case.text), name))
    return case


def make_set(paragraphs: int, seed: int = 15) -> tuple[list[Case], Subject, list[OtherPerson]]:
    rng = random.Random(seed)
    family = rng.choice(FAMILY_NAMES)
    subject_address = f"{rng.randint(1, 180)} {rng.choice(STREETS)}"
    subject = Subject(
        rng.choice(CHILD_NAMES), family, ("PARIS:100200", "MOS1"), _nhs(rng).replace(" ", "")
    )
    sibling = OtherPerson(
        "MOS2", rng.choice(CHILD_NAMES), family, ("PARIS:100201", "MOS2"),
        _nhs(rng).replace(" ", ""), linked=True,
    )  # fmt: skip
    others = [sibling]
    for number in range(3, 600):  # the rest of the catalog: children of other families
        given, surname = rng.choice(CHILD_NAMES), rng.choice(FAMILY_NAMES)
        if (given, surname) in {(subject.given_name, family), (sibling.given_name, family)}:
            continue
        others.append(
            OtherPerson(f"MOS{number}", given, surname, (f"PARIS:{100200 + number}",),
                        _nhs(rng).replace(" ", ""))
        )  # fmt: skip
    stranger = others[-1]
    cases = []
    for _ in range(paragraphs):
        surname = rng.choice(FAMILY_NAMES)
        postcode = _postcode(rng)
        worker = rng.choice(STAFF)
        values = {
            "visit": f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/20{rng.randint(10, 24)}",
            "worker": worker,
            "worker_email": worker.lower().replace(" ", ".") + "@synthshire.gov.uk",
            "name": f"{subject.given_name} {subject.family_name}",
            "first": subject.given_name,
            "address": subject_address,
            "address2": f"{rng.randint(1, 180)} {rng.choice(STREETS)}, {rng.choice(TOWNS)} "
            + postcode,
            "postcode2": postcode,
            "relative": rng.choice(RELATIVES).format(s=surname),
            "surname": surname,
            "phone": f"07{rng.randint(100, 999)} {rng.randint(100000, 999999)}",
            "subject_phone": "07700 900111",
            "street": rng.choice(STREETS),
            "team": rng.choice(TEAMS),
            "ref": f"{rng.choice('HKLMNP')}{rng.randint(10, 99)}/{rng.randint(100000, 999999)}",
            "sibling": f"{sibling.given_name} {sibling.family_name}",
            "sibling_first": sibling.given_name,
            "sibling_nhs": f"{sibling.nhs_number[:3]} {sibling.nhs_number[3:6]} "
            + sibling.nhs_number[6:],
            "sibling_id": "100201",
            "stranger": f"{stranger.given_name} {stranger.family_name}",
            "friend": rng.choice(FRIENDS),
            "email": f"{rng.choice(ADULT_NAMES).lower()}{rng.randint(1, 99)}@example.com",
            "gp": rng.choice(FAMILY_NAMES),
        }
        template = rng.choice(HISTORY) if rng.random() < 0.6 else rng.choice(EXTRA)
        cases.append(_fill(template, values))
    subject = Subject(
        subject.given_name, subject.family_name, subject.identifiers, subject.nhs_number,
        other_details=(subject_address, "07700 900111"),
    )  # fmt: skip
    return cases, subject, others


def measure(cases: list[Case], context: Context) -> dict[str, object]:
    found_by = Counter[str]()
    total_by = Counter[str]()
    right_by = Counter[str]()
    made_by = Counter[str]()
    wrong_why = Counter[str]()
    for case in cases:
        suggestions = suggest(case.text, context)
        for start, end, name in case.spans:
            label = THIRD_PARTY.get(name)
            if label is None:
                continue
            total_by[label] += 1
            if any(s.start < end and start < s.end for s in suggestions):
                found_by[label] += 1
        for s in suggestions:
            made_by[s.kind] += 1
            hits = [n for a, b, n in case.spans if s.start < b and a < s.end]
            if any(n in THIRD_PARTY for n in hits):
                right_by[s.kind] += 1
            else:
                wrong_why[NOT_SUGGESTED.get(hits[0], "other") if hits else "unlabelled"] += 1
    return {
        "recall": {k: (found_by[k], total_by[k]) for k in sorted(total_by)},
        "precision": {k: (right_by[k], made_by[k]) for k in sorted(made_by)},
        "wrong": dict(wrong_why),
    }


def _pct(pair: tuple[int, int]) -> str:
    got, of = pair
    return f"{100 * got / of:5.1f}% ({got}/{of})" if of else "   -"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--paragraphs", type=int, default=2000)
    args = parser.parse_args()
    cases, subject, others = make_set(args.paragraphs)
    bare = Subject(subject.given_name, subject.family_name, subject.identifiers,
                   subject.nhs_number)  # fmt: skip
    print(f"{len(cases)} paragraphs, {sum(len(c.text) for c in cases):,} characters, "
          f"{len(others)} other catalog people")  # fmt: skip
    for staff_known in (True, False):
        for address_known in (True, False):
            context = Context(
                subject=subject if address_known else bare,
                others=others,
                staff_names=STAFF if staff_known else (),
                team_names=TEAMS,
                council_domains=("synthshire.gov.uk",),
            )
            started = time.perf_counter()
            learned = learn_staff((c.text for c in cases), context)
            result = measure(cases, context)
            seconds = time.perf_counter() - started
            recall = result["recall"]
            precision = result["precision"]
            assert isinstance(recall, dict) and isinstance(precision, dict)
            all_found = tuple(map(sum, zip(*recall.values(), strict=True)))
            all_right = tuple(map(sum, zip(*precision.values(), strict=True)))
            print(f"\nstaff known: {staff_known}, subject's address known: {address_known} "
                  f"({seconds * 1000 / len(cases):.2f} ms a paragraph; "
                  f"{len(learned)} staff names learned from role words)")  # fmt: skip
            print(f"  recall    all {_pct(all_found)}")  # type: ignore[arg-type]
            for kind, pair in recall.items():
                print(f"            {kind:9} {_pct(pair)}")
            print(f"  precision all {_pct(all_right)}")  # type: ignore[arg-type]
            for kind, pair in precision.items():
                print(f"            {kind:9} {_pct(pair)}")
            print(f"  wrong suggestions by what they covered: {result['wrong']}")


if __name__ == "__main__":
    main()
