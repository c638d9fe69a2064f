"""Several annotators on the same Label Studio tasks: agreement and a majority merge.

Each annotator's records are compared by content, never by id (regions drawn in Label Studio
get different ids for different annotators):

- an entity mention by (start, end, type, registry id, flags);
- an event by (trigger span, type, realis, cluster, arguments as (role, mention span));
- a stance by (evidence span, target, polarity, source, holder as AUTHOR or mention span,
  quote, exceptions).

Policy: a record goes into the merged set when more than half of the annotators who submitted
the document made exactly that record; at exactly half, the preferred annotator decides (it is kept if they made it).
With two annotators this is "the preferred annotator's set, plus the list of disagreements".
Every record that not all annotators made is listed in the disagreements, with who made it
and whether it was kept. A merged record keeps the project id it had in Label Studio (the
preferred annotator's if several); records drawn in Label Studio get fresh ids after the
highest id ever used for the document. An event argument or a stance holder whose mention is
not in the merged set is dropped (the stance with it) and listed.
"""
from __future__ import annotations

from collections import defaultdict

from .labelstudio import ID_LETTER, id_number, place

Sets = dict[str, dict[str, list[dict]]]        # layer -> document -> records


def _ref(m: dict) -> tuple:
    """A mention as an argument or a holder: its span (its type and link are the mention's business)."""
    return (m["start"], m["end"])


def entity_key(m: dict, _mentions: dict) -> tuple:
    return (m["start"], m["end"], m["type"], m["entity"], tuple(m["flags"]))


def event_key(ev: dict, mentions: dict) -> tuple:
    args = tuple((a["role"], _ref(mentions[a["ref"]]) if a["ref"] in mentions else ("?", a["ref"])) for a in ev["arguments"])
    return (ev["trigger"]["start"], ev["trigger"]["end"], ev["type"], ev["realis"], ev["cluster"], args)


def stance_key(st: dict, mentions: dict) -> tuple:
    holder = "AUTHOR" if st["holder"] == "AUTHOR" else (_ref(mentions[st["holder"]]) if st["holder"] in mentions else ("?", st["holder"]))
    return (st["evidence"]["start"], st["evidence"]["end"], st["target"], st["polarity"], st["source"], holder, st["quote"], tuple(st["exceptions"]))


KEYS = {"entities": entity_key, "events": event_key, "stance": stance_key}


def _keep(holders: list[str], n: int, prefer: str) -> bool:
    return 2 * len(holders) > n or (2 * len(holders) == n and prefer in holders)


def _view(layer: str, rec: dict, mentions: dict) -> dict:
    """A record without ids, references spelled out: what the disagreement list shows."""
    out = {k: v for k, v in rec.items() if k not in ("id", "doc")}
    show = lambda ref: {k: mentions[ref][k] for k in ("start", "end", "text", "type")} if ref in mentions else ref
    if layer == "events":
        out["arguments"] = [{"role": a["role"], "mention": show(a["ref"])} for a in rec["arguments"]]
    if layer == "stance" and rec["holder"] != "AUTHOR":
        out["holder"] = show(rec["holder"])
    return out


class DocMerge:
    """Merging one document's records from several annotators, layer by layer."""

    def __init__(self, doc_id: str, sets: dict[str, dict[str, list[dict]]], fresh: dict[str, set], prefer: str, floor: dict[str, int]):
        self.doc_id, self.sets, self.fresh, self.prefer = doc_id, sets, fresh, prefer
        self.names = sorted(sets)
        self.mentions = {a: {m["id"]: m for m in sets[a].get("entities", [])} for a in self.names}
        self.top = {layer: max([floor.get(layer, 0)] + [id_number(r["id"], doc_id, letter) or 0 for a in self.names
                                                       for r in sets[a].get(layer, []) if r["id"] not in fresh.get(a, set())])
                    for layer, letter in ID_LETTER.items()}
        self.merged: dict[str, list[dict]] = {layer: [] for layer in ID_LETTER}
        self.by_ref: dict[tuple, str] = {}
        # the preferred annotator's file order is kept; other records are placed in text order
        self.position: dict[str, int | None] = {}
        self.disagreements: list[dict] = []

    def votes(self, layer: str) -> dict[tuple, list[tuple[str, dict, int]]]:
        """Record key -> [(annotator, record, position in the annotator's file)]."""
        out: dict[tuple, list] = defaultdict(list)
        for a in self.names:
            seen = set()
            for k, rec in enumerate(self.sets[a].get(layer, [])):
                key = KEYS[layer](rec, self.mentions[a])
                if key not in seen:
                    seen.add(key)
                    out[key].append((a, rec, k))
        return out

    def choose_id(self, layer: str, holders: list[tuple[str, dict, int]], taken: set) -> str | None:
        known = [(a != self.prefer, id_number(r["id"], self.doc_id, ID_LETTER[layer]), r["id"]) for a, r, _k in holders
                 if r["id"] not in self.fresh.get(a, set())]
        for _not_preferred, _n, rid in sorted(known):
            if rid not in taken:
                return rid
        return None

    def new_id(self, layer: str) -> str:
        self.top[layer] += 1
        return f"{self.doc_id}-{ID_LETTER[layer]}{self.top[layer]:03d}"

    def run_layer(self, layer: str) -> None:
        taken: set = set()
        n = len(self.names)
        for key, holders in sorted(self.votes(layer).items(), key=lambda kv: (kv[0][0], kv[0][1], repr(kv[0]))):
            names = [a for a, _r, _k in holders]
            keep = _keep(names, n, self.prefer)
            source_name, rec, k = next((h for h in holders if h[0] == self.prefer), holders[0])
            merged = self.resolve(layer, dict(rec), self.mentions[source_name], names) if keep else None
            if merged is not None:
                rid = self.choose_id(layer, holders, taken) or self.new_id(layer)
                taken.add(rid)
                merged["id"] = rid
                self.merged[layer].append(merged)
                self.position[rid] = k if source_name == self.prefer else None
                if layer == "entities":
                    self.by_ref.setdefault(_ref(merged), rid)
            if len(names) < n or (keep and merged is None):
                note = {"doc": self.doc_id, "layer": layer, "record": _view(layer, rec, self.mentions[source_name]),
                        "annotators": names, "kept": merged is not None}
                if keep and merged is None:
                    note["dropped_because"] = "its holder's mention is not in the merged set"
                self.disagreements.append(note)
        recs = self.merged[layer]
        ordered = sorted((r for r in recs if self.position.get(r["id"]) is not None), key=lambda r: self.position[r["id"]])
        self.merged[layer] = place(ordered, [r for r in recs if self.position.get(r["id"]) is None])

    def resolve(self, layer: str, rec: dict, mentions: dict, names: list[str]) -> dict | None:
        """Point references at merged mentions; None if a stance loses its holder."""
        if layer == "events":
            args = []
            for a in rec["arguments"]:
                rid = self.by_ref.get(_ref(mentions[a["ref"]])) if a["ref"] in mentions else None
                if rid is None:
                    self.disagreements.append({"doc": self.doc_id, "layer": layer, "record": _view(layer, rec, mentions), "annotators": names,
                                               "kept": True, "argument_dropped": {"role": a["role"], "mention": _view("entities", mentions[a["ref"]], {}) if a["ref"] in mentions else a["ref"]}})
                    continue
                args.append({"role": a["role"], "ref": rid})
            rec["arguments"] = args
        if layer == "stance" and rec["holder"] != "AUTHOR":
            rid = self.by_ref.get(_ref(mentions[rec["holder"]])) if rec["holder"] in mentions else None
            if rid is None:
                return None
            rec["holder"] = rid
        return rec

    def run(self) -> dict[str, list[dict]]:
        for layer in ID_LETTER:
            self.run_layer(layer)
        return self.merged


def merge(per_annotator: dict[str, Sets], fresh: dict[str, set], prefer: str, floors: dict[str, dict[str, int]]) -> tuple[Sets, list[dict]]:
    """Majority merge of every document; returns the merged sets and the disagreement list."""
    docs = sorted({d for sets in per_annotator.values() for layer in sets.values() for d in layer})
    merged: Sets = {layer: {} for layer in ID_LETTER}
    notes: list[dict] = []
    for d in docs:
        # only the annotators who submitted this document vote on it
        voters = [a for a in per_annotator if any(d in per_annotator[a].get(layer, {}) for layer in ID_LETTER)]
        sets = {a: {layer: per_annotator[a].get(layer, {}).get(d, []) for layer in ID_LETTER} for a in voters}
        m = DocMerge(d, sets, fresh, prefer, floors.get(d, {}))
        for layer, recs in m.run().items():
            merged[layer][d] = recs
        notes += m.disagreements
    return merged, notes


def _docs(sets: Sets) -> set[str]:
    return {d for layer in sets.values() for d in layer}


def pairwise_agreement(per_annotator: dict[str, Sets], make_tree) -> dict:
    """Agreement of every pair of annotators on the documents both submitted, with
    ``visectalks.agreement.agreement``; ``make_tree`` turns a set into a ``Tree``."""
    from .agreement import agreement

    names = sorted(per_annotator)
    out = {}
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            common = _docs(per_annotator[a]) & _docs(per_annotator[b])
            if not common:
                continue
            only = lambda sets: {layer: {d: r for d, r in docs.items() if d in common} for layer, docs in sets.items()}
            out[f"{a} vs {b}"] = {"documents": sorted(common),
                                  **agreement(make_tree(only(per_annotator[a])), make_tree(only(per_annotator[b])))}
    return out
