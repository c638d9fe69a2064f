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
from operator import itemgetter
from typing import Callable

Check = Callable[[list], bool]
NOTES = {"$schema", "$id", "title", "description"}
LEAF_TYPES = {"string": str, "integer": int, "null": type(None)}


class Unsupported(Exception):
    """The schema uses a keyword this module does not compile."""


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
        return search is None or all(map(search, strings))
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
        if set(map(type, col)) != {list} or min(map(len, col)) < least:
            return False
        flat = [x for v in col for x in v]
        if unique and (set(map(type, flat)) - {str} or not all(len(set(v)) == len(v) for v in col)):
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

    def check(col: list) -> bool:
        if not col:
            return True
        if set(map(type, col)) != {dict}:
            return False
        for keys in set(map(frozenset, col)):
            if not required <= keys or (closed and not keys <= allowed):
                return False
        for key, sub in props.items():
            values = list(map(itemgetter(key), col)) if key in required else [d[key] for d in col if key in d]
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
