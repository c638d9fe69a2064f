"""Reading one large JSON object file a member at a time, and one big array an item at a time.

``seeds/metadata.json`` holds one record per document; at 100,000 documents ``json.load`` would
build every record at once (hundreds of megabytes of Python objects). ``members`` reads the
file in chunks and decodes one value at a time with ``json.JSONDecoder.raw_decode``, so memory
stays bounded by the largest single record. Any syntax error raises ``ValueError``; callers
then fall back to ``jsonio.read_json``, which reports the coded problem. Values come back
as JSON text, for the caller to parse strictly (``jsonio.parse``).
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterator

CHUNK = 1 << 18  # characters per read; memory peaks at a few times this while a chunk is joined
MAX_VALUE = 64 << 20  # memory stays bounded even for one huge value
_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


def _cut_number(value: Any, buf: str, end: int) -> bool:
    """A number that reaches the end of the buffer (or stops at '2.') may go on in the next chunk."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return end == len(buf) or buf[end] in "0123456789.eE+-"


class _Reader:
    def __init__(self, fh):
        self.fh, self.buf, self.pos, self.eof, self.last_text = fh, "", 0, False, ""

    def fill(self) -> None:
        if len(self.buf) - self.pos > MAX_VALUE:
            raise ValueError(f"a single value is longer than {MAX_VALUE} characters")
        chunk = self.fh.read(CHUNK)
        self.eof = not chunk
        self.buf, self.pos = self.buf[self.pos:] + chunk, 0

    def peek(self) -> str:
        while True:
            self.pos = _WS.match(self.buf, self.pos).end()
            if self.pos < len(self.buf) or self.eof:
                return self.buf[self.pos:self.pos + 1]
            self.fill()

    def take(self, expected: str) -> None:
        if self.peek() != expected:
            raise ValueError(f"expected {expected!r} at character {self.pos}")
        self.pos += 1

    def value(self) -> Any:
        self.peek()
        while True:
            try:
                value, end = _DECODER.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                if self.eof:
                    raise ValueError(str(exc)) from exc
                self.fill()
                continue
            if not self.eof and _cut_number(value, self.buf, end):
                self.fill()
                continue
            self.last_text = self.buf[self.pos:end]
            self.pos = end
            return value


def _items(reader: _Reader) -> Iterator[str]:
    reader.take("[")
    if reader.peek() == "]":
        reader.pos += 1
        return
    while True:
        reader.value()
        yield reader.last_text
        if reader.peek() == "]":
            reader.pos += 1
            return
        reader.take(",")


def members(path: Path, array_key: str) -> Iterator[tuple[str | None, str]]:
    """Top-level ``(key, JSON text of the value)`` pairs of a JSON object. The array under
    ``array_key`` comes as ``(array_key, "[]")`` followed by its items one by one as ``(None,
    JSON text of the item)``, for the caller to parse as strictly as it likes. Raises
    ``ValueError`` on bad JSON syntax."""
    with open(path, encoding="utf-8", newline="") as fh:
        reader = _Reader(fh)
        reader.take("{")
        if reader.peek() == "}":
            reader.pos += 1
        else:
            yield from _object_body(reader, array_key)
        if reader.peek() != "":
            raise ValueError("extra data after the top-level object")


def _object_body(reader: _Reader, array_key: str) -> Iterator[tuple[str | None, Any]]:
    seen: set[str] = set()
    while True:
        key = reader.value()
        if not isinstance(key, str) or key in seen:  # json.loads would keep only the last duplicate
            raise ValueError("object key is not a string, or occurs twice")
        seen.add(key)
        reader.take(":")
        if key == array_key and reader.peek() == "[":
            yield key, "[]"  # the array itself; its items follow
            yield from ((None, item) for item in _items(reader))
        else:
            reader.value()
            yield key, reader.last_text
        if reader.peek() == "}":
            reader.pos += 1
            return
        reader.take(",")


def array_items(path: Path, array_key: str) -> Iterator[str]:
    """Only the JSON texts of the items of the array under ``array_key``."""
    for key, value in members(path, array_key):
        if key is None:
            yield value
