"""The raw seed articles: checksums and provenance metadata.

The build trusts a seed only after its SHA-256 matches ``seeds/SHA256SUMS``; a tampered or
corrupted seed stops everything before any output is written.
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Iterable

from .errors import Problem, pointer
from .jsonio import read_json


SUMS = "seeds/SHA256SUMS"
SUM_LINE = re.compile(r"([0-9a-f]{64}) [ *]?(\S.*)")


class BadSums(ValueError):
    """SHA256SUMS cannot be trusted; ``problems`` say where (VST013)."""

    def __init__(self, problems: list[Problem]):
        super().__init__(problems[0].message)
        self.problems = problems


def parse_sums(lines: Iterable[str]) -> dict[str, str]:
    """file name -> SHA-256 of ``sha256sum``-style lines (text or binary mode marker).

    Every line must be well formed: a seed whose checksum line cannot be read must not pass
    as unlisted, nor a bad line crash the build. Raises ``BadSums`` naming each bad line.
    """
    sums, problems = {}, []
    for lineno, line in enumerate(lines, start=1):
        line = line.rstrip("\r\n")
        if not line.strip():
            continue
        m = SUM_LINE.fullmatch(line)
        if m is None or "/" in m.group(2) or m.group(2) in sums:
            why = "the file is listed twice" if m and m.group(2) in sums else "not `<sha256> <file name>` (a file name, not a path)"
            problems.append(Problem("VST013", SUMS, f"line {lineno}", "", f"{why}: {line[:60]!r}"))
            continue
        sums[m.group(2)] = m.group(1)
    if problems:
        raise BadSums(problems)
    return sums


def read_sums(seeds_dir: Path) -> dict[str, str]:
    """``parse_sums`` of ``seeds/SHA256SUMS``; ``BadSums`` if it is missing or not UTF-8 either."""
    try:
        with open(Path(seeds_dir) / "SHA256SUMS", encoding="utf-8", newline="") as fh:
            return parse_sums(fh)
    except FileNotFoundError:
        raise BadSums([Problem("VST013", SUMS, "", "", "file is missing")]) from None
    except UnicodeDecodeError as exc:
        raise BadSums([Problem("VST013", SUMS, "", "", f"not UTF-8 at byte {exc.start}")]) from None


def verify(seeds_dir: Path) -> list[Problem]:
    """Check every seed against SHA256SUMS and metadata.json (VST010, VST011)."""
    problems = []
    try:
        sums = read_sums(seeds_dir)
    except BadSums as exc:
        return exc.problems
    meta, meta_problems = read_json(seeds_dir / "metadata.json", "seeds/metadata.json")
    if meta_problems:
        return meta_problems
    listed = {d["file"]: (i, d) for i, d in enumerate(meta.get("documents", []))}
    for name, digest in sums.items():
        path = seeds_dir / name
        if not path.exists():
            problems.append(Problem("VST011", SUMS, name, "", "seed listed in SHA256SUMS is missing"))
            continue
        actual = hashlib.sha256(path.read_bytes()).hexdigest()
        if actual != digest:
            problems.append(Problem("VST010", f"seeds/{name}", name, "", f"sha256 {actual[:12]}… differs from SHA256SUMS {digest[:12]}…"))
        if name not in listed:
            problems.append(Problem("VST011", "seeds/metadata.json", name, "/documents", "seed has no metadata record"))
        elif listed[name][1].get("sha256") != digest:
            i, d = listed[name]
            problems.append(Problem("VST010", "seeds/metadata.json", d.get("id", name), pointer("documents", i, "sha256"), "metadata sha256 differs from SHA256SUMS"))
    for name, (i, d) in listed.items():
        if name not in sums:
            problems.append(Problem("VST011", "seeds/metadata.json", d.get("id", name), pointer("documents", i, "file"), "metadata names a seed that SHA256SUMS does not list"))
    for path in sorted(seeds_dir.glob("*.txt")):
        if path.name not in sums:
            problems.append(Problem("VST011", f"seeds/{path.name}", path.name, "", "seed file is not listed in SHA256SUMS"))
    if not problems:
        problems += role_problems(seeds_dir, meta)
    return problems


def role_problems(seeds_dir: Path, meta: dict) -> list[Problem]:
    """Each recorded paragraph role must point at a paragraph starting with its text (VST012)."""
    from .segment import paragraphs

    problems = []
    for i, d in enumerate(meta.get("documents", [])):
        text = (seeds_dir / d["file"]).read_text(encoding="utf-8")
        paras = paragraphs(text)
        for k, entry in enumerate(d.get("paragraph_roles", [])):
            index = entry["paragraph"] - 1
            if not 0 <= index < len(paras) or not text[paras[index][0]:paras[index][1]].startswith(entry["starts_with"]):
                problems.append(Problem("VST012", "seeds/metadata.json", d["id"], pointer("documents", i, "paragraph_roles", k),
                                        f"paragraph {entry['paragraph']} does not start with {entry['starts_with']!r}"))
    return problems


def load_metadata(seeds_dir: Path) -> dict:
    meta, problems = read_json(seeds_dir / "metadata.json", "seeds/metadata.json")
    if problems:
        from .errors import ProblemsError

        raise ProblemsError(problems)
    return meta
