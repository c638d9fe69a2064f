"""Column-wise schema checks: a certain "valid" for whole arrays of flat records at C speed.

A corpus document holds hundreds of span records of the same shape. Checking them one by one
(``fastjsonschema``) costs a few microseconds each; checking them a column at a time
(``map``, ``set``, ``min`` over all the ``start`` values, then all the ``id`` values …) costs
a few dozen nanoseconds each. ``checker(schema)`` turns the subset of JSON Schema that the
project's schemas use (object, array, string, integer, null, enum, const, pattern,
minimum, minLength, minItems, uniqueItems, required, additionalProperties false) into such a
column check. It only ever answers "certainly valid" (True) or "not sure" (False): any other
keyword makes the whole schema unsupported, any unusual value (a float, a bool, an extra
key) makes it unsure, and then the caller asks the next validator. Integers are real ints
only (``type(v) is int``), as in the project's strict validator.
"""
from __future__ import annotations

import re
from itertools import chain
from operator import itemgetter
from typing import Callable

Check = Callable[[list], bool]
NOTES = {"$schema", "$id", "title", "description"}
LEAF_TYPES = {"string": str, "integer": int, "null": type(None)}


class Unsupported(Exception):
    """The schema uses a keyword this module does not compile."""


# A pattern body made only of ASCII letters, digits, "_" and "-", classes of those (ranges
# included) and quantifiers: no part of it can match a newline.
_PLAIN_BODY = re.compile(r"(?:[A-Za-z0-9_-]|\[[A-Za-z0-9_-]+\]|\{[0-9]+(?:,[0-9]*)?\}|[+*?])*")


def _joined_match(pattern: str):
    """For a pattern ``^BODY$`` whose body cannot match a newline: a matcher of the strings of a
    column joined by newlines, which matches exactly when every string is a BODY (None for
    other patterns). Each string then holds no newline, so ``^``/``$`` reach its two ends."""
    if not (pattern.startswith("^") and pattern.endswith("$") and _PLAIN_BODY.fullmatch(pattern[1:-1])):
        return None
    body = pattern[1:-1]
    return re.compile(f"(?:{body})(?:\n(?:{body}))*").fullmatch


def _types(schema: dict) -> set | None:
    declared = schema.get("type")
    if declared is None:
        return None
    names = declared if isinstance(declared, list) else [declared]
    if any(n not in LEAF_TYPES for n in names):
        raise Unsupported(str(declared))
    return {LEAF_TYPES[n] for n in names}


def _leaf(schema: dict) -> Check:
    """Type, enum and const for every value; pattern and minLength for the strings, minimum for
    the integers (as in JSON Schema, a keyword applies only to values of its type)."""
    known = NOTES | {"type", "enum", "const", "pattern", "minimum", "minLength"}
    if set(schema) - known or (schema.get("minLength") is not None and not isinstance(schema["minLength"], int)):
        raise Unsupported(str(sorted(set(schema) - known)))
    types = _types(schema)
    allowed = None
    if "const" in schema or "enum" in schema:
        allowed = {schema["const"]} if "const" in schema else set(schema["enum"])
        if not all(isinstance(v, str) for v in allowed):
            raise Unsupported("non-string enum or const")
    low, shortest = schema.get("minimum"), schema.get("minLength")
    search = re.compile(schema["pattern"]).search if "pattern" in schema else None
    joined = _joined_match(schema["pattern"]) if "pattern" in schema else None

    def pattern_check(strings: list) -> bool:
        if joined is not None and len(strings) > 4:
            lines = "\n".join(strings)  # one match for the column; a string with a newline: one by one
            if lines.count("\n") == len(strings) - 1 and joined(lines):
                return True
        return all(map(search, strings))

    # The common shapes get checks of their own (the same verdicts as the general one below).
    keywords = set(schema) - NOTES
    if types == {str} and keywords <= {"type", "pattern", "minLength"}:
        def string_check(col: list) -> bool:
            if not col:
                return True
            if set(map(type, col)) != {str}:
                return False
            if shortest is not None and (("" in col) if shortest == 1 else min(map(len, col)) < shortest):
                return False
            return search is None or pattern_check(col)
        return string_check
    if types == {int} and keywords <= {"type", "minimum"}:
        def integer_check(col: list) -> bool:
            if not col:
                return True
            return set(map(type, col)) == {int} and (low is None or min(col) >= low)
        return integer_check
    if types is None and allowed is not None and keywords <= {"enum", "const"}:
        def enum_check(col: list) -> bool:
            return not col or (set(map(type, col)) == {str} and allowed.issuperset(col))
        return enum_check

    def check(col: list) -> bool:
        if not col:
            return True
        kinds = set(map(type, col))
        if (types is not None and not kinds <= types) or float in kinds or bool in kinds:
            return False
        strings = col if kinds == {str} else [v for v in col if type(v) is str]
        if allowed is not None and (kinds != {str} or not set(col) <= allowed):
            return False
        if low is not None and min([v for v in col if type(v) is int] if kinds != {int} else col, default=low) < low:
            return False
        if shortest is not None and min(map(len, strings), default=shortest) < shortest:
            return False
        return search is None or pattern_check(strings)
    return check


def _array(schema: dict) -> Check:
    known = NOTES | {"type", "items", "minItems", "uniqueItems"}
    if set(schema) - known or "items" not in schema:
        raise Unsupported("array keywords")
    items = checker(schema["items"])
    least = schema.get("minItems", 0)
    unique = schema.get("uniqueItems", False)

    def check(col: list) -> bool:
        if not col:
            return True
        if set(map(type, col)) != {list} or (least and min(map(len, col)) < least):
            return False
        flat = list(chain.from_iterable(col))
        if unique and (set(map(type, flat)) - {str} or sum(map(len, map(set, col))) != len(flat)):
            return False  # uniqueness is judged here for strings only
        return items(flat)
    return check


def _object(schema: dict) -> Check:
    known = NOTES | {"type", "properties", "required", "additionalProperties"}
    if set(schema) - known or schema.get("additionalProperties", True) not in (False, True):
        raise Unsupported("object keywords")
    props = {k: checker(v) for k, v in (schema.get("properties") or {}).items()}
    required, closed = frozenset(schema.get("required", ())), schema.get("additionalProperties", True) is False
    allowed = frozenset(props)
    # Closed, with every property required: a record with as many keys as there are
    # properties, each of which it has (``itemgetter`` finds them all), has exactly those keys.
    exact = closed and required == allowed
    getters = {key: itemgetter(key) for key in props}
    every, subs = itemgetter(*props) if len(props) > 1 else None, list(props.values())

    def check(col: list) -> bool:
        if not col:
            return True
        if set(map(type, col)) != {dict}:
            return False
        if exact:
            if set(map(len, col)) != {len(allowed)}:
                return False
            if every is not None:  # every column in one pass (a tuple of values per record, transposed)
                try:
                    columns = zip(*map(every, col))
                except KeyError:
                    return False
                return all(sub(values) for sub, values in zip(subs, columns))
        else:
            for keys in set(map(frozenset, col)):
                if not required <= keys or (closed and not keys <= allowed):
                    return False
        for key, sub in props.items():
            try:
                values = list(map(getters[key], col)) if key in required else [d[key] for d in col if key in d]
            except KeyError:
                return False
            if not sub(values):
                return False
        return True
    return check


def checker(schema) -> Check:
    """The column check of ``schema`` (raises ``Unsupported``)."""
    if not isinstance(schema, dict):
        raise Unsupported("boolean schema")
    kind = schema.get("type")
    if kind == "object":
        return _object(schema)
    if kind == "array":
        return _array(schema)
    return _leaf(schema)


def record_checker(schema) -> Callable[[object], bool] | None:
    """``record -> certainly valid?`` for one record, or None if the schema is unsupported."""
    try:
        check = checker(schema)
    except Unsupported:
        return None
    return lambda record: check([record])
