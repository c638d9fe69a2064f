"""The seed folder read one record at a time: checksums, metadata and paragraph roles.

``seeds.verify`` and ``validate.check_metadata`` read ``metadata.json`` whole, and refuse it
when it is larger than the size limit of side files (``limits.py``). A corpus of 100,000
documents has a metadata file of tens of megabytes, so for a file above that limit the
functions here read it one record at a time (``jsonstream``), each record as strictly as the
whole-file reader would (``jsonio.parse`` and the per-string and depth limits), and give the
same checks while holding only small per-file facts (name, digest, index). Files within the
limit go to the whole-file functions, so small projects see exactly their behaviour.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Iterator

from . import jsonio, jsonstream, limits, seeds
from .errors import Problem, pointer

META = "seeds/metadata.json"


class Unreadable(Exception):
    """A record of ``metadata.json`` that the strict reader refuses; carries its problems."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(problems[0].line())


def is_large(path: Path) -> bool:
    """True if the whole-file reader would refuse ``path`` for its size alone."""
    try:
        return os.path.getsize(path) > limits.limit_for(path).max_bytes
    except OSError:
        return False


def _moved(problems: list[Problem], base: str) -> list[Problem]:
    return [Problem(p.code, p.file, p.record, base + p.pointer, p.message) for p in problems]


def parse_value(text: str, where: str) -> object:
    """One value of ``metadata.json``, parsed as strictly as ``jsonio.read_json`` would."""
    limit = limits.limit_for(Path(META))
    problems = limits.check_bytes(text.encode("utf-8", "surrogatepass"), META, limit)
    obj = None
    if not problems:
        obj, problems = jsonio.parse(text, META)
        # a text with no more brackets than the depth limit cannot nest deeper than it
        if not problems and text.count("{") + text.count("[") > limit.max_depth:
            problems = limits.depth_problems(obj, limit, META)
    if problems:
        raise Unreadable(_moved(problems, where))
    return obj


def seed_records(seeds_dir: Path) -> Iterator[dict]:
    """The document records of ``metadata.json`` one at a time (``ValueError`` on bad syntax,
    ``Unreadable`` on a record the strict reader refuses)."""
    for i, text in enumerate(jsonstream.array_items(Path(seeds_dir) / "metadata.json", "documents")):
        yield parse_value(text, pointer("documents", i))


def _listed(seeds_dir: Path, sums: dict) -> tuple[dict, dict]:
    """file -> index (or (index, id) when its sha256 differs from SHA256SUMS), for the last
    record naming each file; files that SHA256SUMS does not list are kept apart."""
    listed, unknown = {}, {}
    for i, d in enumerate(seed_records(seeds_dir)):
        name = d["file"]
        if name in sums:
            listed[name] = i if d.get("sha256") == sums[name] else (i, d.get("id", name))
        else:
            unknown[name] = (i, d.get("id", name))
            listed[name] = None
    return listed, unknown


def _sum_problems(seeds_dir: Path, sums: dict, listed: dict) -> list[Problem]:
    problems = []
    for name, digest in sums.items():
        path = seeds_dir / name
        if not path.exists():
            problems.append(Problem("VST011", "seeds/SHA256SUMS", name, "", "seed listed in SHA256SUMS is missing"))
            continue
        actual = hashlib.sha256(path.read_bytes()).hexdigest()
        if actual != digest:
            problems.append(Problem("VST010", f"seeds/{name}", name, "", f"sha256 {actual[:12]}… differs from SHA256SUMS {digest[:12]}…"))
        if name not in listed:
            problems.append(Problem("VST011", META, name, "/documents", "seed has no metadata record"))
        elif isinstance(listed[name], tuple):
            i, rid = listed[name]
            problems.append(Problem("VST010", META, rid, pointer("documents", i, "sha256"), "metadata sha256 differs from SHA256SUMS"))
    return problems


def _role_problems(seeds_dir: Path) -> list[Problem]:
    problems = []
    for i, d in enumerate(seed_records(seeds_dir)):
        if d.get("paragraph_roles"):
            found = seeds.role_problems(seeds_dir, {"documents": [d]})
            problems += [Problem(p.code, p.file, p.record, pointer("documents", i) + p.pointer[len("/documents/0"):], p.message) for p in found]
    return problems


def _verify_stream(seeds_dir: Path) -> list[Problem]:
    try:
        sums = seeds.read_sums(seeds_dir)
    except seeds.BadSums as exc:
        return exc.problems
    listed, unknown = _listed(seeds_dir, sums)
    problems = _sum_problems(seeds_dir, sums, listed)
    for name, (i, rid) in unknown.items():
        problems.append(Problem("VST011", META, rid, pointer("documents", i, "file"), "metadata names a seed that SHA256SUMS does not list"))
    strays = sorted(e.name for e in os.scandir(seeds_dir) if e.name.endswith(".txt") and e.name not in sums)
    problems += [Problem("VST011", f"seeds/{n}", n, "", "seed file is not listed in SHA256SUMS") for n in strays]
    return problems or _role_problems(seeds_dir)


def verify_seeds(seeds_dir: Path, stream: bool | None = None) -> list[Problem]:
    """Same checks as ``seeds.verify`` (VST010, VST011, VST012). A large ``metadata.json`` (or
    ``stream=True``) is read one record at a time; any other goes to ``seeds.verify``."""
    seeds_dir = Path(seeds_dir)
    large = is_large(seeds_dir / "metadata.json")
    if not (large if stream is None else stream):
        return seeds.verify(seeds_dir)
    try:
        return _verify_stream(seeds_dir)
    except Unreadable as exc:
        return exc.problems
    except (ValueError, OSError) as exc:
        if large:
            return [Problem("VST001", META, "", "", f"invalid JSON: {str(exc)[:120]}")]
        return seeds.verify(seeds_dir)


def _record_schema_problems(record: dict, i: int) -> list[Problem]:
    from . import fastcheck
    from .validate import schema_problems

    if fastcheck.part_is_valid("metadata", ("properties", "documents", "items"), record):
        return []
    found = schema_problems("metadata", {"documents": [record]}, META, "")
    return [Problem(p.code, p.file, p.record, pointer("documents", i) + p.pointer[len("/documents/0"):], p.message) for p in found]


def metadata_problems(layout) -> list[Problem]:
    """``check_metadata`` for a large ``metadata.json``: the schema, record by record."""
    from .validate import schema_problems

    head: dict = {}
    problems: list[Problem] = []
    count = 0
    try:
        for key, text in jsonstream.members(layout.seeds / "metadata.json", "documents"):
            if key is not None:
                head[key] = parse_value(text, pointer(key))
                continue
            problems += _record_schema_problems(parse_value(text, pointer("documents", count)), count)
            count += 1
    except Unreadable as exc:
        return exc.problems
    except (ValueError, OSError) as exc:
        return [Problem("VST001", META, "", "", f"invalid JSON: {str(exc)[:120]}")]
    return schema_problems("metadata", head, META, "") + problems
