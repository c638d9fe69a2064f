"""Mutations of valid files, drawn with Hypothesis, for fuzzing every reader.

A case starts from a valid file (a corpus document, an annotation file, a Label Studio export)
and applies one to three mutations, either to a parsed value (offsets ±1 and out of range,
swapped start/end, unknown labels, dangling and duplicate ids, wrong types, huge integers,
floats, missing and extra keys, NFD text, very long strings, deep nesting) or to the bytes
(truncation, invalid UTF-8, a byte order mark, CRLF line ends, NFD, duplicate keys, raw
control bytes). Every draw is a small integer, so Hypothesis shrinks a failing case to a short
list of named mutations, which ``describe`` prints.
"""
from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

from hypothesis import strategies as st

# Values that plain JSON serialisation cannot produce; they are written as markers and
# substituted in the serialised text.
SURROGATE = "\x00surrogate\x00"
BIG_NUMBER = "\x00bignumber\x00"
HOSTILE = "<script>alert(1)</script> &amp; \"q\" 'a' $text ${doc}"
LONG = 70_000  # longer than the string limit of annotation files (64 KiB)


def _bump_id(s: str, step: int) -> str:
    return re.sub(r"[0-9]+$", lambda m: str(int(m.group()) + step).zfill(len(m.group())), s) if re.search(r"[0-9]$", s) else s + "9"


INT_OPS = {
    "plus one": lambda v, d: v + 1,
    "minus one": lambda v, d: v - 1,
    "negated": lambda v, d: -v - 1,
    "zero": lambda v, d: 0,
    "huge": lambda v, d: 10 ** 30,
    "beyond 64 bits": lambda v, d: 2 ** 64 + v,
    "float": lambda v, d: float(v),
    "half": lambda v, d: v + 0.5,
    "string": lambda v, d: str(v),
    "null": lambda v, d: None,
    "boolean": lambda v, d: True,
    "too many digits": lambda v, d: BIG_NUMBER,
}
STR_OPS = {
    "empty": lambda v, d: "",
    "appended": lambda v, d: v + "x",
    "cut": lambda v, d: v[:-1],
    "unknown label": lambda v, d: "NOT_IN_INVENTORY",
    "NFD": lambda v, d: unicodedata.normalize("NFD", v) if unicodedata.normalize("NFD", v) != v else unicodedata.normalize("NFD", v + "ế"),
    "very long": lambda v, d: (v or "a") * (LONG // max(1, len(v)) + 1),
    "markup": lambda v, d: HOSTILE,
    "control character": lambda v, d: v + "\x07",
    "lone surrogate": lambda v, d: SURROGATE,
    "id plus one": lambda v, d: _bump_id(v, 1),
    "id plus 999": lambda v, d: _bump_id(v, 999),
    "upper case": lambda v, d: v.upper(),
    "emoji (two UTF-16 units)": lambda v, d: "\U0001F600" + v,
    "number": lambda v, d: 7,
    "null": lambda v, d: None,
}
ANY_OPS = {
    "null": lambda v, d: None,
    "empty object": lambda v, d: {},
    "empty list": lambda v, d: [],
    "string": lambda v, d: "x",
    "deeply nested": lambda v, d: _nest(v, 40),
}


def _nest(v: Any, depth: int) -> Any:
    for _ in range(depth):
        v = [v]
    return v


def _draw_index(data, n: int) -> int:
    return data.draw(st.integers(0, n - 1)) if n > 1 else 0


def _draw_op(data, ops: dict):
    name = data.draw(st.sampled_from(sorted(ops)))
    return name, ops[name]


def pick_path(data, obj: Any) -> list:
    """A random path from the root: at each container go down, or stop (one time in four)."""
    path, node = [], obj
    while isinstance(node, (dict, list)) and node:
        if path and data.draw(st.integers(0, 3)) == 0:
            break
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        key = keys[_draw_index(data, len(keys))]
        path.append(key)
        node = node[key]
    return path


def _get(obj: Any, path: list) -> Any:
    for key in path:
        obj = obj[key]
    return obj


def _set(obj: Any, path: list, value: Any) -> Any:
    if not path:
        return value
    _get(obj, path[:-1])[path[-1]] = value
    return obj


def _container_op(data, obj: Any, path: list, node: Any) -> tuple[Any, str]:
    if isinstance(node, dict):
        choices = ["delete a key", "extra key", "swap start and end", "other value"] if node else ["extra key", "other value"]
        what = data.draw(st.sampled_from(choices))
        if what == "delete a key":
            key = list(node)[_draw_index(data, len(node))]
            del node[key]
            return obj, f"deleted key {key!r}"
        if what == "extra key":
            node["unexpected"] = 1
            return obj, "added key 'unexpected'"
        if what == "swap start and end" and "start" in node and "end" in node:
            node["start"], node["end"] = node["end"], node["start"]
            return obj, "swapped start and end"
    elif isinstance(node, list) and node:
        what = data.draw(st.sampled_from(["drop an item", "duplicate an item", "swap two items", "reverse", "other value"]))
        i = _draw_index(data, len(node))
        if what == "drop an item":
            del node[i]
            return obj, f"dropped item {i}"
        if what == "duplicate an item":
            node.insert(i, json.loads(json.dumps(node[i])))
            return obj, f"duplicated item {i}"
        if what == "swap two items":
            j = _draw_index(data, len(node))
            node[i], node[j] = node[j], node[i]
            return obj, f"swapped items {i} and {j}"
        if what == "reverse":
            node.reverse()
            return obj, "reversed the list"
    name, op = _draw_op(data, ANY_OPS)
    return _set(obj, path, op(node, data)), f"replaced by {name}"


def _copy_from_sibling(data, obj: Any, path: list) -> tuple[Any, str] | None:
    """Give a field the value of the same field in another record (duplicate or misplaced ids)."""
    if len(path) < 2 or not isinstance(path[-2], int):
        return None
    records = _get(obj, path[:-2])
    if not isinstance(records, list) or len(records) < 2:
        return None
    other = records[_draw_index(data, len(records))]
    if not isinstance(other, dict) or path[-1] not in other:
        return None
    return _set(obj, path, json.loads(json.dumps(other[path[-1]]))), f"copied {path[-1]!r} from another record"


def mutate_value(data, obj: Any) -> tuple[Any, str]:
    """One mutation of a parsed JSON value (changed in place where possible)."""
    path = pick_path(data, obj)
    node = _get(obj, path)
    where = "/" + "/".join(map(str, path))
    if data.draw(st.integers(0, 5)) == 0:
        copied = _copy_from_sibling(data, obj, path)
        if copied:
            return copied[0], f"{where}: {copied[1]}"
    if isinstance(node, bool) or node is None:
        name, op = _draw_op(data, ANY_OPS)
        return _set(obj, path, op(node, data)), f"{where}: replaced by {name}"
    if isinstance(node, int):
        name, op = _draw_op(data, INT_OPS)
        return _set(obj, path, op(node, data)), f"{where}: int {name}"
    if isinstance(node, str):
        name, op = _draw_op(data, STR_OPS)
        return _set(obj, path, op(node, data)), f"{where}: string {name}"
    obj, note = _container_op(data, obj, path, node)
    return obj, f"{where}: {note}"


def serialise(obj: Any, fmt: str) -> bytes:
    """Canonical text of ``obj`` with the markers replaced by what JSON cannot hold.

    A lone surrogate left by an earlier mutation cannot be encoded as UTF-8; the text is then
    written with ASCII escapes, which JSON reads back as the same value.
    """
    for ascii_only in (False, True):
        if fmt == "jsonl" and isinstance(obj, list):
            text = "".join(json.dumps(r, ensure_ascii=ascii_only, separators=(", ", ": ")) + "\n" for r in obj)
        else:
            text = json.dumps(obj, ensure_ascii=ascii_only, indent=2) + "\n"
        text = text.replace(json.dumps(SURROGATE), '"\\ud800"').replace(json.dumps(BIG_NUMBER), "9" * 5000)
        try:
            return text.encode("utf-8")
        except UnicodeEncodeError:
            continue
    raise AssertionError("unreachable: ASCII text always encodes")


def parse_base(raw: bytes, fmt: str) -> Any:
    text = raw.decode("utf-8")
    if fmt == "jsonl":
        return [json.loads(line) for line in text.split("\n") if line.strip()]
    return json.loads(text)


RAW_OPS = ("truncated", "byte order mark", "CRLF line ends", "invalid UTF-8", "NFD file", "byte deleted",
           "unbalanced nesting", "duplicate key", "NUL byte", "empty file", "NaN")
BAD_BYTES = (b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x80", b"\xf4\x90\x80\x80")


def mutate_bytes(data, raw: bytes) -> tuple[bytes, str]:
    """One mutation of the serialised bytes."""
    name = data.draw(st.sampled_from(RAW_OPS))
    at = _draw_index(data, max(1, len(raw)))
    if name == "truncated":
        return raw[:at], f"truncated at byte {at}"
    if name == "byte order mark":
        return b"\xef\xbb\xbf" + raw, name
    if name == "CRLF line ends":
        return raw.replace(b"\n", b"\r\n"), name
    if name == "invalid UTF-8":
        bad = data.draw(st.sampled_from(BAD_BYTES))
        return raw[:at] + bad + raw[at:], f"inserted {bad!r} at byte {at}"
    if name == "NFD file":
        try:
            return unicodedata.normalize("NFD", raw.decode("utf-8")).encode("utf-8"), name
        except UnicodeDecodeError:
            return raw, "NFD file (not UTF-8: unchanged)"
    if name == "byte deleted":
        return raw[:at] + raw[at + 1:], f"deleted byte {at}"
    if name == "unbalanced nesting":
        return b"[" * 3000 + raw, name
    if name == "duplicate key":
        k = raw.find(b"{")
        return (raw[:k + 1] + b'"id": "dup", ' + raw[k + 1:], name) if k >= 0 else (raw, "duplicate key (no object: unchanged)")
    if name == "NUL byte":
        return raw[:at] + b"\x00" + raw[at:], f"NUL at byte {at}"
    if name == "NaN":
        return re.sub(rb"(: )[0-9]+", rb"\1NaN", raw, count=1), name
    return b"", name


FIELD_OPS = {
    "plus one": lambda f: str(int(f) + 1) if f.isdigit() else f + "1",
    "minus one": lambda f: str(int(f) - 1) if f.isdigit() else f[:-1],
    "huge": lambda f: "9" * 30,
    "negative": lambda f: "-" + f,
    "empty": lambda f: "",
    "unknown label": lambda f: "NOT_IN_INVENTORY",
    "id plus one": lambda f: _bump_id(f, 1),
    "markup": lambda f: "<b>x</b>",
}


def mutate_line(data, raw: bytes) -> tuple[bytes, str]:
    """One mutation of a line format (brat .ann, CoNLL): a line dropped, doubled, swapped, or one field changed."""
    text = raw.decode("utf-8", errors="surrogateescape")
    lines = text.split("\n")
    i = _draw_index(data, len(lines))
    what = data.draw(st.sampled_from(["drop a line", "duplicate a line", "swap two lines", "change a field", "change a field"]))
    if what == "drop a line":
        del lines[i]
    elif what == "duplicate a line":
        lines.insert(i, lines[i])
    elif what == "swap two lines":
        j = _draw_index(data, len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    else:
        parts = re.split(r"([\t :;])", lines[i])
        k = 2 * _draw_index(data, (len(parts) + 1) // 2)
        name, op = _draw_op(data, FIELD_OPS)
        parts[k] = op(parts[k])
        lines[i] = "".join(parts)
        what = f"field {k // 2} of line {i + 1}: {name}"
    return "\n".join(lines).encode("utf-8", errors="surrogateescape"), what if what.startswith("field") else f"{what} ({i + 1})"


def mutate(data, raw: bytes, fmt: str) -> tuple[bytes, list[str]]:
    """One to three mutations of a valid file's bytes; returns the bytes and what was done."""
    notes: list[str] = []
    for _ in range(data.draw(st.integers(1, 3))):
        structured = fmt in ("json", "jsonl") and data.draw(st.integers(0, 3)) > 0
        obj = None
        if structured:
            try:
                obj = parse_base(raw, fmt)
            except (UnicodeDecodeError, ValueError, RecursionError):
                obj = None
        if obj is not None:
            obj, note = mutate_value(data, obj)
            raw = serialise(obj, fmt)
        elif fmt == "text" and data.draw(st.integers(0, 3)) > 0:
            raw, note = mutate_line(data, raw)
        else:
            raw, note = mutate_bytes(data, raw)
        notes.append(note)
    return raw, notes


def describe(notes: list[str]) -> str:
    return "; ".join(notes)
