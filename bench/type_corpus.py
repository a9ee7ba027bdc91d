"""Documents of every type in varied wording, for measuring document-type classifiers.

The synthetic archive (workers/synth) writes each type's two fixed paragraphs, chosen to carry the
keyword rules' phrases, so every classifier reads it perfectly. An archive's own documents do
not: a council's forms and letters say what they are in their own words, and mention other
types in passing (an assessment recommends a care plan; a letter encloses a consent form). Here
each type has a pool of sentences, some with the rules' phrases and most without; a document
takes a few of them at random, maybe a passing mention of another type, and realistic case
history around them (workers.synth.text), so a classifier must learn a type's vocabulary, not
one template. Used by bench/bench_classify.py and tests/unit/workers/test_type_model.py.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from workers.synth.text import PAGES, compose_pages

# Per type: titles, then sentences in that type's own vocabulary. {first} is the subject.
POOLS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "referral": (
        ("Referral - initial contact", "MASH enquiry", "Contact record", "Front door notification"),
        (
            "A referral was received by the duty team about {first}.",
            "The caller was a neighbour who rang the front door service.",
            "Police sent a notification following a domestic incident overnight.",
            "The MASH screened the enquiry and shared it with partner agencies.",
            "The threshold decision was made by the duty manager within 24 hours.",
            "Information was gathered from the health visitor and the nursery.",
            "The outcome of the contact was a step down to early help.",
            "Consent to the enquiry was discussed with mother by telephone.",
        ),
    ),
    "assessment": (
        (
            "Single assessment",
            "Child and family assessment",
            "Needs assessment",
            "Carer's assessment",
        ),
        (
            "This single assessment considers the needs of {first}.",
            "Parenting capacity was explored across the three domains of the triangle.",
            "The analysis weighs strengths against the risks identified.",
            "Developmental needs: {first} is meeting milestones for their age.",
            "Eligible needs were identified under the Care Act criteria.",
            "Family and environmental factors include overcrowding and debt.",
            "The recommendation is for a child in need plan to follow.",
            "The assessment was completed within forty five working days.",
        ),
    ),
    "care_plan": (
        ("Care and support plan", "Support plan", "Personal budget plan", "Outcomes plan"),
        (
            "The outcomes {first} wants to achieve are listed with who will help.",
            "Two calls each morning will help with washing and dressing.",
            "The personal budget of the plan is agreed at the indicative amount.",
            "The care and support plan will be reviewed in six months.",
            "Day opportunities on Tuesdays and Thursdays continue.",
            "A pendant alarm and key safe were fitted as part of the package.",
            "The domiciliary agency confirmed it can cover the agreed hours.",
            "Contingency arrangements are in place if the carer is unwell.",
        ),
    ),
    "cp_conference": (
        (
            "Child protection conference minutes",
            "ICPC minutes",
            "RCPC minutes",
            "Core group record",
        ),
        (
            "The independent chair opened the initial conference and introductions were made.",
            "Members voted that {first} should be subject to a plan under the category of neglect.",
            "The core group will meet within ten working days.",
            "Agency reports were shared with parents before the conference.",
            "The review conference is set for three months' time.",
            "The child protection plan outlines the actions for each agency.",
            "Parents were supported by an advocate during the meeting.",
            "The decision was unanimous among voting members.",
        ),
    ),
    "strategy_s47": (
        (
            "Strategy discussion record",
            "Section 47 enquiry",
            "Strategy meeting notes",
            "S47 outcome",
        ),
        (
            "A strategy discussion was held with police and health colleagues.",
            "A section 47 enquiry will begin and an achieving best evidence interview is planned.",
            "The bruise noted by school staff was seen by a paediatrician.",
            "Police will lead on the joint investigation.",
            "A child protection medical was arranged for the same afternoon.",
            "The threshold for significant harm is met on the information known.",
            "Information sharing between agencies was agreed at the meeting.",
            "The enquiry concluded that concerns were substantiated.",
        ),
    ),
    "lac_review": (
        ("Looked after child review", "LAC review", "Child in care review", "IRO review record"),
        (
            "The independent reviewing officer chaired the review for {first}.",
            "{first} joined for part of the meeting and shared their views.",
            "The care plan remains long-term foster care.",
            "The personal education plan and health assessment are up to date.",
            "Contact with birth family is monthly and supervised.",
            "The next review will be in six months.",
            "The IRO will monitor the plan between reviews.",
            "Pathway planning will begin at sixteen.",
        ),
    ),
    "placement": (
        (
            "Placement plan",
            "Placement information record",
            "Placement agreement",
            "Delegated authority record",
        ),
        (
            "The placement plan sets out the day to day arrangements for {first}.",
            "Delegated authority for haircuts and school trips sits with the carers.",
            "Bedtimes, pocket money and family time are agreed.",
            "The placement agreement was signed by the carers.",
            "The matching considerations and the placement's suitability were recorded.",
            "Emergency placement was made out of hours and confirmed the next morning.",
            "The placement stability meeting found no risk of disruption.",
            "The residential unit's key worker will share weekly updates.",
        ),
    ),
    "court_legal": (
        (
            "Statement of evidence",
            "Care proceedings statement",
            "Legal planning meeting",
            "Court order",
        ),
        (
            "This statement is made in care proceedings concerning {first}.",
            "The local authority solicitor reviewed the statement of evidence.",
            "The court is asked to make an interim care order.",
            "The children's guardian supports the application.",
            "The threshold criteria under section 31 are met.",
            "The hearing at the family court was adjourned to the next date.",
            "The public law outline pre-proceedings letter was sent to the parents.",
            "The barrister for the parents asked for a parenting assessment.",
        ),
    ),
    "adoption": (
        ("Adoption report", "Child permanence report", "Adoption panel minutes", "Matching report"),
        (
            "The child permanence report describes the history of {first}.",
            "The adoption panel recommended the match.",
            "The prospective adopters have met {first} four times.",
            "An adoption order is expected after the settling in period.",
            "Later life letters and a life story book are being prepared.",
            "The agency decision maker approved the recommendation.",
            "The placement order was granted by the court last year.",
            "Letterbox contact with birth relatives will continue yearly.",
        ),
    ),
    "fostering": (
        (
            "Form F assessment",
            "Fostering review",
            "Foster carer annual review",
            "Fostering panel minutes",
        ),
        (
            "The applicants completed the Form F process over six months.",
            "Each foster carer was interviewed separately and references were followed up.",
            "The fostering panel recommended approval for up to two children.",
            "The supervising social worker visits every six weeks.",
            "Training and development standards were completed this year.",
            "The household has a spare bedroom and a safe caring policy.",
            "The carers' approval terms were reviewed at the annual review.",
            "Respite for the carers was offered twice this year.",
        ),
    ),
    "case_note": (
        ("Case note", "Home visit", "Statutory visit record", "Telephone contact"),
        (
            "Statutory visit to {first}; what was seen and said is recorded here.",
            "The home visit lasted about an hour.",
            "{first} was seen alone in their bedroom.",
            "Telephone call with mother to arrange the next visit.",
            "Observations: the home was warm and there was food in the fridge.",
            "Unannounced visit; no one answered and a card was left.",
            "Brief note of a conversation with the school's safeguarding lead.",
            "Managers' oversight was recorded after the visit.",
        ),
    ),
    "correspondence": (
        ("Letter to the family", "Letter", "Outgoing letter", "Letter from solicitor"),
        (
            "Dear {first}, thank you for meeting with us last week.",
            "This letter confirms what was agreed and the date of the next meeting.",
            "Please ring the team if anything changes.",
            "Yours sincerely, on behalf of the team manager.",
            "We write to let you know that your allocated worker has changed.",
            "Please find enclosed a copy of the notes for your records.",
            "If you need this letter in another language please contact us.",
            "Thank you for your letter dated last month.",
        ),
    ),
    "health": (
        ("Hospital discharge summary", "GP letter", "Health assessment", "CAMHS report"),
        (
            "{first} was admitted to the ward and discharged after three nights.",
            "The discharge summary lists the diagnosis and medication.",
            "The GP will review at the surgery within two weeks.",
            "The consultant paediatrician saw {first} in clinic.",
            "CAMHS offered an appointment for low mood and anxiety.",
            "Immunisations are up to date and the dental check was done.",
            "The community psychiatric nurse visits fortnightly.",
            "Blood tests were normal and the prescription was changed.",
        ),
    ),
    "education": (
        ("School report", "EHCP", "Personal education plan", "Attendance report"),
        (
            "The school reports that {first} has settled well this term.",
            "Attendance has risen to 93 per cent.",
            "The EHCP was updated to add speech and language work.",
            "The SENCO and class teacher attended the review.",
            "{first} is working towards the expected standard in reading.",
            "There was one fixed term exclusion this year.",
            "The virtual school head reviewed the pupil premium spend.",
            "The headteacher is pleased with progress in maths.",
        ),
    ),
    "financial": (
        ("Invoice", "Financial assessment", "Direct payment statement", "Charging letter"),
        (
            "Invoice for domiciliary support for the four weeks ending.",
            "Weekly charges are calculated on the hours delivered.",
            "A direct payment continues, paid into the managed account.",
            "The financial assessment found a weekly contribution is due.",
            "Disability related expenditure was allowed in the calculation.",
            "Arrears on the account were referred to the debt team.",
            "Capital is below the upper limit so the council will fund.",
            "The provider's remittance was paid by BACS.",
        ),
    ),
    "consent": (
        (
            "Consent form",
            "Consent to share information",
            "Agreement to share",
            "Consent to photographs",
        ),
        (
            "This form records agreement to share information with named agencies.",
            "Signed: I consent to the above.",
            "Consent can be withdrawn at any time by telling the worker.",
            "The person with parental responsibility signed below.",
            "Agencies to be contacted: GP, school and housing.",
            "{first} understood the form and agreed to it.",
            "Consent to photographs for the life story work was given.",
            "The form was explained in the family's first language.",
        ),
    ),
    "complaint": (
        ("Stage 1 complaint response", "Complaint", "Stage 2 investigation", "Ombudsman enquiry"),
        (
            "This is the response to the complaint about missed calls.",
            "The complaint was partly upheld and an apology is given.",
            "The investigating officer interviewed the staff involved.",
            "If still unhappy, the complaint can go to the Ombudsman.",
            "Learning from the complaint will be shared with the team.",
            "The complainant asked for the case to be reallocated.",
            "The customer relations team logged the complaint.",
            "A remedy payment was offered for the delay.",
        ),
    ),
    "safeguarding_adult": (
        (
            "Adult safeguarding concern",
            "Section 42 enquiry",
            "Safeguarding adults record",
            "S42 outcome",
        ),
        (
            "A safeguarding concern was raised by the care provider about {first}.",
            "The s42 enquiry will look at the handling of medicines and money.",
            "Making safeguarding personal: {first} wants to stay at home.",
            "Financial abuse by a relative is alleged.",
            "The enquiry officer spoke with the care home manager.",
            "A protection plan was agreed with the adult and their advocate.",
            "The outcome: the risk was reduced and the concern is closed.",
            "The police were informed about the alleged theft.",
        ),
    ),
    "dols_mca": (
        (
            "Deprivation of liberty authorisation",
            "Mental capacity assessment",
            "DoLS form 3",
            "Best interests decision",
        ),
        (
            "A standard authorisation is requested for {first}.",
            "{first} lives in a residential home and is not free to leave.",
            "The capacity test found {first} cannot weigh the information.",
            "The decision was made in their best interests.",
            "The best interests assessor met the relevant person's representative.",
            "The authorisation is granted for twelve months with conditions.",
            "The supervisory body signed the authorisation.",
            "Less restrictive options were considered and ruled out.",
        ),
    ),
    "identity": (
        ("Identity document", "Passport copy", "Birth certificate", "Photo ID"),
        (
            "A copy of the passport was taken and checked.",
            "The birth certificate was seen.",
            "A photograph is held on file.",
            "Proof of address: a council tax bill.",
            "The residence permit expires next year.",
            "Copy certified as a true likeness by the worker.",
            "The national insurance card was also copied.",
            "Documents returned to the family after copying.",
        ),
    ),
}
TYPES = tuple(POOLS)


def _mention(rng: random.Random, doc_type: str) -> str:
    """A passing mention of another type, in that type's own words (what fools keyword rules)."""
    other = rng.choice([t for t in TYPES if t != doc_type])
    return "Also noted: " + rng.choice(POOLS[other][1]).rstrip(".").lower() + "."


def make_document(rng: random.Random, doc_type: str) -> str:
    """One document of `doc_type`: a title, 2-4 of its sentences, and case history."""
    titles, sentences = POOLS[doc_type]
    first = rng.choice(("Zara", "Noah", "Margaret", "Dennis", "Ruby", "Kai"))
    picked = [s.format(first=first) for s in rng.sample(sentences, k=rng.randint(2, 4))]
    if rng.random() < 0.35:
        picked.insert(rng.randint(1, len(picked)), _mention(rng, doc_type).format(first=first))
    day = date(2015, 1, 1) + timedelta(days=rng.randint(0, 3000))
    fields = {
        "first": first,
        "name": f"{first} Ali",
        "worker": "Sam Okoro",
        "date": f"{day:%d/%m/%Y}",
    }
    # Case history of the type's real length, from the synthetic archive's wording.
    pages = rng.randint(*PAGES.get(doc_type, (2, 6)))
    history = compose_pages("other", fields, "Brandel", rng, pages=pages, day=day)[1:]
    return "\n".join([rng.choice(titles), *picked, *history])


def make_corpus(seed: int, per_type: int) -> tuple[list[str], list[str]]:
    """(texts, true types), `per_type` documents of each type, shuffled."""
    rng = random.Random(seed)
    labels = [t for t in TYPES for _ in range(per_type)]
    rng.shuffle(labels)
    return [make_document(rng, t) for t in labels], labels
