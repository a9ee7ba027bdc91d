"""A file's type from its content (libmagic), with the quirks of real archives smoothed out.

Ingest runs detection in a sandbox child (workers.sandbox.spooler); attachments are typed in the
parent. So past libmagic it only looks at a file's first and last 64 KiB as raw bytes: nothing
here parses a container.
"""

from __future__ import annotations

import codecs
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePath

import magic

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"
MSG = "application/vnd.ms-outlook"
EML = "message/rfc822"
EMPTY = "application/x-empty"
UNKNOWN = "application/octet-stream"  # libmagic's answer for bytes of no type it knows
# libmagic names a PST as it names an MSG (application/vnd.ms-outlook); its "!BDN" start tells.
PST = "application/vnd.ms-outlook-pst"
MBOX = "application/mbox"

# How much of a file's start and end the MIME refinement looks at (ingest keeps a file's last
# SNIFF_BYTES while reading it, for detect_bytes).
SNIFF_BYTES = 64 * 1024
# libmagic reads at most this much of a file (its MAGIC_PARAM_BYTES_MAX default), so typing
# these first bytes from memory gives the answer typing the file would, without opening it again.
MAGIC_BYTES = 7 * 2**20
_ZIP_MIMES = {"application/zip", "application/octet-stream", "application/x-zip-compressed"}
_OLE_MIMES = {
    "application/cdfv2",
    "application/x-ole-storage",
    "application/octet-stream",
    "application/vnd.ms-office",
}
# An Outlook message is an OLE file whose directory names its MAPI property streams so.
_MSG_MARKERS = ("__substg1.0_".encode("utf-16-le"), "__properties_version1.0".encode("utf-16-le"))
# Other OLE files by the stream their application names its content (first match wins: a Word
# file can hold a Workbook stream of an embedded chart, rarely the other way round).
_OLE_STREAMS = tuple(
    (name.encode("utf-16-le"), mime)
    for name, mime in (
        ("WordDocument", "application/msword"),
        ("PowerPoint Document", "application/vnd.ms-powerpoint"),
        ("Workbook", "application/vnd.ms-excel"),
        ("Book", "application/vnd.ms-excel"),
        ("VisioDocument", "application/vnd.visio"),
        ("MatOST", "application/vnd.ms-works"),
        ("StarWriterDocument", "application/vnd.stardivision.writer"),
        ("StarCalcDocument", "application/vnd.stardivision.calc"),
        ("StarImpressDocument", "application/vnd.stardivision.impress"),
        ("StarDrawDocument3", "application/vnd.stardivision.draw"),
        ("EncryptedPackage", "application/vnd.ms-office"),  # a password-protected OOXML file
    )
)
# Zip packages by a member only their format has (OOXML beyond DOCX, Apple iWork 2013+).
_ZIP_MEMBERS = (
    (b"xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    (
        b"ppt/presentation.xml",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    (b"Index/Document.iwa", "application/vnd.apple.pages"),
    (b"Index/Presentation.iwa", "application/vnd.apple.keynote"),
    (b"Index/CalculationEngine.iwa", "application/vnd.apple.numbers"),
)
# An mbox: a "From " separator line (sender, then an asctime date: "From a@b Mon Jan  1 10:00:00
# 2001"), then a message's first header line; a letter that opens "From the desk of" is not one.
_MBOX_START = re.compile(
    rb"From \S+ +[A-Z][a-z]{2} [A-Z][a-z]{2} +\d{1,2} \d{1,2}:\d{2}[^\r\n]*\r?\n[\w-]+: "
)
_HEADER_LINE = re.compile(
    rb"^(?:From|To|Cc|Subject|Date|Message-ID|MIME-Version|Received"
    rb"|Return-Path|Reply-To|Content-Type|X-[\w-]+): ",
    re.IGNORECASE | re.M,
)

# Extensions each type is expected to carry. A file whose extension belongs to another type
# here is a mismatch; an extension no type claims (.dat, .001) says nothing, so it is not.
_EXTENSIONS: dict[str, frozenset[str]] = {
    PDF: frozenset({".pdf"}),
    DOCX: frozenset({".docx", ".docm", ".dotx"}),
    "application/msword": frozenset({".doc", ".dot"}),
    ODT: frozenset({".odt", ".ott"}),
    "text/rtf": frozenset({".rtf"}),
    "text/html": frozenset({".html", ".htm", ".xhtml"}),
    "text/plain": frozenset({".txt", ".text", ".log", ".csv", ".md"}),
    "text/csv": frozenset({".csv", ".txt"}),
    EML: frozenset({".eml"}),
    MSG: frozenset({".msg"}),
    "image/jpeg": frozenset({".jpg", ".jpeg", ".jpe", ".jfif"}),
    "image/png": frozenset({".png"}),
    "image/tiff": frozenset({".tif", ".tiff"}),
    "image/gif": frozenset({".gif"}),
    "image/bmp": frozenset({".bmp"}),
    "application/vnd.wordperfect": frozenset({".wpd", ".wp", ".wp5", ".wp6"}),
    "application/vnd.ms-excel": frozenset({".xls", ".xlt", ".xlw"}),
    "application/vnd.ms-powerpoint": frozenset({".ppt", ".pps", ".pot"}),
    "application/vnd.ms-works": frozenset({".wps", ".wks", ".wdb"}),
    "application/vnd.visio": frozenset({".vsd", ".vst", ".vss"}),
    "application/vnd.sun.xml.writer": frozenset({".sxw"}),
    "application/vnd.stardivision.writer": frozenset({".sdw"}),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": frozenset(
        {".xlsx", ".xlsm"}
    ),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": frozenset(
        {".pptx", ".ppsx", ".pptm"}
    ),
    "application/vnd.oasis.opendocument.spreadsheet": frozenset({".ods", ".ots"}),
    "application/vnd.oasis.opendocument.presentation": frozenset({".odp", ".otp"}),
    "application/vnd.apple.pages": frozenset({".pages"}),
    "application/zip": frozenset({".zip"}),
    "application/x-7z-compressed": frozenset({".7z"}),
    "application/x-tar": frozenset({".tar"}),
    "application/gzip": frozenset({".gz", ".tgz", ".gzip"}),
    "application/x-bzip2": frozenset({".bz2", ".tbz2", ".tbz"}),
    "application/x-xz": frozenset({".xz", ".txz"}),
    "application/vnd.ms-tnef": frozenset({".tnef"}),  # winmail.dat: .dat says nothing
    MBOX: frozenset({".mbox", ".mbx", ".mbs"}),
    PST: frozenset({".pst", ".ost"}),
}
# libmagic's names for text formats it files outside text/ (escr reads them as plain text).
TEXT_APPLICATION_MIMES = frozenset(
    {
        "application/json",
        "application/x-ndjson",
        "application/x-subrip",
        "application/x-setupscript",
        "application/x-wine-extension-ini",
        "application/javascript",
    }
)
# Text in a wide coding (UTF-16, as Windows' "Unicode" text files and many exports are
# written, or UTF-32): libmagic knows it only by a byte-order mark, and even then may not call
# it text (a SubRip file); without one it says "data", or sees a UTF-32BE file's leading zeros
# as an Adobe colour swatch. Byte-order marks, longest first (UTF-32LE's starts as UTF-16LE's).
_WIDE_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
_WIDE_SAMPLE = 4096  # bytes of a file's start judged
# libmagic's type for a DOS program, which it may guess for a .COM from one byte.
DOS_PROGRAM = "application/x-dosexec"
# Bytes text in a one-byte coding is made of: all but the control characters that are not
# whitespace or ESC (ISO 2022 codings shift with it).
_TEXT_BYTES = bytes(b for b in range(256) if b >= 0x20 or b in b"\t\n\r\f\x1b")
# Share of the sample's characters that must be printable (or whitespace) for it to be text.
_PRINTABLE_SHARE = 0.95
_ALIASES = {"application/rtf": "text/rtf", "inode/x-empty": EMPTY, "image/x-ms-bmp": "image/bmp"}
_KNOWN_EXTENSIONS = frozenset().union(*_EXTENSIONS.values())


@dataclass(frozen=True)
class FileType:
    mime: str
    description: str


def detect(path: Path) -> FileType:
    """The type of the file at `path`, judged by its content and never by its name."""
    with path.open("rb") as handle:
        head = handle.read(MAGIC_BYTES)
        size = handle.seek(0, 2)
        handle.seek(max(0, size - SNIFF_BYTES))
        tail = handle.read(SNIFF_BYTES)
    return detect_bytes(head, tail)


def detect_bytes(head: bytes, tail: bytes, *, describe: bool = True) -> FileType:
    """detect() for a file whose first MAGIC_BYTES (all of it, if shorter) are `head` and whose
    last 64 KiB are `tail`: ingest types the bytes it has just read, without opening the file."""
    mime = magic.from_buffer(head, mime=True)
    description = magic.from_buffer(head) if describe else ""
    mime = _ALIASES.get(mime, mime)
    if not mime.startswith("text/"):
        codec = wide_text_encoding(head)
        if codec is not None:
            return _wide_text_type(head, codec, describe)
    if mime.lower() in _ZIP_MIMES | _OLE_MIMES or mime in ("text/plain", MSG, DOS_PROGRAM):
        mime = _refine(head[:SNIFF_BYTES], tail, mime)
    return FileType(mime=mime, description=description)


def wide_text_encoding(data: bytes) -> str | None:
    """The UTF-16 or UTF-32 coding `data` (a file's start) is text in, or None. Known by a
    byte-order mark or, without one, by where the zero bytes of its ASCII characters fall
    ("A" is 00 41 in UTF-16BE); either way its first characters must read as text."""
    sample = data[:_WIDE_SAMPLE]
    for bom, codec in _WIDE_BOMS:
        if sample.startswith(bom):
            return codec if _reads_as_text(sample[len(bom) :], codec) else None
    # ASCII in UTF-16 is half zero bytes, in UTF-32 three quarters; text in a one-byte coding
    # or UTF-8 has none.
    if len(sample) < 32 or sample.count(0) < len(sample) // 4:
        return None
    for codec in ("utf-32-be", "utf-32-le", "utf-16-be", "utf-16-le"):
        if _reads_as_text(sample, codec):
            return codec
    return None


def _reads_as_text(sample: bytes, codec: str) -> bool:
    """Whether `sample` decodes in `codec` to characters nearly all printable or whitespace
    (binary data read as UTF-16 gives control, unassigned and private-use characters)."""
    decoder = codecs.getincrementaldecoder(codec)()
    try:
        text = decoder.decode(sample, final=False)  # a sample may end inside a character
    except UnicodeDecodeError:
        return False
    if not text.strip():
        return False
    readable = sum(1 for char in text if char.isprintable() or char in "\t\n\r\f")
    return readable >= _PRINTABLE_SHARE * len(text)


def _wide_text_type(head: bytes, codec: str, describe: bool) -> FileType:
    """The type of wide-coded text: libmagic's answer for the same text in UTF-8 (plain text,
    HTML, SubRip...), or plain text where that is not a text type."""
    sample = head[:SNIFF_BYTES]
    text = codecs.getincrementaldecoder(codec)(errors="replace").decode(sample, final=False)
    utf8 = text.lstrip("\ufeff").encode("utf-8")
    mime = magic.from_buffer(utf8, mime=True)
    mime = _ALIASES.get(mime, mime)
    if not (mime.startswith("text/") or mime in TEXT_APPLICATION_MIMES):
        mime = "text/plain"
    description = f"{magic.from_buffer(utf8)}, {codec.upper()}" if describe else ""
    return FileType(mime=mime, description=description)


def _refine(head: bytes, tail: bytes, mime: str) -> str:
    """Resolve the generic answers libmagic gives for zip, OLE and header-only text files."""
    if head.startswith(b"PK\x03\x04"):
        if head[30:38] == b"mimetype" and head[38:].startswith(ODT.encode()):
            return ODT
        if b"word/document.xml" in head or b"word/document.xml" in tail:
            return DOCX
        if b"META-INF/manifest.xml" in tail and b"content.xml" in tail:
            return _packed_odf_type(head) or ODT
        for member, zipped in _ZIP_MEMBERS:
            if member in head or member in tail:
                return zipped
    elif head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        # The OLE directory can sit anywhere; scanning head and tail covers small messages,
        # and libmagic names most larger ones itself.
        if any(marker in head or marker in tail for marker in _MSG_MARKERS):
            return MSG
        for stream, ole in _OLE_STREAMS:
            if stream in head or stream in tail:
                return ole
    elif mime == MSG and head.startswith(b"!BDN"):
        return PST
    elif mime in ("text/plain", UNKNOWN) and _MBOX_START.match(head):
        return MBOX
    # (A message with a stray zero byte in it is "data" to libmagic: mail-parser's tests.)
    elif mime in ("text/plain", UNKNOWN) and _HEADER_LINE.match(head):
        if len(_HEADER_LINE.findall(head)) >= 3:
            return EML
    elif mime == DOS_PROGRAM and _one_byte_text(head):
        return "text/plain"
    return mime


def _one_byte_text(head: bytes) -> bool:
    """Whether `head` reads as text in a one-byte coding: no control characters but
    whitespace (and ESC), which machine code is full of. libmagic takes a file for a DOS .COM
    program by its first bytes alone, and Greek in ISO 8859-7 can start like one ("Έ" is
    0xB8, a MOV instruction: chardet's tests)."""
    sample = head[:_WIDE_SAMPLE]
    return len(sample) >= 32 and not sample.translate(None, _TEXT_BYTES)


def _packed_odf_type(head: bytes) -> str | None:
    """The type an OpenDocument package names in its `mimetype` member where that member is
    not stored first and uncompressed, as the standard asks and some writers (re-zipped files,
    pyexcel-ods' test files) do not. Read only where `head` holds the whole zip, and only a
    member that says it is small."""
    try:
        with zipfile.ZipFile(io.BytesIO(head)) as package:
            info = package.getinfo("mimetype")
            if info.file_size > 100:
                return None
            named = package.read(info).decode("ascii").strip()
    except (zipfile.BadZipFile, KeyError, ValueError, NotImplementedError, OSError, EOFError):
        return None
    return named if named.startswith("application/vnd.oasis.opendocument.") else None


def extension_mismatch(filename: str, mime: str) -> bool:
    """True when `filename`'s extension belongs to a different type than the content's `mime`."""
    extension = PurePath(filename.replace("\\", "/")).suffix.lower()
    if not extension or extension not in _KNOWN_EXTENSIONS:
        return False
    expected = _EXTENSIONS.get(_ALIASES.get(mime, mime))
    if expected is None:
        # Bytes libmagic finds no type in contradict a name that promises one (random bytes
        # named .pdf); a type escr lists no extensions for says nothing either way.
        return mime == UNKNOWN
    return extension not in expected
