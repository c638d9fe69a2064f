"""Validating a whole project one document at a time, on every core.

``check_tree(load_tree(layout))`` holds the whole corpus in memory. Every check except those
of the side files (registry, not_entities, clusters) looks at one document and its layer
files only, so ``check_layout`` loads the side files once, then loads, checks and drops one
document (``corpus/<key>.json`` with ``<layer>/<key>.jsonl``) at a time, in worker processes.
Each problem is tagged with its place in ``check_tree``'s order (category, then file), and the
tags are sorted at the end: the result equals ``check_tree(load_tree(layout))``, problem for
problem (the tests compare both on every fixture). A project whose document ids differ from
their file names is irregular for this scheme and is checked whole instead.

Files in canonical form are read with ``fastjson`` (same verdicts as ``jsonio``, faster).
"""
from __future__ import annotations

import errno
import os
import stat
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from . import fastjson
from .errors import Problem
from .layers import LAYERS, Tree, load_tree
from .paths import Layout
from .validate import Side, check_tree, side_checks, tree_parts

# Ranks of check_tree's order: load problems (corpus, entities, events, stance, side files),
# then documents, registry/not_entities, entities, registry names, clusters, events, stance.
LOAD_RANK = {"corpus": 0, "entities": 1, "events": 2, "stance": 3}
SIDE_LOAD, DOCS, REGISTRY, ENTITIES, NAMES, CLUSTERS, EVENTS, STANCE = range(4, 12)
PARALLEL_FROM = 64  # documents; below this one process is faster than starting workers


_FOLDERS: dict[tuple[str, str], str | None] = {}


class FastTree(Tree):
    """A ``Tree`` whose corpus and layer files are read by ``fastjson`` (same results)."""

    def shown(self, path, plain: bool = False) -> str:
        """``Tree.shown`` with each folder resolved once (a file that is a link: the slow way;
        ``plain``: the caller knows that it is not one)."""
        folder, name = os.path.split(str(path))
        if not name or (not plain and os.path.islink(path)):
            return super().shown(path)
        key = (folder, str(self.layout.root))
        if key not in _FOLDERS:
            try:
                _FOLDERS[key] = str(Path(folder).resolve().relative_to(self.layout.root))
            except ValueError:
                _FOLDERS[key] = None
        rel = _FOLDERS[key]
        if rel is None:
            return super().shown(path)
        return name if rel == "." else f"{rel}/{name}"

    def load_doc(self, path: Path, info: os.stat_result | None = None) -> None:
        """``info``: the file's ``os.lstat``, for a file known not to be a link."""
        shown = self.shown(path, info is not None)
        doc, problems = fastjson.read_json(path, shown, info)
        self.problems += problems
        if isinstance(doc, dict) and isinstance(doc.get("id"), str):
            self.docs[doc["id"]] = doc
            self.doc_files[doc["id"]] = shown
        elif not problems:
            self.problems.append(Problem("VST002", shown, "", "/id", "document has no string id"))

    def load_layer_file(self, layer: str, path: Path, info: os.stat_result | None = None) -> None:
        shown, stem = self.shown(path, info is not None), os.path.splitext(os.path.basename(path))[0]
        records, problems = fastjson.read_jsonl(path, shown, info)
        self.problems += problems
        if problems:
            self.unreadable.add(shown)
        self.layers[layer][stem] = records
        self.layer_files[layer][stem] = shown


def side_tree(layout: Layout, pass_name: str | None) -> Tree:
    """A tree holding only the side files, loaded as ``load_tree`` loads them."""
    tree = Tree(layout, pass_name)
    ent, events = layout.layer("entities", pass_name), layout.layer("events", pass_name)
    for kind, path in (("registry", ent / "registry.json"), ("not_entities", ent / "not_entities.json"), ("clusters", events / "clusters.json")):
        if path.exists():
            tree.load_side_file(kind, path)
    return tree


def _exists(path: str) -> bool:
    """``Path(path).exists()`` without making a ``Path``: False for a missing file, an error for
    a folder that cannot be searched."""
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP):
            return False
        raise
    except ValueError:
        return False
    return True


def document_keys(layout: Layout, pass_name: str | None) -> Iterator[str]:
    """Every document key: corpus file names, then layer files that have no corpus file."""
    if layout.corpus.is_dir():
        for entry in os.scandir(layout.corpus):
            if entry.name.endswith(".json"):
                yield entry.name[:-5]
    orphans: set[str] = set()
    corpus = str(layout.corpus)
    for layer in LAYERS:
        folder = layout.layer(layer, pass_name)
        for entry in os.scandir(folder) if folder.is_dir() else ():
            key = entry.name[:-6]
            if entry.name.endswith(".jsonl") and key not in orphans and not _exists(os.path.join(corpus, f"{key}.json")):
                orphans.add(key)
                yield key


@lru_cache(maxsize=64)
def _folders(layout: Layout, pass_name: str | None) -> tuple[tuple[str, str], ...]:
    return (("corpus", str(layout.corpus)),) + tuple((layer, str(layout.layer(layer, pass_name))) for layer in LAYERS)


def _present(path: str) -> tuple[bool, os.stat_result | None]:
    """(the path exists, its ``lstat`` if it is not a symbolic link): one system call for a
    file that is not a link."""
    try:
        info = os.lstat(path)
    except (OSError, ValueError):
        return False, None  # nothing there (or no way there): a link would not lead anywhere either
    if stat.S_ISLNK(info.st_mode):
        return os.path.exists(path), None
    return True, info


def key_tree(layout: Layout, pass_name: str | None, key: str) -> tuple[Tree, list[tuple[int, str, Problem]]] | None:
    """One document and its layer files, with their load problems tagged; None if irregular."""
    tree, tagged = FastTree(layout, pass_name), []
    for kind, folder in _folders(layout, pass_name):
        path = os.path.join(folder, f"{key}.json" if kind == "corpus" else f"{key}.jsonl")
        exists, info = _present(path)
        if not exists:
            continue
        before = len(tree.problems)
        tree.load_doc(path, info) if kind == "corpus" else tree.load_layer_file(kind, path, info)
        tagged += [(LOAD_RANK[kind], p.file, p) for p in tree.problems[before:]]
        if kind == "corpus" and tree.docs and key not in tree.docs:
            return None
    return tree, tagged


def count_records(tree: Tree) -> tuple[int, int]:
    """(span records of the documents, records of the annotation layers) held by ``tree``."""
    spans = sum(len(d.get(k) or []) for d in tree.docs.values() for k in ("paragraphs", "sentences", "tokens", "words", "quotes") if isinstance(d.get(k), list))
    return spans, sum(len(r) for layer in tree.layers.values() for r in layer.values())


_CTX: dict = {}


def _init(ctx: dict) -> None:
    _CTX.clear()
    _CTX.update(ctx)


def key_problems(key: str) -> tuple[list[tuple[int, str, Problem]], tuple[int, int]] | None:
    """Tagged problems and record counts of one document key (None: the project is irregular)."""
    loaded = key_tree(_CTX["layout"], _CTX["pass_name"], key)
    if loaded is None:
        return None
    tree, tagged = loaded
    side: Side = _CTX["side"]
    for rank, found in zip((DOCS, ENTITIES, NAMES, EVENTS, STANCE), tree_parts(tree, side, _CTX["coverage"])):
        tagged += [(rank, p.file, p) for p in found]
    return tagged, count_records(tree)


def _results(ctx: dict, jobs: int) -> Iterator:
    keys = document_keys(ctx["layout"], ctx["pass_name"])
    if jobs <= 1:
        _init(ctx)
        yield from map(key_problems, keys)
        return
    from multiprocessing import get_context

    with get_context().Pool(jobs, initializer=_init, initargs=(ctx,)) as workers:
        yield from workers.imap_unordered(key_problems, keys, chunksize=32)


def auto_jobs(layout: Layout) -> int:
    """Every core for a corpus of at least ``PARALLEL_FROM`` documents, else one process."""
    if not layout.corpus.is_dir():
        return 1
    count = 0
    for _ in os.scandir(layout.corpus):
        count += 1
        if count >= PARALLEL_FROM:
            return os.cpu_count() or 1
    return 1


def check_layout(layout: Layout, pass_name: str | None = None, jobs: int | None = None, coverage: bool = True,
                 stats: dict | None = None, progress_quiet: bool = True) -> list[Problem]:
    """Same problems as ``check_tree(load_tree(layout, pass_name))``, one document at a time.

    ``stats``, if given, receives the numbers of documents, span records and annotation records.
    """
    from .progress import progress

    side_only = side_tree(layout, pass_name)
    side = side_checks(side_only)
    tagged = [(SIDE_LOAD, "", p) for p in side_only.problems] + [(REGISTRY, "", p) for p in side.registry_problems]
    tagged += [(CLUSTERS, "", p) for p in side.cluster_problems]
    ctx = {"layout": layout, "pass_name": pass_name, "side": side, "coverage": coverage}
    counts = [0, 0, 0]
    for result in progress(_results(ctx, auto_jobs(layout) if jobs is None else jobs), desc="validate", quiet=progress_quiet):
        if result is None:
            return check_tree(load_tree(layout, pass_name), coverage=coverage)
        found, (spans, records) = result
        tagged += found
        counts[0], counts[1], counts[2] = counts[0] + 1, counts[1] + spans, counts[2] + records
    if stats is not None:
        stats.update(documents=counts[0], span_records=counts[1], annotation_records=counts[2])
    tagged.sort(key=lambda t: (t[0], t[1]))
    return [p for _, _, p in tagged]
