"""The words the pipeline, governance and faces share (docs/decisions/0022).

The document-type taxonomy of DOMAIN.md, the confidence below which a guessed class waits for a
person, and the kinds of link exception. Codes are stable: stored and indexed.
"""

from __future__ import annotations

DOC_TYPES: dict[str, str] = {
    "referral": "Referral / contact",
    "assessment": "Assessment",
    "care_plan": "Care and support plan",
    "cp_conference": "Child protection conference / CP plan",
    "strategy_s47": "Strategy discussion / s47 enquiry",
    "lac_review": "Looked-after child review",
    "placement": "Placement plan / placement information record",
    "court_legal": "Court report / legal",
    "adoption": "Adoption",
    "fostering": "Fostering",
    "case_note": "Case note / visit record",
    "correspondence": "Correspondence",
    "email": "Email",
    "health": "Health",
    "education": "Education",
    "financial": "Financial assessment / invoice",
    "consent": "Consent form",
    "complaint": "Complaint",
    "safeguarding_adult": "Safeguarding adult enquiry (s42)",
    "dols_mca": "DoLS / Mental Capacity Act",
    "identity": "Identity document / photo",
    "other": "Other",
}


def is_doc_type(code: str) -> bool:
    """Whether `code` is one of the taxonomy's document types."""
    return code in DOC_TYPES


# Below this a class guess must be confirmed by a person before retention may act on it.
CONFIDENT = 0.7

# The exceptions linking raises on a top-level document, each waiting for a person to resolve.
# subject_mismatch: a crosswalk link withheld because the text's subject block names someone
# else or contradicts the linked person (docs/decisions/0031).
LINK_EXCEPTION_KINDS = (
    "no_legacy_id",
    "unknown_legacy_id",
    "ambiguous_legacy_id",
    "nhs_conflict",
    "subject_mismatch",
)
# The exceptions raised on a document's content, whoever it belongs to: `unreadable` is a file no
# extractor can read whose content contradicts its name (random bytes named .pdf).
UNREADABLE = "unreadable"
# `uncertain_type`: the learned type model's calibrated confidence is below CONFIDENT, so a
# person confirms the type (docs/decisions/0032); confirming it closes the exception.
TYPE_UNCERTAIN = "uncertain_type"
CONTENT_EXCEPTION_KINDS = (UNREADABLE, TYPE_UNCERTAIN)
EXCEPTION_KINDS = LINK_EXCEPTION_KINDS + CONTENT_EXCEPTION_KINDS

# How each kind reads, for people (the queue's pages, /api/exceptions); the codes stay the data.
EXCEPTION_KIND_LABELS = {
    "no_legacy_id": "No legacy person ID in the manifest",
    "unknown_legacy_id": "Legacy person ID not in the crosswalk",
    "ambiguous_legacy_id": "Legacy person ID matches several people",
    "nhs_conflict": "NHS number in the text belongs to someone else",
    "subject_mismatch": "The text's subject is not the crosswalk's person",
    "unreadable": "Unreadable: its content contradicts its name",
    "uncertain_type": "Document type uncertain: confirm it",
}


def exception_kind_label(kind: str) -> str:
    """The human label of an exception kind; an unknown kind reads as itself."""
    return EXCEPTION_KIND_LABELS.get(kind, kind.replace("_", " ").capitalize())
