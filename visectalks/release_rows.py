"""Rows of each release config, computed from the corpus and the gold layers.

Rows are plain dicts with label names (not ids); ``features.<config>().encode_example`` turns
them into ClassLabel ids. Row order is fixed (document id, then text position, then record id),
so two builds from the same files give the same rows in the same order.
"""
from __future__ import annotations

import bisect

from . import inventory
from .layers import Tree

SPLITS = {"train": ("d000", "d001", "d002"), "validation": ("d003",), "test": ("d004",)}
SPLIT_REASON = (
    "Splits are whole documents, so no article's text is shared between splits. The assignment "
    "follows document ids, which were given to the articles before any annotation or model was "
    "run, so no split was chosen for being easy or hard; taking the last two ids as the held-out "
    "documents keeps `split=\"all\"` (train + validation + test) in corpus order. The assignment "
    "does not change within a major version."
)
PROVENANCE_FIELDS = ("outlet", "author", "title", "url", "publication_date", "license")


def split_of(doc_ids: list[str]) -> dict[str, str]:
    """Document id -> split name; every corpus document must be assigned exactly once."""
    assigned = {d: split for split, docs in SPLITS.items() for d in docs}
    missing = sorted(set(doc_ids) - set(assigned))
    extra = sorted(set(assigned) - set(doc_ids))
    if missing or extra:
        raise ValueError(f"release splits do not match the corpus: unassigned {missing}, not in the corpus {extra}; "
                         "edit SPLITS in visectalks/release_rows.py (a new major version)")
    return assigned


class _Index:
    """Position lookups in one document: the sentence and paragraph holding an offset."""

    def __init__(self, doc: dict):
        self.doc = doc
        self.sent_starts = [s["start"] for s in doc["sentences"]]
        self.para_starts = [p["start"] for p in doc["paragraphs"]]
        self.tok_starts = [t["start"] for t in doc["tokens"]]
        self.paragraphs = {p["id"]: p for p in doc["paragraphs"]}

    def sentence(self, pos: int) -> dict:
        return self.doc["sentences"][bisect.bisect_right(self.sent_starts, pos) - 1]

    def paragraph(self, pos: int) -> dict:
        return self.doc["paragraphs"][bisect.bisect_right(self.para_starts, pos) - 1]

    def tokens(self, start: int, end: int) -> list[dict]:
        lo = bisect.bisect_left(self.tok_starts, start)
        hi = bisect.bisect_left(self.tok_starts, end)
        return self.doc["tokens"][lo:hi]


def _records(tree: Tree, layer: str) -> list[dict]:
    return [r for recs in tree.layers[layer].values() for r in recs if isinstance(r, dict)]


def document_rows(tree: Tree, metadata: dict) -> list[dict]:
    meta = {d["id"]: d for d in metadata["documents"]}
    rows = []
    for doc_id in sorted(tree.docs):
        doc, m = tree.docs[doc_id], meta[doc_id]
        rows.append({
            "id": doc_id, "language": doc["language"], "seed_file": doc["seed_file"], "sha256": doc["sha256"],
            "metadata": {k: {"value": m[k]["value"], "status": m[k]["status"], "reason": m[k]["reason"]} for k in PROVENANCE_FIELDS},
            "segmenter": dict(doc["segmenter"]), "text": doc["text"],
            "paragraphs": [dict(p) for p in doc["paragraphs"]], "sentences": [dict(s) for s in doc["sentences"]],
            "tokens": [dict(t) for t in doc["tokens"]], "words": [dict(w) for w in doc["words"]],
            "quotes": [dict(q) for q in doc["quotes"]],
        })
    return rows


def _innermost_container(m: dict, mentions: list[dict]) -> str | None:
    """Id of the smallest other mention that contains ``m`` (spans never cross), or None."""
    best = None
    for o in mentions:
        if o is not m and o["start"] <= m["start"] and m["end"] <= o["end"] and (o["start"], o["end"]) != (m["start"], m["end"]):
            if best is None or o["end"] - o["start"] < best["end"] - best["start"]:
                best = o
    return best["id"] if best else None


def outermost(mentions: list[dict]) -> list[dict]:
    """Flatten nested mentions to the outermost spans, in text order.

    A mention inside a longer one is dropped; spans never cross (VST204) and never repeat with
    the same type (VST203). Two mentions with the same span and different types keep the one
    that comes first in (start, -end, id) order.
    """
    out: list[dict] = []
    for m in sorted(mentions, key=lambda m: (m["start"], -m["end"], m["id"])):
        if out and m["start"] < out[-1]["end"]:
            continue
        out.append(m)
    return out


def entity_rows(tree: Tree) -> list[dict]:
    registry = {r["id"]: r for r in (tree.registry or [])}
    rows = []
    for doc_id in sorted(tree.docs):
        index, mentions = _Index(tree.docs[doc_id]), tree.mentions(doc_id)
        for m in sorted(mentions, key=lambda m: (m["start"], -m["end"], m["id"])):
            reg = registry.get(m["entity"], {})
            sent = index.sentence(m["start"])
            rows.append({
                "id": m["id"], "doc_id": doc_id, "sentence_id": sent["id"],
                "paragraph_role": index.paragraphs[sent["paragraph_id"]]["role"],
                "start": m["start"], "end": m["end"], "text": m["text"], "type": m["type"], "entity": m["entity"],
                "entity_name_vi": reg.get("name_vi"), "entity_name_en": reg.get("name_en"), "wikidata": reg.get("wikidata"),
                "flags": list(m["flags"]), "nested_in": _innermost_container(m, mentions),
            })
    return rows


def iob_tags(tokens: list[dict], spans: list[tuple[int, int, str]]) -> list[str]:
    """IOB2 tags of ``tokens`` for non-overlapping ``spans`` that start and end on token boundaries."""
    tags = ["O"] * len(tokens)
    starts = [t["start"] for t in tokens]
    for start, end, label in spans:
        first = bisect.bisect_left(starts, start)
        last = bisect.bisect_left(starts, end)
        for k in range(first, last):
            tags[k] = ("B-" if k == first else "I-") + label
    return tags


def _starting_in(sent: dict):
    """Filter for the spans that start inside ``sent``; a span running past its end would be cut (tests check none does)."""
    return lambda spans: [s for s in spans if sent["start"] <= s[0] < sent["end"]]


def ner_rows(tree: Tree) -> list[dict]:
    vlsp = inventory.vlsp_map()
    rows = []
    for doc_id in sorted(tree.docs):
        doc, mentions = tree.docs[doc_id], tree.mentions(doc_id)
        index = _Index(doc)
        full = [(m["start"], m["end"], m["type"]) for m in outermost(mentions)]
        mapped = [(m["start"], m["end"], vlsp[m["type"]]) for m in outermost([m for m in mentions if vlsp[m["type"]]])]
        for sent in doc["sentences"]:
            toks = index.tokens(sent["start"], sent["end"])
            inside = _starting_in(sent)
            rows.append({
                "id": sent["id"], "doc_id": doc_id, "paragraph_role": index.paragraphs[sent["paragraph_id"]]["role"],
                "tokens": [t["text"] for t in toks], "token_starts": [t["start"] for t in toks], "token_ends": [t["end"] for t in toks],
                "ner_tags": iob_tags(toks, inside(full)), "vlsp_ner_tags": iob_tags(toks, inside(mapped)),
            })
    return rows


def event_rows(tree: Tree) -> list[dict]:
    clusters = {c["id"]: c for c in (tree.clusters or [])}
    rows = []
    for doc_id in sorted(tree.docs):
        index = _Index(tree.docs[doc_id])
        mentions = {m["id"]: m for m in tree.mentions(doc_id)}
        events = [e for e in _records(tree, "events") if e.get("doc") == doc_id]
        for e in sorted(events, key=lambda e: (e["trigger"]["start"], e["trigger"]["end"], e["id"])):
            args = [{"role": a["role"], "mention_id": a["ref"], "entity": mentions[a["ref"]]["entity"],
                     "start": mentions[a["ref"]]["start"], "end": mentions[a["ref"]]["end"], "text": mentions[a["ref"]]["text"]}
                    for a in e["arguments"]]
            cluster = clusters.get(e["cluster"]) if e["cluster"] else None
            rows.append({
                "id": e["id"], "doc_id": doc_id, "sentence_id": index.sentence(e["trigger"]["start"])["id"],
                "trigger": {k: e["trigger"][k] for k in ("start", "end", "text")}, "type": e["type"], "realis": e["realis"],
                "cluster": e["cluster"], "cluster_description": cluster["description"] if cluster else None, "arguments": args,
            })
    return rows


def stance_rows(tree: Tree) -> list[dict]:
    rows = []
    for doc_id in sorted(tree.docs):
        index = _Index(tree.docs[doc_id])
        mentions = {m["id"]: m for m in tree.mentions(doc_id)}
        records = [s for s in _records(tree, "stance") if s.get("doc") == doc_id]
        for s in sorted(records, key=lambda s: (s["evidence"]["start"], s["evidence"]["end"], s["id"])):
            holder = mentions.get(s["holder"])
            rows.append({
                "id": s["id"], "doc_id": doc_id, "paragraph_id": index.paragraph(s["evidence"]["start"])["id"],
                "holder": s["holder"], "holder_entity": holder["entity"] if holder else None, "holder_text": holder["text"] if holder else None,
                "target": s["target"], "polarity": s["polarity"], "source": s["source"],
                "evidence": {k: s["evidence"][k] for k in ("start", "end", "text")}, "quote": s["quote"], "exceptions": list(s["exceptions"]),
            })
    return rows


ROWS = {"entities": entity_rows, "ner": ner_rows, "events": event_rows, "stance": stance_rows}


def config_rows(tree: Tree, metadata: dict, config: str) -> list[dict]:
    return document_rows(tree, metadata) if config == "documents" else ROWS[config](tree)
