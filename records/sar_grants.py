"""A request's restricted documents (adoption, staff, sensitive) and the officer's grants
(docs/decisions/0040, 0042): without the grant an officer sees such a document's number, not
its title, may not review it, and may not build or download a bundle that holds it; a bundle
is the document's content, so releasing it is reading it. One rule for the pages and the API
(records.sar_review.ungranted: the class alone, wherever the document is linked)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from catalog import audit
from catalog.models_sar import SarRedaction, SarRelease
from records.access import Caller
from records.sar_redact import Exemption, _rows, included_documents, needs_signoff
from records.sar_review import check_granted, ungranted

# A release's zip names each document's file by its ID (workers/redact/bundle.py).
_DOCUMENT_FILE = re.compile(r"^documents/\d+-document-(\d+)\.pdf$")


def restricted_title(document_id: int) -> str:
    return f"document {document_id} (restricted: a grant is needed)"


def hide_ungranted(
    session: Session, caller: Caller, items: Sequence[dict[str, Any]]
) -> frozenset[int]:
    """Each item's title replaced by its number where the caller lacks the document's grant;
    returns those documents."""
    hidden = frozenset(ungranted(session, caller, [i["document_id"] for i in items]))
    for item in items:
        if item["document_id"] in hidden:
            item["title"] = restricted_title(item["document_id"])
    return hidden


def visible_redactions(
    session: Session, caller: Caller, rows: Sequence[SarRedaction]
) -> list[SarRedaction]:
    """The redactions the caller may read: a term redacted in a restricted document is that
    document's content (a name in an adoption record), shown only with its grant."""
    hidden = ungranted(session, caller, sorted({r.document_id for r in rows if r.document_id}))
    return [r for r in rows if r.document_id is None or r.document_id not in hidden]


def check_redaction(session: Session, caller: Caller, sar_id: int, redaction_id: int) -> None:
    """Refuse (403, audited) deciding or changing a redaction in a restricted document without
    its grant: that is reviewing it, and the answer would show the term."""
    row = session.get(SarRedaction, redaction_id)
    if row is not None and row.sar_id == sar_id and row.document_id is not None:
        check_granted(session, caller, sar_id, row.document_id)


def check_signoff(
    session: Session,
    caller: Caller,
    sar_id: int,
    redaction_ids: Sequence[int],
    codes: dict[str, Exemption],
) -> None:
    """Refuse (403, audited) a second sign-off that would cover a redaction in a restricted
    document without its grant (the ones named; none named: every one waiting, as
    sar_redact.approve reads it). A sign-off is a judgement on what the officer read."""
    named = set(redaction_ids)
    for row in _rows(session, sar_id):
        if (not named or row.id in named) and needs_signoff(row, codes) and not row.approved_by:
            check_redaction(session, caller, sar_id, row.id)


def release_documents(row: SarRelease) -> list[int]:
    """The documents a release sent, from its manifest."""
    found = (_DOCUMENT_FILE.match(name) for name in row.manifest)
    return sorted(int(m.group(1)) for m in found if m)


def _check(session: Session, caller: Caller, sar_id: int, ids: Sequence[int], what: str) -> None:
    missing = ungranted(session, caller, ids)
    if not missing:
        return
    listed = "; ".join(f"document {d} ({classes})" for d, classes in sorted(missing.items()))
    why = f"{what} holds restricted documents ({listed}): a grant is needed for each"
    audit.refuse(session, actor=caller.user_id, target_type="sar", target_id=str(sar_id), why=why)


def check_build(session: Session, caller: Caller, sar_id: int) -> None:
    """Refuse (403, audited) a build whose included documents need a grant the caller lacks."""
    _check(session, caller, sar_id, included_documents(session, sar_id), "the bundle")


def check_download(session: Session, caller: Caller, sar_id: int, release_id: int) -> None:
    """Refuse (403, audited) a download of a release that sent such a document."""
    row = session.get(SarRelease, release_id)
    if row is not None and row.sar_id == sar_id:
        _check(session, caller, sar_id, release_documents(row), f"release {release_id}")
