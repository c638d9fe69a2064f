"""Fast JSON for the hot paths of large corpora, byte-identical to ``jsonio``'s canonical form.

``json.dumps`` with ``indent`` runs Python's pure-Python encoder, which costs more than the
word segmenter on a corpus document; ``orjson`` writes the same bytes (two-space indent, no
ASCII escaping, the same escapes) about twenty times faster. The tests compare both encoders
on the gold and on synthetic documents; without ``orjson`` (or for values it does not take,
such as integers beyond 64 bits) the standard library is used.
"""
from __future__ import annotations

import json
import os
import re
from typing import Any

from . import jsonio

try:
    import orjson
except ImportError:  # optional accelerator
    orjson = None


def dumps(obj: Any) -> str:
    """Same text as ``jsonio.dumps(obj)``."""
    if orjson is not None:
        try:
            return orjson.dumps(obj, option=orjson.OPT_INDENT_2).decode("utf-8") + "\n"
        except (TypeError, orjson.JSONEncodeError):
            pass
    return jsonio.dumps(obj)


def dumps_line(obj: Any) -> str:
    """One JSON Lines record, same text as ``jsonio.dumps_lines([obj])``."""
    return json.dumps(obj, ensure_ascii=False, separators=(", ", ": ")) + "\n"


def loads(data: str | bytes) -> Any:
    """Parse JSON; raises ``ValueError`` (``json.JSONDecodeError`` is one) on bad input."""
    if orjson is not None:
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass
    return json.loads(data)


# ---------------------------------------------------------------- fast strict reading

def _canonical_size(path, kind_limit, info: os.stat_result | None = None) -> int | None:
    """The file's size if it is a regular file small enough for the one-read path, else None
    (``info``: the file's ``os.stat``, if the caller has it)."""
    import stat as st

    from .limits import CHUNK

    try:
        info = info or os.stat(path)
    except OSError:
        return None
    if not st.S_ISREG(info.st_mode) or info.st_size > min(kind_limit.max_bytes, CHUNK, kind_limit.max_string):
        return None
    return info.st_size


def read_json(path, shown: str | None = None, info: os.stat_result | None = None):
    """Same result as ``jsonio.read_json``, much faster for files in canonical form (``info``:
    the file's ``os.stat``, if the caller has it).

    A file whose bytes are exactly ``orjson``'s canonical dump of what it parses to holds no
    duplicate key, no NaN, no escaped surrogate and no byte order mark; its nesting depth is
    at most half its deepest indentation plus one, and it is small enough that the strict
    reader would not scan it. Every such fact is what ``jsonio.read_json`` checks, so the
    answer is the same; any other file goes to ``jsonio.read_json``.
    """
    from .limits import limit_for

    limit = limit_for(path)
    size = _canonical_size(path, limit, info) if orjson is not None else None
    if size is not None:
        raw = open(path, "rb").read()
        if len(raw) == size and b"\n" + b" " * (2 * limit.max_depth - 1) not in raw:
            try:
                obj = orjson.loads(raw)
            except orjson.JSONDecodeError:
                obj = raw  # not a possible result: bytes never come out of JSON
            if obj is not raw and orjson.dumps(obj, option=orjson.OPT_INDENT_2) + b"\n" == raw:
                return obj, []
    return jsonio.read_json(path, shown)


def _line(line: str, shown: str, lineno: int, limit):
    """One JSON Lines record: fast when the line is canonical, else ``jsonio.parse``'s verdict."""
    from .limits import depth_problems

    if orjson is not None:
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError:
            record = _line
        if record is not _line and json.dumps(record, ensure_ascii=False, separators=(", ", ": ")) == line:
            if line.count("{") + line.count("[") <= limit.max_depth:
                return record, []
            return record, depth_problems(record, limit, shown, f"line {lineno}")
    record, found = jsonio.parse(line, shown, f"line {lineno}")
    return record, found or depth_problems(record, limit, shown, f"line {lineno}")


_INDENT = re.compile(rb"\n *")


def _canonical_lines(raw: bytes, limit) -> list | None:
    """The records of a JSON Lines file whose every line is canonical, else None.

    The lines are parsed together (one ``orjson.loads`` of ``[line,line,…]``) and the records
    written back, each by ``orjson`` with a two-space indent, which puts a newline only between
    the items of an object or array (never inside a string): a comma there becomes ``", "`` and
    the indentation goes, which gives the record's canonical line. If the records so written,
    joined by NUL (which no JSON text holds raw), are the file's lines joined by NUL, then line
    ``i`` is exactly the canonical text of record ``i``: ``jsonio.parse`` gives that record for it,
    with no duplicate key, NaN, lone surrogate or long number (``read_json`` says why). Nesting
    deeper than the limit shows as indentation and is left to the line-by-line reader.
    """
    if not raw.endswith(b"\n") or raw.startswith(b"\n") or b"\n\n" in raw:
        return None  # blank lines (skipped, but counted in line numbers): line by line
    body = raw[:-1]
    try:
        records = orjson.loads(b"[" + body.replace(b"\n", b",") + b"]")
        written = b"\x00".join([orjson.dumps(r, option=orjson.OPT_INDENT_2) for r in records])
    except (orjson.JSONDecodeError, orjson.JSONEncodeError, TypeError):
        return None
    if b"\n" + b" " * (2 * limit.max_depth) in written:
        return None  # a container at the depth limit: line by line, with the depth check
    if _INDENT.sub(b"", written.replace(b",\n", b", \n")) != body.replace(b"\n", b"\x00"):
        return None
    return records


def read_jsonl(path, shown: str | None = None, info: os.stat_result | None = None):
    """Same result as ``jsonio.read_jsonl``; canonical lines skip the strict parser (see ``read_json``)."""
    from .limits import limit_for

    shown = shown or str(path)
    limit = limit_for(path)
    size = _canonical_size(path, limit, info)
    if size is None:
        return jsonio.read_jsonl(path, shown)
    raw = open(path, "rb").read()
    if len(raw) != size or raw.startswith(b"\xef\xbb\xbf"):
        return jsonio.read_jsonl(path, shown)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return jsonio.read_jsonl(path, shown)
    if orjson is not None and raw:
        records = _canonical_lines(raw, limit)
        if records is not None:
            return records, []
    records, problems = [], []
    for lineno, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            record, found = _line(line, shown, lineno, limit)
            if found:
                problems += found
            else:
                records.append(record)
    return records, problems
