"""The LibreOffice profile escr writes for each server before it starts: a document converted
for a person's record gets nothing from outside itself.

A document can link other content that LibreOffice would pull in on load: pictures linked to a
local file or a URL (measured: both were fetched into the rendition before this profile),
linked sections and INCLUDETEXT fields, sheet links, external references, DDE, WEBSERVICE, and
macros bound to its events. What comes out becomes part of a person's record, so a link to
another person's file on the same server is a leak across records, and a URL is a request from
inside the network. Every item below is a name in LibreOffice's own schema (Debian's
/usr/lib/libreoffice/share/registry/main.xcd); docs/decisions/0024-office-conversion.md
("Linked content") says what each was measured to close.
"""

from __future__ import annotations

from pathlib import Path

# A proxy nobody listens on (the discard port): LibreOffice's own fetches of URLs go nowhere.
DEAD_PROXY_HOST, DEAD_PROXY_PORT = "127.0.0.1", 9

# (node path, property, XML schema type, value).
SETTINGS: tuple[tuple[str, str, str, str], ...] = (
    # Pictures linked from a document not in a trusted location (none are) are not loaded:
    # this is what stops a linked picture, a local file's or a URL's.
    (
        "/org.openoffice.Office.Common/Security/Scripting",
        "BlockUntrustedRefererLinks",
        "xs:boolean",
        "true",
    ),
    # No macro runs: very high security with no trusted locations, and execution disabled.
    ("/org.openoffice.Office.Common/Security/Scripting", "MacroSecurityLevel", "xs:int", "3"),
    (
        "/org.openoffice.Office.Common/Security/Scripting",
        "DisableMacrosExecution",
        "xs:boolean",
        "true",
    ),
    # Links are never updated on load: Writer's 0 is "never" (sw's linkenum: NEVER=0).
    ("/org.openoffice.Office.Writer/Content/Update", "Link", "xs:int", "0"),
    # Fields keep the results the file holds (a rendition shows the file as it was).
    ("/org.openoffice.Office.Writer/Content/Update", "Field", "xs:boolean", "false"),
    # Calc's 1 is "never" (ScLkUpdMode: LM_ALWAYS=0, LM_NEVER=1, LM_ON_DEMAND=2).
    ("/org.openoffice.Office.Calc/Content/Update", "Link", "xs:int", "1"),
    # Formulas are never recalculated on load: the cached values stand (1 = never).
    ("/org.openoffice.Office.Calc/Formula/Load", "ODFRecalcMode", "xs:int", "1"),
    ("/org.openoffice.Office.Calc/Formula/Load", "OOXMLRecalcMode", "xs:int", "1"),
    # Any URL LibreOffice still tries goes to a dead proxy (2 = manual proxy), loopback too.
    ("/org.openoffice.Inet/Settings", "ooInetProxyType", "xs:int", "2"),
    ("/org.openoffice.Inet/Settings", "ooInetHTTPProxyName", "xs:string", DEAD_PROXY_HOST),
    ("/org.openoffice.Inet/Settings", "ooInetHTTPProxyPort", "xs:int", str(DEAD_PROXY_PORT)),
    ("/org.openoffice.Inet/Settings", "ooInetHTTPSProxyName", "xs:string", DEAD_PROXY_HOST),
    ("/org.openoffice.Inet/Settings", "ooInetHTTPSProxyPort", "xs:int", str(DEAD_PROXY_PORT)),
    ("/org.openoffice.Inet/Settings", "ooInetFTPProxyName", "xs:string", DEAD_PROXY_HOST),
    ("/org.openoffice.Inet/Settings", "ooInetFTPProxyPort", "xs:int", str(DEAD_PROXY_PORT)),
    ("/org.openoffice.Inet/Settings", "ooInetNoProxy", "xs:string", ""),
)

# The same for any fetch through libcurl or a library that reads the usual variables.
PROXY_ENV = {
    name: f"http://{DEAD_PROXY_HOST}:{DEAD_PROXY_PORT}"
    for name in (
        "http_proxy",
        "https_proxy",
        "ftp_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "FTP_PROXY",
        "all_proxy",
        "ALL_PROXY",
    )
}
NO_PROXY_ENV = ("no_proxy", "NO_PROXY")


def registry_modifications() -> str:
    items = "".join(
        f'<item oor:path="{path}"><prop oor:name="{name}" oor:op="fuse" oor:type="{kind}">'
        f"<value>{value}</value></prop></item>\n"
        for path, name, kind, value in SETTINGS
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<oor:items xmlns:oor="http://openoffice.org/2001/registry" '
        'xmlns:xs="http://www.w3.org/2001/XMLSchema" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
        f"{items}</oor:items>\n"
    )


def write_hardened_profile(profile: Path) -> Path:
    """Write the settings into the profile LibreOffice will start with (`profile` is the
    folder given as its UserInstallation; the settings live in its user/ folder). Written
    before every start: a profile LibreOffice rewrote is set back."""
    user = profile / "user"
    user.mkdir(parents=True, exist_ok=True)
    path = user / "registrymodifications.xcu"
    path.write_text(registry_modifications())
    return path


def server_env(env: dict[str, str]) -> dict[str, str]:
    """`env` with every proxy variable pointing at the dead proxy and no exceptions."""
    hardened = {key: value for key, value in env.items() if key not in NO_PROXY_ENV}
    hardened.update(PROXY_ENV)
    return hardened
