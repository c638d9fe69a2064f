"""Building ``corpus/`` one document at a time, on every core.

The seed records are read one at a time (``stream.seed_records``), each document is built
and checked in a worker process (``corpus.build_document``, a pure function of the seed
text and its record, then ``validate.check_document``), and the main process writes each file
as it arrives, in seed order. Memory holds one document per worker, whatever the corpus
size. Inside the command's transaction (``transaction.py``) every write is journaled, so a
build that stops on a problem, or is killed, leaves the previous corpus as it was.

As before, text problems of any seed (NFC, control characters) stop the build before any
document is segmented; problems of built documents are all collected before stopping.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

from . import fastjson, seeds, stream
from .corpus import build_document, text_problems
from .errors import Problem, ProblemsError
from .paths import Layout
from .progress import progress


def records(layout: Layout) -> Iterator[dict]:
    """Seed metadata records in file order; a large file is read one record at a time."""
    if not stream.is_large(layout.seeds / "metadata.json"):
        yield from seeds.load_metadata(layout.seeds)["documents"]
        return
    try:
        yield from stream.seed_records(layout.seeds)
    except stream.Unreadable as exc:
        raise ProblemsError(exc.problems) from None


def seed_text(layout: Layout, record: dict) -> str:
    return (layout.seeds / record["file"]).read_text(encoding="utf-8")


def text_check(layout: Layout) -> list[Problem]:
    problems = []
    for d in records(layout):
        problems += text_problems(seed_text(layout, d), f"seeds/{d['file']}", d["id"])
    return problems


_SEEDS: list[Path] = []


def _init(seeds_dir: Path) -> None:
    _SEEDS[:] = [seeds_dir]


SPAN_KEYS = ("paragraphs", "sentences", "tokens", "words", "quotes")


def build_one(record: dict) -> tuple[str, str, list[Problem], tuple[int, int]]:
    """(document id, corpus file content, problems, (characters, span records)) of one seed
    record; runs in a worker."""
    from .validate import check_document

    text = (_SEEDS[0] / record["file"]).read_text(encoding="utf-8")
    doc = build_document(text, record)
    sizes = (len(text), sum(len(doc[k]) for k in SPAN_KEYS))
    return record["id"], fastjson.dumps(doc), check_document(doc, f"corpus/{record['id']}.json", text), sizes


def built(layout: Layout, jobs: int) -> Iterator[tuple[str, str, list[Problem], tuple[int, int]]]:
    """Every document, built in seed order (on ``jobs`` processes)."""
    if jobs <= 1:
        _init(layout.seeds)
        yield from map(build_one, records(layout))
        return
    from multiprocessing import get_context

    with get_context().Pool(jobs, initializer=_init, initargs=(layout.seeds,)) as workers:
        yield from workers.imap(build_one, records(layout), chunksize=8)


def build_corpus(layout: Layout, jobs: int = 1, quiet: bool = True, stats: dict | None = None) -> tuple[list[str], set[str]]:
    """Build and write every corpus document; return the names of the files that changed and
    of all corpus files (to find stale ones): names, not paths, to keep them small at 100,000
    documents. Raises ``ProblemsError``; see the module docstring."""
    from .jsonio import write_text_atomic
    from .transaction import transaction

    problems = text_check(layout)
    if problems:
        raise ProblemsError(problems)
    changed, names, counts = [], set(), [0, 0, 0]
    with transaction(layout.root):
        for doc_id, content, found, (chars, spans) in progress(built(layout, jobs), desc="build", quiet=quiet):
            problems += found
            names.add(f"{doc_id}.json")
            counts = [counts[0] + 1, counts[1] + chars, counts[2] + spans]
            if not problems and write_text_atomic(layout.corpus / f"{doc_id}.json", content):
                changed.append(f"{doc_id}.json")
        if problems:
            raise ProblemsError(problems)
    if stats is not None:
        stats.update(documents=counts[0], characters=counts[1], span_records=counts[2])
    return changed, names


def stale_files(layout: Layout, names: set[str]) -> list[Path]:
    """Corpus files that no seed record builds any more."""
    if not layout.corpus.is_dir():
        return []
    return sorted(layout.corpus / e.name for e in os.scandir(layout.corpus) if e.name.endswith(".json") and e.name not in names)
