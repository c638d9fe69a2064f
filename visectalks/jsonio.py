"""Reading and writing the project's JSON files: canonical form, atomic writes, coded errors.

Canonical form (sorted nothing, UTF-8, no ASCII escaping, 2-space indent for JSON, one compact
record per line for JSON Lines, final newline) makes builds byte-identical. Every write goes
to a temporary file in the same folder and is renamed into place, so an interrupted command
leaves the previous file intact.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterable

from .errors import Problem


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2) + "\n"


def dumps_lines(records: Iterable[Any]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False, separators=(", ", ": ")) + "\n" for r in records)


def write_bytes_atomic(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` atomically; return False (and touch nothing) if unchanged."""
    path = Path(path)
    if path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return True


def write_text_atomic(path: Path, text: str) -> bool:
    return write_bytes_atomic(path, text.encode("utf-8"))


def write_json(path: Path, obj: Any) -> bool:
    return write_text_atomic(path, dumps(obj))


def write_jsonl(path: Path, records: Iterable[Any]) -> bool:
    return write_text_atomic(path, dumps_lines(records))


def _decode(path: Path, shown: str) -> tuple[str | None, list[Problem]]:
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        return None, [Problem("VST001", shown, "", "", f"cannot read file: {exc.strerror}")]
    if raw.startswith(b"\xef\xbb\xbf"):
        return None, [Problem("VST001", shown, "", "", "file starts with a UTF-8 byte order mark")]
    try:
        return raw.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        return None, [Problem("VST001", shown, "", "", f"not UTF-8 at byte {exc.start}")]


def read_json(path: Path, shown: str | None = None) -> tuple[Any, list[Problem]]:
    """Load one JSON file; on failure return (None, [VST001 problem])."""
    shown = shown or str(path)
    text, problems = _decode(path, shown)
    if problems:
        return None, problems
    try:
        return json.loads(text), []
    except (json.JSONDecodeError, RecursionError) as exc:
        where = f"line {exc.lineno} column {exc.colno}: {exc.msg}" if isinstance(exc, json.JSONDecodeError) else "nesting too deep"
        return None, [Problem("VST001", shown, "", "", f"invalid JSON at {where}")]


def read_jsonl(path: Path, shown: str | None = None) -> tuple[list[Any], list[Problem]]:
    """Load a JSON Lines file; bad lines are reported with their line number and skipped."""
    shown = shown or str(path)
    text, problems = _decode(path, shown)
    if problems:
        return [], problems
    records: list[Any] = []
    for lineno, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except (json.JSONDecodeError, RecursionError) as exc:
            msg = exc.msg if isinstance(exc, json.JSONDecodeError) else "nesting too deep"
            problems.append(Problem("VST001", shown, f"line {lineno}", "", f"invalid JSON: {msg}"))
    return records, problems
