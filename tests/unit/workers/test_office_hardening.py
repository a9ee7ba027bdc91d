"""Documents that try to pull other content in when LibreOffice opens them get nothing.

A document's text and rendition become part of a person's record, so a file linking another
file on this server (file:///etc/passwd, another person's blob under ESCR_HOME, the archive
folder) or a URL (SSRF, tracking) must come out with its own content only. Each attack is run
as a load runs it: extraction and rendition in the sandbox, through escr's supervised
LibreOffice (docs/decisions/0024-office-conversion.md, "Linked content"). Checked: the secret
is in neither the text nor the rendition's text, the local web server saw no request, a macro
bound to the load event left no marker.

The documents are made before the targets hold their secrets (and while the web server only
answers 404, uncounted), so nothing fetched while making them can be mistaken for a leak.
LibreOffice is provisioned by scripts/system-deps.sh: without it these tests fail.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from lxml import etree
from pypdf import PdfReader

from tests.factories import office, office_links
from tests.factories.office_links import file_url
from workers.convert import profile
from workers.extract.base import Limits
from workers.filetype import detect
from workers.render.base import RenderRequest
from workers.sandbox import SandboxPool

SECRET = "ZEPHYRINE-OTHER-PERSON-4471"


@dataclass
class Web:
    """A web server on loopback that records the requests made once it is armed."""

    url: str = ""
    armed: bool = False
    requests: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def web() -> Iterator[Web]:
    seen = Web()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if not seen.armed:
                self.send_error(404)
                return
            seen.requests.append(self.path)
            body = f"<a>{SECRET}</a>".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    seen.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield seen
    server.shutdown()
    server.server_close()


@dataclass(frozen=True)
class Targets:
    text: Path  # a plain text file
    picture: Path  # an SVG drawing of the secret
    sheet: Path  # a spreadsheet whose Sheet1.A1 is the secret
    marker: Path  # what the macro writes


Attack = Callable[[Path, Targets, str], Path]

ATTACKS: dict[str, Attack] = {
    "section linked to a local file": lambda root, t, url: office_links.linked_section(
        root / "section-file.odt", file_url(t.text)
    ),
    "section linked to a URL": lambda root, t, url: office_links.linked_section(
        root / "section-url.odt", f"{url}/section"
    ),
    "image linked to a local file": lambda root, t, url: office_links.linked_image(
        root / "image-file.odt", file_url(t.picture)
    ),
    "image linked to a URL": lambda root, t, url: office_links.linked_image(
        root / "image-url.odt", f"{url}/image.svg"
    ),
    "Basic macro on load": lambda root, t, url: office_links.macro_on_load(
        root / "macro.odt", t.marker
    ),
    "WEBSERVICE": lambda root, t, url: office_links.formula_sheet(
        root / "webservice.ods", f'COM.MICROSOFT.WEBSERVICE("{url}/webservice")'
    ),
    "FILTERXML of WEBSERVICE": lambda root, t, url: office_links.formula_sheet(
        root / "filterxml.ods",
        f'COM.MICROSOFT.FILTERXML(COM.MICROSOFT.WEBSERVICE("{url}/filterxml");"/a")',
    ),
    "external reference": lambda root, t, url: office_links.formula_sheet(
        root / "external.ods", f"['{file_url(t.sheet)}'#$Sheet1.A1]"
    ),
    "DDE link": lambda root, t, url: office_links.formula_sheet(
        root / "dde.ods", f'DDE("soffice";"{t.sheet}";"Sheet1.A1")'
    ),
    "sheet linked to a local file": lambda root, t, url: office_links.sheet_link(
        root / "sheet-link.ods", file_url(t.sheet)
    ),
    "DOCX INCLUDETEXT": lambda root, t, url: office_links.docx_with_fields(
        root / "includetext.docx", [f'INCLUDETEXT "{t.text}"']
    ),
    "DOCX INCLUDEPICTURE of a URL": lambda root, t, url: office_links.docx_with_fields(
        root / "includepicture.docx", [f'INCLUDEPICTURE "{url}/picture.png" \\d']
    ),
    "DOCX external image relationship to a URL": lambda root, t, url: (
        office_links.docx_with_external_image(root / "external-url.docx", f"{url}/external.png")
    ),
    "DOCX external image relationship to a local file": lambda root, t, url: (
        office_links.docx_with_external_image(root / "external-file.docx", file_url(t.picture))
    ),
}
# The same attacks saved by LibreOffice in the formats escr reads through it (their text comes
# from LibreOffice too, not only their rendition).
SAVED_AS = {
    "section linked to a local file": "doc",
    "image linked to a URL": "doc",
    "image linked to a local file": "doc",
    "external reference": "xlsx",
    "WEBSERVICE": "xlsx",
    "sheet linked to a local file": "xls",
}


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxPool]:
    with SandboxPool(2, Limits(timeout_s=60.0), tmp_path_factory.mktemp("sandbox")) as made:
        yield made


@pytest.fixture(scope="module")
def documents(
    tmp_path_factory: pytest.TempPathFactory, web: Web, pool: SandboxPool
) -> tuple[dict[str, Path], Targets]:
    root = tmp_path_factory.mktemp("hostile")
    secrets = tmp_path_factory.mktemp("another-person")
    targets = Targets(
        secrets / "record.txt", secrets / "record.svg", secrets / "record.ods", root / "ran"
    )
    made = {name: attack(root, targets, web.url) for name, attack in ATTACKS.items()}
    saved = root / "saved"
    for name, extension in SAVED_AS.items():
        made[f"{name} ({extension})"] = office.saved_as(made[name], extension, saved)
    # Only now the targets hold the secret and the web server answers with it.
    targets.text.write_text(f"{SECRET}\n")
    office_links.secret_svg(targets.picture, SECRET)
    office.spreadsheet(targets.sheet, {"Sheet1": [[SECRET]]})
    web.armed = True
    return made, targets


NAMES = [*ATTACKS, *(f"{name} ({extension})" for name, extension in SAVED_AS.items())]


@pytest.mark.parametrize("name", NAMES)
def test_a_document_gets_none_of_what_it_links_to(
    name: str,
    documents: tuple[dict[str, Path], Targets],
    web: Web,
    pool: SandboxPool,
    tmp_path: Path,
) -> None:
    made, targets = documents
    path = made[name]
    mime = detect(path).mime
    web.requests.clear()

    extraction = pool.submit(str(path), mime).result()
    rendition_path = tmp_path / "rendition.pdf"
    rendition = pool.render(RenderRequest(str(path), mime, str(rendition_path))).result()

    # The attack documents are readable: what is checked is what came out of them.
    assert extraction.ok, extraction.detail
    assert rendition.ok, rendition.detail
    assert office_links.VISIBLE in extraction.text
    pages = PdfReader(rendition_path).pages
    shown = "".join(page.extract_text() or "" for page in pages)
    assert "Visible" in shown  # a narrow spreadsheet column cuts the rest
    assert SECRET not in extraction.text
    assert SECRET not in shown
    assert web.requests == []
    assert not targets.marker.exists()
    # A linked picture pulled in shows as an image even where it has no text.
    assert sum(len(page.images) for page in pages) == 0


def test_every_profile_setting_is_a_name_in_libreoffices_own_schema() -> None:
    """A misspelt setting is silently ignored by LibreOffice: each must be in its schema."""
    schema = etree.parse("/usr/lib/libreoffice/share/registry/main.xcd")
    oor = "{http://openoffice.org/2001/registry}"
    for path, name, _, _ in profile.SETTINGS:
        package_and_component, *groups = path.strip("/").split("/")
        package, _, component = package_and_component.rpartition(".")
        node = schema.find(
            f".//{oor}component-schema[@{oor}package='{package}'][@{oor}name='{component}']"
            "/component"
        )
        for group in groups:
            assert node is not None, path
            node = node.find(f"group[@{oor}name='{group}']")
        assert node is not None, path
        assert node.find(f"prop[@{oor}name='{name}']") is not None, (path, name)


def test_the_profile_holds_every_setting_and_the_server_has_no_proxy_exception(
    tmp_path: Path,
) -> None:
    written = profile.write_hardened_profile(tmp_path / "profile")
    items = etree.parse(str(written)).getroot()
    assert len(items) == len(profile.SETTINGS)
    env = profile.server_env({"no_proxy": "*", "PATH": "/usr/bin"})
    assert "no_proxy" not in env and env["http_proxy"].endswith(":9")
