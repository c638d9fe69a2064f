"""The validator's column-wise shortcuts give the same problems as its item-by-item checks.

Every shortcut only ever says "nothing to report here"; when it cannot say so, the item loop
runs. These tests switch every shortcut off (the loops alone, and ``jsonschema`` alone for the
schemas) and compare the problems, code for code and in order, on the gold and on documents and
layer files with random damage. The fast JSON Lines reader is compared with the strict one on
lines made to differ from their canonical form in every way that matters.
"""
from __future__ import annotations

import copy
import json
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from visectalks import colcheck, fastcheck, fastjson, jsonio, schemas
from visectalks import validate as v
from visectalks.layers import load_tree
from visectalks.limits import LIMITS

FIXTURES = Path(__file__).parent / "fixtures" / "invalid"
LAYER_SCHEMA = {"entities": "entity", "events": "event", "stance": "stance"}


# ---------------------------------------------------------------- fast and plain

def _plain(monkeypatch) -> None:
    """Every shortcut off: schemas by jsonschema, ids, spans, order, tokens and words item by item."""
    monkeypatch.setattr(fastcheck, "is_valid", lambda name, record: False)
    monkeypatch.setattr(fastcheck, "all_valid", lambda name, records: False)
    monkeypatch.setattr(v, "_ids_and_spans_clean", lambda *args: False)
    monkeypatch.setattr(v, "_tokens_words_clean", lambda *args: False)
    monkeypatch.setattr(v, "_in_order", lambda starts, ends: False)


def _all_problems(tree, side) -> list[str]:
    out, unusable = [], set()
    for doc_id, doc in tree.docs.items():
        found = v.check_document(doc, tree.doc_files[doc_id], doc["text"])
        out += [p.line() for p in found]
        if any(p.code in ("VST002", "VST003") for p in found):
            unusable.add(doc_id)
    for key, records in tree.layers["entities"].items():
        if key in unusable:
            continue
        doc = tree.docs.get(key)
        out += [p.line() for p in v.check_entities(records, doc, f"entities/{key}.jsonl", side.registry, key)]
        mentions = {m["id"]: m for m in records if isinstance(m, dict) and isinstance(m.get("id"), str)
                    and isinstance(m.get("start"), int) and isinstance(m.get("end"), int)}
        if doc is not None:
            with_forms = v.coverage_gaps(doc, list(mentions.values()), side.registry, side.not_entities, "e", side.forms)
            assert with_forms == v.coverage_gaps(doc, list(mentions.values()), side.registry, side.not_entities, "e")
            out += [p.line() for p in with_forms]
        out += [p.line() for p in v.check_events(tree.layers["events"].get(key, []), doc, "ev", mentions, side.cluster_ids, key)]
        out += [p.line() for p in v.check_stance(tree.layers["stance"].get(key, []), doc, "st", mentions, key)]
    return out


@pytest.fixture(scope="module")
def gold(layout):
    tree = load_tree(layout)
    return tree, v.side_checks(tree)


def test_gold_has_no_problems_fast_or_plain(gold, monkeypatch):
    tree, side = gold
    assert _all_problems(tree, side) == []
    _plain(monkeypatch)
    assert _all_problems(tree, side) == []


def _damage(doc: dict, rng: random.Random) -> None:
    """One random change to a span list, a span or an id of a corpus document."""
    key = rng.choice(["paragraphs", "sentences", "tokens", "tokens", "words", "words", "quotes"])
    items = doc[key]
    if not items:
        return
    i = rng.randrange(len(items))
    item = items[i]
    how = rng.randrange(9)
    if how == 0:
        item["start"] = max(0, item["start"] + rng.choice([-2, -1, 1, 2]))
    elif how == 1:
        item["end"] = item["end"] + rng.choice([-2, -1, 1, 2])
    elif how == 2 and len(items) > 1:
        j = rng.randrange(len(items))
        items[i], items[j] = items[j], items[i]
    elif how == 3:
        item["id"] = items[rng.randrange(len(items))]["id"]
    elif how == 4:
        item["id"] = item["id"].replace("-", "-x", 1) if rng.random() < 0.5 else doc["id"] + "0-" + item["id"].split("-")[-1]
    elif how == 5 and key == "words":
        item["token_ids"] = list(reversed(item["token_ids"])) if rng.random() < 0.5 else item["token_ids"] + [doc["tokens"][0]["id"]]
    elif how == 6 and key == "words":
        item["token_ids"] = [t.replace("-t", "-t9") for t in item["token_ids"]]
    elif how == 7:
        item["start"], item["end"] = item["start"] + 1, item["end"] + 1
        item["text"] = doc["text"][item["start"]:item["end"]]
    elif how == 8 and key == "sentences":
        item["paragraph_id"] = doc["paragraphs"][rng.randrange(len(doc["paragraphs"]))]["id"]
    else:
        item["text"] = item["text"][:-1] + "X"


def _damage_layers(tree, rng: random.Random) -> None:
    for layer in ("entities", "events", "stance"):
        for records in tree.layers[layer].values():
            if records and rng.random() < 0.5:
                r = records[rng.randrange(len(records))]
                span = r if layer == "entities" else r["trigger"] if layer == "events" else r["evidence"]
                what = rng.randrange(5)
                if what == 0:
                    span["start"] += rng.choice([-1, 1])
                elif what == 1:
                    r["id"] = records[0]["id"]
                elif what == 2:
                    span["end"] = 10**6
                elif what == 3:
                    r["doc"] = "d999"
                else:
                    span["start"] = 1.0 * span["start"]  # not an integer for the strict validator


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10**6))
def test_damaged_trees_give_the_same_problems_fast_and_plain(gold, seed):
    tree, side = gold
    rng = random.Random(seed)
    damaged = copy.deepcopy(tree)
    for doc in damaged.docs.values():
        for _ in range(rng.randrange(4)):
            _damage(doc, rng)
    _damage_layers(damaged, rng)
    fast = _all_problems(damaged, side)
    with pytest.MonkeyPatch.context() as mp:
        _plain(mp)
        plain = _all_problems(damaged, side)
    assert fast == plain


def test_damaged_trees_do_report_problems(gold):
    tree, side = gold
    rng = random.Random(7)
    damaged = copy.deepcopy(tree)
    for doc in damaged.docs.values():
        for _ in range(6):
            _damage(doc, rng)
    assert _all_problems(damaged, side), "the damage should be found"


def _runs_token_by_token(doc: dict, covered: list) -> list[tuple[int, int]]:
    """Runs of flagged tokens found by looking at every token."""
    text, found, run = doc["text"], [], []
    for t in doc["tokens"] + [None]:
        flagged = t is not None and t["text"][0].isupper() and not any(covered[t["start"]:t["end"]]) \
            and not v._opens_sentence(text, t["start"])
        if flagged and (not run or not text[run[-1]["end"]:t["start"]].strip()):
            run.append(t)
            continue
        if run:
            found.append(v._widen_to_words(doc, run[0]["start"], run[-1]["end"], covered))
        run = [t] if flagged else []
    return found


def test_capitalised_runs_equal_token_by_token_scan(gold):
    tree, _side = gold
    rng = random.Random(3)
    checked = 0
    for doc_id, doc in tree.docs.items():
        for _ in range(30):
            covered = [rng.random() < 0.2 for _ in doc["text"]]
            starts, ends = [t["start"] for t in doc["tokens"]], [t["end"] for t in doc["tokens"]]
            got = v._capitalised_runs(doc, covered, starts, ends)
            assert got == _runs_token_by_token(doc, covered), doc_id
            checked += len(got)
    assert checked > 100


def test_registry_forms_are_every_alias_form(gold):
    _tree, side = gold
    expected = set()
    for rec in side.registry.values():
        if rec["type"] not in ("DATE", "QUANTITY"):
            expected |= v.alias_forms(rec)
    assert set(side.forms) == expected and len(side.forms) == len(expected)


# ---------------------------------------------------------------- column checks of layer files

def _layer_files(root: Path) -> list[tuple[str, list]]:
    out = []
    for folder in [*FIXTURES.rglob("*"), root / "annotations"]:
        for layer, name in LAYER_SCHEMA.items():
            for p in sorted((folder / layer).glob("*.jsonl")) if (folder / layer).is_dir() else []:
                try:
                    out.append((name, [json.loads(line) for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]))
                except (ValueError, UnicodeDecodeError):
                    continue
    return out


def test_column_verdict_of_a_file_implies_every_record_valid(root):
    files = _layer_files(root)
    assert len(files) > 20
    accepted = 0
    for name, records in files:
        if fastcheck.all_valid(name, records):
            accepted += 1
            assert all(v._validator(name).is_valid(r) for r in records), (name, str(records)[:200])
    assert accepted > 10


@settings(max_examples=200, deadline=None)
@given(which=st.sampled_from(["entities", "events"]), pick=st.integers(0, 10**6),
       key=st.sampled_from(["id", "doc", "start", "end", "text", "type", "entity", "flags", "trigger", "cluster", "arguments", "realis"]),
       value=st.sampled_from([None, True, 0, -1, 1.0, 38.0, "", "x", "d004-M1\n", "d004-M1\nd004-M2", "PER", [], {}, ["metonymy", "metonymy"]]))
def test_column_check_of_a_damaged_file_agrees_with_jsonschema(root, which, pick, key, value):
    lines = (root / "annotations" / which / "d004.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    target = records[pick % len(records)]
    if key in target:
        target[key] = copy.deepcopy(value)
    name = LAYER_SCHEMA[which]
    if fastcheck.all_valid(name, records):
        assert all(v._validator(name).is_valid(r) for r in records)


def test_joined_pattern_match_only_for_patterns_without_newlines():
    assert colcheck._joined_match("^d[0-9]{3,}-t[0-9]+$") is not None
    assert colcheck._joined_match("^[a-z0-9_]+$") is not None
    for pattern in ("^a.b$", "^[^a]+$", "^a\\sb$", "a[0-9]+$", "^(a|b)$", "^[\\n]$"):
        assert colcheck._joined_match(pattern) is None, pattern
    check = colcheck.checker({"type": "string", "pattern": "^d[0-9]{3,}-t[0-9]+$"})
    good = [f"d004-t{k}" for k in range(10)]
    assert check(good)
    assert not check(good[:5] + ["d004-t5\nd004-t6"] + good[6:])  # one string, two lines
    assert check(good[:5] + ["d004-t5\n"] + good[6:])  # "$" allows a final newline (so does jsonschema): one by one


# ---------------------------------------------------------------- fast JSON Lines

def _typed(value):
    """A value with the type of every leaf spelled out (1 == 1.0 == True in Python)."""
    if isinstance(value, dict):
        return {k: _typed(x) for k, x in value.items()}
    if isinstance(value, list):
        return [_typed(x) for x in value]
    return type(value).__name__, value


LINES = [
    '{"a": 1, "b": [1, 2, {"c": null}], "d": "x, y: z"}',
    '{"a":1}',
    '{"a": 1, "a": 2}',
    '{"n": 18446744073709551616}',
    '{"n": 1e16}',
    '{"n": 1e+16}',
    '{"n": 1.0}',
    '{"n": 1}',
    '{"n": -0}',
    '{"n": -0.0}',
    '{"n": 0.1}',
    '{"n": NaN}',
    '{"s": "\\ud800"}',
    '{"s": "\\u00e9"}',
    '{"s": "é\\n\\t\\u0000"}',
    '[1',
    '2]',
    '1, 2',
    '"x"',
    '{}',
    '[]',
    '{"a": []}',
    '  {"a": 1}',
    '{"a": 1}  ',
    '{"a": 1}\r',
    '{"a" : 1}',
]


def _deep(levels: int) -> str:
    return "[" * (levels - 1) + "{}" + "]" * (levels - 1)


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(st.sampled_from(LINES + [_deep(15), _deep(16), _deep(17), '{"a": ' + _deep(16) + "}", ""]), min_size=0, max_size=6),
       end=st.sampled_from(["\n", "", "\n\n"]))
def test_fast_jsonl_equals_strict_reader(tmp_path_factory, lines, end):
    folder = tmp_path_factory.mktemp("l") / "entities"
    folder.mkdir()
    path = folder / "d000.jsonl"
    path.write_text("\n".join(lines) + end, encoding="utf-8")
    fast, strict = fastjson.read_jsonl(path, "x"), jsonio.read_jsonl(path, "x")
    assert fast == strict
    assert _typed(fast[0]) == _typed(strict[0])


def test_canonical_lines_are_read_in_one_go():
    limit = LIMITS["annotation"]
    records = [{"id": "d000-M1", "text": "Nga, Mỹ: \"x\"", "n": [1, 2.5, None, True], "o": {}}, {"a": [[[]]]}]
    raw = "".join(json.dumps(r, ensure_ascii=False, separators=(", ", ": ")) + "\n" for r in records).encode("utf-8")
    assert fastjson._canonical_lines(raw, limit) == records
    assert fastjson._canonical_lines(raw.replace(b", ", b",", 1), limit) is None
    assert fastjson._canonical_lines(raw + b"\n", limit) is None
    assert fastjson._canonical_lines(_deep(17).encode() + b"\n", limit) is None
    assert fastjson._canonical_lines(b"[1\n2]\n", limit) is None
