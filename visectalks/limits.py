"""Size limits, checked before a file is read whole.

A reader that loads a file into memory trusts its size. A file that is too large, a single
string that is too long or nesting that is too deep is refused with a coded problem (VST600,
VST601, VST602) after looking at the file's size (``os.stat``) and, where a string could be
too long, after one streaming pass over fixed-size chunks; the file is read whole only when
both pass. Refusing therefore costs at most one chunk of memory, whatever the file's size.

The limits are far above anything the corpus holds (a corpus document is about 250 KB, an
annotation file about 15 KB) and are documented in ``docs/reliability.md``.
"""
from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .errors import Problem

KIB = 1024
MIB = 1024 * KIB
CHUNK = 1 * MIB


@dataclass(frozen=True)
class Limit:
    """Limits for one kind of file; string sizes count bytes as written (escapes included)."""

    kind: str
    max_bytes: int
    max_string: int
    max_depth: int


LIMITS = {
    "document": Limit("document", 32 * MIB, 4 * MIB, 16),
    "annotation": Limit("annotation", 1 * MIB, 64 * KIB, 16),
    "import": Limit("import", 64 * MIB, 4 * MIB, 32),
}
ANNOTATION_FOLDERS = {"entities", "events", "stance"}
SIDE_FILES = {"registry.json", "not_entities.json", "clusters.json", "metadata.json", "adjudication.jsonl"}


def kind_of(path: Path) -> str:
    """The limit kind of a path: corpus documents, annotation files, or anything else (imports)."""
    if isinstance(path, str):  # the same answer from the string, with the folder's name parsed once
        folder, name = os.path.split(path)
        if name not in ("", ".", ".."):
            return _kind(_folder_name(folder), name, len(name) > 5 and name.endswith(".json"))
    path = Path(path)
    return _kind(path.parent.name, path.name, path.suffix == ".json")


@lru_cache(maxsize=256)
def _folder_name(folder: str) -> str:
    return Path(folder).name


def _kind(parent: str, name: str, json_suffix: bool) -> str:
    if parent == "corpus" and json_suffix:
        return "document"
    if parent in ANNOTATION_FOLDERS or name in SIDE_FILES:
        return "annotation"
    return "import"


def limit_for(path: Path, kind: str | None = None) -> Limit:
    return LIMITS[kind or kind_of(path)]


def size_problem(path: Path, shown: str, limit: Limit) -> list[Problem]:
    """VST600 if ``path`` is not a regular file or is larger than the limit (from stat alone)."""
    try:
        info = os.stat(path)
    except OSError as exc:
        return [Problem("VST001", shown, "", "", f"cannot read file: {exc.strerror}")]
    if not stat.S_ISREG(info.st_mode):
        return [Problem("VST600", shown, "", "", "not a regular file (a device, pipe or folder has no size to check)")]
    if info.st_size > limit.max_bytes:
        return [Problem("VST600", shown, "", "", f"file has {info.st_size} bytes; the limit for {limit.kind} files is {limit.max_bytes}")]
    return []


_SPECIAL = re.compile(rb'["\\\[\]{}]')


class Scanner:
    """Streaming check of JSON string lengths and nesting depth, one chunk at a time.

    It tracks only whether it is inside a string, the current string's length, a pending
    backslash and the depth, so its memory does not grow with the input.
    """

    def __init__(self, limit: Limit, shown: str):
        self.limit, self.shown = limit, shown
        self.in_string = False
        self.escape = False
        self.length = 0
        self.depth = 0
        self.offset = 0
        self.lines = 1

    def feed(self, chunk: bytes) -> Problem | None:
        pos, seg = 0, 0
        if self.escape and chunk:
            self.escape, pos = False, 1
        for match in _SPECIAL.finditer(chunk, pos):
            i = match.start()
            if i < pos:
                continue
            ch = chunk[i]
            if self.in_string:
                if ch == 0x5C:  # backslash: the next byte is escaped
                    if i + 1 < len(chunk):
                        pos = i + 2
                    else:
                        self.escape = True
                elif ch == 0x22:
                    self.length += i - seg
                    self.in_string = False
                    if self.length > self.limit.max_string:
                        return self._long(chunk, i)
            elif ch == 0x22:
                self.in_string, self.length, seg = True, 0, i + 1
            elif ch in (0x5B, 0x7B):
                self.depth += 1
                if self.depth > self.limit.max_depth:
                    return Problem("VST602", self.shown, "", "", f"nesting deeper than {self.limit.max_depth} levels at line {self._line(chunk, i)}")
            elif ch in (0x5D, 0x7D):
                self.depth -= 1
        if self.in_string:
            self.length += len(chunk) - seg
            if self.length > self.limit.max_string:
                return self._long(chunk, len(chunk))
        self.offset += len(chunk)
        self.lines += chunk.count(b"\n")
        return None

    def _line(self, chunk: bytes, i: int) -> int:
        return self.lines + chunk.count(b"\n", 0, i)

    def _long(self, chunk: bytes, i: int) -> Problem:
        return Problem("VST601", self.shown, "", "", f"a string longer than {self.limit.max_string} bytes (the limit for {self.limit.kind} files) at line {self._line(chunk, i)}")


def scan(path: Path, shown: str, limit: Limit) -> list[Problem]:
    """One streaming pass over ``path``; the first string or nesting problem, if any."""
    scanner = Scanner(limit, shown)
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            problem = scanner.feed(chunk)
            if problem:
                return [problem]
    return []


def check_bytes(data: bytes, shown: str, limit: Limit) -> list[Problem]:
    """The same checks on bytes already in memory (small files are read once).

    Input no longer than the string limit cannot hold a string that is too long; its nesting
    is checked after parsing (``depth_problems``), which is cheaper than scanning.
    """
    if len(data) > limit.max_bytes:
        return [Problem("VST600", shown, "", "", f"input has {len(data)} bytes; the limit for {limit.kind} files is {limit.max_bytes}")]
    if len(data) <= limit.max_string:
        return []
    problem = Scanner(limit, shown).feed(data)
    return [problem] if problem else []


def depth_problems(obj, limit: Limit, shown: str, record: str = "") -> list[Problem]:
    """VST602 if parsed JSON nests deeper than the limit (objects and arrays count one level each)."""
    stack = [(obj, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (dict, list)):
            if depth > limit.max_depth:
                return [Problem("VST602", shown, record, "", f"nesting deeper than {limit.max_depth} levels")]
            stack.extend((child, depth + 1) for child in (node.values() if isinstance(node, dict) else node))
    return []


def read_limited(path: Path, shown: str, kind: str | None = None) -> tuple[bytes | None, list[Problem]]:
    """The bytes of ``path`` if it passes its limits, else (None, [VST600/601/602]).

    The caller checks the depth of what it parses with ``depth_problems`` (the streaming scan
    has done so already for large files, where it is not needed again but is cheap).

    Files of up to one chunk are read once and checked in memory; larger ones are scanned in
    chunks first, so that a refusal never holds more than one chunk.
    """
    limit = limit_for(path, kind)
    problems = size_problem(path, shown, limit)
    if problems:
        return None, problems
    try:
        if os.path.getsize(path) > CHUNK:
            problems = scan(path, shown, limit)
            if problems:
                return None, problems
            return Path(path).read_bytes(), []
        data = Path(path).read_bytes()
    except OSError as exc:
        return None, [Problem("VST001", shown, "", "", f"cannot read file: {exc.strerror}")]
    problems = check_bytes(data, shown, limit)
    return (None, problems) if problems else (data, [])


def read_text_limited(path: Path, shown: str, kind: str | None = None) -> tuple[str | None, list[Problem]]:
    """For line formats (brat, CoNLL): the size limit only, then strict UTF-8 decoding."""
    limit = limit_for(path, kind)
    problems = size_problem(path, shown, limit)
    if problems:
        return None, problems
    raw = Path(path).read_bytes()
    try:
        return raw.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        return None, [Problem("VST001", shown, "", "", f"not UTF-8 at byte {exc.start}")]
