"""The rows the matcher compares: one a catalog person, one a person a document names.

Both sides are written in the same comparable form: folded names (domain/person_names), the
given name's other forms (Bob for Robert, Muhammad for Mohammed), a Soundex key of the family
name (typos and transliterations keep it), the date of birth as ISO text, the NHS number, the
postcode and its outward code. Missing values are None: Splink's null level, no evidence.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from functools import lru_cache
from typing import Any

from domain.nhs import nhs_number_valid
from domain.person_names import name_tokens, other_forms
from domain.values import parse_date
from workers.subject import SubjectFields, parse_names

Record = dict[str, Any]
COLUMNS = (
    "unique_id",
    "given",
    "given_forms",
    "family",
    "family_key",
    "dob",
    "nhs",
    "postcode",
    "outward",
    "label",
)

# The level of a field that disagrees outright: evidence against, never overridden.
DISAGREE = "different"

_SOUNDEX = str.maketrans("bfpvcgjkqsxzdtlmnr", "111122222222334556")


# Cached: the link step keys the same catalog people's names for every document naming them.
@lru_cache(maxsize=8192)
def soundex(word: str) -> str | None:
    """American Soundex of a folded word: Walsh and Welsh, Hussain and Husain share a key."""
    letters = [c for c in word if "a" <= c <= "z"]
    if not letters:
        return None
    codes = "".join(c.translate(_SOUNDEX) if c in "bfpvcgjkqsxzdtlmnr" else "0" for c in letters)
    out, last = letters[0].upper(), codes[0]
    for letter, code in zip(letters[1:], codes[1:], strict=True):
        if code != "0" and code != last:
            out += code
        if letter not in "hw":  # h and w do not separate two letters of one code
            last = code
    return (out + "000")[:4]


def _given(written: str) -> tuple[str | None, list[str]]:
    tokens = name_tokens(written)
    if not tokens:
        return None, []
    first = tokens[0]
    return first, sorted({first, *other_forms(first)})


def _family(written: str) -> tuple[str | None, str | None]:
    tokens = name_tokens(written)
    if not tokens:
        return None, None
    joined = "".join(tokens)  # Smith-Jones and Smith Jones compare equal
    return joined, soundex(joined)


def _postcode(written: str | None) -> tuple[str | None, str | None]:
    plain = "".join((written or "").split()).upper()
    if not 5 <= len(plain) <= 7:
        return None, None
    return plain, plain[:-3]


def record(
    unique_id: str,
    *,
    given: str = "",
    family: str = "",
    dob: date | None = None,
    nhs: str = "",
    postcode: str | None = None,
    label: str | None = None,
) -> Record:
    given_key, forms = _given(given)
    family_key, sound = _family(family)
    code, outward = _postcode(postcode)
    return {
        "unique_id": unique_id,
        "given": given_key,
        "given_forms": forms or None,
        "family": family_key,
        "family_key": sound,
        "dob": dob.isoformat() if dob else None,
        "nhs": nhs if nhs and nhs_number_valid(nhs) else None,
        "postcode": code,
        "outward": outward,
        "label": label,
    }


def person_postcode(extra: Mapping[str, Any]) -> str | None:
    """A person's postcode from people.csv's extra columns (`postcode`, or the end of
    `address`), where the export has one."""
    for key in ("postcode", "post_code", "address_postcode"):
        if extra.get(key):
            return str(extra[key])
    address = str(extra.get("address") or "")
    words = address.replace(",", " ").split()
    return " ".join(words[-2:]) if len(words) >= 2 else None


# Manifest columns (a document's `extra`) that some exports carry about the document's subject.
_META_NAME = ("client_name", "person_name", "subject_name", "name")
_META_GIVEN = ("forename", "given_name", "first_name")
_META_FAMILY = ("surname", "family_name", "last_name")
_META_DOB = ("dob", "date_of_birth", "birth_date")
_META_NHS = ("nhs_number", "nhs", "nhs_no")
_META_POSTCODE = ("postcode", "post_code")


def _meta(extra: Mapping[str, Any], keys: Iterable[str]) -> str:
    lowered = {str(k).strip().lower(): v for k, v in extra.items()}
    for key in keys:
        if lowered.get(key):
            return str(lowered[key]).strip()
    return ""


def subject_records(
    document_id: int, subject: SubjectFields, extra: Mapping[str, Any], label: str | None = None
) -> list[Record]:
    """The people a document names, as records: each name the text's head (or the manifest's
    metadata) gives, with the dates of birth, NHS number and postcode it gives. A document
    naming one person with two dates of birth is two records; the best scores."""
    names = [(n.given, n.family) for n in subject.names]
    if not names:
        written = _meta(extra, _META_NAME)
        given, family = _meta(extra, _META_GIVEN), _meta(extra, _META_FAMILY)
        if given or family:
            names = [(given, family)]
        elif written:
            names = [(n.given, n.family) for n in parse_names(written)]
    dobs: list[date | None] = list(subject.dates_of_birth)
    meta_dob = _date(_meta(extra, _META_DOB))
    if meta_dob and meta_dob not in dobs:
        dobs.append(meta_dob)
    nhs = list(subject.nhs_numbers) or [_meta(extra, _META_NHS).replace(" ", "")]
    postcode = subject.postcodes[0] if subject.postcodes else _meta(extra, _META_POSTCODE)
    if not names and not dobs and not any(nhs):
        return []
    out: list[Record] = []
    # Siblings named together share the head's other fields only when one person is named.
    one = len(names) <= 1
    for i, (given, family) in enumerate(names or [("", "")]):
        for j, dob in enumerate(dobs if one and dobs else [None]):
            out.append(
                record(
                    f"{document_id}:{i}:{j}",
                    given=given,
                    family=family,
                    dob=dob,
                    nhs=nhs[0] if one else "",
                    postcode=postcode or None,
                    label=label,
                )
            )
    return out


def _date(value: str) -> date | None:
    try:
        return parse_date(value, ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d %b %Y", "%d %B %Y"))
    except ValueError:
        return None


def document_of(unique_id: str) -> int:
    return int(unique_id.split(":", 1)[0])
