"""Compiled schema checks: a fast verdict in front of ``jsonschema``'s detailed errors.

``fastjsonschema`` compiles the same generated schemas (``schemas.ALL``) into Python code that
checks a valid record about fifteen times faster than ``jsonschema``; for the large records
(corpus documents, the registry, seed metadata) a column-wise check (``colcheck``) goes
first and is faster again. It is used only for the
verdict: a record it accepts has no schema problems; a record it rejects is handed to
``jsonschema``, whose errors (codes, pointers, messages) are the ones reported. Verdicts are
cross-checked against ``jsonschema`` in the tests, on every fixture and on the gold.

One known difference is deliberate and harmless: ``fastjsonschema`` reads ``$`` in a pattern as
the end of the string, ``jsonschema`` (Python ``re``) also accepts a final newline before it; such
a value is rejected here and then judged by ``jsonschema``, so the final verdict is unchanged.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Callable

import fastjsonschema

from . import schemas

# The schemas use no keyword whose meaning differs between draft-07 and draft 2020-12 (no
# prefixItems, $defs, dependentRequired or unevaluated*), so the draft-07 compiler applies.
DRAFT07 = "http://json-schema.org/draft-07/schema#"


@lru_cache(maxsize=None)
def compiled(name: str) -> Callable:
    schema = dict(schemas.ALL[name]())
    schema["$schema"] = DRAFT07
    return fastjsonschema.compile(schema, use_default=False, use_formats=False)


# Schemas of large records (arrays of many small ones), where a column-wise check is faster.
COLUMNAR = ("document", "registry", "metadata")


@lru_cache(maxsize=None)
def columnar(name: str):
    from .colcheck import record_checker

    return record_checker(schemas.ALL[name]())


@lru_cache(maxsize=None)
def column(name: str):
    """The column check of schema ``name`` over a list of records, or None if unsupported."""
    from .colcheck import Unsupported, checker

    try:
        return checker(schemas.ALL[name]())
    except Unsupported:
        return None


def all_valid(name: str, records) -> bool:
    """True if every record of the list ``records`` certainly matches schema ``name``, by one
    column check of them all (False: check them one by one)."""
    check = column(name)
    return check is not None and type(records) is list and check(records)


def is_valid(name: str, record) -> bool:
    """True if ``record`` certainly matches schema ``name`` with integers that are real ints
    (False: ask ``jsonschema``)."""
    if name in COLUMNAR and columnar(name) is not None and columnar(name)(record):
        return True
    try:
        compiled(name)(record)
    except fastjsonschema.JsonSchemaException:
        return False
    return ints_are_ints(record, integer_paths(name))


def _integer_paths(schema, path: tuple) -> list[tuple]:
    """Paths ("*" for every array item) of the integer-typed values a schema allows."""
    if not isinstance(schema, dict):
        return []
    types = schema.get("type")
    out = [path] if types == "integer" or (isinstance(types, list) and "integer" in types) else []
    for key, sub in (schema.get("properties") or {}).items():
        out += _integer_paths(sub, path + (key,))
    out += _integer_paths(schema.get("items"), path + ("*",))
    if isinstance(schema.get("additionalProperties"), dict):
        out += _integer_paths(schema["additionalProperties"], path + ("**",))
    for branch in ("oneOf", "anyOf", "allOf"):
        for sub in schema.get(branch) or []:
            out += _integer_paths(sub, path)
    return out


@lru_cache(maxsize=None)
def integer_paths(name: str) -> tuple[tuple, ...]:
    return tuple(_integer_paths(schemas.ALL[name](), ()))


def _values(record, path: tuple) -> list:
    """Every value at ``path`` in ``record`` ("*": each item of a list, "**": each value of an object)."""
    nodes = [record]
    for part in path:
        if part == "*":
            nodes = [x for n in nodes if isinstance(n, list) for x in n]
        elif part == "**":
            nodes = [x for n in nodes if isinstance(n, dict) for x in n.values()]
        else:
            nodes = [n[part] for n in nodes if isinstance(n, dict) and part in n]
    return nodes


def ints_are_ints(record, paths: tuple[tuple, ...]) -> bool:
    """False if a value where the schema allows an integer is a float (38.0).

    JSON Schema counts 38.0 as an integer and so does the compiled check; the project's
    validator does not (an offset of 38.0 cannot index a string). Only the schema's integer
    positions can hold such a value in a record that passed the compiled check, so only they
    are looked at.
    """
    return not any(any(isinstance(v, float) for v in _values(record, path)) for path in paths)


@lru_cache(maxsize=None)
def compiled_part(name: str, *path: str) -> Callable:
    """The sub-schema at ``path`` inside schema ``name`` (e.g. the items of an array), compiled."""
    schema = schemas.ALL[name]()
    for key in path:
        schema = schema[key]
    return fastjsonschema.compile({**schema, "$schema": DRAFT07}, use_default=False, use_formats=False)


def part_is_valid(name: str, path: tuple[str, ...], record) -> bool:
    try:
        compiled_part(name, *path)(record)
    except fastjsonschema.JsonSchemaException:
        return False
    schema = schemas.ALL[name]()
    for key in path:
        schema = schema[key]
    return ints_are_ints(record, tuple(_integer_paths(schema, ())))

