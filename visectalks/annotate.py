"""Turning inline-markup annotation files into standoff layers.

Annotators mark spans in a copy of each document (see ``markup.py``) and write stance records
with exact evidence strings; this module computes every offset from the corpus text, resolves
event arguments and stance holders to entity mention ids, numbers records in text order and
writes the standoff JSON Lines. It is an authoring step: once imported, the standoff files
are the source of truth and are edited there (or through Label Studio).
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from . import markup
from .corpus import load_corpus
from .errors import Problem, ProblemsError
from .jsonio import write_json, write_jsonl
from .paths import Layout
from .validate import paragraph_index


def entities_from_markup(doc: dict, text_markup: str) -> list[dict]:
    spans = markup.to_document_spans(text_markup, doc["text"], "[[", "]]")
    out = []
    for k, s in enumerate(spans, start=1):
        type_, entity, *flags = s.fields
        out.append({"id": f"{doc['id']}-M{k:03d}", "doc": doc["id"], "start": s.start, "end": s.end,
                    "text": doc["text"][s.start:s.end], "type": type_, "entity": entity, "flags": sorted(f for f in flags if f)})
    return out


def registry_from_list(records: list[dict]) -> list[dict]:
    keys = ("id", "type", "name_vi", "name_en", "aliases", "wikidata")
    return sorted(({k: r.get(k) if k != "aliases" else list(dict.fromkeys(r.get("aliases", []))) for k in keys} for r in records), key=lambda r: r["id"])


def snap_to_words(doc: dict, start: int, end: int) -> tuple[int, int]:
    """Extend a span to the whole words of the corpus segmentation that it touches."""
    touched = [w for w in doc["words"] if w["start"] < end and w["end"] > start]
    if not touched:
        return start, end
    return min(w["start"] for w in touched), max(w["end"] for w in touched)


def _sentence(doc: dict, pos: int) -> dict:
    return next(s for s in doc["sentences"] if s["start"] <= pos < s["end"])


def resolve_in(mentions: list[dict], lo: int, hi: int, value: str, warn) -> dict | None:
    """The mention in [lo, hi) whose text is ``value`` (``value#n`` for the n-th)."""
    name, _, nth = value.partition("#")
    index = int(nth) - 1 if nth else 0
    inside = sorted((m for m in mentions if lo <= m["start"] and m["end"] <= hi), key=lambda m: (m["start"], -m["end"]))
    exact = [m for m in inside if m["text"] == name.strip()]
    if len(exact) > index:
        return exact[index]
    loose = [m for m in inside if name.strip() in m["text"] or m["text"] in name.strip()]
    if loose:
        warn(f"argument {value!r} matched mention {loose[0]['id']} {loose[0]['text']!r} loosely")
        return loose[min(index, len(loose) - 1)]
    return None


def events_from_markup(doc: dict, text_markup: str, mentions: list[dict], warn) -> list[dict]:
    spans = markup.to_document_spans(text_markup, doc["text"], "{{", "}}")
    out = []
    for s in spans:
        fields = s.fields + [""] * (4 - len(s.fields))
        type_, realis, cluster, args = fields[0], fields[1], fields[2], "|".join(fields[3:])
        start, end = snap_to_words(doc, s.start, s.end)
        sentence = _sentence(doc, start)
        arguments = []
        for part in filter(None, (a.strip() for a in args.split(";"))):
            role, _, value = part.partition("=")
            m = resolve_in(mentions, sentence["start"], sentence["end"], value, warn)
            if m is None:
                warn(f"{doc['id']} trigger {doc['text'][start:end]!r}: argument {part!r} has no entity mention in its sentence; left out")
                continue
            arguments.append({"role": role.strip(), "ref": m["id"]})
        out.append({"doc": doc["id"], "trigger": {"start": start, "end": end, "text": doc["text"][start:end]}, "type": type_,
                    "realis": realis, "cluster": None if cluster in ("-", "") else cluster, "arguments": arguments})
    out.sort(key=lambda e: (e["trigger"]["start"], e["trigger"]["end"], e["type"]))
    return [{"id": f"{doc['id']}-E{k:03d}", **e} for k, e in enumerate(out, start=1)]


def find_text(text: str, needle: str, occurrence: int = 1) -> tuple[int, int] | None:
    """Locate ``needle`` in ``text`` treating any run of whitespace as equal."""
    pattern = r"\s+".join(re.escape(part) for part in needle.split())
    matches = list(re.finditer(pattern, text))
    if len(matches) < occurrence:
        return None
    return matches[occurrence - 1].span()


def stance_from_records(doc: dict, records: list[dict], mentions: list[dict], warn) -> list[dict]:
    out = []
    for r in records:
        found = find_text(doc["text"], r["evidence"], r.get("evidence_occurrence", 1))
        if found is None:
            warn(f"{doc['id']}: evidence not found: {r['evidence'][:60]!r}")
            continue
        start, end = found
        exceptions = ["holder_in_previous_paragraph"] if r.get("holder_in_previous_paragraph") else []
        holder = "AUTHOR"
        if r["holder"] != "AUTHOR":
            k = paragraph_index(doc, start)
            if exceptions:
                k -= 1
            para = doc["paragraphs"][k]
            m = _holder(mentions, para, start, end, r, warn)
            if m is None:
                warn(f"{doc['id']}: holder {r['holder']!r} not found for evidence {r['evidence'][:40]!r}; record left out")
                continue
            holder = m["id"]
        quote = None
        inner = [q for q in doc["quotes"] if q["start"] < start and end < q["end"]]
        if inner:
            quote = min(inner, key=lambda q: q["end"] - q["start"])["id"]
        out.append({"doc": doc["id"], "holder": holder, "target": r["target"], "polarity": r["polarity"], "source": r["source"],
                    "evidence": {"start": start, "end": end, "text": doc["text"][start:end]}, "quote": quote if r["source"] == "direct_quote" or quote else None,
                    "exceptions": exceptions})
    out.sort(key=lambda s: (s["evidence"]["start"], s["evidence"]["end"], s["holder"], s["target"]))
    return [{"id": f"{doc['id']}-S{k:03d}", **s} for k, s in enumerate(out, start=1)]


def _holder(mentions, para, start, end, r, warn):
    name = r["holder"].strip()
    cands = sorted((m for m in mentions if para["start"] <= m["start"] and m["end"] <= para["end"] and m["text"] == name), key=lambda m: m["start"])
    if not cands:
        cands = sorted((m for m in mentions if para["start"] <= m["start"] and m["end"] <= para["end"] and (name in m["text"] or m["text"] in name)), key=lambda m: m["start"])
        if cands:
            warn(f"holder {name!r} matched {cands[0]['text']!r} loosely")
    if not cands:
        return None
    if r.get("holder_occurrence"):
        return cands[min(r["holder_occurrence"], len(cands)) - 1]
    if r.get("holder_in_previous_paragraph"):
        return cands[-1]
    inside = [m for m in cands if start <= m["start"] and m["end"] <= end]
    if inside:
        return inside[0]
    before = [m for m in cands if m["start"] < start]
    return before[-1] if before else cands[0]


def cluster_conflicts(clusters: list[dict], events: dict[str, list[dict]], mentions: dict[str, dict]) -> list[dict]:
    """Record, per cluster, TIME and PLACE arguments whose texts disagree across mentions."""
    out = []
    for c in clusters:
        by_role: dict[str, dict[str, list[str]]] = {}
        for evs in events.values():
            for ev in evs:
                if ev["cluster"] != c["id"]:
                    continue
                for a in ev["arguments"]:
                    if a["role"] in ("TIME",):
                        m = mentions[a["ref"]]
                        value = re.sub(r"^(ngày|hôm)\s+", "", m["text"]).split("/20")[0]
                        by_role.setdefault(a["role"], {}).setdefault(value, []).append(m["id"])
        conflicts = [{"role": role, "values": {k: sorted(v) for k, v in sorted(vals.items())}} for role, vals in sorted(by_role.items()) if len(vals) > 1]
        out.append({"id": c["id"], "description": c["description"], "date_text": c.get("date_text"), "place_text": c.get("place_text"), "conflicts": conflicts})
    return sorted(out, key=lambda c: c["id"])


def import_markup(layout: Layout, entities_dir: Path | None, events_dir: Path | None, pass_name: str | None = None) -> list[str]:
    docs = load_corpus(layout.corpus)
    warnings: list[str] = []
    warn = warnings.append
    ent_out = layout.layer("entities", pass_name)
    mentions: dict[str, list[dict]] = {}
    if entities_dir:
        for doc_id, doc in docs.items():
            mentions[doc_id] = entities_from_markup(doc, (entities_dir / f"{doc_id}.ent.txt").read_text(encoding="utf-8"))
        registry = registry_from_list(json.loads((entities_dir / "registry.json").read_text(encoding="utf-8")))
    else:
        for doc_id in docs:
            path = ent_out / f"{doc_id}.jsonl"
            mentions[doc_id] = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()] if path.exists() else []
    if events_dir:
        events = {d: events_from_markup(docs[d], (events_dir / f"{d}.evt.txt").read_text(encoding="utf-8"), mentions[d], warn) for d in docs}
        stance_records: dict[str, list] = {d: [] for d in docs}
        for line in (events_dir / "stance.jsonl").read_text(encoding="utf-8").splitlines():
            if line.strip():
                r = json.loads(line)
                stance_records[r["doc"]].append(r)
        stance = {d: stance_from_records(docs[d], stance_records[d], mentions[d], warn) for d in docs}
        by_id = {m["id"]: m for ms in mentions.values() for m in ms}
        clusters = cluster_conflicts(json.loads((events_dir / "clusters.json").read_text(encoding="utf-8")), events, by_id)
    if entities_dir:
        for doc_id, ms in mentions.items():
            write_jsonl(ent_out / f"{doc_id}.jsonl", ms)
        write_json(ent_out / "registry.json", registry)
    if events_dir:
        for doc_id in docs:
            write_jsonl(layout.layer("events", pass_name) / f"{doc_id}.jsonl", events[doc_id])
            write_jsonl(layout.layer("stance", pass_name) / f"{doc_id}.jsonl", stance[doc_id])
        write_json(layout.layer("events", pass_name) / "clusters.json", clusters)
    for w in warnings:
        print("warning:", w, file=sys.stderr)
    return warnings
