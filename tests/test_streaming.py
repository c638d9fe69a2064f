"""Streaming readers and writers give exactly what the whole-corpus ones give.

Validation one document at a time equals ``check_tree(load_tree())`` on every fixture; the
streamed seed checks equal ``seeds.verify``; the fast JSON readers and writer equal ``jsonio``;
sharded Parquet equals the release's files; the streamed build equals the corpus.
"""
from __future__ import annotations

import json
import shutil
import tracemalloc
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from visectalks import fastjson, jsonio, jsonstream, seeds, shards, stream
from visectalks.layers import load_tree
from visectalks.paths import layout as make_layout
from visectalks.synth import synth
from visectalks.validate import check_metadata, check_tree
from visectalks.validate_stream import check_layout

FIXTURES = Path(__file__).parent / "fixtures" / "invalid"
CASES = sorted(p for p in FIXTURES.iterdir() if p.is_dir())


@pytest.fixture(scope="module")
def gold_copy(tmp_path_factory, root):
    base = tmp_path_factory.mktemp("gold")
    for name in ("seeds", "corpus", "annotations"):
        shutil.copytree(root / name, base / name)
    return base


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory, layout):
    out = tmp_path_factory.mktemp("synth") / "s"
    synth(layout, out, 24, seed=5, variants=3)
    return out


def _overlaid(gold: Path, case: Path, dest: Path) -> Path:
    shutil.copytree(gold, dest)
    for f in case.rglob("*"):
        if f.is_file():
            target = dest / f.relative_to(case)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, target)
    return dest


# ---------------------------------------------------------------- validation

@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_streamed_validation_equals_whole_tree(gold_copy, case, tmp_path):
    lay = make_layout(_overlaid(gold_copy, case, tmp_path / "p"))
    assert check_layout(lay, jobs=1) == check_tree(load_tree(lay))


def test_streamed_validation_on_workers_and_passes(gold_copy, tmp_path):
    cases = [c for c in CASES if c.name.startswith(("VST001-trunc", "VST102", "VST202", "VST303", "VST403"))]
    for case in cases:
        lay = make_layout(_overlaid(gold_copy, case, tmp_path / case.name))
        assert check_layout(lay, jobs=2) == check_tree(load_tree(lay)), case.name
    for pass_name in ("a", "b"):
        assert check_layout(lay, pass_name, jobs=2) == check_tree(load_tree(lay, pass_name))


def test_irregular_project_is_checked_whole(gold_copy, tmp_path):
    lay = make_layout(shutil.copytree(gold_copy, tmp_path / "p"))
    (lay.corpus / "d001.json").rename(lay.corpus / "x001.json")  # id no longer matches the file name
    whole = check_tree(load_tree(lay))
    assert whole and check_layout(lay, jobs=1) == whole


def test_streamed_validation_counts_records(synthetic):
    stats: dict = {}
    assert check_layout(make_layout(synthetic), jobs=2, stats=stats) == []
    lines = sum(len(p.read_text(encoding="utf-8").splitlines()) for p in (synthetic / "annotations").rglob("*.jsonl"))
    assert stats["documents"] == 24 and stats["annotation_records"] == lines and stats["span_records"] > 24 * 20


# ---------------------------------------------------------------- seeds and metadata

def _seed_variants(src: Path, base: Path):
    def copy(name):
        dest = base / name / "seeds"
        shutil.copytree(src, dest)
        return dest

    yield copy("same")
    d = copy("missing")
    sorted(d.glob("*.txt"))[1].unlink()
    (d / "999_0000000000000000.txt").write_text("lạc loài", encoding="utf-8")
    yield d
    d = copy("tampered")
    sorted(d.glob("*.txt"))[2].write_text("đã sửa", encoding="utf-8")
    yield d
    d = copy("metadata")
    meta = json.loads((d / "metadata.json").read_text(encoding="utf-8"))
    meta["documents"][0]["sha256"] = "0" * 64
    meta["documents"][1]["file"] = "123_ffffffffffffffff.txt"
    meta["documents"].append(meta["documents"][2])
    (d / "metadata.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    yield d
    d = copy("roles")
    meta = json.loads((d / "metadata.json").read_text(encoding="utf-8"))
    meta["documents"][3]["paragraph_roles"] = [{"paragraph": 1, "role": "heading", "starts_with": "không có", "reason": "x"}]
    (d / "metadata.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    yield d
    d = copy("syntax")
    (d / "metadata.json").write_text('{"documents": [', encoding="utf-8")
    yield d


def test_streamed_seed_checks_equal_whole_file(synthetic, root, tmp_path):
    dirs = [root / "seeds", *[c / "seeds" for c in CASES if (c / "seeds").is_dir()], *_seed_variants(synthetic / "seeds", tmp_path)]
    codes = set()
    for d in dirs:
        expected = seeds.verify(d)
        assert stream.verify_seeds(d, stream=True) == expected, d
        codes |= {p.code for p in expected}
        whole = check_metadata(make_layout(d.parent))
        if not any(p.code == "VST001" for p in whole):  # syntax errors are worded differently
            assert stream.metadata_problems(make_layout(d.parent)) == whole, d
    assert {"VST010", "VST011", "VST012", "VST001"} <= codes


def _padded_seeds(src: Path, dest: Path, copies: int) -> Path:
    """``src`` with every metadata record padded and repeated (the last record of a file counts)."""
    d = shutil.copytree(src, dest / "seeds")
    meta = json.loads((d / "metadata.json").read_text(encoding="utf-8"))
    for record in meta["documents"]:
        record["title"]["reason"] = "x" * 60_000
    meta["documents"] *= copies
    (d / "metadata.json").write_text(jsonio.dumps(meta), encoding="utf-8")
    return d


def _peak(fn) -> tuple[object, int]:
    tracemalloc.start()
    try:
        return fn(), tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_large_metadata_is_read_in_bounded_memory(synthetic, tmp_path):
    small, large = _padded_seeds(synthetic / "seeds", tmp_path / "a", 4), _padded_seeds(synthetic / "seeds", tmp_path / "b", 12)
    assert stream.is_large(small / "metadata.json") and seeds.verify(large)[0].code == "VST600"  # the whole-file reader refuses it
    check_metadata(make_layout(small.parent))  # compiled schemas are built once, outside the measure
    peaks = []
    for d in (small, large):
        problems, peak = _peak(lambda: stream.verify_seeds(d) + check_metadata(make_layout(d.parent)))
        assert problems == []
        peaks.append(peak)
    assert peaks[1] < 1.25 * peaks[0] and peaks[1] < (large / "metadata.json").stat().st_size / 4


def test_large_metadata_problems_are_coded(synthetic, tmp_path):
    d = shutil.copytree(synthetic / "seeds", tmp_path / "seeds")
    meta = json.loads((d / "metadata.json").read_text(encoding="utf-8"))
    for record in meta["documents"]:
        record["title"]["reason"] = "x" * 60_000
    meta["documents"][5]["language"] = "en"
    text = jsonio.dumps(meta).replace('"id": "d007"', '"id": "d007", "id": "d007"', 1)
    (d / "metadata.json").write_text(text, encoding="utf-8")
    found = check_metadata(make_layout(tmp_path))
    assert [p.code for p in found] == ["VST603"] and found[0].pointer == "/documents/7"
    (d / "metadata.json").write_text(jsonio.dumps(meta), encoding="utf-8")
    found = check_metadata(make_layout(tmp_path))
    assert [p.code for p in found] == ["VST002"] and found[0].pointer.startswith("/documents/5/language")


json_values = st.recursive(st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4), max_leaves=12)


@settings(max_examples=60, deadline=None)
@given(head=st.dictionaries(st.text(max_size=6).filter(lambda k: k != "documents"), json_values, max_size=3),
       items=st.lists(json_values, max_size=6), chunk=st.integers(1, 9), indent=st.sampled_from([None, 2]))
def test_members_rebuild_the_object(tmp_path_factory, head, items, chunk, indent):
    path = tmp_path_factory.mktemp("js") / "m.json"
    obj = {**head, "documents": items}
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=indent), encoding="utf-8")
    old, jsonstream.CHUNK = jsonstream.CHUNK, chunk
    try:
        got, seen = {}, []
        for key, text in jsonstream.members(path, "documents"):
            if key is None:
                seen.append(json.loads(text))
            else:
                got[key] = json.loads(text)
    finally:
        jsonstream.CHUNK = old
    got["documents"] = seen
    assert got == obj


# ---------------------------------------------------------------- fast JSON

def _json_files(*folders: Path) -> list[Path]:
    return sorted(p for f in folders for p in f.rglob("*") if p.is_file() and p.suffix in (".json", ".jsonl"))


def test_fast_readers_equal_strict_readers(root, synthetic):
    files = _json_files(FIXTURES, root / "corpus", root / "annotations", synthetic)
    assert len(files) > 100
    for p in files:
        read = (fastjson.read_jsonl, jsonio.read_jsonl) if p.suffix == ".jsonl" else (fastjson.read_json, jsonio.read_json)
        assert read[0](p, "x") == read[1](p, "x"), p


@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_fast_readers_equal_strict_readers_on_mutations(root, tmp_path_factory, data):
    source = data.draw(st.sampled_from([root / "corpus" / "d004.json", root / "annotations" / "entities" / "d004.jsonl"]))
    raw = bytearray(source.read_bytes())
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(raw) - 1))
        raw[at:at + 1] = data.draw(st.sampled_from([b"", b"1.5", b'"', b"\\ud800", b"{", b"\xff", b" ", b"\n", b'"id": "x", ']))
    folder = tmp_path_factory.mktemp("m") / source.parent.name
    folder.mkdir()
    path = folder / source.name
    path.write_bytes(bytes(raw))
    if path.suffix == ".jsonl":
        assert fastjson.read_jsonl(path, "x") == jsonio.read_jsonl(path, "x")
    else:
        assert fastjson.read_json(path, "x") == jsonio.read_json(path, "x")


def test_fast_dumps_equal_canonical(root, synthetic):
    for p in [*(root / "corpus").glob("*.json"), *(synthetic / "corpus").glob("*.json")]:
        doc = json.loads(p.read_text(encoding="utf-8"))
        assert fastjson.dumps(doc) == jsonio.dumps(doc) == p.read_text(encoding="utf-8")
    odd = {"s": "\x00\x1f\n\t\"\\\u2028\u2029\x7f😀\u00a0", "e": [[], {}, None, True, False, -3, 2**70], "f": 0.1}
    assert fastjson.dumps(odd) == jsonio.dumps(odd)


# ---------------------------------------------------------------- sharded Parquet

def test_gold_shards_equal_the_release_files(layout, root, tmp_path):
    written = shards.write_shards(layout, tmp_path / "release", jobs=2)
    assert written
    for path, rows in written:
        released = root / "release" / path.relative_to(tmp_path / "release")
        assert released.read_bytes() == path.read_bytes()
        assert pq.read_metadata(path).num_rows == rows


def test_shards_are_bounded_named_and_complete(synthetic, tmp_path, monkeypatch):
    monkeypatch.setattr(shards, "ROWS_PER_SHARD", {c: 7 for c in shards.ROWS_PER_SHARD})
    monkeypatch.setattr(shards, "BATCH_DOCS", 5)
    lay = make_layout(synthetic)
    written = shards.write_shards(lay, tmp_path / "a", split=shards.hash_split)
    again = shards.write_shards(lay, tmp_path / "b", split=shards.hash_split, jobs=2)
    assert [p.read_bytes() for p, _ in written] == [p.read_bytes() for p, _ in again]
    by_group: dict = {}
    for path, rows in written:
        assert 0 < rows <= 7
        split, k, _of, n = path.stem.split("-")
        by_group.setdefault((path.parent.name, split), []).append((int(k), int(n)))
    for group, parts in by_group.items():
        assert sorted(k for k, _ in parts) == list(range(len(parts))) and {n for _, n in parts} == {len(parts)}, group
    entities = pa.concat_tables([pq.read_table(p) for p, _ in written if p.parent.name == "entities"])
    lines = sum(len(p.read_text(encoding="utf-8").splitlines()) for p in (synthetic / "annotations" / "entities").glob("*.jsonl"))
    assert entities.num_rows == lines
    globs = shards.data_files(written, tmp_path / "a")
    assert {"split": "train", "path": "entities/train-*.parquet"} in globs["entities"]


def test_hash_split_is_stable_and_balanced():
    ids = [f"d{i:05d}" for i in range(3000)]
    splits = [shards.hash_split(i) for i in ids]
    assert splits == [shards.hash_split(i) for i in ids]
    share = splits.count("train") / len(splits)
    assert 0.75 < share < 0.85 and splits.count("test") > 200


def test_document_rows_without_a_tree_equal_the_tree_rows(synthetic):
    """The rows the shards are written from (one document, no tree, label ids set in place)
    are those of ``release_rows`` on a one-document tree, encoded by ``encoder``, and give the
    same Arrow tables."""
    from visectalks import features

    lay = make_layout(synthetic)
    source = shards.Source(lay)
    configs = source.configs()
    for record in list(shards.seed_records(lay)):
        tree_rows = shards.document_rows(source, record["id"], record, configs)
        rows = source.rows(record, configs)
        assert rows == tree_rows, record["id"]
        for c in configs:
            plain = list(map(shards.encoder(features.ALL[c]()), tree_rows[c]))
            in_place = shards.encoder_in_place(features.ALL[c]())
            for row in rows[c]:
                if in_place is not None:
                    in_place(row)
            schema = shards.arrow_schema(c)
            assert pa.Table.from_pylist(rows[c], schema=schema).equals(pa.Table.from_pylist(plain, schema=schema)), (record["id"], c)
