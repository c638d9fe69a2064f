"""The examples of docs/scaling.md run: datasets.map over the seeds, DuckDB over the shards."""
from __future__ import annotations

import importlib.util
import json
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from visectalks import shards
from visectalks.paths import layout as make_layout
from visectalks.synth import synth

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"


def _script(name: str):
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory, layout):
    out = tmp_path_factory.mktemp("synth") / "s"
    synth(layout, out, 12, seed=9, variants=2)
    return out


def test_datasets_map_builds_the_same_corpus(synthetic, tmp_path):
    paths = _script("scale_datasets_map").run(str(synthetic), str(tmp_path / "out"), num_proc=2, shards=3)
    assert [p.name for p in paths] == [f"corpus-{k:05d}-of-00003.parquet" for k in range(3)]
    rows = [r for p in paths for r in pq.read_table(p).to_pylist()]
    assert [r["id"] for r in rows] == sorted(p.stem for p in (synthetic / "corpus").glob("*.json"))
    for r in rows:
        assert r["corpus_json"] == (synthetic / "corpus" / f"{r['id']}.json").read_text(encoding="utf-8")


def test_duckdb_counts_entities_across_shards(synthetic, tmp_path, monkeypatch):
    monkeypatch.setattr(shards, "ROWS_PER_SHARD", {c: 10 for c in shards.ROWS_PER_SHARD})
    written = shards.write_shards(make_layout(synthetic), tmp_path / "release", split=shards.hash_split)
    assert sum(1 for p, _ in written if p.parent.name == "entities") > 2  # the query must span several shards
    counts = _script("query_release").entity_counts(tmp_path / "release")
    expected = Counter(json.loads(line)["type"] for p in (synthetic / "annotations" / "entities").glob("*.jsonl")
                       for line in p.read_text(encoding="utf-8").splitlines())
    assert counts == dict(expected)
