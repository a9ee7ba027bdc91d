"""Old document links (the manifest's `legacy_url`) as keys that match however the link was
written down: in a case note, a bookmark, an email (docs/decisions/0038).

Two links mean the same document when they differ only in what no web server reads
differently: the scheme (an old store served http and https alike), the host's case, a default
port, a trailing slash, the order of the query's parameters, the case of percent-escapes or an
escaped letter that need not be escaped, and the fragment (never sent to a server). The path's
case and the query's values are kept: IDs in them are case-sensitive on many systems.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

_DEFAULT_PORTS = {"http": "80", "https": "443"}
# Characters a path keeps as they are; the rest are percent-escaped in one way (upper case).
_PATH_SAFE = "/:@!$&'()*+,;=-._~"
MAX_URL = 2000  # the ledger's column (catalog/models.py LedgerRow.legacy_url)


@dataclass(frozen=True)
class LegacyUrlKey:
    """A link's two keys: with its host (from `?url=`), and its path alone (from a path
    mounted under /legacy/, which has lost the host)."""

    full: str
    path: str

    @property
    def full_sha256(self) -> str:
        return _sha256(self.full)

    @property
    def path_sha256(self) -> str:
        return _sha256(self.path)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


_PLAIN_PATH = re.compile(r"[A-Za-z0-9/:@!$&'()*+,;=._~-]*\Z")  # _PATH_SAFE and letters, digits
_PLAIN_QUERY = re.compile(r"[A-Za-z0-9&=._~-]*\Z")
# Text matching these needs no escaping (the common case, kept as it is: decoding and encoding
# cost most of a key's time).


def _path(raw: str) -> str:
    # Decoding then encoding once more makes "%7e", "%7E" and "~" one spelling; a decoded "/"
    # ("%2F") becomes a separator, which no old store told apart either.
    path = raw if _PLAIN_PATH.match(raw) else quote(unquote(raw), safe=_PATH_SAFE)
    path = path.rstrip("/")
    return path if path.startswith("/") else "/" + path


def _query(raw: str) -> str:
    if _PLAIN_QUERY.match(raw):  # nothing escaped: the pairs sorted as written
        pairs = [(k, v) for k, _, v in (p.partition("=") for p in raw.split("&") if p)]
        return "&".join(f"{k}={v}" for k, v in sorted(pairs))
    return urlencode(sorted(parse_qsl(raw, keep_blank_values=True)))


def legacy_url_key(url: str) -> LegacyUrlKey:
    """The keys of a link; a link without a host (a bare path) has an empty host part.
    Raises ValueError for what is not a link at all."""
    text = url.strip()
    if not text or len(text) > MAX_URL:
        raise ValueError(f"a link of 1 to {MAX_URL} characters is needed")
    if "://" not in text and not text.startswith("/"):
        # "escr.old.example/doc?id=1" is a host written without its scheme; "doc?id=1" a path.
        first = text.split("/", 1)[0].split("?", 1)[0]
        text = ("//" if "." in first else "/") + text
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"the link's port is not a number: {exc}") from exc
    if port is not None and str(port) != _DEFAULT_PORTS.get(scheme or "http"):
        host = f"{host}:{port}"
    path = _path(parts.path)
    query = _query(parts.query)
    tail = path + ("?" + query if query else "")
    return LegacyUrlKey(full=f"{host}{tail}", path=tail)
