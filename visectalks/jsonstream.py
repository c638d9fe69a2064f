"""Reading one large JSON object file a member at a time, and one big array an item at a time.

``seeds/metadata.json`` holds one record per document; at 100,000 documents ``json.load`` would
build every record at once (hundreds of megabytes of Python objects). ``members`` reads the
file in chunks and decodes one value at a time with ``json.JSONDecoder.raw_decode``, so memory
stays bounded by the largest single record. Any syntax error raises ``ValueError``; callers
then fall back to ``jsonio.read_json``, which reports the coded problem.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterator

CHUNK = 1 << 20
_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


class _Reader:
    def __init__(self, fh):
        self.fh, self.buf, self.pos, self.eof = fh, "", 0, False

    def fill(self) -> None:
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
            if end == len(self.buf) and not self.eof:  # a number may go on in the next chunk
                self.fill()
                continue
            self.pos = end
            return value


def _items(reader: _Reader) -> Iterator[Any]:
    reader.take("[")
    if reader.peek() == "]":
        reader.pos += 1
        return
    while True:
        yield reader.value()
        if reader.peek() == "]":
            reader.pos += 1
            return
        reader.take(",")


def members(path: Path, array_key: str) -> Iterator[tuple[str | None, Any]]:
    """Top-level ``(key, value)`` pairs of a JSON object; the items of the array under
    ``array_key`` come one by one as ``(None, item)``. Raises ``ValueError`` on bad JSON."""
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
    while True:
        key = reader.value()
        if not isinstance(key, str):
            raise ValueError("object key is not a string")
        reader.take(":")
        if key == array_key and reader.peek() == "[":
            yield from ((None, item) for item in _items(reader))
        else:
            yield key, reader.value()
        if reader.peek() == "}":
            reader.pos += 1
            return
        reader.take(",")


def array_items(path: Path, array_key: str) -> Iterator[Any]:
    """Only the items of the array under ``array_key`` (other members are skipped)."""
    for key, value in members(path, array_key):
        if key is None:
            yield value
