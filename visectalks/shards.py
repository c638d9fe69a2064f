"""Sharded, streaming Parquet for the release configs: one batch of documents in memory at a time.

``write_shards(layout, out_dir)`` writes every config (documents, entities, ner, events,
stance) as ``<config>/<split>-<k>-of-<n>.parquet`` with at most ``ROWS_PER_SHARD[config]``
rows per file, so a card can declare each split as a glob (``entities/train-*.parquet``).
Rows are exactly those of ``release_rows`` (computed for one document at a time by
``release_rows.one_document_rows``, which gives what the whole-tree functions give on a tree
that holds that document only), encoded with the same features and written with the same
Parquet options as ``release.py``; documents come in id order, so two runs give the same
bytes. Row encoding is compiled once from the ``datasets`` features (``encoder``,
``encoder_in_place``), because ``Features.encode_example`` walks the features anew for every
value. Workers turn the rows of a batch of ``BATCH_DOCS`` documents into Arrow tables, which
reach this process as Arrow buffers; each batch is one row group of each config and split.

Shards are written into a temporary folder and renamed into place at the end (their count is
known only then), so a failed or interrupted run leaves ``out_dir`` as it was.
"""
from __future__ import annotations

import gc
import hashlib
import json
import os
import shutil
import tempfile
from collections import deque
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from . import __version__, fastjson, features, release_rows
from .layers import LAYERS, Tree
from .paths import Layout

ROWS_PER_SHARD = {"documents": 5_000, "entities": 500_000, "ner": 200_000, "events": 500_000, "stance": 500_000}
BATCH_DOCS = 256  # documents per row group
ARROW_DOCS = 32  # documents whose rows a worker holds as Python objects at a time
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


def encoder_in_place(feature) -> Callable[[dict], None] | None:
    """What ``encoder(feature)`` does to a row, done in place (None: nothing to do): the
    label fields of the row, and of the dicts in its lists, are replaced by their ids. For
    rows that nothing else holds (``encoded_rows``); Arrow takes them as ``encoder`` leaves
    them, at a fraction of the cost of rebuilding every dict."""
    from datasets import ClassLabel

    steps = []
    for key, f in feature.items():
        if not _has_label(f):
            continue
        if isinstance(f, ClassLabel):
            steps.append((key, "label", _label_ids(f)))
            continue
        if isinstance(f, dict):
            steps.append((key, "dict", encoder_in_place(f)))
            continue
        item = f[0] if isinstance(f, list) else f.feature
        if isinstance(item, ClassLabel):
            steps.append((key, "labels", _label_ids(item)))
        elif isinstance(item, dict):
            steps.append((key, "dicts", encoder_in_place(item)))
        else:  # deeper nesting: rebuilt like ``encoder`` does
            steps.append((key, "value", encoder(f)))
    if not steps:
        return None

    def encode(row: dict) -> None:
        for key, how, how_to in steps:
            value = row.get(key)
            if value is None:
                continue
            if how == "label":
                row[key] = how_to.get(value, value)
            elif how == "labels":
                row[key] = list(map(how_to.get, value, value))
            elif how == "dicts":
                for item in value:
                    if item is not None:
                        how_to(item)
            elif how == "dict":
                how_to(value)
            else:
                row[key] = how_to(value)
    return encode


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
        self._corpus = str(layout.corpus)
        self._folders = [(layer, str(layout.layer(layer))) for layer in self.layers]
        self._lookups: release_rows.Lookups | None = None

    def configs(self) -> list[str]:
        return [c for c in features.CONFIGS if features.CONFIG_LAYER[c] is None or features.CONFIG_LAYER[c] in self.layers]

    def read(self, doc_id: str) -> tuple[dict, dict[str, list]]:
        """The document and the records of its file in each layer (none for a missing file)."""
        doc = fastjson.read_json(os.path.join(self._corpus, doc_id + ".json"))[0]
        # a missing layer file reads as no records (its problem is not the release's to report)
        return doc, {layer: fastjson.read_jsonl(os.path.join(folder, doc_id + ".jsonl"))[0] for layer, folder in self._folders}

    def tree(self, doc_id: str) -> Tree:
        tree = Tree(self.layout)
        tree.docs[doc_id], layers = self.read(doc_id)
        for layer, records in layers.items():
            tree.layers[layer][doc_id] = records
        tree.registry, tree.clusters = self.registry, self.clusters
        return tree

    def lookups(self) -> release_rows.Lookups:
        if self._lookups is None:
            self._lookups = release_rows.Lookups(self.registry, self.clusters)
        return self._lookups

    def rows(self, record: dict, configs: list[str]) -> dict[str, list[dict]]:
        """Every config's rows for one document, as ``document_rows`` gives them."""
        doc, layers = self.read(record["id"])
        return release_rows.one_document_rows(doc, record, layers, self.lookups(), configs)


def _has_jsonl(folder: Path) -> bool:
    return folder.is_dir() and any(e.name.endswith(".jsonl") for e in os.scandir(folder))


def document_rows(source: Source, doc_id: str, record: dict, configs: list[str]) -> dict[str, list[dict]]:
    """Every config's rows for one document (``release_rows`` on a one-document tree)."""
    tree, meta = source.tree(doc_id), {"documents": [record]}
    return {c: release_rows.config_rows(tree, meta, c) for c in configs}


_WORKER: dict = {}


def _init(layout: Layout) -> None:
    source = Source(layout)
    configs = source.configs()
    _WORKER.update(source=source, configs=configs, encode={c: encoder_in_place(features.ALL[c]()) for c in features.CONFIGS},
                   schema={c: arrow_schema(c) for c in configs})


def encoded_rows(record: dict) -> tuple[str, dict[str, list[dict]]]:
    """One document's rows for every config, encoded for Arrow (runs in a worker)."""
    rows = _WORKER["source"].rows(record, _WORKER["configs"])
    for config, found in rows.items():
        encode = _WORKER["encode"][config]
        if encode is not None:
            for row in found:
                encode(row)
    return record["id"], rows


def batch_tables(batch: list[tuple[dict, str]]) -> dict[tuple[str, str], pa.Table]:
    """Arrow tables of a batch of documents (seed record, split), one per config and split that
    has rows, rows in document order (runs in a worker; a table crosses processes as Arrow
    buffers, far cheaper than the rows as Python objects). Rows become Arrow every
    ``ARROW_DOCS`` documents, so that few of them are Python objects at any time."""
    parts: dict[tuple[str, str], list[pa.Table]] = {}
    schema = _WORKER["schema"]
    for at in range(0, len(batch), ARROW_DOCS):
        rows: dict[tuple[str, str], list[dict]] = {}
        with _collector_paused():
            for record, split in batch[at:at + ARROW_DOCS]:
                for config, found in encoded_rows(record)[1].items():
                    if found:
                        rows.setdefault((config, split), []).extend(found)
            for key in list(rows):
                parts.setdefault(key, []).append(pa.Table.from_pylist(rows.pop(key), schema=schema[key[0]]))
        # the rows are freed before collection resumes, which then has nothing to walk
    return {key: t[0] if len(t) == 1 else pa.concat_tables(t).combine_chunks() for key, t in parts.items()}


@contextmanager
def _collector_paused():
    """No cyclic garbage collection while a batch's rows are built: they hold no reference
    cycles (reference counting frees them), and every full collection would walk all of them
    and everything the process has imported."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


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
        self.pending: list[pa.Table] = []
        self.files: list[tuple[Path, int]] = []
        self.writer, self.rows_in_file = None, 0

    def add(self, rows: pa.Table | list[dict]) -> None:
        """Rows already encoded (``encoded_rows``), or a table of them (``batch_tables``)."""
        if isinstance(rows, list):
            rows = pa.Table.from_pylist(rows, schema=self.schema)
        if rows.num_rows:
            self.pending.append(rows)

    def flush(self) -> None:
        """Everything added since the last flush as one row group (split at the shard limit)."""
        if not self.pending:
            return
        table = self.pending[0] if len(self.pending) == 1 else pa.concat_tables(self.pending).combine_chunks()
        self.pending = []
        limit, done = ROWS_PER_SHARD[self.config], 0
        while done < table.num_rows:
            if self.writer is None or self.rows_in_file >= limit:
                self._next_file()
            take = min(limit - self.rows_in_file, table.num_rows - done)
            self.writer.write_table(table.slice(done, take), row_group_size=take)
            done += take
            self.rows_in_file += take
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


def _batches(records: Iterator[dict], split: Callable[[str], str]) -> Iterator[list[tuple[dict, str]]]:
    """(record, split) pairs in batches of ``BATCH_DOCS`` documents (one row group each)."""
    batch: list[tuple[dict, str]] = []
    for record in records:
        batch.append((record, split(record["id"])))
        if len(batch) == BATCH_DOCS:
            yield batch
            batch = []
    if batch:
        yield batch


def ordered_map(workers, func: Callable, items, ahead: int) -> Iterator:
    """``func`` over ``items`` on a pool, results in input order, at most ``ahead`` tasks queued
    or done but not yet taken: memory stays flat however many items there are and however
    slowly the results are consumed (``Pool.imap`` keeps every finished result it has not
    handed out yet)."""
    waiting: deque = deque()
    for item in items:
        waiting.append(workers.apply_async(func, (item,)))
        if len(waiting) >= ahead:
            yield waiting.popleft().get()
    while waiting:
        yield waiting.popleft().get()


def _tables(layout: Layout, batches: Iterator[list], jobs: int) -> Iterator[tuple[list, dict]]:
    """Each batch with its tables (``batch_tables``), in order, computed on ``jobs`` processes."""
    if jobs <= 1:
        _init(layout)
        for batch in batches:
            yield batch, batch_tables(batch)
        return
    from multiprocessing import get_context

    sent: deque = deque()  # the batches whose tables are on their way, in order

    def sending():
        for batch in batches:
            sent.append(batch)
            yield batch
    with get_context().Pool(jobs, initializer=_init, initargs=(layout,)) as workers:
        for tables in ordered_map(workers, batch_tables, sending(), ahead=2 * jobs):
            yield sent.popleft(), tables


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

    Documents go in batches of ``BATCH_DOCS`` (one row group per config and split and batch);
    rows are computed and made into Arrow tables on ``jobs`` processes, a batch at a time;
    this process writes the files, in document order.
    """
    from .progress import progress

    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    configs = Source(layout).configs()
    writers: dict[tuple[str, str], ShardWriter] = {}
    schemas: dict[str, pa.Schema] = {}
    counts = {"documents": 0, "rows": 0}
    bar = progress(_counted(counts), desc="shards", quiet=quiet)
    try:
        for batch, tables in _tables(layout, _batches(seed_records(layout), split), jobs):
            for _record, doc_split in batch:
                for config in configs:
                    key = (config, doc_split)
                    if key not in writers:
                        (staging / config).mkdir(exist_ok=True)
                        if config not in schemas:
                            schemas[config] = arrow_schema(config)
                        writers[key] = ShardWriter(staging / config, config, doc_split, schemas[config])
                next(bar)
            for key, table in tables.items():
                writers[key].add(table)
                counts["rows"] += table.num_rows
            for w in writers.values():
                w.flush()
        written = _finish(staging, out_dir, writers)
    finally:
        bar.close()
        for w in writers.values():
            w.close()
        shutil.rmtree(staging, ignore_errors=True)
    if stats is not None:
        stats.update(counts)
    return written


def _counted(counts: dict) -> Iterator[int]:
    """An endless count of the documents done, for the progress bar."""
    while True:
        counts["documents"] += 1
        yield counts["documents"]


def data_files(written: list[tuple[Path, int]], out_dir: Path) -> dict[str, list[dict]]:
    """The card's ``configs[].data_files`` for these shards: one glob per split."""
    out: dict[str, list[dict]] = {}
    for path, _rows in written:
        config, split = path.parent.name, path.name.split("-")[0]
        entry = {"split": split, "path": f"{config}/{split}-*.parquet"}
        if entry not in out.setdefault(config, []):
            out[config].append(entry)
    return out
