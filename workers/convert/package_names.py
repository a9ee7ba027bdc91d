"""OOXML packages whose part names differ in case from the names that refer to them.

The Open Packaging Conventions (ECMA-376 part 2) compare part names without regard to case, and
Excel and Word open such files; LibreOffice looks parts up exactly and refuses them ("cannot
open the file"). xlrd's issue150.xlsx, written by a .NET library, holds `[content_types].xml`
and `xl/sharedstrings.xml` where the conventions and its relationships say
`[Content_Types].xml` and `sharedStrings.xml`. LibreOffice is given a copy with each part
renamed to the spelling its references use. Runs where the conversion does: in a sandbox child.
"""

from __future__ import annotations

import posixpath
import zipfile
from pathlib import Path

from lxml import etree

CONTENT_TYPES = "[Content_Types].xml"
# Past this many unpacked bytes a package is not copied (LibreOffice gets it as it is).
_MAX_COPY = 256 * 2**20
# ... nor read for its references past this size of one .rels or content types part.
_MAX_XML = 4 * 2**20
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def with_canonical_names(path: Path, out_dir: Path) -> Path | None:
    """A copy of the package at `path` in `out_dir` with its part names spelt as referred to,
    or None where nothing needs renaming (or it is not a readable package)."""
    try:
        with zipfile.ZipFile(path) as package:
            infos = package.infolist()
            exact = {info.filename for info in infos}
            folded = {info.filename.casefold(): info.filename for info in infos}
            if CONTENT_TYPES.casefold() not in folded:
                return None  # not an OPC package (ODF, a plain zip)
            renames = {
                folded[wanted.casefold()]: wanted
                for wanted in {CONTENT_TYPES} | _references(package, folded)
                if wanted not in exact and wanted.casefold() in folded
            }
            if not renames or sum(info.file_size for info in infos) > _MAX_COPY:
                return None
            out_dir.mkdir(parents=True, exist_ok=True)
            copy = out_dir / f"names-{path.name}"
            with zipfile.ZipFile(copy, "w", zipfile.ZIP_DEFLATED) as renamed:
                for info in infos:
                    renamed.writestr(renames.get(info.filename, info.filename), package.read(info))
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
        return None
    return copy


def _references(package: zipfile.ZipFile, folded: dict[str, str]) -> set[str]:
    """Every part name the package refers to: content types' overrides, relationships' targets
    (resolved against their source part's folder), and the relationships part of each."""
    found: set[str] = set()
    types = _xml(package, folded[CONTENT_TYPES.casefold()])
    if types is not None:
        for override in types.iter("{*}Override"):
            found.add(override.get("PartName", "").lstrip("/"))
    for name in folded.values():
        if not name.casefold().endswith(".rels"):
            continue
        rels = _xml(package, name)
        if rels is None:
            continue
        # "xl/_rels/workbook.xml.rels" speaks for "xl/workbook.xml": targets are relative to "xl/".
        base = posixpath.dirname(posixpath.dirname(name))
        for relationship in rels.iter("{*}Relationship"):
            target = relationship.get("Target", "")
            if relationship.get("TargetMode") == "External" or not target or "://" in target:
                continue
            part = target.lstrip("/") if target.startswith("/") else posixpath.join(base, target)
            part = posixpath.normpath(part)
            found.add(part)
            found.add(
                posixpath.join(posixpath.dirname(part), "_rels", f"{posixpath.basename(part)}.rels")
            )
    return {name for name in found if name and not name.startswith("..")}


def _xml(package: zipfile.ZipFile, name: str) -> etree._Element | None:
    info = package.getinfo(name)
    if info.file_size > _MAX_XML:
        return None
    try:
        return etree.fromstring(package.read(info), _PARSER)
    except etree.XMLSyntaxError:
        return None
