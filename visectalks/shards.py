"""Sharded, streaming Parquet for the release configs: one document in memory at a time.

``write_shards(layout, out_dir)`` writes every config (documents, entities, ner, events,
stance) as ``<config>/<split>-<k>-of-<n>.parquet`` with at most ``ROWS_PER_SHARD[config]``
rows per file, so a card can declare each split as a glob (``entities/train-*.parquet``).
Rows are exactly those of ``release_rows`` (computed for one document at a time, on a tree
that holds that document only), encoded with the same features and written with the same
Parquet options as ``release.py``; documents come in id order, so two runs give the same
bytes. Row encoding is compiled once from the ``datasets`` features (``Encoder``), because
``Features.encode_example`` walks the features anew for every value.

Shards are written into a temporary folder and renamed into place at the end (their count is
known only then), so a failed or interrupted run leaves ``out_dir`` as it was.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable, Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from . import __version__, fastjson, features, release_rows
from .layers import LAYERS, Tree
from .paths import Layout

ROWS_PER_SHARD = {"documents": 5_000, "entities": 500_000, "ner": 200_000, "events": 500_000, "stance": 500_000}
BATCH_DOCS = 256  # documents per row group
SPLIT_SHARES = (("train", 80), ("validation", 10), ("test", 10))


def hash_split(doc_id: str) -> str:
    """A split for any document id, stable as the corpus grows: 80/10/10 by the id's SHA-256."""
    bucket = int(hashlib.sha256(doc_id.encode("utf-8")).hexdigest()[:8], 16) % 100
    for split, share in SPLIT_SHARES:
        if bucket < share:
            return split
        bucket -= share
    return SPLIT_SHARES[-1][0]


def default_split(doc_id: str) -> str:
    """The release's fixed split for the seed documents, ``hash_split`` for any other."""
    for split, docs in release_rows.SPLITS.items():
        if doc_id in docs:
            return split
    return hash_split(doc_id)


# ---------------------------------------------------------------- encoding

def _identity(value):
    return value


def _has_label(feature) -> bool:
    from datasets import ClassLabel, List, Sequence

    if isinstance(feature, ClassLabel):
        return True
    if isinstance(feature, dict):
        return any(map(_has_label, feature.values()))
    if isinstance(feature, (List, Sequence, list)):
        return _has_label(feature[0] if isinstance(feature, list) else feature.feature)
    return False


def _label_ids(label) -> dict:
    """Name -> id of a ClassLabel; a value that is not a name (an id already) maps to itself,
    and an unknown name is left for Arrow to refuse, as ``encode_example`` would refuse it."""
    return {name: i for i, name in enumerate(label.names)}


def encoder(feature) -> Callable:
    """A function that does what ``Features.encode_example`` does to a value of ``feature``:
    label names become ClassLabel ids, everything else is kept. A part of a row without any
    ClassLabel (all the tokens of a document, say) is passed through untouched: Arrow reads
    its fields by name, so there is nothing to rebuild."""
    from datasets import ClassLabel, List, Sequence

    if not _has_label(feature):
        return _identity
    if isinstance(feature, ClassLabel):
        ids = _label_ids(feature)
        return lambda v: ids.get(v, v)
    if isinstance(feature, dict):
        parts = {k: encoder(f) for k, f in feature.items()}
        return lambda v: None if v is None else {k: f(v.get(k)) for k, f in parts.items()}
    if isinstance(feature, (List, Sequence, list)):
        item = feature[0] if isinstance(feature, list) else feature.feature
        if isinstance(item, ClassLabel):  # a list of labels (IOB tags): one lookup per item, in C
            ids = _label_ids(item)
            return lambda v: None if v is None else list(map(ids.get, v, v))
        inner = encoder(item)
        return lambda v: None if v is None else [inner(x) for x in v]
    return _identity


def arrow_schema(name: str) -> pa.Schema:
    """The config's Arrow schema with the same metadata as ``release.to_table``."""
    from .release import PARQUET_OPTIONS

    schema = features.ALL[name]().arrow_schema
    meta = dict(schema.metadata or {})
    meta[b"visectalks"] = json.dumps({"dataset_version": __version__, "parquet_options": PARQUET_OPTIONS}, sort_keys=True).encode()
    return schema.with_metadata(meta)


# ---------------------------------------------------------------- one document

class Source:
    """The corpus and layers of a project, read one document at a time."""

    def __init__(self, layout: Layout):
        self.layout = layout
        ent, ev = layout.layer("entities"), layout.layer("events")
        self.registry = fastjson.read_json(ent / "registry.json")[0] if (ent / "registry.json").exists() else None
        self.clusters = fastjson.read_json(ev / "clusters.json")[0] if (ev / "clusters.json").exists() else None
        self.layers = [layer for layer in LAYERS if _has_jsonl(layout.layer(layer))]

    def configs(self) -> list[str]:
        return [c for c in features.CONFIGS if features.CONFIG_LAYER[c] is None or features.CONFIG_LAYER[c] in self.layers]

    def tree(self, doc_id: str) -> Tree:
        tree = Tree(self.layout)
        tree.docs[doc_id] = fastjson.read_json(self.layout.corpus / f"{doc_id}.json")[0]
        for layer in self.layers:
            path = self.layout.layer(layer) / f"{doc_id}.jsonl"
            tree.layers[layer][doc_id] = fastjson.read_jsonl(path)[0] if path.exists() else []
        tree.registry, tree.clusters = self.registry, self.clusters
        return tree


def _has_jsonl(folder: Path) -> bool:
    return folder.is_dir() and any(e.name.endswith(".jsonl") for e in os.scandir(folder))


def document_rows(source: Source, doc_id: str, record: dict, configs: list[str]) -> dict[str, list[dict]]:
    """Every config's rows for one document (``release_rows`` on a one-document tree)."""
    tree, meta = source.tree(doc_id), {"documents": [record]}
    return {c: release_rows.config_rows(tree, meta, c) for c in configs}


_WORKER: dict = {}


def _init(layout: Layout) -> None:
    source = Source(layout)
    _WORKER.update(source=source, configs=source.configs(), encode={c: encoder(features.ALL[c]()) for c in features.CONFIGS})


def encoded_rows(record: dict) -> tuple[str, dict[str, list[dict]]]:
    """One document's rows for every config, encoded for Arrow (runs in a worker)."""
    rows = document_rows(_WORKER["source"], record["id"], record, _WORKER["configs"])
    return record["id"], {c: list(map(_WORKER["encode"][c], r)) for c, r in rows.items()}


def seed_records(layout: Layout) -> Iterator[dict]:
    """Seed records in document id order (a large metadata file must already be in that order)."""
    from .corpus_stream import records
    from .stream import is_large

    if not is_large(layout.seeds / "metadata.json"):
        yield from sorted(records(layout), key=lambda d: d["id"])
        return
    last = ""
    for record in records(layout):
        if record["id"] <= last:
            raise ValueError("seeds/metadata.json: records of a large corpus must be in document id order")
        last = record["id"]
        yield record


# ---------------------------------------------------------------- writing

class ShardWriter:
    """The shards of one config and split, a row group at a time."""

    def __init__(self, folder: Path, config: str, split: str, schema: pa.Schema):
        from .release import PARQUET_OPTIONS

        self.folder, self.config, self.split, self.schema = folder, config, split, schema
        self.options = {k: v for k, v in PARQUET_OPTIONS.items() if k != "row_group_size"}
        self.pending: list[dict] = []
        self.files: list[tuple[Path, int]] = []
        self.writer, self.rows_in_file = None, 0

    def add(self, rows: list[dict]) -> None:
        """Rows already encoded (``encoded_rows``)."""
        self.pending += rows

    def flush(self) -> None:
        limit = ROWS_PER_SHARD[self.config]
        while self.pending:
            if self.writer is None or self.rows_in_file >= limit:
                self._next_file()
            take = self.pending[:limit - self.rows_in_file]
            self.pending = self.pending[len(take):]
            self.writer.write_table(pa.Table.from_pylist(take, schema=self.schema), row_group_size=len(take))
            self.rows_in_file += len(take)
            self.files[-1] = (self.files[-1][0], self.rows_in_file)

    def _next_file(self) -> None:
        self.close()
        path = self.folder / f"{self.split}-{len(self.files):05d}.tmp"
        self.writer, self.rows_in_file = pq.ParquetWriter(path, self.schema, **self.options), 0
        self.files.append((path, 0))

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


def _rows(layout: Layout, jobs: int) -> Iterator[tuple[str, dict[str, list[dict]]]]:
    """Encoded rows of every document in id order, computed on ``jobs`` processes."""
    if jobs <= 1:
        _init(layout)
        yield from map(encoded_rows, seed_records(layout))
        return
    from multiprocessing import get_context

    with get_context().Pool(jobs, initializer=_init, initargs=(layout,)) as workers:
        yield from workers.imap(encoded_rows, seed_records(layout), chunksize=16)


def _finish(staging: Path, out_dir: Path, writers: dict) -> list[tuple[Path, int]]:
    """Name every shard ``<split>-<k>-of-<n>.parquet`` and move the configs into ``out_dir``."""
    written = []
    for (config, split), w in sorted(writers.items()):
        w.close()
        for k, (tmp, rows) in enumerate(w.files):
            final = tmp.parent / f"{split}-{k:05d}-of-{len(w.files):05d}.parquet"
            os.replace(tmp, final)
            written.append((out_dir / config / final.name, rows))
    out_dir.mkdir(parents=True, exist_ok=True)
    for config in sorted({c for c, _ in writers}):
        target = out_dir / config
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging / config, target)
    return written


def write_shards(layout: Layout, out_dir: Path, split: Callable[[str], str] = default_split, jobs: int = 1,
                 quiet: bool = True, stats: dict | None = None) -> list[tuple[Path, int]]:
    """Write every available config as sharded Parquet under ``out_dir``; return (file, rows).

    Rows are computed on ``jobs`` processes; this process writes the files, in document order.
    """
    from .progress import progress

    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    writers: dict[tuple[str, str], ShardWriter] = {}
    counts = {"documents": 0, "rows": 0}
    try:
        for n, (doc_id, rows) in enumerate(progress(_rows(layout, jobs), desc="shards", quiet=quiet), start=1):
            for config, config_rows in rows.items():
                key = (config, split(doc_id))
                if key not in writers:
                    (staging / config).mkdir(exist_ok=True)
                    writers[key] = ShardWriter(staging / config, config, key[1], arrow_schema(config))
                writers[key].add(config_rows)
                counts["rows"] += len(config_rows)
            counts["documents"] = n
            if n % BATCH_DOCS == 0:
                for w in writers.values():
                    w.flush()
        for w in writers.values():
            w.flush()
        written = _finish(staging, out_dir, writers)
    finally:
        for w in writers.values():
            w.close()
        shutil.rmtree(staging, ignore_errors=True)
    if stats is not None:
        stats.update(counts)
    return written


def data_files(written: list[tuple[Path, int]], out_dir: Path) -> dict[str, list[dict]]:
    """The card's ``configs[].data_files`` for these shards: one glob per split."""
    out: dict[str, list[dict]] = {}
    for path, _rows in written:
        config, split = path.parent.name, path.name.split("-")[0]
        entry = {"split": split, "path": f"{config}/{split}-*.parquet"}
        if entry not in out.setdefault(config, []):
            out[config].append(entry)
    return out
