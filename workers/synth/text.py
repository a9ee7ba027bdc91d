"""Plausible social care wording for the synthetic archive (workers/synth/archive.py).

Every type's title, label and paragraphs use that type's classification keywords
(default_mapping.yaml `keywords`) and no other type's, and the shared paragraphs use none at
all: a document whose legacy type code is left out must still be classifiable from its words.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class TypeText:
    """How one document type reads: legacy codes, a titled label and keyword-bearing paragraphs."""

    codes: tuple[str, ...]
    title: str
    label: str  # free text a legacy export puts in the type column instead of a code
    paragraphs: tuple[str, ...]
    service: str = "any"  # children | adults | any


# Placeholders: {first} given name(s), {name} full name(s), {worker}, {date}.
TYPES: dict[str, TypeText] = {
    "referral": TypeText(
        ("REF", "CONTACT"),
        "Referral - initial contact",
        "Referral received",
        (
            "A referral was received by the duty team on {date}. The initial contact was made by "
            "telephone and the caller was referred by a neighbour who was worried about {first}.",
            "The contact record notes that the family were aware of the call and agreed to speak "
            "with a duty worker later in the week.",
        ),
    ),
    "assessment": TypeText(
        ("ASMT", "CFA", "CAA"),
        "Single assessment",
        "Needs assessment completed",
        (
            "This single assessment considers the needs of {first} and how well the household "
            "is able to meet them. It was completed over three sessions by {worker}.",
            "The needs assessment found that {first} benefits most when routines are stable and "
            "when adults around the household agree on boundaries.",
        ),
    ),
    "care_plan": TypeText(
        ("CPLAN", "CSP"),
        "Care and support plan",
        "Support plan (reviewed)",
        (
            "This care and support plan sets out the outcomes agreed with {first} and the people "
            "who help day to day, including two calls each morning.",
            "The support plan will be reviewed in six months, or sooner if needs change.",
        ),
        "adults",
    ),
    "cp_conference": TypeText(
        ("CPC", "CPP"),
        "Child protection conference minutes",
        "Child protection conference minutes",
        (
            "The child protection conference was chaired by an independent chair. Members agreed "
            "that {first} should be subject to a child protection plan under the category of "
            "neglect.",
            "The core group will meet within ten working days to agree the detail of the work.",
        ),
        "children",
    ),
    "strategy_s47": TypeText(
        ("STRAT", "S47"),
        "Strategy discussion record",
        "Strategy meeting notes",
        (
            "A strategy discussion was held with police and health colleagues on {date} about "
            "an injury noticed on {first}.",
            "It was agreed that a section 47 enquiry should begin and that {worker} would lead it.",
        ),
        "children",
    ),
    "lac_review": TypeText(
        ("LACR",),
        "Looked after child review",
        "LAC review record",
        (
            "The independent reviewing officer chaired this looked after review for {first}, "
            "who joined for part of the meeting and shared their views.",
            "The looked after child review noted good progress and set the next review for six "
            "months' time.",
        ),
        "children",
    ),
    "placement": TypeText(
        ("PLAC", "PIR"),
        "Placement plan",
        "Placement information record",
        (
            "The placement plan records the day to day arrangements for {first}, including "
            "bedtimes, pocket money and family time.",
            "The placement agreement was signed by the carers and by {worker} on {date}.",
        ),
        "children",
    ),
    "court_legal": TypeText(
        ("COURT", "LEGAL"),
        "Statement of evidence - care proceedings",
        "Care proceedings statement",
        (
            "This statement of evidence is made in care proceedings concerning {first}. The "
            "local authority solicitor has reviewed it.",
            "The court is asked to make a care order. The parents have been told of the hearing "
            "date and of their right to be represented.",
        ),
        "children",
    ),
    "adoption": TypeText(
        ("ADOPT",),
        "Adoption report",
        "Adoption panel report",
        (
            "This adoption report describes the match between {first} and the prospective "
            "adoptive parents, who have met {first} four times.",
            "An adoption order is expected after the settling-in period.",
        ),
        "children",
    ),
    "fostering": TypeText(
        ("FOST",),
        "Form F fostering report",
        "Fostering review",
        (
            "The applicants completed the Form F process over six months. Each foster carer was "
            "interviewed separately and references were followed up.",
            "The fostering panel recommended approval for up to two children.",
        ),
    ),
    "case_note": TypeText(
        ("CNOTE", "VISIT"),
        "Case note - home visit",
        "Home visit notes",
        (
            "Statutory visit to {first} on {date}. This case note records what was seen and said.",
            "The home visit lasted about an hour. {first} was seen alone for part of it.",
        ),
    ),
    "correspondence": TypeText(
        ("LETIN", "LETOUT", "CORR"),
        "Letter to the family",
        "Outgoing letter",
        (
            "Dear {name}, thank you for meeting {worker} last week. This letter confirms what "
            "was agreed and the date of the next meeting.",
            "Please ring the team if anything changes. Yours sincerely, {worker}.",
        ),
    ),
    "health": TypeText(
        ("HEALTH", "GP"),
        "Hospital discharge summary",
        "Hospital information",
        (
            "{first} was admitted to hospital on {date}. The discharge summary lists the "
            "diagnosis and the medicines to continue at home.",
            "The GP will review {first} at the surgery within two weeks, and the clinic will "
            "offer a follow-up appointment.",
        ),
    ),
    "education": TypeText(
        ("EDU", "EHCP"),
        "School report",
        "School information",
        (
            "The school reports that {first} has settled well this term and that attendance "
            "has risen to 93 per cent.",
            "The pupil's EHCP was updated in the spring, adding weekly speech and language work.",
        ),
        "children",
    ),
    "financial": TypeText(
        ("FIN", "INV"),
        "Invoice - domiciliary support",
        "Invoice (finance)",
        (
            "Invoice for domiciliary support for {first} for the four weeks to {date}. Weekly "
            "charges are calculated on the hours delivered.",
            "A direct payment of £184.20 each week continues, paid into the managed account.",
        ),
        "adults",
    ),
    "consent": TypeText(
        ("CONSENT",),
        "Consent form",
        "Consent to share information",
        (
            "This consent form records the agreement of {name} to consent to share information "
            "with the health visitor and the housing officer.",
            "Signed: I consent to the above. Consent can be withdrawn at any time.",
        ),
    ),
    "complaint": TypeText(
        ("COMPL",),
        "Stage 1 complaint response",
        "Complaint",
        (
            "This is the response to the stage 1 complaint raised on {date} about missed calls "
            "and delays in returning messages.",
            "If still unhappy, the complaint can be taken to the Local Government and Social Care "
            "Ombudsman.",
        ),
    ),
    "safeguarding_adult": TypeText(
        ("S42",),
        "Adult safeguarding - section 42 enquiry",
        "Safeguarding adult concern",
        (
            "A safeguarding adult concern was raised by the care provider about {first} on {date}.",
            "The s42 enquiry will look at the handling of medicines and money in the household.",
        ),
        "adults",
    ),
    "dols_mca": TypeText(
        ("DOLS", "MCA"),
        "Deprivation of liberty authorisation",
        "DoLS authorisation",
        (
            "A standard deprivation of liberty authorisation is requested for {first}, who lives "
            "in a residential home and is not free to leave.",
            "A mental capacity test found that {first} cannot weigh the information; the "
            "decision was made in their best interests.",
        ),
        "adults",
    ),
    "identity": TypeText(
        ("ID", "PHOTO"),
        "Identity document - passport",
        "Identity document",
        (
            "A copy of the passport of {name} was taken and checked on {date}.",
            "The birth certificate was also seen; a photograph is held on file.",
        ),
    ),
    "email": TypeText(
        ("EMAIL",),
        "Email",
        "Email",
        ("Hello all, a quick update on {first} after today's call.", "Kind regards, {worker}"),
    ),
    "other": TypeText(
        ("MISC",), "Miscellaneous record", "Miscellaneous", ("Papers held on file for {name}.",)
    ),
}

# Shared wording, free of every classification keyword (no "from", "sent", "letter", ...).
NEUTRAL = (
    "{first} appeared well and was happy to talk about recent weeks. The worker observed warm "
    "and relaxed interactions within the household.",
    "The home was clean and tidy, with adequate food in the kitchen. There were no concerns "
    "about the condition of the property.",
    "Actions agreed: {worker} will arrange the next meeting within four weeks; the family will "
    "tell the team about any change in circumstances.",
    "{first} spoke about friends, hobbies and a recent trip to the seaside, and seemed more "
    "settled than at the last meeting.",
    "Risks were discussed openly. Protective factors include a supportive extended family and "
    "regular routines at home.",
    "Wishes and feelings: {first} said that things are better now and asked for more time with "
    "grandparents at weekends.",
    "A bus pass top-up of £12.50 was agreed so that {first} can travel to family time.",
    "Next steps were agreed with everyone present and will be recorded on the system by {worker}.",
)

PHRASE_SENTENCES = (
    "The meeting took place at {phrase} House.",
    "The family recently moved to {phrase} Road.",
    "{first} has named the new puppy {phrase}.",
    "Everyone met again at the {phrase} community centre.",
)

STAFF = (
    "Sam Okoro", "Rachel Hughes", "Tom Brennan", "Priya Shah",
    "Helen Doyle", "Gareth Price", "Aisha Rahman", "Claire Lowe",
)  # fmt: skip
TEAMS = (  # four children's teams, then three adults' teams
    "North Locality Team", "Children in Care Team", "Family Support Team",
    "Disabled Children's Team", "Adult Community Team East", "Reablement Team",
    "Learning Disability Team",
)  # fmt: skip
FAMILY_NAMES = (
    "Walsh", "Patel", "Khan", "Hughes", "Murphy", "Okafor", "Nowak", "Evans", "Thompson",
    "Begum", "Clarke", "Robinson", "Ahmed", "Kowalski", "Wright", "Green", "Hall", "Lewis",
    "Carter", "Mitchell", "Shaw", "O'Brien", "Fraser", "Singh", "Ali", "Harper", "Quinn",
)  # fmt: skip
CHILD_NAMES = (
    "Jayden", "Amelia", "Leo", "Isla", "Noah", "Ava", "Kai", "Maisie", "Oscar", "Ruby", "Zara",
    "Tyler", "Freya", "Ethan", "Layla", "Mason", "Poppy", "Aiden", "Sienna", "Reuben", "Zoë",
)  # fmt: skip
ADULT_NAMES = (
    "Margaret", "Dennis", "Patricia", "Stanley", "Brenda", "Harold", "Joan", "Keith", "Sheila",
    "Raymond", "Irene", "Malcolm", "Doreen", "Trevor", "Pauline", "Gordon", "Siân", "Derek",
)  # fmt: skip

# Letters tesseract never confuses at 40-64 px (no I/L/O/Q, which look like 1, 0 and each other).
_ONSETS = ("b", "d", "f", "g", "h", "k", "m", "n", "p", "r", "s", "t", "v", "br", "tr", "st")
_VOWELS = ("a", "e", "u", "a", "e")
_CODAS = ("r", "n", "s", "", "", "d", "m")


_SIGNED_OFF = frozenset({"correspondence", "email"})  # their last paragraph is the sign-off


def make_phrase(rng: random.Random, used: set[str]) -> str:
    """A made-up, pronounceable, capitalised word of 7+ letters that no other document uses."""
    while True:
        word = "".join(
            rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS) for _ in range(3)
        )
        if len(word) >= 7 and word not in used:
            used.add(word)
            return word.capitalize()


def compose(
    doc_type: str, fields: dict[str, str], phrase: str, rng: random.Random, *, long: bool = False
) -> list[str]:
    """The body paragraphs of one document: its type's wording, shared wording and the phrase."""
    spec = TYPES[doc_type]
    shared = rng.sample(NEUTRAL, k=min(len(NEUTRAL), 7 if long else rng.randint(2, 4)))
    opening = list(spec.paragraphs)
    closing = [opening.pop()] if doc_type in _SIGNED_OFF else []
    body = [*opening, *shared]
    if long:  # a second page: more case history, so extraction must read past page 1
        body += rng.sample(NEUTRAL, k=6)
    sentence = rng.choice(PHRASE_SENTENCES).replace("{phrase}", phrase)
    # The phrase goes last in long documents so that a search proves every page was read.
    body.insert(len(body) if long else rng.randint(1, len(body)), sentence)
    return [p.format(**fields) for p in [*body, *closing]]


# The realistic profile (make_archive(profile="realistic")): documents as long as real ones.
# Pages a document of each type runs to, (fewest, most); types not listed run to 2-6 pages.
PAGES: dict[str, tuple[int, int]] = {
    "correspondence": (1, 3),
    "case_note": (1, 3),
    "referral": (1, 2),
    "consent": (1, 1),
    "financial": (1, 2),
    "identity": (1, 1),
    "other": (1, 2),
    "assessment": (10, 20),
    "court_legal": (10, 20),
}
PAGE_BREAK = "\f"  # a paragraph of its own: the PDF writer starts a new page there
# Text a realistic page carries (headings, lists and white space leave most pages part-full;
# long reports are set out more loosely than letters).
PAGE_CHARS = (1_900, 2_600)
LONG_PAGE_CHARS = (1_500, 2_100)
# Case-history wording, keyword-free like NEUTRAL, with the names, dates and addresses that
# fill real case records (what the date and NHS-number scans must wade through).
HISTORY = (
    "On {visit} {worker} met {name} at {address}. {first} answered the door and showed the "
    "worker around; the kitchen and bedrooms were seen and were in reasonable order.",
    "{visit}: telephone call with {relative} ({phone}), who said that {first} had been unsettled "
    "at night and had asked to stay with an aunt at {address2} for the weekend.",
    "Chronology entry {visit}. A neighbour reported raised voices at {address} late in the "
    "evening. Police attended, spoke with both adults and recorded no offence.",
    "{worker} and a colleague from the {team} discussed the case in supervision on {visit} and "
    "agreed to keep the current level of support for another eight weeks.",
    "{relative} confirmed the family's new tenancy at {address2}, starting on {visit}, and asked "
    "for the change to be recorded; the housing officer, Mr {surname}, was told the same day.",
    "Family history: {first}'s maternal grandmother, {relative}, lived at {address2} until "
    "{visit} and remains in regular touch by telephone on {phone}.",
    "On {visit} {first} attended the youth club at the {street} centre with two friends and "
    "stayed for the whole session, which staff said was a first.",
    "A review of the record on {visit} found that the actions agreed previously had been "
    "completed, apart from the weekly drop-in sessions, which the family declined.",
    "The reference number for the family's benefits claim is {ref}; {relative} was advised to "
    "keep the award notice dated {visit} safe in case it is needed again.",
    "{worker} spoke with {first} alone on {visit}. {first} said that home was 'mostly fine' and "
    "that the best thing recently had been a day out with {relative}.",
)
STREETS = (
    "Mill Lane", "Church Street", "Station Road", "Victoria Road", "Park Avenue", "Queens Drive",
    "Hollybush Close", "Meadow Way", "Albert Terrace", "Kingsway", "Orchard Rise", "Fern Grove",
)  # fmt: skip
TOWNS = ("Synthbury", "Lower Marsh", "Eastfield", "Brookhampton", "Newton Vale", "Ashcombe")
RELATIVES = ("Mrs {s}", "Mr {s}", "Ms {s}", "Grandad {s}", "Nan {s}", "Uncle Dev {s}")


def make_address(rng: random.Random) -> str:
    """A made-up street address in Synthshire with a postcode of its SY area."""
    postcode = f"SY{rng.randint(1, 19)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
    postcode += rng.choice("ABDEFGHJLNPQRSTUWXYZ")
    return f"{rng.randint(1, 180)} {rng.choice(STREETS)}, {rng.choice(TOWNS)} {postcode}"


def _history(rng: random.Random, fields: dict[str, str], day: date) -> str:
    surname = rng.choice(FAMILY_NAMES)
    visit = day - timedelta(days=rng.randint(1, 700))
    return rng.choice(HISTORY).format_map(
        fields
        | dict(
            visit=f"{visit:%d/%m/%Y}" if rng.random() < 0.7 else f"{visit.day} {visit:%B %Y}",
            address2=make_address(rng),
            relative=rng.choice(RELATIVES).format(s=surname),
            surname=surname,
            phone=f"07{rng.randint(100, 999)} {rng.randint(100000, 999999)}",
            street=rng.choice(STREETS),
            team=rng.choice(TEAMS),
            ref=f"{rng.choice('HKLMNP')}{rng.randint(10, 99)}/{rng.randint(100000, 999999)}",
        )
    )


def _fill(rng: random.Random, fields: dict[str, str], day: date, room: int) -> list[str]:
    """Paragraphs of up to `room` characters (never more: a page must not spill over)."""
    filled: list[str] = []
    while True:
        if rng.random() < 0.7:
            paragraph = _history(rng, fields, day)
        else:
            paragraph = rng.choice(NEUTRAL).format(**fields)
        room -= len(paragraph)
        if room < 0:
            return filled
        filled.append(paragraph)


def compose_pages(
    doc_type: str,
    fields: dict[str, str],
    phrase: str,
    rng: random.Random,
    *,
    pages: int,
    day: date,
) -> list[str]:
    """A document of `pages` pages: its type's wording first, then case history and shared
    wording to fill each page, PAGE_BREAK between pages, and the phrase on the last page (so a
    search for it proves every page was read)."""
    spec = TYPES[doc_type]
    opening = list(spec.paragraphs)
    closing = [opening.pop()] if doc_type in _SIGNED_OFF else []
    # A noisy archive's subject lives at their own address (fields' "address" wins).
    fields = {"address": make_address(rng), **fields}
    out: list[str] = [p.format(**fields) for p in opening]
    per_page = LONG_PAGE_CHARS if pages >= 10 else PAGE_CHARS
    for page in range(pages):
        if page:
            out.append(PAGE_BREAK)
        # The first page also holds the title, the header lines and the opening.
        room = rng.randint(*per_page) - (400 + sum(map(len, out)) if not page else 0)
        out += _fill(rng, fields, day, room)
    sentence = rng.choice(PHRASE_SENTENCES).replace("{phrase}", phrase)
    out.append(sentence.format(**fields))
    return [*out, *(p.format(**fields) for p in closing)]
