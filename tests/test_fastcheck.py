"""The compiled and column-wise schema checks agree with ``jsonschema`` (strict integers).

Raw verdicts are compared on every record of every fixture and of the gold; on mutated
records a "valid" from the fast checks must always be a "valid" from ``jsonschema``, and the
problems reported are the same as with ``jsonschema`` alone.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from visectalks import colcheck, fastcheck, schemas
from visectalks.validate import _validator, schema_problems

FIXTURES = Path(__file__).parent / "fixtures" / "invalid"
LAYER_SCHEMA = {"entities": "entity", "events": "event", "stance": "stance"}
SIDE_SCHEMA = {"registry.json": "registry", "not_entities.json": "not_entities", "clusters.json": "clusters", "metadata.json": "metadata"}


def _records(path: Path) -> list[tuple[str, object]]:
    """(schema name, record) for every record a file holds, by where the file lies."""
    try:
        if path.name == "adjudication.jsonl":
            return [("adjudication", json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        if path.suffix == ".jsonl" and path.parent.name in LAYER_SCHEMA:
            return [(LAYER_SCHEMA[path.parent.name], json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        if path.suffix == ".json" and path.parent.name == "corpus":
            return [("document", json.loads(path.read_text(encoding="utf-8")))]
        if path.name in SIDE_SCHEMA:
            return [(SIDE_SCHEMA[path.name], json.loads(path.read_text(encoding="utf-8")))]
    except (ValueError, UnicodeDecodeError):
        return []  # unreadable files never reach a schema check
    return []


def _all_records(root: Path) -> list[tuple[str, object]]:
    files = [p for p in FIXTURES.rglob("*") if p.is_file()]
    files += [p for name in ("corpus", "annotations", "seeds") for p in (root / name).rglob("*") if p.is_file()]
    return [r for p in sorted(files) for r in _records(p)]


def test_verdicts_equal_jsonschema_on_fixtures_and_gold(root):
    records = _all_records(root)
    kinds = {name for name, _ in records}
    assert kinds == set(schemas.ALL), f"schemas without a record to check: {set(schemas.ALL) - kinds}"
    invalid = 0
    for name, record in records:
        expected = _validator(name).is_valid(record)
        assert fastcheck.is_valid(name, record) == expected, (name, str(record)[:200])
        invalid += not expected
    assert invalid >= 5, "the fixtures should hold records that fail their schema"


def test_column_check_never_accepts_what_jsonschema_rejects(root):
    for name, record in _all_records(root):
        check = colcheck.record_checker(schemas.ALL[name]())
        if check is not None and check(record):
            assert _validator(name).is_valid(record), (name, str(record)[:200])


def test_every_large_schema_has_a_column_check():
    for name in fastcheck.COLUMNAR:
        assert colcheck.record_checker(schemas.ALL[name]()) is not None, name


def test_integer_positions_come_from_the_schema():
    assert ("tokens", "*", "start") in fastcheck.integer_paths("document")
    assert fastcheck.integer_paths("entity") == (("start",), ("end",))
    assert fastcheck.integer_paths("registry") == ()


def _mutations():
    leaf = st.sampled_from([None, True, False, 0, -1, 1.0, 38.0, 2.5, "", "x", "GPE", "d000-M001\n", [], {}, ["metonymy", "metonymy"]])
    return st.lists(st.tuples(st.integers(0, 10**6), leaf, st.sampled_from(["set", "delete", "add"])), min_size=1, max_size=3)


def _mutate(record, steps):
    record = copy.deepcopy(record)
    for pick, value, how in steps:
        value = copy.deepcopy(value)  # a drawn list or dict must not end up inside itself
        nodes = [(None, None, record)]
        stack = [record]
        while stack:
            node = stack.pop()
            children = list(node.items()) if isinstance(node, dict) else list(enumerate(node)) if isinstance(node, list) else []
            for key, child in children:
                nodes.append((node, key, child))
                stack.append(child)
        parent, key, node = nodes[pick % len(nodes)]
        if how == "add" and isinstance(node, dict):
            node["extra"] = value
        elif how == "delete" and isinstance(parent, dict):
            del parent[key]
        elif parent is not None:
            parent[key] = value
    return record


@pytest.fixture(scope="module")
def samples(root):
    doc = json.loads((root / "corpus" / "d004.json").read_text(encoding="utf-8"))
    small = {**doc, "paragraphs": doc["paragraphs"][:2], "sentences": doc["sentences"][:2], "tokens": doc["tokens"][:6],
             "words": doc["words"][:4], "quotes": doc["quotes"][:1]}
    out = [("document", small)]
    for layer, name in LAYER_SCHEMA.items():
        out.append((name, json.loads((root / "annotations" / layer / "d004.jsonl").read_text(encoding="utf-8").splitlines()[0])))
    out.append(("registry", json.loads((root / "annotations" / "entities" / "registry.json").read_text(encoding="utf-8"))[:3]))
    return out


@settings(max_examples=300, deadline=None)
@given(which=st.integers(0, 4), steps=_mutations())
def test_fast_valid_implies_jsonschema_valid_on_mutations(samples, which, steps):
    name, base = samples[which]
    record = _mutate(base, steps)
    strict = _validator(name).is_valid(record)
    if fastcheck.is_valid(name, record):
        assert strict, (name, record)
    assert bool(schema_problems(name, record, "f", "r")) == (not strict)
