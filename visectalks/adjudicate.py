"""Adjudication: list the disagreements between two passes, and apply logged decisions.

Items are keyed by offsets, so they do not depend on either pass's ids:
- entity items by (document, start, end) — type, flags or presence differ;
- event items by (document, trigger start, trigger end) — type, realis, arguments or presence differ;
- stance items by (document, holder entity, target, polarity) — present in one pass only.

A decision keeps pass A's version (``a``), takes pass B's (``b``) or drops both (``neither``).
Applying decisions edits the gold in place: records taken from B get fresh ids after the
highest id of their document (ids are never renumbered); the decision log
``annotations/adjudication.jsonl`` records each item, both versions, the decision and the rule.
"""
from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

from .agreement import entity_map
from .jsonio import read_jsonl, write_json, write_jsonl
from .layers import Tree, load_tree


def _by(records, key):
    out = defaultdict(list)
    for r in records:
        out[key(r)].append(r)
    return out


def _flat(tree: Tree, layer: str) -> list[dict]:
    return [r for recs in tree.layers[layer].values() for r in recs]


def _mention_view(tree: Tree) -> dict[str, dict]:
    return {m["id"]: m for m in _flat(tree, "entities")}


def event_view(e: dict, mentions: dict) -> dict:
    """An event without ids: arguments as (role, mention text, start, end)."""
    args = sorted((a["role"], mentions[a["ref"]]["text"], mentions[a["ref"]]["start"], mentions[a["ref"]]["end"]) for a in e["arguments"])
    return {"type": e["type"], "realis": e["realis"], "cluster": e["cluster"], "trigger": e["trigger"]["text"], "arguments": [list(a) for a in args]}


def stance_view(s: dict, mentions: dict) -> dict:
    holder = "AUTHOR" if s["holder"] == "AUTHOR" else mentions[s["holder"]]["text"]
    return {"holder": holder, "target": s["target"], "polarity": s["polarity"], "source": s["source"], "evidence": s["evidence"]["text"],
            "exceptions": s["exceptions"]}


def cluster_map(a: Tree, b: Tree) -> dict[str, str]:
    """Map B's cluster ids onto A's by majority over triggers with the same span."""
    by_span = {(e["doc"], e["trigger"]["start"], e["trigger"]["end"]): e["cluster"] for e in _flat(a, "events")}
    votes: dict[str, dict] = defaultdict(lambda: defaultdict(int))
    for e in _flat(b, "events"):
        k = (e["doc"], e["trigger"]["start"], e["trigger"]["end"])
        if e["cluster"] and by_span.get(k):
            votes[e["cluster"]][by_span[k]] += 1
    return {c: max(v, key=v.get) for c, v in votes.items()}


def disagreements(a: Tree, b: Tree) -> list[dict]:
    items = []
    ma, mb = _mention_view(a), _mention_view(b)
    ents_a = _by(_flat(a, "entities"), lambda m: (m["doc"], m["start"], m["end"]))
    ents_b = _by(_flat(b, "entities"), lambda m: (m["doc"], m["start"], m["end"]))
    for k in sorted(set(ents_a) | set(ents_b)):
        va = sorted((m["type"], tuple(m["flags"])) for m in ents_a.get(k, []))
        vb = sorted((m["type"], tuple(m["flags"])) for m in ents_b.get(k, []))
        if va != vb:
            items.append({"item": f"entity:{k[0]}:{k[1]}:{k[2]}", "layer": "entities", "doc": k[0], "text": (ents_a.get(k) or ents_b.get(k))[0]["text"],
                          "pass_a": [list(x) for x in va], "pass_b": [list(x) for x in vb]})
    cmap = cluster_map(a, b)
    ev_a = _by(_flat(a, "events"), lambda e: (e["doc"], e["trigger"]["start"], e["trigger"]["end"]))
    ev_b = _by(_flat(b, "events"), lambda e: (e["doc"], e["trigger"]["start"], e["trigger"]["end"]))
    for k in sorted(set(ev_a) | set(ev_b)):
        va = [event_view(e, ma) for e in ev_a.get(k, [])]
        vb = [event_view(e, mb) for e in ev_b.get(k, [])]
        for v in vb:
            v["cluster"] = cmap.get(v["cluster"], v["cluster"]) if v["cluster"] else None
        if va != vb:
            items.append({"item": f"event:{k[0]}:{k[1]}:{k[2]}", "layer": "events", "doc": k[0], "text": (va or vb)[0]["trigger"], "pass_a": va, "pass_b": vb})
    emap = entity_map(a, b)
    ents_a_id = {m["id"]: m["entity"] for m in ma.values()}
    ents_b_id = {m["id"]: emap.get(m["entity"], m["entity"]) for m in mb.values()}
    key_a = lambda s: (s["doc"], "AUTHOR" if s["holder"] == "AUTHOR" else ents_a_id[s["holder"]], s["target"], s["polarity"])  # noqa: E731
    key_b = lambda s: (s["doc"], "AUTHOR" if s["holder"] == "AUTHOR" else ents_b_id[s["holder"]], s["target"], s["polarity"])  # noqa: E731
    st_a, st_b = _by(_flat(a, "stance"), key_a), _by(_flat(b, "stance"), key_b)
    for k in sorted(set(st_a) | set(st_b)):
        if (k in st_a) != (k in st_b):
            items.append({"item": "stance:" + ":".join(k), "layer": "stance", "doc": k[0],
                          "pass_a": [stance_view(s, ma) for s in st_a.get(k, [])], "pass_b": [stance_view(s, mb) for s in st_b.get(k, [])]})
    return items


def _next_id(records: list[dict], doc: str, letter: str) -> str:
    nums = [int(re.sub(r"\D", "", r["id"].split("-")[-1])) for r in records] or [0]
    return f"{doc}-{letter}{max(nums) + 1:03d}"


def apply(layout, decisions: list[dict], name_b: str = "b") -> None:
    """Apply ``b`` / ``neither`` decisions to the gold (``a`` keeps the gold as it is)."""
    gold, b = load_tree(layout), load_tree(layout, name_b)
    mb = _mention_view(b)
    gold_by_span = {(m["doc"], m["start"], m["end"]): m["id"] for m in _flat(gold, "entities")}
    cmap = cluster_map(gold, b)
    b_clusters = {c["id"]: c for c in (b.clusters or [])}
    clusters = list(gold.clusters or [])
    emap = entity_map(gold, b)
    ents_g = {m["id"]: m["entity"] for m in _flat(gold, "entities")}
    ents_b = {m["id"]: emap.get(m["entity"], m["entity"]) for m in mb.values()}
    for d in decisions:
        layer, doc = d["layer"], d["doc"]
        recs = gold.layers[layer].setdefault(doc, [])
        if d["decision"] == "a":
            continue
        if layer == "events":
            _, _, s, e = d["item"].split(":")
            keep = [r for r in recs if (r["trigger"]["start"], r["trigger"]["end"]) != (int(s), int(e))]
            if d["decision"] == "b":
                for ev in b.layers["events"][doc]:
                    if (ev["trigger"]["start"], ev["trigger"]["end"]) == (int(s), int(e)):
                        new = json.loads(json.dumps(ev))
                        new["id"] = _next_id(recs + keep, doc, "E")
                        new["arguments"] = [{"role": x["role"], "ref": gold_by_span[(doc, mb[x["ref"]]["start"], mb[x["ref"]]["end"])]} for x in ev["arguments"]]
                        if new["cluster"]:
                            mapped = cmap.get(new["cluster"])
                            if mapped is None and new["cluster"] not in {c["id"] for c in clusters}:
                                clusters.append(b_clusters[new["cluster"]])
                            new["cluster"] = mapped or new["cluster"]
                        keep.append(new)
            gold.layers[layer][doc] = sorted(keep, key=lambda r: (r["trigger"]["start"], r["id"]))
        elif layer == "stance":
            key = tuple(d["item"].split(":")[1:])
            keep = [r for r in recs if (r["doc"], "AUTHOR" if r["holder"] == "AUTHOR" else ents_g[r["holder"]], r["target"], r["polarity"]) != key]
            if d["decision"] == "b":
                for st in b.layers["stance"][doc]:
                    if (st["doc"], "AUTHOR" if st["holder"] == "AUTHOR" else ents_b[st["holder"]], st["target"], st["polarity"]) == key:
                        new = json.loads(json.dumps(st))
                        new["id"] = _next_id(recs + keep, doc, "S")
                        if st["holder"] != "AUTHOR":
                            h = mb[st["holder"]]
                            new["holder"] = gold_by_span[(doc, h["start"], h["end"])]
                        keep.append(new)
            gold.layers[layer][doc] = sorted(keep, key=lambda r: (r["evidence"]["start"], r["id"]))
        elif layer == "entities":
            raise ValueError("entity decisions are applied by editing annotations/entities/ directly")
    for layer in ("events", "stance"):
        for doc, recs in gold.layers[layer].items():
            write_jsonl(layout.layer(layer) / f"{doc}.jsonl", recs)
    used = {e["cluster"] for recs in gold.layers["events"].values() for e in recs if e["cluster"]}
    write_json(layout.layer("events") / "clusters.json", sorted((c for c in clusters if c["id"] in used), key=lambda c: c["id"]))


def _cmd_list(args) -> int:
    from .paths import layout

    lay = layout(args.root)
    items = disagreements(load_tree(lay, args.a), load_tree(lay, args.b))
    out = Path(args.out)
    write_jsonl(out, items)
    if not args.quiet:
        print(f"{len(items)} disagreement(s) written to {out}")
    return 0


def check_decisions(decisions: list, items: list[dict], shown: str) -> list:
    """Each decision must match the schema and name a current disagreement with its versions."""
    from .errors import Problem, pointer
    from .validate import schema_problems

    current = {i["item"]: i for i in items}
    problems = []
    for k, d in enumerate(decisions):
        found = schema_problems("adjudication", d, shown, f"line {k + 1}", (k,))
        if found:
            problems += found
            continue
        item = current.get(d["item"])
        if item is None or item["layer"] != d["layer"] or item["doc"] != d["doc"]:
            problems.append(Problem("VST002", shown, d["item"], pointer(k, "item"), "not a disagreement between the passes"))
        elif item["pass_a"] != d["pass_a"] or item["pass_b"] != d["pass_b"]:
            problems.append(Problem("VST002", shown, d["item"], pointer(k, "pass_a"), "the versions differ from the passes' current records"))
        elif d["layer"] == "entities" and d["decision"] != "a":
            problems.append(Problem("VST002", shown, d["item"], pointer(k, "decision"), "entity decisions are applied by editing annotations/entities/"))
    return problems


def _cmd_apply(args) -> int:
    from .errors import ProblemsError
    from .paths import layout

    lay = layout(args.root)
    shown = "annotations/adjudication.jsonl"
    decisions, problems = read_jsonl(lay.annotations / "adjudication.jsonl", shown)
    if not problems:
        problems = check_decisions(decisions, disagreements(load_tree(lay, "a"), load_tree(lay, args.b)), shown)
    if problems:
        raise ProblemsError(problems)
    apply(lay, decisions, args.b)
    return 0


def register(sub, add) -> None:
    p = add("disagreements", _cmd_list, "List the items on which two annotation sets disagree (for adjudication).")
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("--out", default="reports/disagreements.jsonl")
    p = add("adjudicate", _cmd_apply, "Apply the decisions of annotations/adjudication.jsonl to the gold events and stance.")
    p.add_argument("--b", default="b", help="the pass that 'b' decisions take records from")
