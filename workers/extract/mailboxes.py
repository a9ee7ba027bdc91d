"""Mail containers become documents: an mbox's messages (stdlib mailbox), a TNEF's (winmail.dat)
attachments and body (tnefparse), a PST's messages (libpff through pypff). Each message or
attachment is written out by workers.extract.unpack under the bomb limits and returned as an
attachment, so it becomes a child document (a message as an EML, read by the eml extractor).
"""

from __future__ import annotations

import mailbox
import re
from email.message import EmailMessage
from email.parser import BytesHeaderParser, HeaderParser
from email.policy import default
from pathlib import Path
from typing import Any

from core.states import Reason
from workers.extract.base import ExtractionResult, Limits
from workers.extract.failures import ExtractionFailed
from workers.extract.text import decode_guessing, html_to_text
from workers.extract.unpack import Unpacker

# How much of a message is read for its headers, to name it in the listing.
_HEADER_BYTES = 64 * 1024
_SLASHES = re.compile(r"[/\\]+")


def _message_name(number: int, subject: str) -> str:
    """A message's name as a child document: its number and subject (a subject's slashes are
    not path parts), the subject becoming its title once it is read."""
    subject = _SLASHES.sub("-", " ".join(subject.split()))[:80]
    return f"{number:04d} {subject}.eml" if subject else f"{number:04d}.eml"


def extract_mbox(path: Path, limits: Limits, tmp_dir: Path) -> ExtractionResult:
    """The messages of an mbox, each an EML child, copied in chunks."""
    box = mailbox.mbox(path, create=False)
    try:
        keys = box.keys()
        unpack_limits = Unpacker(limits, tmp_dir, path.stat().st_size)
        with unpack_limits as unpack:
            unpack.expect(len(keys), 0)
            for number, key in enumerate(keys, start=1):
                with box.get_file(key) as head:
                    headers = BytesHeaderParser(policy=default).parsebytes(head.read(_HEADER_BYTES))
                subject = str(headers.get("Subject") or "")
                with box.get_file(key) as stream:
                    unpack.add(_message_name(number, subject), stream)
            return unpack.result("mbox")
    finally:
        box.close()


def extract_tnef(path: Path, limits: Limits, tmp_dir: Path) -> ExtractionResult:
    """A TNEF (winmail.dat): its body as its text, its attachments as children."""
    import tnefparse

    if path.stat().st_size > limits.max_unpacked_mb * 2**20:
        raise ExtractionFailed(Reason.TOO_LARGE, "TNEF larger than the unpacked limit")
    try:
        tnef = tnefparse.TNEF(path.read_bytes(), do_checksum=False)
    except Exception as exc:  # tnefparse raises ValueError, struct.error, IndexError, ...
        raise ExtractionFailed(Reason.CORRUPT, f"not a readable TNEF: {exc}"[:200]) from exc
    with Unpacker(limits, tmp_dir, path.stat().st_size) as unpack:
        unpack.expect(len(tnef.attachments), sum(len(a.data or b"") for a in tnef.attachments))
        for attachment in tnef.attachments:
            name = attachment.long_filename() or attachment.name or "attachment"
            unpack.add_bytes(str(name), bytes(attachment.data or b""))
        result = unpack.result("tnef")
    subject = next(
        (_text(o.data) for o in tnef.msgprops if o.name == tnefparse.TNEF.ATTSUBJECT), ""
    ).strip("\x00 ")
    body = _tnef_body(tnef)
    result.text = "\n\n".join(part for part in (subject, body, result.text) if part)
    if subject:
        result.metadata["subject"] = subject
    return result


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return decode_guessing(value)
    return str(value or "")


def _tnef_body(tnef: Any) -> str:
    if tnef.body:
        return _text(tnef.body)
    if tnef.htmlbody:
        return html_to_text(_text(tnef.htmlbody))
    rtf = tnef.rtfbody if tnef.has_body() else None
    if isinstance(rtf, bytes) and rtf.startswith(b"{\\rtf"):
        from striprtf.striprtf import rtf_to_text

        return str(rtf_to_text(rtf.decode("latin-1"), errors="ignore"))  # type: ignore[no-untyped-call]
    return ""


def extract_pst(path: Path, limits: Limits, tmp_dir: Path) -> ExtractionResult:
    """The messages of an Outlook PST (or OST), each an EML child with its attachments."""
    import pypff

    pst = pypff.file()
    try:
        pst.open(str(path))
    except OSError as exc:
        raise ExtractionFailed(Reason.CORRUPT, f"not a readable PST: {exc}"[:200]) from exc
    try:
        with Unpacker(limits, tmp_dir, path.stat().st_size) as unpack:
            folders: list[tuple[str, Any]] = [("", pst.get_root_folder())]
            number = 0
            while folders:  # a stack, not recursion: folders nest as deep as a file says
                where, folder = folders.pop()
                for index in range(folder.get_number_of_sub_folders()):
                    sub = folder.get_sub_folder(index)
                    folders.append((f"{where}/{sub.get_name() or index}", sub))
                for index in range(folder.get_number_of_sub_messages()):
                    number += 1
                    message = _pst_message(folder.get_sub_message(index), unpack)
                    name = _message_name(number, str(message["Subject"] or ""))
                    where_name = f"{_SLASHES.sub('-', where)} {name}".strip()
                    unpack.add_bytes(where_name, message.as_bytes())
            return unpack.result("pst")
    finally:
        pst.close()


def _pst_message(item: Any, unpack: Unpacker) -> EmailMessage:
    """One PST message as an EML: its headers, body and attachments."""
    message = EmailMessage()
    headers = HeaderParser(policy=default).parsestr(item.get_transport_headers() or "")
    for header in ("From", "To", "Cc", "Date", "Message-ID"):
        if headers.get(header):
            message[header] = str(headers[header])
    if not message["From"] and item.get_sender_name():
        message["From"] = item.get_sender_name()
    message["Subject"] = item.get_subject() or ""
    plain, html = item.get_plain_text_body(), item.get_html_body()
    if plain:
        message.set_content(decode_guessing(plain))
    elif html:
        message.set_content(decode_guessing(html), subtype="html")
    else:
        message.set_content("")
    budget = unpack.max_bytes - unpack.total
    for index in range(item.get_number_of_attachments()):
        attachment = item.get_attachment(index)
        size = attachment.get_size() or 0
        if size > budget:  # declared; the bytes read are counted again when the EML is added
            raise ExtractionFailed(Reason.TOO_LARGE, "a message's attachments pass the limit")
        budget -= size
        data = attachment.read_buffer(size) if size else b""
        name = attachment.get_long_filename() or f"attachment-{index + 1}"
        message.add_attachment(
            data, maintype="application", subtype="octet-stream", filename=str(name)
        )
    return message
