"""Reading and writing the project's JSON files: canonical form, atomic writes, coded errors.

Canonical form (sorted nothing, UTF-8, no ASCII escaping, 2-space indent for JSON, one compact
record per line for JSON Lines, final newline) makes builds byte-identical. Every write goes
to a temporary file and is renamed into place, so an interrupted command leaves the previous
file intact; inside a command's transaction (``transaction.py``) the whole set of files a
command writes is kept or undone together.

Reading is strict and never raises: size limits first (``limits.py``), then UTF-8 without a
byte order mark, then JSON without duplicate keys, NaN or lone surrogates. Every failure is a
coded problem.
"""
from __future__ import annotations

import errno
import json
import os
import re
import shutil
import stat
import tempfile
from pathlib import Path
from typing import Any, Iterable

from . import transaction
from .errors import Problem, pointer
from .limits import LIMITS, Scanner, depth_problems, limit_for, read_limited


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2) + "\n"


def dumps_lines(records: Iterable[Any]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False, separators=(", ", ": ")) + "\n" for r in records)


def write_bytes_atomic(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` atomically; return False (and touch nothing) if unchanged.

    Inside a command's transaction (``transaction.py``) the old file is journaled first and
    the new one is staged in the journal, so that an interrupted command can be undone.
    """
    path = Path(path)
    if path.exists() and path.read_bytes() == data:
        return False
    txn = transaction.active(path)
    if txn is not None:
        txn.before_change(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = _mode(path)
    fd, tmp = tempfile.mkstemp(dir=txn.staging() if txn else path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        _replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return True


def _umask() -> int:
    """The process's umask (reading it means setting it: put it straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _mode(path: Path) -> int:
    """The replaced file's permissions, or what ``open()`` would give a new file (``mkstemp``
    makes its files private to the owner, which a generated file must not become)."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return 0o666 & ~_umask()


def _replace(tmp: str, path: Path) -> None:
    """Rename ``tmp`` over ``path``; a staged file on another file system is copied next to it first."""
    try:
        os.replace(tmp, path)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        fd, near = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(fd)
        shutil.copyfile(tmp, near)
        shutil.copymode(tmp, near)
        os.unlink(tmp)
        os.replace(near, path)


def remove_atomic(path: Path) -> bool:
    """Remove ``path`` (journaled inside a transaction, so that an interrupted command puts it back)."""
    path = Path(path)
    if not path.exists():
        return False
    txn = transaction.active(path)
    if txn is not None:
        txn.before_change(path)
    path.unlink()
    return True


def write_text_atomic(path: Path, text: str) -> bool:
    return write_bytes_atomic(path, text.encode("utf-8"))


def write_json(path: Path, obj: Any) -> bool:
    return write_text_atomic(path, dumps(obj))


def write_jsonl(path: Path, records: Iterable[Any]) -> bool:
    return write_text_atomic(path, dumps_lines(records))


class _DuplicateKey(Exception):
    def __init__(self, key: str):
        self.key = key


class _NotJsonConstant(Exception):
    def __init__(self, name: str):
        self.name = name


def _object(pairs: list) -> dict:
    """Build an object, refusing a repeated key (json would silently keep the last value)."""
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set = set()
        raise _DuplicateKey(next(k for k, _ in pairs if k in seen or seen.add(k)))
    return obj


def _constant(name: str):
    raise _NotJsonConstant(name)


def loads_strict(text: str) -> Any:
    """``json.loads`` that refuses duplicate keys and the non-JSON constants NaN and Infinity."""
    return json.loads(text, object_pairs_hook=_object, parse_constant=_constant)


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _encodable(s: str) -> bool:
    try:
        s.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def surrogate_pointer(obj: Any) -> str | None:
    """JSON pointer of the first key or string holding a lone surrogate (not a character), if any."""
    stack: list[tuple[Any, tuple]] = [(obj, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, str):
            if not _encodable(node):
                return pointer(*path)
        elif isinstance(node, dict):
            for key, value in node.items():
                if not _encodable(key):
                    return pointer(*path)
                stack.append((value, path + (key,)))
        elif isinstance(node, list):
            stack.extend((value, path + (i,)) for i, value in enumerate(node))
    return None


def parse(text: str, shown: str, record: str = "") -> tuple[Any, list[Problem]]:
    """Parse one JSON text strictly; every failure becomes a coded problem (never an exception)."""
    try:
        obj = loads_strict(text)
    except _DuplicateKey as exc:
        return None, [Problem("VST603", shown, record, "", f"key {exc.key[:60]!r} occurs twice in one object")]
    except _NotJsonConstant as exc:
        return None, [Problem("VST001", shown, record, "", f"invalid JSON: {exc.name} is not a JSON value")]
    except json.JSONDecodeError as exc:
        return None, [Problem("VST001", shown, record, "", f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}")]
    except RecursionError:
        return None, [Problem("VST602", shown, record, "", "nesting too deep to read")]
    except ValueError as exc:  # int() refuses numbers of more than sys.get_int_max_str_digits() digits
        return None, [Problem("VST605", shown, record, "", f"a number is too long to read: {str(exc)[:80]}")]
    if _SURROGATE_ESCAPE.search(text):
        where = surrogate_pointer(obj)
        if where is not None:
            return None, [Problem("VST604", shown, record, where, "string holds an escaped lone surrogate, which is not a Unicode character")]
    return obj, []


def _decode(path: Path, shown: str) -> tuple[str | None, list[Problem]]:
    raw, problems = read_limited(path, shown)
    if problems:
        return None, problems
    return _text(raw, shown, "file")


def _text(raw: bytes, shown: str, what: str) -> tuple[str | None, list[Problem]]:
    """UTF-8 without a byte order mark, or VST001."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return None, [Problem("VST001", shown, "", "", f"{what} starts with a UTF-8 byte order mark")]
    try:
        return raw.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        return None, [Problem("VST001", shown, "", "", f"not UTF-8 at byte {exc.start}")]


def parse_chunks(chunks: Iterable[bytes], shown: str, kind: str = "import") -> tuple[Any, list[Problem]]:
    """Parse JSON that arrives in pieces (a download) under the limits of ``kind`` files.

    The size, string and nesting limits are checked as each piece arrives, so that input
    beyond them is refused before it is held whole; what passes is parsed as strictly as a file.
    """
    limit = LIMITS[kind]
    scanner, parts, size = Scanner(limit, shown), [], 0
    for chunk in chunks:
        size += len(chunk)
        if size > limit.max_bytes:
            return None, [Problem("VST600", shown, "", "", f"input has more than {limit.max_bytes} bytes, the limit for {limit.kind} files")]
        problem = scanner.feed(chunk)
        if problem:
            return None, [problem]
        parts.append(chunk)
    text, problems = _text(b"".join(parts), shown, "input")
    if problems:
        return None, problems
    obj, problems = parse(text, shown)
    return (None, problems) if problems else (obj, [])


def read_json(path: Path, shown: str | None = None) -> tuple[Any, list[Problem]]:
    """Load one JSON file; on failure return (None, [coded problem]) and never raise."""
    shown = shown or str(path)
    text, problems = _decode(path, shown)
    if problems:
        return None, problems
    obj, problems = parse(text, shown)
    problems = problems or depth_problems(obj, limit_for(path), shown)
    return (None, problems) if problems else (obj, [])


def read_jsonl(path: Path, shown: str | None = None) -> tuple[list[Any], list[Problem]]:
    """Load a JSON Lines file; bad lines are reported with their line number and skipped."""
    shown = shown or str(path)
    text, problems = _decode(path, shown)
    if problems:
        return [], problems
    limit = limit_for(path)
    records: list[Any] = []
    for lineno, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        record, found = parse(line, shown, f"line {lineno}")
        found = found or depth_problems(record, limit, shown, f"line {lineno}")
        if found:
            problems += found
        else:
            records.append(record)
    return records, problems
