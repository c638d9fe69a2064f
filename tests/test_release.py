"""The Hugging Face release: every config loads offline with the declared types, its rows and
spans agree with the annotation files, the card, CITATION.cff and Croissant are valid and fresh.

Expected counts and spans are computed here from the annotation and corpus files directly, not
from the release code.
"""
from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from iob_tools import strictly_iob2
import yaml

from visectalks import __version__, features, inventory, release
from visectalks.release_rows import SPLITS, split_of

LAYER_OF = {"entities": "entities", "ner": "entities", "events": "events", "stance": "stance"}


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _layer(root: Path, layer: str) -> list[dict]:
    return [r for p in sorted((root / "annotations" / layer).glob("d*.jsonl")) for r in _jsonl(p)]


def _docs(root: Path) -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted((root / "corpus").glob("d*.json"))}


def _split(doc_id: str) -> str:
    return next(s for s, docs in SPLITS.items() if doc_id in docs)


@pytest.fixture(scope="session")
def configs(root) -> list[str]:
    """Configs that must exist: documents, plus every config whose layer has gold files."""
    return ["documents"] + [c for c in ("entities", "ner", "events", "stance") if list((root / "annotations" / LAYER_OF[c]).glob("d*.jsonl"))]


@pytest.fixture(scope="session")
def loaded(root, configs):
    from datasets import load_dataset

    return {c: load_dataset(str(root / "release"), c) for c in configs}


@pytest.fixture(scope="session")
def card_meta(root) -> dict:
    text = (root / "release" / "README.md").read_text(encoding="utf-8")
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("---\n", 2)[1])


def expected_rows(root: Path, config: str) -> Counter:
    """(split) -> row count, from the corpus and annotation files."""
    docs = _docs(root)
    if config == "documents":
        return Counter(_split(d) for d in docs)
    if config == "ner":
        return Counter({s: sum(len(docs[d]["sentences"]) for d in ds) for s, ds in SPLITS.items()})
    return Counter(_split(r["doc"]) for r in _layer(root, LAYER_OF[config]))


# ------------------------------------------------------------------ freshness and determinism

def test_committed_release_is_fresh(root, layout):
    """`visectalks release --check` passes: every output equals the committed file, nothing stale."""
    from argparse import Namespace

    outputs = release.build_outputs(layout)
    for path, content in outputs.items():
        assert path.read_bytes() == (content.encode("utf-8") if isinstance(content, str) else content), path
    assert release.stale_files(layout, outputs) == []
    assert release._cmd_release(Namespace(root=str(root), check=True, quiet=True)) == 0


def test_parquet_bytes_are_deterministic(layout, tree):
    metadata = json.loads((layout.seeds / "metadata.json").read_text(encoding="utf-8"))
    for cfg in release.config_data(layout, tree, metadata):
        for split, table in cfg.tables.items():
            first, second = release.parquet_bytes(table), release.parquet_bytes(table)
            assert first == second
            assert first == (layout.release / cfg.path(split)).read_bytes(), cfg.path(split)


def test_unchanged_content_keeps_existing_bytes_and_changed_content_does_not(tmp_path):
    feats = features.entities()
    row = {"id": "d000-M001", "doc_id": "d000", "sentence_id": "d000-s001", "paragraph_role": "body", "start": 0, "end": 3,
           "text": "Nga", "type": "GPE", "entity": "russia", "entity_name_vi": "Nga", "entity_name_en": "Russia",
           "wikidata": None, "flags": [], "nested_in": None}
    table = release.to_table([row], feats)
    other_writer = tmp_path / "x.parquet"
    pq.write_table(table, other_writer, compression="snappy")  # same content, other bytes
    assert other_writer.read_bytes() != release.parquet_bytes(table)
    assert release.parquet_bytes(table, other_writer) == other_writer.read_bytes()
    changed = release.to_table([{**row, "type": "LOC"}], feats)
    assert release.parquet_bytes(changed, other_writer) == release.parquet_bytes(changed)


def test_split_assignment_covers_the_corpus_exactly(root):
    docs = sorted(_docs(root))
    assert sorted(split_of(docs)) == docs
    with pytest.raises(ValueError):
        split_of(docs + ["d999"])


# ------------------------------------------------------------------ load_dataset

def test_every_config_loads_with_declared_features_and_counts(root, configs, loaded):
    for c in configs:
        ds = loaded[c]
        assert list(ds) == list(SPLITS), c
        for split in SPLITS:
            assert ds[split].features == features.ALL[c](), c
            assert ds[split].num_rows == expected_rows(root, c)[split], (c, split)


def test_split_all_is_the_whole_corpus_in_order(root, configs):
    from datasets import load_dataset

    for c in configs:
        everything = load_dataset(str(root / "release"), c, split="all")
        assert everything.num_rows == sum(expected_rows(root, c).values())
        doc_ids = everything["doc_id"] if c != "documents" else everything["id"]
        assert doc_ids == sorted(doc_ids)


def test_types_come_from_the_card_not_from_parquet(root, tmp_path):
    """Parquet files without the datasets schema metadata still load with the card's ClassLabels."""
    from datasets import load_dataset

    copy = tmp_path / "release"
    shutil.copytree(root / "release", copy, ignore=shutil.ignore_patterns("brat", "conll"))
    for path in (copy / "entities").glob("*.parquet"):
        table = pq.read_table(path)
        pq.write_table(table.replace_schema_metadata(None), path)
        assert b"huggingface" not in (pq.read_schema(path).metadata or {})
    ds = load_dataset(str(copy), "entities", split="train")
    assert ds.features == features.entities()
    assert ds.features["type"].names == inventory.names("entity_types")


def test_spans_equal_document_text_after_loading(loaded, configs):
    texts = {r["id"]: r["text"] for split in SPLITS for r in loaded["documents"][split]}
    for split in SPLITS:
        for r in loaded["documents"][split]:
            for kind in ("paragraphs", "sentences", "tokens", "words", "quotes"):
                assert all(r["text"][x["start"]:x["end"]] == x["text"] for x in r[kind]), (r["id"], kind)
        if "entities" in configs:
            for r in loaded["entities"][split]:
                assert texts[r["doc_id"]][r["start"]:r["end"]] == r["text"], r["id"]
        if "ner" in configs:
            for r in loaded["ner"][split]:
                assert [texts[r["doc_id"]][s:e] for s, e in zip(r["token_starts"], r["token_ends"])] == r["tokens"], r["id"]
        if "events" in configs:
            for r in loaded["events"][split]:
                t = r["trigger"]
                assert texts[r["doc_id"]][t["start"]:t["end"]] == t["text"], r["id"]
                assert all(texts[r["doc_id"]][a["start"]:a["end"]] == a["text"] for a in r["arguments"]), r["id"]
        if "stance" in configs:
            for r in loaded["stance"][split]:
                ev = r["evidence"]
                assert texts[r["doc_id"]][ev["start"]:ev["end"]] == ev["text"], r["id"]


def test_loaded_records_equal_the_annotation_files(root, loaded, configs):
    """Every gold record appears once, with its type, flags, realis, arguments, polarity."""
    for c in [c for c in ("entities", "events", "stance") if c in configs]:
        feats = features.ALL[c]()
        rows = {r["id"]: r for split in SPLITS for r in loaded[c][split]}
        gold = _layer(root, c)
        assert sorted(rows) == sorted(g["id"] for g in gold)
        for g in gold:
            r = rows[g["id"]]
            if c == "entities":
                assert (r["start"], r["end"], feats["type"].int2str(r["type"]), r["entity"]) == (g["start"], g["end"], g["type"], g["entity"])
                assert feats["flags"].feature.int2str(r["flags"]) == g["flags"]
            elif c == "events":
                assert (feats["type"].int2str(r["type"]), feats["realis"].int2str(r["realis"]), r["cluster"]) == (g["type"], g["realis"], g["cluster"])
                roles = feats["arguments"].feature["role"]
                assert [(roles.int2str(a["role"]), a["mention_id"]) for a in r["arguments"]] == [(a["role"], a["ref"]) for a in g["arguments"]]
            else:
                got = (r["holder"], feats["target"].int2str(r["target"]), feats["polarity"].int2str(r["polarity"]), feats["source"].int2str(r["source"]), r["quote"])
                assert got == (g["holder"], g["target"], g["polarity"], g["source"], g["quote"])


# ------------------------------------------------------------------ IOB2

_valid_iob2 = strictly_iob2


def _outermost(mentions: list[dict]) -> set[tuple[int, int, str]]:
    """Mentions that no other mention strictly contains; for equal spans the smallest id."""
    keep = set()
    for m in mentions:
        inside = any(o["start"] <= m["start"] and m["end"] <= o["end"] and (o["start"], o["end"]) != (m["start"], m["end"]) for o in mentions)
        twin = any((o["start"], o["end"]) == (m["start"], m["end"]) and o["id"] < m["id"] for o in mentions)
        if not inside and not twin:
            keep.add((m["start"], m["end"], m["type"]))
    return keep


def test_iob2_is_valid_and_decodes_to_the_outermost_gold_spans(root, loaded, configs):
    from seqeval.metrics.sequence_labeling import get_entities

    if "ner" not in configs:
        assert not list((root / "annotations" / "entities").glob("d*.jsonl"))
        return
    vlsp = inventory.vlsp_map()
    feats = features.ner()
    mentions = _layer(root, "entities")
    for column, label in (("ner_tags", lambda t: t), ("vlsp_ner_tags", lambda t: vlsp[t])):
        names = feats[column].feature
        decoded = set()
        for split in SPLITS:
            for r in loaded["ner"][split]:
                tags = names.int2str(r[column])
                assert len(tags) == len(r["tokens"]) and _valid_iob2(tags), (column, r["id"])
                for typ, first, last in get_entities(tags):
                    decoded.add((r["doc_id"], r["token_starts"][first], r["token_ends"][last], typ))
        expected = set()
        for doc in {m["doc"] for m in mentions}:
            kept = [{**m, "type": label(m["type"])} for m in mentions if m["doc"] == doc and label(m["type"])]
            expected |= {(doc, s, e, t) for s, e, t in _outermost(kept)}
        assert decoded == expected, column


# ------------------------------------------------------------------ card

def test_card_yaml_configs_match_the_files(root, configs, card_meta):
    release_dir = root / "release"
    assert [c["config_name"] for c in card_meta["configs"]] == configs
    assert sum(1 for c in card_meta["configs"] if c.get("default")) == 1
    listed = set()
    for c in card_meta["configs"]:
        assert [f["split"] for f in c["data_files"]] == list(SPLITS)
        for f in c["data_files"]:
            assert (release_dir / f["path"]).is_file()
            listed.add(f["path"])
    on_disk = {str(p.relative_to(release_dir)) for c in features.CONFIGS for p in (release_dir / c).glob("*")}
    assert on_disk == listed
    assert card_meta["language"] == ["vi"] and card_meta["license"] == "other"
    assert (release_dir / card_meta["license_link"]).is_file()


def test_card_dataset_info_declares_the_features_and_row_counts(root, configs, card_meta):
    from datasets import Features

    infos = {i["config_name"]: i for i in card_meta["dataset_info"]}
    assert sorted(infos) == sorted(configs)
    for c in configs:
        assert Features._from_yaml_list(infos[c]["features"]) == features.ALL[c]()
        counts = {s["name"]: s["num_examples"] for s in infos[c]["splits"]}
        assert counts == {s: pq.read_metadata(root / "release" / c / f"{s}-00000-of-00001.parquet").num_rows for s in SPLITS}


def test_card_code_examples_run(root, monkeypatch, capsys):
    text = (root / "release" / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert any("load_dataset" in b for b in blocks) and any("duckdb" in b for b in blocks)
    monkeypatch.chdir(root)
    for block in blocks:
        exec(compile(block, "release/README.md", "exec"), {})
    assert "d000" in capsys.readouterr().out


def test_card_states_licences_and_splits(root):
    text = (root / "release" / "README.md").read_text(encoding="utf-8")
    assert "CC BY 4.0" in text and "no licence for their redistribution is known" in text
    for split, docs in SPLITS.items():
        assert f"`{split}` = {', '.join(docs)}" in text


# ------------------------------------------------------------------ Parquet readers

def test_parquet_is_readable_by_pyarrow_and_duckdb(root, configs):
    import duckdb

    for c in configs:
        files = sorted((root / "release" / c).glob("*.parquet"))
        total = sum(pq.read_table(f).num_rows for f in files)
        assert total == sum(expected_rows(root, c).values())
        assert duckdb.sql(f"SELECT count(*) FROM '{root / 'release' / c}/*.parquet'").fetchall()[0][0] == total
    tokens = sum(len(d["tokens"]) for d in _docs(root).values())
    if "ner" in configs:
        assert duckdb.sql(f"SELECT sum(len(tokens)) FROM '{root / 'release' / 'ner'}/*.parquet'").fetchall()[0][0] == tokens


# ------------------------------------------------------------------ citation, Zenodo, Croissant

@pytest.fixture(scope="session")
def cff_validator(root):
    import jsonschema

    schema = json.loads((root / "schema" / "vendor" / "cff-1.2.0.schema.json").read_text(encoding="utf-8"))
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)


def test_citation_cff_is_valid_cff_1_2_0(root, cff_validator):
    cff = yaml.safe_load((root / "CITATION.cff").read_text(encoding="utf-8"))
    errors = [e.message for e in cff_validator.iter_errors(cff)]
    assert errors == []
    assert cff["version"] == __version__ and cff["cff-version"] == "1.2.0"
    broken = {k: v for k, v in cff.items() if k != "authors"}
    assert any("authors" in e.message for e in cff_validator.iter_errors(broken))


def test_zenodo_metadata_matches_the_version(root):
    meta = json.loads((root / ".zenodo.json").read_text(encoding="utf-8"))
    assert meta["version"] == __version__ and meta["upload_type"] == "dataset" and meta["creators"]
    assert "no licence for their redistribution is known" in meta["notes"]


def test_croissant_validates_and_loads_every_record_set(root, configs):
    import mlcroissant as mlc

    path = root / "release" / "croissant.json"
    meta = json.loads(path.read_text(encoding="utf-8"))
    assert meta["version"] == __version__
    for f in meta["distribution"]:
        if f["@type"] == "cr:FileObject":
            assert hashlib.sha256((path.parent / f["contentUrl"]).read_bytes()).hexdigest() == f["sha256"]
    ds = mlc.Dataset(jsonld=str(path))  # raises on validation errors
    for c in configs:
        records = list(ds.records(record_set=c))
        assert Counter(r[f"{c}/split"].decode() for r in records) == expected_rows(root, c)
        ids = [r[f"{c}/id"].decode() for r in records]
        doc_of = (lambda i: i) if c == "documents" else (lambda i: i.split("-")[0])
        assert all(_split(doc_of(i)) == r[f"{c}/split"].decode() for i, r in zip(ids, records))


# ------------------------------------------------------------------ configs follow the layers

def test_a_config_appears_only_when_its_layer_exists(project_copy, root):
    shutil.copy2(root / "LICENSE-annotations", project_copy / "LICENSE-annotations")
    for layer in ("events", "stance"):
        shutil.rmtree(project_copy / "annotations" / layer, ignore_errors=True)
    from visectalks.paths import layout as make

    lay = make(project_copy)
    outputs = release.build_outputs(lay)
    folders = {p.parent.name for p in outputs if p.suffix == ".parquet"}
    assert folders == {"documents", "entities", "ner"}
    card = outputs[lay.release / "README.md"]
    assert "config_name: events" not in card and "config_name: ner" in card


# ------------------------------------------------------------------ changelog

def test_changelog_names_every_gold_annotation_id(root):
    text = (root / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## [Unreleased]" in text and f"## [{__version__}]" in text
    named = set(re.findall(r"`(d\d{3}-[MES]\d+)`", text))
    ranges = re.findall(r"`(d\d{3})-([MES])(\d+)`–`\1-\2(\d+)`", text)
    for doc, kind, first, last in ranges:
        named |= {f"{doc}-{kind}{n:0{len(first)}d}" for n in range(int(first), int(last) + 1)}
    missing = [r["id"] for layer in ("entities", "events", "stance") for r in _layer(root, layer) if r["id"] not in named]
    assert missing == [], f"CHANGELOG.md does not name {missing[:10]}"
