"""Email: EML (stdlib email) and Outlook MSG (extract-msg). Attachments become temp files."""

from __future__ import annotations

import email
import email.policy
import re
import tempfile
from email.message import EmailMessage, Message
from pathlib import Path
from typing import Any

from core.states import Reason
from workers.extract.base import Attachment, ExtractionResult, Limits
from workers.extract.failures import ExtractionFailed
from workers.extract.text import decode_guessing, html_to_text

_UNSAFE_NAME = re.compile(r"[^\w.\- ]+")


def extract_eml(path: Path, limits: Limits, tmp_dir: Path) -> ExtractionResult:
    """Subject, sender, date and body of an EML; its attachments written under `tmp_dir`."""
    with path.open("rb") as handle:
        message = email.message_from_binary_file(handle, policy=email.policy.default)
    assert isinstance(message, EmailMessage)  # policy.default always builds EmailMessage
    metadata = {
        key: str(message[header])
        for key, header in (("subject", "Subject"), ("from", "From"), ("date", "Date"))
        if message[header] is not None
    }
    metadata.update(_thread_headers(message))
    attachments = []
    for part in message.iter_attachments():
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            attachments.append(_save(part.get_filename() or "attachment", payload, tmp_dir))
        elif part.get_content_type() == "message/rfc822":
            inner = part.get_payload(0)
            if isinstance(inner, Message):
                attachments.append(_save("message.eml", inner.as_bytes(), tmp_dir))
    return ExtractionResult(
        ok=True,
        text=_with_header(metadata, eml_body(message)),
        pages=1,
        engine="eml",
        attachments=attachments,
        metadata=metadata,
    )


def eml_body(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    raw = body.get_payload(decode=True)
    if not isinstance(raw, bytes):
        return ""
    charset = body.get_content_charset()
    try:
        text = raw.decode(charset or "utf-8")
    except (LookupError, UnicodeDecodeError):
        # Mail often lies about its charset (or names one Python does not know).
        text = decode_guessing(raw)
    return html_to_text(text) if body.get_content_subtype() == "html" else text


def extract_msg_file(path: Path, limits: Limits, tmp_dir: Path) -> ExtractionResult:
    """Subject, sender, date and body of an Outlook MSG; its attachments under `tmp_dir`."""
    import extract_msg  # imported on first use: it costs half a second at start-up

    try:
        message = extract_msg.openMsg(str(path))
    except Exception as exc:  # extract-msg raises many unrelated types on damaged files
        raise ExtractionFailed(Reason.CORRUPT, f"not a readable MSG: {exc}"[:200]) from exc
    try:
        metadata = {
            key: str(value)
            for key, value in (
                ("subject", getattr(message, "subject", None)),
                ("from", getattr(message, "sender", None)),
                ("date", getattr(message, "date", None)),
            )
            if value
        }
        header = getattr(message, "header", None)
        if isinstance(header, Message):
            metadata.update(_thread_headers(header))
        body = getattr(message, "body", None) or ""
        html = getattr(message, "htmlBody", None)
        if not body and html:
            body = html_to_text(html)
        attachments = [
            saved
            for item in getattr(message, "attachments", [])
            if (saved := _save_msg_attachment(item, tmp_dir)) is not None
        ]
    finally:
        message.close()
    return ExtractionResult(
        ok=True,
        text=_with_header(metadata, body),
        pages=1,
        engine="msg",
        attachments=attachments,
        metadata=metadata,
    )


def _save_msg_attachment(item: Any, tmp_dir: Path) -> Attachment | None:
    name = item.longFilename or item.shortFilename or "attachment"
    data = item.data
    if isinstance(data, bytes):
        return _save(name, data, tmp_dir)
    if hasattr(data, "exportBytes"):  # an embedded message: keep it as an MSG of its own
        return _save(
            name if name.lower().endswith(".msg") else name + ".msg", data.exportBytes(), tmp_dir
        )
    return None


# Threading headers (RFC 5322 3.6.4), kept so a subject access request shows a conversation
# as one thread (records/sar_collate.py).
_THREAD_HEADERS = (
    ("message_id", "Message-ID"),
    ("in_reply_to", "In-Reply-To"),
    ("references", "References"),
)


def _thread_headers(message: Message) -> dict[str, str]:
    found = {}
    for key, name in _THREAD_HEADERS:
        try:
            value = message.get(name)
        except (ValueError, TypeError, IndexError):  # a malformed header is left out
            continue
        if value is not None and str(value).strip():
            found[key] = " ".join(str(value).split())[:2000]
    return found


def _with_header(metadata: dict[str, str], body: str) -> str:
    """The subject first, so a search for it finds the message; the body after."""
    subject = metadata.get("subject", "")
    return f"{subject}\n\n{body}" if subject else body


def _save(name: str, data: bytes, tmp_dir: Path) -> Attachment:
    """Write an attachment to a new file under `tmp_dir`; its name can never leave that folder."""
    safe = _UNSAFE_NAME.sub("_", Path(name.replace("\\", "/")).name).strip(". ") or "attachment"
    handle, target = tempfile.mkstemp(prefix="att-", suffix="-" + safe[-100:], dir=tmp_dir)
    with open(handle, "wb") as out:
        out.write(data)
    return Attachment(name=safe, path=target)
