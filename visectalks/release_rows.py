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
        self.paragraphs = {p["id"]: p for p in doc["paragraphs"]}
        self._tok_starts: list[int] | None = None

    @property
    def tok_starts(self) -> list[int]:
        if self._tok_starts is None:
            self._tok_starts = [t["start"] for t in self.doc["tokens"]]
        return self._tok_starts

    def sentence(self, pos: int) -> dict:
        return self.doc["sentences"][bisect.bisect_right(self.sent_starts, pos) - 1]

    def paragraph(self, pos: int) -> dict:
        return self.doc["paragraphs"][bisect.bisect_right(self.para_starts, pos) - 1]

    def tokens(self, start: int, end: int) -> list[dict]:
        starts = self.tok_starts
        lo = bisect.bisect_left(starts, start)
        hi = bisect.bisect_left(starts, end)
        return self.doc["tokens"][lo:hi]


def _records(tree: Tree, layer: str) -> list[dict]:
    return [r for recs in tree.layers[layer].values() for r in recs if isinstance(r, dict)]


# ---------------------------------------------------------------- one document
#
# Each config's rows of one document, from that document, its records and lookups built once
# (registry and clusters by id, the VLSP map); the whole-tree functions below and the sharded
# release (``shards``) both call these, so both give the same rows.

def _document_row(doc_id: str, doc: dict, m: dict, copy: bool = True) -> dict:
    """``copy=False`` shares the sentence, token, word and quote lists with ``doc`` (for a
    caller that neither changes them nor keeps the document)."""
    each = (lambda xs: [dict(x) for x in xs]) if copy else (lambda xs: xs)
    return {
        "id": doc_id, "language": doc["language"], "seed_file": doc["seed_file"], "sha256": doc["sha256"],
        "metadata": {k: {"value": m[k]["value"], "status": m[k]["status"], "reason": m[k]["reason"]} for k in PROVENANCE_FIELDS},
        "segmenter": dict(doc["segmenter"]), "text": doc["text"],
        "paragraphs": [dict(p) for p in doc["paragraphs"]], "sentences": each(doc["sentences"]),
        "tokens": each(doc["tokens"]), "words": each(doc["words"]),
        "quotes": each(doc["quotes"]),
    }


def _by_position(m: dict) -> tuple:
    return m["start"], -m["end"], m["id"]


def doc_entity_rows(doc_id: str, index: _Index, mentions: list[dict], registry: dict) -> list[dict]:
    rows = []
    paragraphs, sentence = index.paragraphs, index.sentence
    spans = [(o["start"], o["end"], o) for o in mentions]
    for m in sorted(mentions, key=_by_position):
        reg = registry.get(m["entity"], {})
        sent = sentence(m["start"])
        rows.append({
            "id": m["id"], "doc_id": doc_id, "sentence_id": sent["id"],
            "paragraph_role": paragraphs[sent["paragraph_id"]]["role"],
            "start": m["start"], "end": m["end"], "text": m["text"], "type": m["type"], "entity": m["entity"],
            "entity_name_vi": reg.get("name_vi"), "entity_name_en": reg.get("name_en"), "wikidata": reg.get("wikidata"),
            "flags": list(m["flags"]), "nested_in": _innermost_container(m, mentions, spans),
        })
    return rows


def doc_ner_rows(doc_id: str, index: _Index, mentions: list[dict], vlsp: dict) -> list[dict]:
    doc = index.doc
    full = [(m["start"], m["end"], m["type"]) for m in outermost(mentions)]
    mapped = [(m["start"], m["end"], vlsp[m["type"]]) for m in outermost([m for m in mentions if vlsp[m["type"]]])]
    tokens = doc["tokens"]
    all_starts, all_texts, all_ends = index.tok_starts, [t["text"] for t in tokens], [t["end"] for t in tokens]
    rows = []
    for sent in doc["sentences"]:
        lo, hi = bisect.bisect_left(all_starts, sent["start"]), bisect.bisect_left(all_starts, sent["end"])  # index.tokens
        starts = all_starts[lo:hi]
        inside = _starting_in(sent)
        rows.append({
            "id": sent["id"], "doc_id": doc_id, "paragraph_role": index.paragraphs[sent["paragraph_id"]]["role"],
            "tokens": all_texts[lo:hi], "token_starts": starts, "token_ends": all_ends[lo:hi],
            "ner_tags": _tags(starts, inside(full)), "vlsp_ner_tags": _tags(starts, inside(mapped)),
        })
    return rows


def doc_event_rows(doc_id: str, index: _Index, events: list[dict], mentions: dict, clusters: dict) -> list[dict]:
    """``events``: the event records of this document; ``mentions``: its mentions by id."""
    rows = []
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


def doc_stance_rows(doc_id: str, index: _Index, records: list[dict], mentions: dict) -> list[dict]:
    """``records``: the stance records of this document; ``mentions``: its mentions by id."""
    rows = []
    for s in sorted(records, key=lambda s: (s["evidence"]["start"], s["evidence"]["end"], s["id"])):
        holder = mentions.get(s["holder"])
        rows.append({
            "id": s["id"], "doc_id": doc_id, "paragraph_id": index.paragraph(s["evidence"]["start"])["id"],
            "holder": s["holder"], "holder_entity": holder["entity"] if holder else None, "holder_text": holder["text"] if holder else None,
            "target": s["target"], "polarity": s["polarity"], "source": s["source"],
            "evidence": {k: s["evidence"][k] for k in ("start", "end", "text")}, "quote": s["quote"], "exceptions": list(s["exceptions"]),
        })
    return rows


class Lookups:
    """What every document's rows look up: registry entries and clusters by id, the VLSP map."""

    def __init__(self, registry: list | None, clusters: list | None):
        self.registry = {r["id"]: r for r in (registry or [])}
        self.clusters = {c["id"]: c for c in (clusters or [])}
        self.vlsp = inventory.vlsp_map()


def one_document_rows(doc: dict, record: dict, layers: dict[str, list], lookups: Lookups, configs) -> dict[str, list[dict]]:
    """Every config's rows of one document: what ``config_rows`` gives on a tree holding only
    this document (``layers[layer]``: the records of its file in that layer), without copying
    the document's span lists into the ``documents`` row."""
    doc_id = record["id"]
    index = _Index(doc)
    mentions = [m for m in layers.get("entities", ()) if isinstance(m, dict)]
    by_id = None
    out: dict[str, list[dict]] = {}
    for c in configs:
        if c == "documents":
            out[c] = [_document_row(doc_id, doc, record, copy=False)]
        elif c == "entities":
            out[c] = doc_entity_rows(doc_id, index, mentions, lookups.registry)
        elif c == "ner":
            out[c] = doc_ner_rows(doc_id, index, mentions, lookups.vlsp)
        else:
            by_id = {m["id"]: m for m in mentions} if by_id is None else by_id
            layer = [r for r in layers.get(c, ()) if isinstance(r, dict) and r.get("doc") == doc_id]
            out[c] = (doc_event_rows(doc_id, index, layer, by_id, lookups.clusters) if c == "events"
                      else doc_stance_rows(doc_id, index, layer, by_id))
    return out


# ---------------------------------------------------------------- whole tree

def document_rows(tree: Tree, metadata: dict) -> list[dict]:
    meta = {d["id"]: d for d in metadata["documents"]}
    return [_document_row(doc_id, tree.docs[doc_id], meta[doc_id]) for doc_id in sorted(tree.docs)]


def _innermost_container(m: dict, mentions: list[dict], spans: list[tuple] | None = None) -> str | None:
    """Id of the smallest other mention that contains ``m`` (spans never cross), or None.
    ``spans``: (start, end, mention) of ``mentions``, when the caller has made them once."""
    best, best_len = None, 0
    ms, me = m["start"], m["end"]
    for os_, oe, o in spans if spans is not None else ((o["start"], o["end"], o) for o in mentions):
        if os_ <= ms and me <= oe and (os_ != ms or oe != me) and o is not m:
            if best is None or oe - os_ < best_len:
                best, best_len = o, oe - os_
    return best["id"] if best else None


def outermost(mentions: list[dict]) -> list[dict]:
    """Flatten nested mentions to the outermost spans, in text order.

    A mention inside a longer one is dropped; spans never cross (VST204) and never repeat with
    the same type (VST203). Two mentions with the same span and different types keep the one
    that comes first in (start, -end, id) order.
    """
    out: list[dict] = []
    for m in sorted(mentions, key=_by_position):
        if out and m["start"] < out[-1]["end"]:
            continue
        out.append(m)
    return out


def entity_rows(tree: Tree) -> list[dict]:
    registry = {r["id"]: r for r in (tree.registry or [])}
    rows = []
    for doc_id in sorted(tree.docs):
        rows += doc_entity_rows(doc_id, _Index(tree.docs[doc_id]), tree.mentions(doc_id), registry)
    return rows


def iob_tags(tokens: list[dict], spans: list[tuple[int, int, str]]) -> list[str]:
    """IOB2 tags of ``tokens`` for non-overlapping ``spans`` that start and end on token boundaries."""
    return _tags([t["start"] for t in tokens], spans)


def _tags(starts: list[int], spans: list[tuple[int, int, str]]) -> list[str]:
    """``iob_tags`` of the tokens starting at ``starts``."""
    tags = ["O"] * len(starts)
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
        rows += doc_ner_rows(doc_id, _Index(tree.docs[doc_id]), tree.mentions(doc_id), vlsp)
    return rows


def event_rows(tree: Tree) -> list[dict]:
    clusters = {c["id"]: c for c in (tree.clusters or [])}
    rows = []
    for doc_id in sorted(tree.docs):
        mentions = {m["id"]: m for m in tree.mentions(doc_id)}
        events = [e for e in _records(tree, "events") if e.get("doc") == doc_id]
        rows += doc_event_rows(doc_id, _Index(tree.docs[doc_id]), events, mentions, clusters)
    return rows


def stance_rows(tree: Tree) -> list[dict]:
    rows = []
    for doc_id in sorted(tree.docs):
        mentions = {m["id"]: m for m in tree.mentions(doc_id)}
        records = [s for s in _records(tree, "stance") if s.get("doc") == doc_id]
        rows += doc_stance_rows(doc_id, _Index(tree.docs[doc_id]), records, mentions)
    return rows


ROWS = {"entities": entity_rows, "ner": ner_rows, "events": event_rows, "stance": stance_rows}


def config_rows(tree: Tree, metadata: dict, config: str) -> list[dict]:
    return document_rows(tree, metadata) if config == "documents" else ROWS[config](tree)
