"""Suggested redactions: third-party information in a subject access request's documents (issue
15; docs/decisions/0036). A suggestion is only a question for the reviewer (accept or reject);
the bundle waits until every one is answered, so the detector errs towards asking: a missed
third party is a breach, a needless question costs a reviewer a click.

What is looked for, each with the detector named in the suggestion's reason:
- `person`: another catalog person's full name, legacy or target ID, or NHS number; the people
  linked to the subject's documents (family, usually) also by their given name alone.
- `name`: a title and a capitalised name ("Mrs Walsh", "Nan Hughes"), or a common given name
  and a capitalised word ("Dennis Hughes").
- `address`: a house number, up to three capitalised words and a street word ("12 Mill Lane").
- `postcode`, `phone` (UK: 01/02/03/07/08 numbers, +44), `email`, `nhs` (a valid number not the
  subject's).
Never the subject's own details (names, IDs, NHS number, and any address, phone or email the
catalog holds for them). Professionals acting in role are not suggested by default (ICO: staff
acting in their professional capacity are not third parties for Sch2 Pt3 para 17-ish
purposes): a name the council knows as staff, a name next to a role word ("Social worker:
Claire Lowe", "Claire Lowe, Team Manager", a signature followed by a job title or a team),
and an email at the council's own domains. The role words are configurable.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from domain.nhs import nhs_number_valid
from domain.redaction import fold

KINDS = ("person", "name", "address", "postcode", "phone", "email", "nhs")

# Words saying the name beside them is a professional acting in role (lower case; a phrase
# matches at word edges). Health, education and social work staff are "relevant persons".
ROLE_WORDS = (
    "social worker", "worker", "team manager", "manager", "practitioner", "senior practitioner",
    "iro", "independent reviewing officer", "reviewing officer", "personal adviser",
    "family support worker", "support worker", "duty worker", "occupational therapist",
    "health visitor", "school nurse", "nurse", "gp", "paediatrician", "psychologist",
    "psychiatrist", "teacher", "head teacher", "headteacher", "designated safeguarding lead",
    "consultant", "therapist", "advocate", "guardian", "cafcass", "solicitor for the council",
    "legal adviser", "team leader", "assistant director", "director", "caseworker",
    "case worker", "key worker", "keyworker", "allocated worker", "coordinator",
)  # fmt: skip
SIGN_OFFS = ("kind regards", "regards", "yours sincerely", "yours faithfully", "many thanks",
             "best wishes", "signed", "thanks")  # fmt: skip

_TITLES = (
    "Mr", "Mrs", "Ms", "Miss", "Mx", "Dr", "Nan", "Nana", "Nanna", "Nanny", "Grandad",
    "Grandpa", "Grandma", "Granny", "Gran", "Aunt", "Auntie", "Aunty", "Uncle",
)  # fmt: skip
_STREET_WORDS = (
    "Road", "Rd", "Street", "St", "Lane", "Ln", "Avenue", "Ave", "Drive", "Dr", "Close", "Way",
    "Terrace", "Grove", "Rise", "Crescent", "Court", "Ct", "Place", "Pl", "Gardens", "Square",
    "Hill", "Walk", "Row", "Mews", "Park", "View", "Green", "Parade", "Vale", "Gate", "Croft",
    "Meadow", "Meadows", "Fold", "Brow", "Bank", "End", "Wharf", "Yard", "Passage", "Circus",
    "Boulevard", "Highway", "Approach", "Heights", "Chase", "Glade", "Dale", "Wynd", "Nook",
)  # fmt: skip
_CAP = r"[A-Z][a-zA-Z'’\-]*[a-z][a-zA-Z'’\-]*"  # a capitalised word with a lower-case letter
_NAME_WORD = r"(?:O'|O’|Mc|Mac)?[A-Z][a-zà-ÿ'’\-]+(?:-[A-Z][a-zà-ÿ]+)?"
_TITLE_NAME = re.compile(
    rf"\b(?:{'|'.join(_TITLES)})\.?[ \t]+((?:{_NAME_WORD}[ \t]+)?{_NAME_WORD})(?![\w'’])"
)
# Overlapping pairs ("Yesterday Dennis Hughes" holds "Dennis Hughes"): a look-ahead match.
_PAIR = re.compile(rf"(?=\b({_NAME_WORD})[ \t]+({_NAME_WORD})(?![\w'’]))")
_ADDRESS = re.compile(
    r"\b(?:(?:Flat|Apartment|Apt|Unit)[ \t]+\d+[A-Za-z]?,?[ \t]+)?\d{1,4}[A-Za-z]?,?[ \t]+"
    rf"(?:{_CAP}[ \t]+){{0,3}}(?:{'|'.join(_STREET_WORDS)})\b|"
    rf"\b\d{{1,4}}[A-Za-z]?,?[ \t]+[A-Z][a-z]+(?:way|gate|side|field|fields)\b"
)
_POSTCODE = re.compile(r"\b(?:GIR ?0AA|[A-Z]{1,2}[0-9][A-Z0-9]?[ \t]?[0-9][ABD-HJLNP-UW-Z]{2})\b")
_PHONE = re.compile(r"(?<![\w+])(?:\+44[ \t]?(?:\(0\)[ \t]?)?|0)[1-9][0-9 \t\-)]{7,13}[0-9]")
_EMAIL = re.compile(r"[\w.%+\-]+@[\w\-]+(?:\.[\w\-]+)+")
_NHS = re.compile(r"(?<![0-9])[0-9]{3}[ \-]?[0-9]{3}[ \-]?[0-9]{4}(?![0-9])")
_ID_TOKEN = re.compile(r"(?<![\w/])[A-Za-z]*[0-9][A-Za-z0-9/_\-]*(?![\w/])")
# Capitalised words that end a sentence's capitalised run rather than name anyone.
_NOT_NAME_WORDS = (
    "The This That These Those Team Council Service Services Centre Center Road Street Lane "
    "Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April "
    "May June July August September October November December Court House School College "
    "Hospital Unit Ward Police Children Adult Adults Family Care Plan Review Meeting Report "
    "Office Dear And Or But With From For On At In To Of By Yes No Mum Dad Social Worker "
    "Manager Officer Assessment Section Order Contact Health Council's Borough County City "
    "Trust NHS"
)
_NOT_NAMES = frozenset(_NOT_NAME_WORDS.split())
_GIVEN_FILE = Path(__file__).with_name("given_names.txt")


@lru_cache(maxsize=1)
def common_given_names() -> frozenset[str]:
    """The shipped list of common given names, folded."""
    words: set[str] = set()
    for line in _GIVEN_FILE.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            words.update(fold(word).chars for word in line.split())
    return frozenset(words)


def key(text: str) -> str:
    """A name or identifier folded for comparison: letters and digits, words space-separated."""
    return " ".join(fold(word).chars for word in text.split() if fold(word).chars)


@dataclass(frozen=True)
class OtherPerson:
    """A catalog person other than the subject, as the detector looks for them."""

    person_id: str
    given_name: str
    family_name: str
    identifiers: tuple[str, ...] = ()  # legacy IDs, the target ID
    nhs_number: str = ""
    linked: bool = False  # linked to one of the subject's documents (family, usually)


@dataclass(frozen=True)
class Subject:
    """What is the subject's own and never suggested."""

    given_name: str
    family_name: str
    identifiers: tuple[str, ...] = ()
    nhs_number: str = ""
    other_details: tuple[str, ...] = ()  # addresses, phones, emails the catalog holds


@dataclass
class Context:
    """Everything the detector needs for one request, folded once."""

    subject: Subject
    others: Iterable[OtherPerson] = ()
    staff_names: Iterable[str] = ()  # users' display names, the council's staff list
    team_names: Iterable[str] = ()
    council_domains: Iterable[str] = ()  # "synthshire.gov.uk": its emails are staff's
    role_words: Iterable[str] = ROLE_WORDS
    given_names: frozenset[str] = field(default_factory=common_given_names)

    def __post_init__(self) -> None:
        s = self.subject
        self.subject_words = {key(w) for w in f"{s.given_name} {s.family_name}".split()}
        self.subject_words.discard("")
        self.subject_keys = {key(f"{s.given_name} {s.family_name}"), *map(key, s.other_details)}
        self.subject_ids = {_id_key(i) for i in s.identifiers} | {s.nhs_number}
        self.names: dict[str, OtherPerson] = {}
        self.ids: dict[str, OtherPerson] = {}
        self.nhs: dict[str, OtherPerson] = {}
        self.linked_given: dict[str, OtherPerson] = {}
        for other in self.others:
            full = key(f"{other.given_name} {other.family_name}")
            named = full and full not in self.subject_keys and len(full.split()) > 1
            # A linked person wins a shared name: the likelier third party.
            if named and (other.linked or full not in self.names):
                self.names[full] = other
            given = key(other.given_name)
            if other.linked and given and given not in self.subject_words and len(given) > 2:
                self.linked_given[given] = other
            for ident in other.identifiers:
                normal = _id_key(ident)
                if len(normal) >= 4 and normal not in self.subject_ids:
                    self.ids[normal] = other
            if other.nhs_number and other.nhs_number != s.nhs_number:
                self.nhs[other.nhs_number] = other
        self.staff = {key(n) for n in self.staff_names} - {""}
        self.staff_words = {w for n in self.staff for w in n.split()}
        self.teams = [t.casefold() for t in self.team_names if t.strip()]
        self.domains = tuple(d.casefold().lstrip("@") for d in self.council_domains if d)
        words = sorted({w.casefold() for w in self.role_words if w.strip()}, key=len, reverse=True)
        alternatives = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in words) or "(?!x)x"
        self.role_before = re.compile(rf"\b(?:{alternatives})\s*[:,\-–(]?\s*$", re.IGNORECASE)
        self.role_after = re.compile(
            rf"^\s*(?:[,(\-–]|\n)\s*(?:the\s+|a\s+|our\s+)?(?:[\w'’]+\s+){{0,2}}(?:{alternatives})\b",
            re.IGNORECASE,
        )
        signs = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in SIGN_OFFS)
        self.sign_off = re.compile(rf"\b(?:{signs})\s*[,:]?\s*$", re.IGNORECASE)


def _id_key(value: str) -> str:
    text = value.strip().upper()
    if ":" in text:  # "PARIS:123456": the system prefix is not written in letters
        text = text.split(":", 1)[1]
    return text.lstrip("0") if text.isdigit() else text


@dataclass(frozen=True)
class Suggestion:
    """One occurrence of something to ask the reviewer about: [start, end) in the text."""

    kind: str
    term: str
    start: int
    end: int
    detector: str


def _pairs(text: str) -> Iterable[tuple[int, int, str, str]]:
    """Each pair of adjacent capitalised words: start, end, first, second."""
    for match in _PAIR.finditer(text):
        first, second = match.group(1), match.group(2)
        yield match.start(), match.end(2), first, second


def _line_around(text: str, start: int, end: int, width: int) -> tuple[str, str]:
    before = text[max(0, start - width) : start]
    after = text[end : end + width]
    return before, after


def in_role(text: str, start: int, end: int, context: Context) -> bool:
    """A professional acting in role: known staff, a role word next to the name, or a signature
    followed by a job title or a team."""
    name = key(text[start:end])
    bare = " ".join(w for w in name.split() if key(w) not in {key(t) for t in _TITLES})
    if name in context.staff or bare in context.staff:
        return True
    before, after = _line_around(text, start, end, 60)
    if context.role_before.search(before) or context.role_after.search(after):
        return True
    if context.sign_off.search(before):
        following = after[:80].casefold()
        if context.role_after.search("\n" + after.lstrip(" ,\n")):
            return True
        return any(team in following for team in context.teams)
    return False


def _is_subject(term: str, context: Context) -> bool:
    words = key(term).split()
    return bool(words) and all(w in context.subject_words for w in words)


def learn_staff(texts: Iterable[str], context: Context) -> set[str]:
    """Names seen in role anywhere in the request's documents ("Social worker: Tom Brennan")
    join the staff for every document: the same worker is named bare elsewhere ("Tom Brennan
    visited"). Returns the names learned (folded)."""
    learned: set[str] = set()
    for text in texts:
        for start, end, first, second in _pairs(text):
            name = key(f"{first} {second}")
            if name in context.staff or key(first) not in context.given_names:
                continue
            if name not in context.names and in_role(text, start, end, context):
                learned.add(name)
    context.staff |= learned
    return learned


def suggest(text: str, context: Context, *, protect_roles: bool = True) -> list[Suggestion]:
    """Every third-party occurrence in the text, in order (overlaps kept: the reviewer sees
    each detector's reading; the burn-in redacts the union)."""
    found: list[Suggestion] = []

    def add(kind: str, start: int, end: int, detector: str) -> None:
        found.append(Suggestion(kind, text[start:end], start, end, detector))

    taken: list[tuple[int, int]] = []
    # Catalog people first: their names, IDs and NHS numbers are the surest.
    for start, end, first, second in _pairs(text):
        other = context.names.get(key(f"{first} {second}"))
        if other is None or (protect_roles and in_role(text, start, end, context)):
            continue
        how = "linked to the subject's documents" if other.linked else "in the catalog"
        add("person", start, end, f"catalog person {other.person_id} ({how})")
        taken.append((start, end))
    for match in _ID_TOKEN.finditer(text):
        other = context.ids.get(_id_key(match.group(0)))
        if other is not None:
            add("person", *match.span(), f"identifier of catalog person {other.person_id}")
    for match in _NHS.finditer(text):
        number = re.sub(r"[ \-]", "", match.group(0))
        if number == context.subject.nhs_number or not nhs_number_valid(number):
            continue
        other = context.nhs.get(number)
        why = f"NHS number of catalog person {other.person_id}" if other else "an NHS number"
        add("nhs", *match.span(), why + ", not the subject's")
    if context.linked_given:
        for match in re.finditer(rf"\b{_NAME_WORD}\b", text):
            other = context.linked_given.get(key(match.group(0)))
            if (
                other is not None
                and not any(a <= match.start() < b for a, b in taken)
                and not (protect_roles and in_role(text, *match.span(), context))
            ):
                add("person", *match.span(), f"given name of linked person {other.person_id}")
    # People escr does not know: titles, and common given names followed by a family name.
    for match in _TITLE_NAME.finditer(text):
        named = match.group(1)
        addressed = text[max(0, match.start() - 5) : match.start()].casefold().strip() == "dear"
        if addressed and _is_subject(named, context):
            continue  # the letter's addressee: the subject
        if (
            all(w in _NOT_NAMES for w in named.split())
            or key(match.group(0)) in context.subject_keys
        ):
            continue
        if any(a <= match.start(1) < b for a, b in taken):
            continue
        if protect_roles and in_role(text, *match.span(), context):
            continue
        add("name", *match.span(), "a title and a name")
        taken.append(match.span())
    for start, end, first, second in _pairs(text):
        if key(first) not in context.given_names or second in _NOT_NAMES:
            continue
        if second in _STREET_WORDS or _is_subject(f"{first} {second}", context):
            continue
        if any(a <= start < b or a < end <= b for a, b in taken):
            continue
        if protect_roles and in_role(text, start, end, context):
            continue
        add("name", start, end, "a given name and a family name")
    for match in _ADDRESS.finditer(text):
        if key(match.group(0)) not in context.subject_keys:
            add("address", *match.span(), "a house number and a street")
    for match in _POSTCODE.finditer(text):
        if key(match.group(0)) not in context.subject_keys:
            add("postcode", *match.span(), "a UK postcode")
    for match in _PHONE.finditer(text):
        digits = re.sub(r"\D", "", match.group(0))
        national = "0" + digits[2:] if digits.startswith("44") else digits
        if len(national) not in (10, 11) or key(national) in context.subject_keys:
            continue
        if any(key(d).replace(" ", "") == national for d in context.subject.other_details):
            continue
        add("phone", *match.span(), "a UK phone number")
    for match in _EMAIL.finditer(text):
        address = match.group(0).casefold()
        domain = address.rsplit("@", 1)[1]
        if protect_roles and any(domain == d or domain.endswith("." + d) for d in context.domains):
            continue
        if address in {d.casefold() for d in context.subject.other_details}:
            continue
        add("email", *match.span(), "an email address")
    found.sort(key=lambda s: (s.start, s.end))
    return found
