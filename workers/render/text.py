"""Renditions of what reads as text: email (EML, MSG) with its headers and attachments listed,
HTML (its visible text: never its scripts, styles or remote images), plain text, and a
container's listing page. Laid out by workers/render/layout.py."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from core.states import Reason
from workers.extract.base import Limits
from workers.extract.mail import eml_body
from workers.extract.text import decode_guessing, html_to_text
from workers.render.base import RenderFailed, RenderRequest, RenderResult
from workers.render.layout import write_text_pdf

_HEADERS = (("From", "From"), ("To", "To"), ("Cc", "Cc"), ("Date", "Date"), ("Subject", "Subject"))


def render_eml(request: RenderRequest, limits: Limits) -> RenderResult:
    with open(request.path, "rb") as handle:
        message = email.message_from_binary_file(handle, policy=email.policy.default)
    assert isinstance(message, EmailMessage)  # policy.default always builds EmailMessage
    headers = [(label, str(message[name])) for label, name in _HEADERS if message[name] is not None]
    attachments = []
    for part in message.iter_attachments():
        name = part.get_filename() or (
            "message.eml" if part.get_content_type() == "message/rfc822" else "attachment"
        )
        payload = part.get_payload(decode=True)
        size = f", {_size(len(payload))}" if isinstance(payload, bytes) else ""
        attachments.append(f"{name} ({part.get_content_type()}{size})")
    body = eml_body(message)[: limits.max_text_chars]
    return _written(request, "message", headers, body, attachments)


def render_msg(request: RenderRequest, limits: Limits) -> RenderResult:
    import extract_msg  # imported on first use: it costs half a second at start-up

    try:
        message = extract_msg.openMsg(request.path)
    except Exception as exc:  # extract-msg raises many unrelated types on damaged files
        raise RenderFailed(Reason.CORRUPT.value, f"not a readable MSG: {exc}"[:200]) from exc
    try:
        fields = (
            ("From", getattr(message, "sender", None)),
            ("To", getattr(message, "to", None)),
            ("Cc", getattr(message, "cc", None)),
            ("Date", getattr(message, "date", None)),
            ("Subject", getattr(message, "subject", None)),
        )
        headers = [(label, str(value)) for label, value in fields if value]
        body = getattr(message, "body", None) or ""
        html = getattr(message, "htmlBody", None)
        if not body and html:
            body = html_to_text(html)
        attachments = [_msg_attachment(item) for item in getattr(message, "attachments", [])]
    finally:
        message.close()
    return _written(request, "message", headers, str(body)[: limits.max_text_chars], attachments)


def _msg_attachment(item: Any) -> str:
    name = item.longFilename or item.shortFilename or "attachment"
    data = item.data
    if isinstance(data, bytes):
        return f"{name} ({_size(len(data))})"
    return f"{name} (embedded message)"


def render_html(request: RenderRequest, limits: Limits) -> RenderResult:
    text = html_to_text(_read_capped(request.path, limits))
    return _written(request, "html", [], text, [])


def render_plain(request: RenderRequest, limits: Limits) -> RenderResult:
    text = decode_guessing(_read_capped(request.path, limits))
    return _written(request, "text", [], text, [])


def render_listing(request: RenderRequest, limits: Limits) -> RenderResult:
    """A container (ZIP, 7z, TNEF, mailbox...): a page naming the documents taken out of it,
    each of which has its own rendition."""
    headers = [("Type", request.mime), ("Members", str(len(request.children)))]
    body = "" if request.children else "No documents were taken out of this container."
    return _written(request, "listing", headers, body, list(request.children), "Contents")


def _written(
    request: RenderRequest,
    method: str,
    headers: list[tuple[str, str]],
    body: str,
    items: list[str],
    list_title: str = "Attachments",
) -> RenderResult:
    subject = next((value for label, value in headers if label == "Subject"), "")
    pages = write_text_pdf(
        Path(request.out_path),
        title=subject or request.title,
        headers=headers,
        body=body,
        list_title=list_title,
        items=items,
    )
    return RenderResult(ok=True, pages=pages, method=method)


def _read_capped(path: str, limits: Limits) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(limits.max_text_chars * 4)


def _size(count: int) -> str:
    return f"{count} bytes" if count < 1024 else f"{count // 1024} KB"
