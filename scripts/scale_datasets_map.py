"""Build corpus documents with ``datasets.Dataset.map(num_proc=N)``: the pattern for a corpus
larger than one machine's memory, and the bridge to a distributed engine.

The per-document work of ``visectalks build`` is one pure function,
``visectalks.corpus.build_document(text, record)``. Here the seeds go into a ``datasets``
table (written to disk, not held in memory), ``map`` runs the function on N processes, and
the result is written as sharded Parquet (one JSON corpus document per row, byte for byte
what ``visectalks build`` writes). ``docs/scaling.md`` shows the same function under Spark
and Ray.

    python scripts/scale_datasets_map.py ROOT OUT [--num-proc 2] [--shards 4]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def seed_rows(root: str):
    """One row per seed: its metadata record and its text (the metadata is read record by record)."""
    from visectalks.corpus_stream import records
    from visectalks.paths import layout

    lay = layout(root)
    for record in records(lay):
        yield {"id": record["id"], "file": record["file"], "sha256": record["sha256"],
               "paragraph_roles": [dict(r) for r in record.get("paragraph_roles", [])],
               "text": (lay.seeds / record["file"]).read_text(encoding="utf-8")}


def build_row(row: dict) -> dict:
    """``build_document`` on one row; the corpus file's exact text goes into ``corpus_json``."""
    from visectalks.corpus import build_document
    from visectalks.fastjson import dumps

    record = {k: row[k] for k in ("id", "file", "sha256", "paragraph_roles")}
    return {"corpus_json": dumps(build_document(row["text"], record))}


def run(root: str, out: str, num_proc: int = 2, shards: int = 4) -> list[Path]:
    from datasets import Dataset

    seeds = Dataset.from_generator(seed_rows, gen_kwargs={"root": root})
    built = seeds.map(build_row, num_proc=num_proc, remove_columns=["text", "paragraph_roles"])
    Path(out).mkdir(parents=True, exist_ok=True)
    paths = []
    for k in range(min(shards, len(built)) or 1):
        path = Path(out) / f"corpus-{k:05d}-of-{shards:05d}.parquet"
        built.shard(num_shards=shards, index=k, contiguous=True).to_parquet(str(path))
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("root", help="project folder (seeds/ with metadata.json)")
    ap.add_argument("out", help="folder for the Parquet shards")
    ap.add_argument("--num-proc", type=int, default=2)
    ap.add_argument("--shards", type=int, default=4)
    args = ap.parse_args(argv)
    for path in run(args.root, args.out, args.num_proc, args.shards):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
