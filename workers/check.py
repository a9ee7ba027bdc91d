"""`escr load --check`: everything a load would refuse or guess, found without loading anything.

Each check is the loader's own: the same readers (read_manifest, read_people), the same mapping
loader, the same path resolution (workers.ingest.resolve_path, which only stats). Nothing is
written and no file's content is read beyond the two CSVs and the mapping.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.errors import InvalidInput
from workers.ingest import Quarantine, resolve_path
from workers.sources.csvfile import Note
from workers.sources.manifest import BadRow, read_manifest
from workers.sources.mapping import Mapping, load_mapping
from workers.sources.people import BadPerson, read_people, repeated_person_ids

EXAMPLES = 5


@dataclass
class Problem:
    """One kind of problem in one file: how many rows have it, and the first few."""

    code: str  # "manifest.unreadable_date"
    refused: bool  # the load would not load these rows (or, with no line, anything)
    count: int = 0
    examples: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class CheckReport:
    examples: int = EXAMPLES
    rows: Counter[str] = field(default_factory=Counter)
    problems: dict[str, Problem] = field(default_factory=dict)

    def add(self, code: str, refused: bool, path: Path, line: int | None, detail: str) -> None:
        problem = self.problems.setdefault(code, Problem(code, refused))
        problem.count += 1
        if len(problem.examples) < self.examples:
            problem.examples.append({"file": str(path), "line": line, "detail": detail})

    @property
    def refused(self) -> int:
        return sum(p.count for p in self.problems.values() if p.refused)

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.refused == 0,
            "rows": dict(self.rows),
            "refused": self.refused,
            "warnings": sum(p.count for p in self.problems.values() if not p.refused),
            "problems": [
                {"code": p.code, "refused": p.refused, "count": p.count, "examples": p.examples}
                for p in self._ordered()
            ],
        }

    def as_text(self) -> str:
        counted = ", ".join(f"{n} {kind} rows" for kind, n in sorted(self.rows.items()))
        lines = [f"checked {counted or 'nothing'}"]
        for refused, title in (
            (True, "REFUSED: the load would not load these"),
            (False, "WARNINGS: the load would go on, with a guess or without the value"),
        ):
            group = [p for p in self._ordered() if p.refused == refused]
            if group:
                lines.append(title)
            for problem in group:
                lines.append(f"  {problem.code}: {problem.count}")
                for example in problem.examples:
                    where = Path(example["file"]).name
                    if example["line"] is not None:
                        where += f" line {example['line']}"
                    lines.append(f"    {where}: {example['detail']}")
        lines.append(
            f"{self.refused} row(s) or file(s) would be refused"
            if self.refused
            else "nothing would be refused"
        )
        return "\n".join(lines)

    def _ordered(self) -> list[Problem]:
        return sorted(self.problems.values(), key=lambda p: (not p.refused, -p.count, p.code))


def check_archive(
    *,
    manifest: Path,
    people: Path | None,
    mapping_path: Path | None,
    examples: int = EXAMPLES,
    home: Path | None = None,
) -> CheckReport:
    """What `escr load` with these arguments would refuse or guess, row by row, and the files
    in the archive folder no row names (`home`, escr's own, is not looked in)."""
    report = CheckReport(examples=examples)
    try:
        mapping = load_mapping(mapping_path)
    except InvalidInput as exc:
        for message in str(exc).splitlines():
            report.add("mapping", True, mapping_path or Path("mapping"), None, message)
        return report
    if people is not None:
        _check_people(report, people, mapping)
    listed = _check_manifest(report, manifest, mapping)
    if listed is not None:
        inputs = [manifest, people, mapping_path]
        own = {os.path.realpath(p) for p in inputs if p is not None}
        skip = {os.path.realpath(home)} if home is not None else set()
        for name in unlisted_files(manifest.parent, listed | own, skip):
            detail = f"{name} is in the archive folder but no manifest row loads it"
            report.add("archive.unlisted_file", False, manifest, None, detail)
    return report


# Files Windows and macOS leave in folders for themselves: never a document.
SHELL_FILES = frozenset({"thumbs.db", "desktop.ini"})


def unlisted_files(root: Path, listed: set[str], skip: set[str]) -> Iterable[str]:
    """The archive's files (their real paths not in `listed`), relative to `root`, in order;
    hidden files, the shell's own and the folders in `skip` are passed over. Links are not
    followed: a row reaches what a link names through its own path."""
    base = os.path.realpath(root)
    for folder, folders, files in os.walk(base):
        folders[:] = sorted(
            name
            for name in folders
            if not name.startswith(".") and os.path.join(folder, name) not in skip
        )
        for name in sorted(files):
            if name.startswith(".") or name.lower() in SHELL_FILES:
                continue
            path = os.path.join(folder, name)
            if path not in listed and os.path.realpath(path) not in listed:
                yield os.path.relpath(path, base).replace(os.sep, "/")


def _check_people(report: CheckReport, path: Path, mapping: Mapping) -> None:
    try:
        for item in read_people(path, mapping, _header_notes(report, "people", path)):
            report.rows["people"] += 1
            if isinstance(item, BadPerson):
                report.add(f"people.{item.code}", True, path, item.line_no, item.detail)
                continue
            for note in item.warnings:
                report.add(f"people.{note.code}", False, path, item.line_no, note.detail)
        for earlier, line_no, person_id in repeated_person_ids(path, mapping):
            detail = f"person_id {person_id!r} is also on line {earlier}; the whole file is refused"
            report.add("people.repeated_person_id", True, path, line_no, detail)
    except InvalidInput as exc:
        report.add("people.file", True, path, None, str(exc))


def _check_manifest(report: CheckReport, path: Path, mapping: Mapping) -> set[str] | None:
    """Check every row; the real paths of the files the rows name (None: the file was
    refused whole)."""
    first_line: dict[tuple[str, str], int] = {}
    listed: set[str] = set()
    real_folders: dict[str, str] = {}  # as the loader does: each folder resolved once
    try:
        for item in read_manifest(path, mapping, _header_notes(report, "manifest", path)):
            report.rows["manifest"] += 1
            if isinstance(item, BadRow):
                report.add(f"manifest.{item.code}", True, path, item.line_no, item.detail)
                continue
            for note in item.warnings:
                report.add(f"manifest.{note.code}", False, path, item.line_no, note.detail)
            key = (item.source_system, item.source_document_id)
            earlier = first_line.setdefault(key, item.line_no)
            if earlier != item.line_no:
                detail = (
                    f"{item.source_document_id!r} is also on line {earlier}; this row is skipped"
                )
                report.add("manifest.duplicate_source_id", False, path, item.line_no, detail)
                continue
            found = _file_problem(path.parent, item.file_path, mapping, real_folders)
            if isinstance(found, Path):
                listed.add(str(found))
            else:
                report.add(f"manifest.{found[0]}", True, path, item.line_no, found[1])
    except InvalidInput as exc:
        report.add("manifest.file", True, path, None, str(exc))
        return None
    return listed


def _header_notes(report: CheckReport, kind: str, path: Path) -> Callable[[list[Note]], None]:
    """Where the header's warnings (absent columns) go: the report, on the header's line."""

    def add(notes: list[Note]) -> None:
        for note in notes:
            report.add(f"{kind}.{note.code}", False, path, 1, note.detail)

    return add


def _file_problem(
    root: Path, file_path: str, mapping: Mapping, real_folders: dict[str, str]
) -> tuple[str, str] | Path:
    """Why the loader would not find this row's file (its quarantine reason), or the file."""
    try:
        return resolve_path(root, file_path, mapping, real_folders)
    except Quarantine as q:
        return str(q.outcome.reason), q.outcome.detail
    except OSError as exc:  # as pipeline.locate_files: a name too long, a folder we cannot read
        return "missing_file", f"cannot read: {exc.strerror}"
