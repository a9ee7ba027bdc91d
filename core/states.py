"""The fixed vocabulary of ledger states and reason codes (documented in docs/archive-format.md)."""

from __future__ import annotations

from enum import StrEnum


class RowState(StrEnum):
    """Where a manifest row (and its document) is on its way through the pipeline."""

    PENDING = "pending"  # read from the manifest, nothing done yet
    STORED = "stored"  # blob stored, catalog row written
    EXTRACTED = "extracted"  # text extracted (or OCRed)
    PENDING_INDEX = "pending_index"  # classified and linked, waiting for the search index
    # Terminal states: every row ends in exactly one of these.
    INDEXED = "indexed"
    QUARANTINED = "quarantined"
    FAILED = "failed"
    DUPLICATE = "duplicate"  # the same source document repeated in one manifest

    @property
    def terminal(self) -> bool:
        return self in TERMINAL_STATES


TERMINAL_STATES = frozenset(
    {RowState.INDEXED, RowState.QUARANTINED, RowState.FAILED, RowState.DUPLICATE}
)


class Reason(StrEnum):
    """Why a row ended where it did. Quarantine reasons first."""

    BAD_ROW = "bad_row"  # the manifest row itself cannot be read
    MISSING_FILE = "missing_file"
    PATH_ESCAPE = "path_escape"  # file_path resolves outside the archive folder
    CHECKSUM_MISMATCH = "checksum_mismatch"
    EMPTY_FILE = "empty_file"
    ENCRYPTED = "encrypted"
    CORRUPT = "corrupt"  # the parser could not read the file
    TIMEOUT = "timeout"  # the parser ran past its time limit and was killed
    MEMORY_LIMIT = "memory_limit"  # the parser ran past its memory limit
    TOO_LARGE = "too_large"  # decompression bomb or an image past the pixel limit
    # Notes on indexed rows.
    UNSUPPORTED_TYPE = "unsupported_type"  # stored and indexed by metadata only
    NO_TEXT = "no_text"  # parsed, but no text found even after OCR
    # No extractor reads it and its content contradicts its name: kept, linked, indexed by
    # metadata, and queued for a person as an `unreadable` exception.
    UNREADABLE = "unreadable"
    # Failed rows: our fault, not the file's.
    INTERNAL_ERROR = "internal_error"
    SAME_SOURCE_ID = "same_source_id"  # duplicate row


QUARANTINE_REASONS = frozenset(
    {
        Reason.BAD_ROW,
        Reason.MISSING_FILE,
        Reason.PATH_ESCAPE,
        Reason.CHECKSUM_MISMATCH,
        Reason.EMPTY_FILE,
        Reason.ENCRYPTED,
        Reason.CORRUPT,
        Reason.TIMEOUT,
        Reason.MEMORY_LIMIT,
        Reason.TOO_LARGE,
    }
)

# What each reason code means, for people (the console's charts and lists, the row report). The
# codes stay the data; these are only how they read.
REASON_LABELS = {
    Reason.BAD_ROW: "Manifest row cannot be read",
    Reason.MISSING_FILE: "File not found",
    Reason.PATH_ESCAPE: "Path leads outside the archive",
    Reason.CHECKSUM_MISMATCH: "Checksum does not match the manifest",
    Reason.EMPTY_FILE: "Empty file",
    Reason.ENCRYPTED: "Encrypted or password-protected",
    Reason.CORRUPT: "Damaged file (cannot be read)",
    Reason.TIMEOUT: "Reading took too long",
    Reason.MEMORY_LIMIT: "Reading needed too much memory",
    Reason.TOO_LARGE: "Too large (decompression bomb or huge image)",
    Reason.UNSUPPORTED_TYPE: "File type not supported (metadata only)",
    Reason.NO_TEXT: "No text found, even by OCR",
    Reason.UNREADABLE: "Unreadable: content contradicts its name (queued for a person)",
    Reason.INTERNAL_ERROR: "escr error (ours, not the file's)",
    Reason.SAME_SOURCE_ID: "Same source document repeated in the manifest",
}


def reason_label(code: str | None) -> str:
    """The human label of a reason code; an unknown code reads as itself."""
    if not code:
        return ""
    try:
        return REASON_LABELS[Reason(code)]
    except ValueError:
        return code.replace("_", " ").capitalize()


class DateSource(StrEnum):
    """Where a document's date came from (its provenance, shown beside the date)."""

    MANIFEST = "manifest"
    TEXT = "text"  # the first date in the text that is not a date of birth (workers/dates.py)
    EMAIL = "email"  # file metadata: the email's Date header
    NONE = "none"  # undated

    @property
    def label(self) -> str:
        return DATE_SOURCE_LABELS[self]


DATE_SOURCE_LABELS = {
    DateSource.MANIFEST: "from the manifest",
    DateSource.TEXT: "from the text",
    DateSource.EMAIL: "from the email's Date header",
    DateSource.NONE: "no date found",
}
