"""``visectalks synth N --out DIR``: a synthetic project of N documents that passes ``validate``.

The documents recombine and perturb the gold sentences (``synth_pool``), so they read like
the seed articles and carry annotations in every layer. The result is a full project root:
``seeds/`` (texts, ``SHA256SUMS``, ``metadata.json``), ``corpus/`` (exactly what ``visectalks
build`` makes of those seeds), ``annotations/`` (entities with registry and not_entities,
events with clusters, stance). It is a deterministic function of the gold and ``--seed``.

Speed: every sentence variant is word-segmented once, when the pools are made; documents are
then built with ``corpus.build_document`` and a segmenter that looks those words up (falling
back to the real segmenter for any text it has not seen), so the corpus files equal the
build's output while most of the segmenter's cost is paid only once.

Nothing half-made is left behind: everything is written into a temporary folder next to
``DIR`` and renamed into place at the end.
"""
from __future__ import annotations

import json
import os
import random
import shutil
import sys
import tempfile
from pathlib import Path

from . import fastjson, segment
from .corpus import build_document
from .jsonio import dumps, dumps_lines
from .layers import LAYERS, Tree
from .paths import Layout, layout as make_layout
from .progress import progress
from .synth_doc import Pools, assemble, project, seed_record
from .synth_pool import Unit, gold_units, joins, name_forms, single_sentence, variant

MARKER = ".visectalks-synth.json"
DESCRIPTION = ("Synthetic corpus made by `visectalks synth` from the sentences of the ViSecTalks-2022 gold, recombined and "
               "perturbed; for tests and benchmarks only, not real news.")


# ---------------------------------------------------------------- side files

def side_files(tree: Tree) -> dict[str, list]:
    """Registry and clusters as in the gold (cluster conflicts dropped: they name gold mentions);
    not_entities without document filters, since any sentence can land in any document."""
    explained: dict[str, dict] = {}
    for entry in tree.not_entities:
        explained.setdefault(entry["text"], {"text": entry["text"], "reason": entry["reason"]})
    clusters = [{**c, "conflicts": []} for c in tree.clusters or []]
    return {"registry": list(tree.registry or []), "not_entities": list(explained.values()), "clusters": clusters}


def check_one(doc: dict, layers: dict[str, list], side: dict) -> list:
    """Every validator check on one document with its layers (seed comparison aside)."""
    from .validate import check_tree

    tree = Tree(Layout(Path(os.devnull)))
    tree.docs[doc["id"]], tree.doc_files[doc["id"]] = doc, f"corpus/{doc['id']}.json"
    for layer in LAYERS:
        tree.layers[layer][doc["id"]] = layers[layer]
        tree.layer_files[layer][doc["id"]] = f"annotations/{layer}/{doc['id']}.jsonl"
    tree.registry, tree.not_entities, tree.clusters = side["registry"], side["not_entities"], side["clusters"]
    tree.registry_file, tree.not_entities_file, tree.clusters_file = "registry.json", "not_entities.json", "clusters.json"
    return check_tree(tree)


# ---------------------------------------------------------------- pools

_WORDS: dict[str, list[str]] = {}
_MISSES = [0]


def cached_segmenter(sentence: str) -> list[str]:
    """Words of a pool sentence; the real segmenter for anything else (counted in ``_MISSES``)."""
    words = _WORDS.get(sentence)
    if words is None:
        _MISSES[0] += 1
        return segment.segment_words(sentence)
    return words


def _unit_ok(unit: Unit, side: dict) -> bool:
    if not single_sentence(unit.text) or (unit.joinable and not joins(unit.text)):
        return False
    meta = {"id": "d000", "file": "000_0000000000000000.txt", "sha256": "0" * 64, "paragraph_roles": []}
    doc = build_document(unit.text, meta, segmenter=lambda s: unit.words if s == unit.text else segment.segment_words(s))
    if [(s["start"], s["end"]) for s in doc["sentences"]] != [(0, len(unit.text))]:
        return False
    return not check_one(doc, project(doc, [(0, unit)]), side)


def _segment(texts: list[str], jobs: int, quiet: bool) -> list[list[str]]:
    if jobs <= 1:
        return [segment.segment_words(t) for t in progress(texts, len(texts), "segment pool", "sent", quiet)]
    from multiprocessing import get_context

    with get_context().Pool(jobs) as workers:
        return list(progress(workers.imap(segment.segment_words, texts, chunksize=16), len(texts), "segment pool", "sent", quiet))


def make_pools(tree: Tree, seed: int, variants: int, jobs: int = 1, quiet: bool = True) -> Pools:
    """Validated variants of every gold unit (variant 0 is the gold sentence itself)."""
    forms, side = name_forms(tree.registry or []), side_files(tree)
    candidates = []
    for u, unit in enumerate(gold_units(tree)):
        candidates.append(unit)
        candidates += [variant(unit, random.Random(f"{seed}:unit:{u}:{k}"), forms) for k in range(1, variants)]
    for unit, words in zip(candidates, _segment([c.text for c in candidates], jobs, quiet)):
        unit.words = words
    good = [u for u in candidates if _unit_ok(u, side)]
    standalone: dict[str, list[Unit]] = {}
    for u in good:
        if not u.joinable:
            standalone.setdefault(u.role, []).append(u)
    return Pools([u for u in good if u.joinable], standalone)


# ---------------------------------------------------------------- documents

_STATE: dict = {}


def _init(state: dict) -> None:
    _STATE.update(state)
    _WORDS.clear()
    _WORDS.update({u.text: u.words for u in state["pools"].body + [v for vs in state["pools"].standalone.values() for v in vs]})


def make_document(i: int) -> tuple[str, str, int, list]:
    """Write document ``i`` (seed, corpus file, layers); return its metadata record as JSON,
    its SHA256SUMS line, the number of annotation records and any problems (with ``check``)."""
    st = _STATE
    draft = assemble(i, st["n"], st["pools"], st["seed"], st["max_paragraphs"])
    record = seed_record(draft, i)
    doc = build_document(draft.text, record, segmenter=cached_segmenter)
    layers = project(doc, draft.placed)
    out: Path = st["out"]
    (out / "seeds" / record["file"]).write_text(draft.text, encoding="utf-8")
    (out / "corpus" / f"{doc['id']}.json").write_text(fastjson.dumps(doc), encoding="utf-8")
    for layer in LAYERS:
        (out / "annotations" / layer / f"{doc['id']}.jsonl").write_text(dumps_lines(layers[layer]), encoding="utf-8")
    problems = check_one(doc, layers, st["side"]) if st["check"] else []
    return fastjson.dumps(record), f"{record['sha256']}  {record['file']}\n", sum(map(len, layers.values())), [p.line() for p in problems]


def _documents(state: dict, jobs: int):
    if jobs <= 1:
        _init(state)
        yield from map(make_document, range(state["n"]))
        return
    from multiprocessing import get_context

    with get_context().Pool(jobs, initializer=_init, initargs=(state,)) as workers:
        yield from workers.imap(make_document, range(state["n"]), chunksize=32)


# ---------------------------------------------------------------- the project folder

def _prepare(out: Path) -> Path:
    if out.exists() and any(out.iterdir()) and not (out / MARKER).exists():
        raise SystemExit(f"synth: {out} exists and is not a synthetic corpus; choose an empty or new folder")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    for sub in ("seeds", "corpus", *(f"annotations/{layer}" for layer in LAYERS)):
        (tmp / sub).mkdir(parents=True)
    return tmp


def _write_side(tmp: Path, side: dict, info: dict) -> None:
    ann = tmp / "annotations"
    (ann / "entities" / "registry.json").write_text(dumps(side["registry"]), encoding="utf-8")
    (ann / "entities" / "not_entities.json").write_text(dumps(side["not_entities"]), encoding="utf-8")
    (ann / "events" / "clusters.json").write_text(dumps(side["clusters"]), encoding="utf-8")
    (tmp / MARKER).write_text(dumps(info), encoding="utf-8")


def _indent(text: str, by: str) -> str:
    return "\n".join(by + line for line in text.rstrip("\n").split("\n"))


def synth(source: Layout, out: Path, n: int, seed: int = 0, jobs: int = 1, variants: int = 24,
          max_paragraphs: int = 4, check: bool = False, quiet: bool = True) -> dict:
    """Make the synthetic project in ``out``; return a summary (counts, cache misses, problems)."""
    from .layers import load_tree

    tree = load_tree(source)
    pools = make_pools(tree, seed, variants, jobs, quiet)
    tmp = _prepare(out)
    state = {"n": n, "seed": seed, "pools": pools, "max_paragraphs": max_paragraphs, "out": tmp, "side": side_files(tree), "check": check}
    info = {"documents": n, "seed": seed, "variants": variants, "max_paragraphs": max_paragraphs, "annotation_records": 0, "problems": []}
    try:
        with open(tmp / "seeds" / "metadata.json", "w", encoding="utf-8") as meta, open(tmp / "seeds" / "SHA256SUMS", "w", encoding="utf-8") as sums:
            meta.write("{\n  \"description\": " + json.dumps(DESCRIPTION, ensure_ascii=False) + ",\n  \"documents\": [")
            for k, (record, line, count, problems) in enumerate(progress(_documents(state, jobs), n, "synth", "doc", quiet)):
                meta.write(("," if k else "") + "\n" + _indent(record, "    "))
                sums.write(line)
                info["annotation_records"] += count
                info["problems"] += problems
            meta.write(("\n  ]" if n else "]") + "\n}\n")
        _write_side(tmp, state["side"], {k: v for k, v in info.items() if k != "problems"})
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    info["units"] = len(pools.body) + sum(map(len, pools.standalone.values()))
    return info


def _cmd_synth(args) -> int:
    info = synth(make_layout(args.root), Path(args.out).resolve(), args.n, args.seed, args.jobs, args.variants,
                 args.max_paragraphs, args.check, args.quiet)
    for line in info["problems"]:
        print(line)
    if not args.quiet:
        print(f"synth: {info['documents']} documents, {info['annotation_records']} annotation records from {info['units']} sentence variants in {args.out}", file=sys.stderr)
    return 1 if info["problems"] else 0


def register(sub, add) -> None:
    p = add("synth", _cmd_synth, "Write a synthetic project of N documents (recombined, perturbed gold sentences with annotations in every layer) that passes validate.")
    p.add_argument("n", type=int, help="number of documents")
    p.add_argument("--out", required=True, help="folder to write (new, empty, or an earlier synthetic corpus)")
    p.add_argument("--seed", type=int, default=0, help="random seed; the output is a function of the gold and this seed")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes (default: number of cores)")
    p.add_argument("--variants", type=int, default=24, help="variants made of each gold sentence (default: 24)")
    p.add_argument("--max-paragraphs", type=int, default=4, help="most body paragraphs per document (default: 4)")
    p.add_argument("--check", action="store_true", help="also run every validator check on each document as it is made")
