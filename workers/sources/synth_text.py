"""Plausible social care wording for the synthetic archive (workers/sources/synthetic.py).

Every type's title, label and paragraphs use that type's classification keywords
(default_mapping.yaml `keywords`) and no other type's, and the shared paragraphs use none at
all: a document whose legacy type code is left out must still be classifiable from its words.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


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
