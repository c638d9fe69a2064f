"""The stages and floors that ``visectalks bench`` times, each run in a process of its own.

``python -m visectalks.bench_stages STAGE ROOT [--jobs N] [--sample N]`` runs one stage on the
project at ROOT and prints one JSON object: units done (documents, records), wall seconds and
CPU seconds (this process and its workers). The parent process measures peak memory from the
outside, so every stage and every floor gets a fresh process.

Stages: ``build`` (corpus from seeds), ``validate`` (every check), ``release`` (sharded
Parquet), ``labelstudio`` (export every document as a task and import it back). Floors, each
on the same data: ``segmenter`` (the word segmenter alone on the sentences the build
segments), ``jsonschema`` (plain ``jsonschema`` verdicts on every record), ``pyarrow``
(``Table.from_pylist`` and ``write_table`` of rows already in memory); the Label Studio floor
(``json`` dumps and loads of the same tasks) is timed inside the ``labelstudio`` stage.
"""
from __future__ import annotations

import argparse
import io
import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from .paths import Layout, layout as make_layout


def cpu_seconds() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def vmhwm_mb() -> float:
    """Peak resident memory of this process (``VmHWM``; ``ru_maxrss`` would also count the
    process this one was forked from)."""
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def sample_ids(lay: Layout, sample: int) -> list[str]:
    """The first ``sample`` document ids of the corpus, in id order."""
    return sorted(p.stem for p in lay.corpus.glob("*.json"))[:sample]


# ---------------------------------------------------------------- stages

class FsyncClock:
    """Counts the time this process spends in ``os.fsync`` (the durability of each write)."""

    def __init__(self):
        import os

        self.calls, self.seconds, self._fsync = 0, 0.0, os.fsync
        os.fsync = self

    def __call__(self, fd) -> None:
        t0 = time.perf_counter()
        self._fsync(fd)
        self.seconds, self.calls = self.seconds + time.perf_counter() - t0, self.calls + 1


def stage_build(lay: Layout, jobs: int, sample: int) -> dict:
    """The corpus from the seeds, written inside a transaction like ``visectalks build`` does."""
    from .corpus_stream import build_corpus

    shutil.rmtree(lay.corpus, ignore_errors=True)
    lay.corpus.mkdir()
    stats: dict = {}
    clock = FsyncClock()
    build_corpus(lay, jobs=jobs, stats=stats)
    return {"documents": stats["documents"], "records": stats["span_records"], "characters": stats["characters"],
            "fsync_calls": clock.calls, "fsync_seconds": clock.seconds}


def stage_validate(lay: Layout, jobs: int, sample: int) -> dict:
    from .validate_stream import check_layout

    stats: dict = {}
    problems = check_layout(lay, jobs=jobs, stats=stats)
    return {"documents": stats["documents"], "records": stats["span_records"] + stats["annotation_records"],
            "annotation_records": stats["annotation_records"], "problems": len(problems)}


def stage_release(lay: Layout, jobs: int, sample: int) -> dict:
    from .shards import hash_split, write_shards

    out = Path(tempfile.mkdtemp(prefix="visectalks-bench-release-"))
    try:
        stats: dict = {}
        written = write_shards(lay, out / "release", split=hash_split, jobs=jobs, stats=stats)
        size = sum(p.stat().st_size for p, _ in written)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return {"documents": stats["documents"], "records": stats["rows"], "files": len(written), "bytes": size}


def ls_round_trip(doc_id: str) -> tuple[int, float, float]:
    """One document exported as a task (``labelstudio.make_task``), written as JSON, read back
    and imported (``parse_result``, ``assign_ids``, ``fill_quotes``): (records, CPU seconds,
    floor CPU seconds), the floor being ``json`` dumps and loads of the same task. Reading the
    standoff files is outside both (it is in the stage's own time)."""
    from . import labelstudio as ls
    from .fastjson import read_json, read_jsonl
    from .layers import LAYERS

    lay = _LS[0]
    doc = read_json(lay.corpus / f"{doc_id}.json")[0]
    layers = {layer: read_jsonl(lay.layer(layer) / f"{doc_id}.jsonl")[0] for layer in LAYERS}
    t0 = time.process_time()
    task = ls.make_task(doc, layers)
    back = json.loads(json.dumps(task, ensure_ascii=False))
    parsed, problems = ls.parse_result(back["predictions"][0]["result"], doc, ls.Where("tasks.json", 0, doc_id, ("predictions", 0)))
    records, _rename, _fresh = ls.assign_ids(parsed, doc_id, {})
    ls.fill_quotes(records, doc)
    ours = time.process_time() - t0
    t0 = time.process_time()
    json.loads(json.dumps(task, ensure_ascii=False))
    floor = time.process_time() - t0
    if problems or any(records[k] != layers[k] for k in layers):
        raise RuntimeError(f"Label Studio round trip changed {doc_id}: {[p.line() for p in problems][:3]}")
    return sum(map(len, layers.values())), ours, floor


_LS: list[Layout] = []


def _ls_init(lay: Layout) -> None:
    _LS[:] = [lay]


def document_ids(lay: Layout):
    """Every document id, in no particular order, without a list of them in memory."""
    import os

    return (e.name[:-5] for e in os.scandir(lay.corpus) if e.name.endswith(".json"))


def _ls_results(lay: Layout, jobs: int):
    if jobs <= 1:
        _ls_init(lay)
        yield from map(ls_round_trip, document_ids(lay))
        return
    from multiprocessing import get_context

    with get_context().Pool(jobs, initializer=_ls_init, initargs=(lay,)) as workers:
        yield from workers.imap_unordered(ls_round_trip, document_ids(lay), chunksize=32)


def stage_labelstudio(lay: Layout, jobs: int, sample: int) -> dict:
    """Every document through the round trip, on ``jobs`` processes (sums kept, nothing else)."""
    totals = [0, 0, 0.0, 0.0]
    for records, ours, floor in _ls_results(lay, jobs):
        totals = [totals[0] + 1, totals[1] + records, totals[2] + ours, totals[3] + floor]
    return {"documents": totals[0], "records": totals[1], "round_trip_seconds": totals[2], "floor_seconds": totals[3]}


# ---------------------------------------------------------------- floors

def floor_segmenter(lay: Layout, jobs: int, sample: int) -> dict:
    """The segmenter alone on the sentences of the first ``sample`` documents (one process)."""
    from . import segment
    from .fastjson import read_json

    sentences, chars, docs = [], 0, 0
    for doc_id in sample_ids(lay, sample):
        doc = read_json(lay.corpus / f"{doc_id}.json")[0]
        sentences += [s["text"] for s in doc["sentences"]]
        chars, docs = chars + len(doc["text"]), docs + 1
    segment.segment_words("Khởi động.")  # load the model outside the timing
    t0, c0 = time.perf_counter(), cpu_seconds()
    for s in sentences:
        segment.segment_words(s)
    return {"documents": docs, "characters": chars, "timed_wall": time.perf_counter() - t0, "timed_cpu": cpu_seconds() - c0}


def floor_jsonschema(lay: Layout, jobs: int, sample: int) -> dict:
    """Plain ``jsonschema`` verdicts on every record of the first ``sample`` documents."""
    import jsonschema

    from . import schemas
    from .fastjson import read_json, read_jsonl

    check = {n: jsonschema.Draft202012Validator(schemas.ALL[n]()).is_valid for n in ("document", "entity", "event", "stance")}
    items = []
    for doc_id in sample_ids(lay, sample):
        items.append(("document", read_json(lay.corpus / f"{doc_id}.json")[0]))
        for layer, name in (("entities", "entity"), ("events", "event"), ("stance", "stance")):
            items += [(name, r) for r in read_jsonl(lay.layer(layer) / f"{doc_id}.jsonl")[0]]
    records = sum(sum(len(r[k]) for k in ("paragraphs", "sentences", "tokens", "words", "quotes")) if n == "document" else 1 for n, r in items)
    t0, c0 = time.perf_counter(), cpu_seconds()
    valid = all(check[n](r) for n, r in items)
    return {"documents": len(sample_ids(lay, sample)), "records": records, "valid": valid,
            "timed_wall": time.perf_counter() - t0, "timed_cpu": cpu_seconds() - c0}


def floor_pyarrow(lay: Layout, jobs: int, sample: int) -> dict:
    """``pyarrow`` building and writing the release rows of the first ``sample`` documents."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from . import features
    from .release import PARQUET_OPTIONS
    from .shards import Source, arrow_schema, document_rows, encoder, seed_records

    source = Source(lay)
    configs = source.configs()
    rows: dict[str, list] = {c: [] for c in configs}
    wanted = set(sample_ids(lay, sample))
    for record in seed_records(lay):
        if record["id"] in wanted:
            for c, found in document_rows(source, record["id"], record, configs).items():
                rows[c] += map(encoder(features.ALL[c]()), found)
    t0, c0 = time.perf_counter(), cpu_seconds()
    for c in configs:
        pq.write_table(pa.Table.from_pylist(rows[c], schema=arrow_schema(c)), io.BytesIO(), **PARQUET_OPTIONS)
    return {"documents": len(wanted), "records": sum(map(len, rows.values())), "timed_wall": time.perf_counter() - t0, "timed_cpu": cpu_seconds() - c0}


def warm_up(stage: str) -> None:
    """Imports, compiled schemas and the segmenter model, loaded before the clock starts (and
    before worker processes fork, so that they inherit them)."""
    from . import fastcheck, schemas

    if stage in ("build", "segmenter"):
        from . import corpus_stream, segment  # noqa: F401 (imported before the clock)

        segment.segment_words("Khởi động.")
    if stage in ("build", "validate"):
        from . import validate_stream  # noqa: F401

        for name in schemas.ALL:
            fastcheck.compiled(name)
    if stage in ("release", "pyarrow"):
        from . import features, shards  # noqa: F401

        for name in features.CONFIGS:
            features.ALL[name]()
    if stage == "labelstudio":
        from . import labelstudio  # noqa: F401


RUN = {"build": stage_build, "validate": stage_validate, "release": stage_release, "labelstudio": stage_labelstudio,
       "segmenter": floor_segmenter, "jsonschema": floor_jsonschema, "pyarrow": floor_pyarrow}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m visectalks.bench_stages")
    ap.add_argument("stage", choices=sorted(RUN))
    ap.add_argument("root")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--sample", type=int, default=1000)
    args = ap.parse_args(argv)
    lay = make_layout(args.root)
    warm_up(args.stage)
    t0, c0 = time.perf_counter(), cpu_seconds()
    result = RUN[args.stage](lay, args.jobs, args.sample)
    result.update(stage=args.stage, jobs=args.jobs, wall=time.perf_counter() - t0, cpu=cpu_seconds() - c0, vmhwm_mb=vmhwm_mb())
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
