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
LINK_EXCEPTION_KINDS = ("no_legacy_id", "unknown_legacy_id", "ambiguous_legacy_id", "nhs_conflict")
