"""Inter-annotator agreement between two annotation sets of the same corpus.

Works on any two ``Tree``s (gold, a pass, an imported Label Studio annotator). Annotation ids
differ between sets, so everything is compared by offsets: entity mentions by span, event
arguments by the span of the mention they point at, stance holders by registry entity mapped
from set B onto set A through mentions with identical spans.

Metrics:
- entities: exact (span + type) and partial-overlap (overlap + type, one-to-one) P/R/F1, overall
  and per type; Cohen's kappa on type over spans matched exactly by offsets;
- events: trigger P/R/F1 on (span, type); argument P/R/F1 on (trigger span, role, argument span);
  Cohen's kappa on realis for triggers matched by span and type;
- stance: P/R/F1 on (document, holder entity, target, polarity) tuples, overall and per document;
  Cohen's kappa on polarity for records whose evidence overlaps, with the same holder and target;
- clusters: B-cubed precision/recall/F1 over triggers matched by span and type (a mention with
  no cluster is a singleton).
"""
from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

from .jsonio import dumps, write_text_atomic
from .layers import Tree, load_tree


def prf(tp: int, n_a: int, n_b: int) -> dict:
    """Precision of B against A (A is the reference), recall, F1, with the counts."""
    p = tp / n_b if n_b else (1.0 if n_a == 0 else 0.0)
    r = tp / n_a if n_a else (1.0 if n_b == 0 else 0.0)
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), "tp": tp, "a": n_a, "b": n_b}


def kappa(labels_a: list[str], labels_b: list[str]) -> float | None:
    """Cohen's kappa (scikit-learn); 1.0 when both agree on a single label; None with no items."""
    if not labels_a:
        return None
    if len(set(labels_a) | set(labels_b)) == 1:
        return 1.0
    from sklearn.metrics import cohen_kappa_score

    return round(float(cohen_kappa_score(labels_a, labels_b)), 4)


def _mentions(tree: Tree) -> list[dict]:
    return [m for recs in tree.layers["entities"].values() for m in recs]


def entity_agreement(a: Tree, b: Tree) -> dict:
    ma, mb = _mentions(a), _mentions(b)
    exact_a = Counter((m["doc"], m["start"], m["end"], m["type"]) for m in ma)
    exact_b = Counter((m["doc"], m["start"], m["end"], m["type"]) for m in mb)
    out = {"exact": prf(sum((exact_a & exact_b).values()), len(ma), len(mb))}
    out["partial"] = prf(_overlap_matches(ma, mb, lambda x, y: x["type"] == y["type"]), len(ma), len(mb))
    types = sorted({m["type"] for m in ma + mb})
    out["per_type"] = {}
    for t in types:
        ta, tb = [m for m in ma if m["type"] == t], [m for m in mb if m["type"] == t]
        ea = Counter((m["doc"], m["start"], m["end"]) for m in ta)
        eb = Counter((m["doc"], m["start"], m["end"]) for m in tb)
        out["per_type"][t] = {"exact": prf(sum((ea & eb).values()), len(ta), len(tb)),
                              "partial": prf(_overlap_matches(ta, tb, lambda x, y: True), len(ta), len(tb))}
    by_span_b = defaultdict(list)
    for m in mb:
        by_span_b[(m["doc"], m["start"], m["end"])].append(m["type"])
    pairs = [(m["type"], by_span_b[(m["doc"], m["start"], m["end"])].pop(0)) for m in sorted(ma, key=lambda m: (m["doc"], m["start"], m["end"], m["type"]))
             if by_span_b.get((m["doc"], m["start"], m["end"]))]
    out["type_kappa"] = kappa([x for x, _ in pairs], [y for _, y in pairs])
    out["type_kappa_items"] = len(pairs)
    return out


def _overlap_matches(xs: list[dict], ys: list[dict], same) -> int:
    """Greedy one-to-one matching of overlapping spans in the same document."""
    used: set[int] = set()
    tp = 0
    for x in sorted(xs, key=lambda m: (m["doc"], m["start"], m["end"])):
        for k, y in enumerate(ys):
            if k not in used and y["doc"] == x["doc"] and y["start"] < x["end"] and x["start"] < y["end"] and same(x, y):
                used.add(k)
                tp += 1
                break
    return tp


def _events(tree: Tree) -> list[dict]:
    return [e for recs in tree.layers["events"].values() for e in recs]


def _span_of(tree: Tree) -> dict[str, tuple]:
    return {m["id"]: (m["start"], m["end"]) for m in _mentions(tree)}


def event_agreement(a: Tree, b: Tree) -> dict:
    ea, eb = _events(a), _events(b)
    key = lambda e: (e["doc"], e["trigger"]["start"], e["trigger"]["end"], e["type"])  # noqa: E731
    ka, kb = Counter(map(key, ea)), Counter(map(key, eb))
    out = {"trigger": prf(sum((ka & kb).values()), len(ea), len(eb))}
    span_a, span_b = _span_of(a), _span_of(b)

    def args(events, spans):
        return Counter((e["doc"], e["trigger"]["start"], e["trigger"]["end"], arg["role"], spans.get(arg["ref"])) for e in events for arg in e["arguments"])

    aa, ab = args(ea, span_a), args(eb, span_b)
    out["argument"] = prf(sum((aa & ab).values()), sum(aa.values()), sum(ab.values()))
    matched = _matched_events(ea, eb, key)
    out["realis_kappa"] = kappa([x["realis"] for x, _ in matched], [y["realis"] for _, y in matched])
    out["realis_kappa_items"] = len(matched)
    out["per_type"] = {}
    for t in sorted({e["type"] for e in ea + eb}):
        ta, tb = Counter(k for k in ka.elements() if k[3] == t), Counter(k for k in kb.elements() if k[3] == t)
        out["per_type"][t] = prf(sum((ta & tb).values()), sum(ta.values()), sum(tb.values()))
    out["clusters_bcubed"] = bcubed([x.get("cluster") for x, _ in matched], [y.get("cluster") for _, y in matched])
    return out


def _matched_events(ea: list[dict], eb: list[dict], key) -> list[tuple[dict, dict]]:
    pool = defaultdict(list)
    for e in eb:
        pool[key(e)].append(e)
    out = []
    for e in sorted(ea, key=key):
        if pool.get(key(e)):
            out.append((e, pool[key(e)].pop(0)))
    return out


def bcubed(clusters_a: list, clusters_b: list) -> dict:
    """B-cubed P/R/F1 of clustering B against A over the same items (None = singleton)."""
    n = len(clusters_a)
    if n == 0:
        return {"precision": None, "recall": None, "f1": None, "items": 0}
    ca = [c if c is not None else ("_single", i) for i, c in enumerate(clusters_a)]
    cb = [c if c is not None else ("_single", i) for i, c in enumerate(clusters_b)]
    p_sum = r_sum = 0.0
    for i in range(n):
        same_a = {j for j in range(n) if ca[j] == ca[i]}
        same_b = {j for j in range(n) if cb[j] == cb[i]}
        both = len(same_a & same_b)
        p_sum += both / len(same_b)
        r_sum += both / len(same_a)
    p, r = p_sum / n, r_sum / n
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0, "items": n}


def entity_map(a: Tree, b: Tree) -> dict[str, str]:
    """Map B's registry ids onto A's by majority over mentions with identical spans."""
    by_span = {(m["doc"], m["start"], m["end"]): m["entity"] for m in _mentions(a)}
    votes: dict[str, Counter] = defaultdict(Counter)
    for m in _mentions(b):
        if (m["doc"], m["start"], m["end"]) in by_span:
            votes[m["entity"]][by_span[(m["doc"], m["start"], m["end"])]] += 1
    return {eid: c.most_common(1)[0][0] for eid, c in votes.items()}


def _stance_tuples(tree: Tree, emap: dict | None) -> list[tuple]:
    ents = {m["id"]: m["entity"] for m in _mentions(tree)}
    out = []
    for recs in tree.layers["stance"].values():
        for s in recs:
            holder = "AUTHOR" if s["holder"] == "AUTHOR" else ents.get(s["holder"], s["holder"])
            if emap is not None and holder != "AUTHOR":
                holder = emap.get(holder, "b:" + holder)
            out.append((s["doc"], holder, s["target"], s["polarity"], s["evidence"]["start"], s["evidence"]["end"]))
    return out


def stance_agreement(a: Tree, b: Tree) -> dict:
    emap = entity_map(a, b)
    ta, tb = _stance_tuples(a, None), _stance_tuples(b, emap)
    sa, sb = {t[:4] for t in ta}, {t[:4] for t in tb}
    out = {"tuple": prf(len(sa & sb), len(sa), len(sb)), "tuple_definition": "set of (document, holder entity, target, polarity)"}
    docs = sorted({t[0] for t in ta + tb})
    out["per_document"] = {d: prf(len({t for t in sa & sb if t[0] == d}), len({t for t in sa if t[0] == d}), len({t for t in sb if t[0] == d})) for d in docs}
    pairs = []
    used: set[int] = set()
    for x in ta:
        for k, y in enumerate(tb):
            if k not in used and x[0] == y[0] and x[1] == y[1] and x[2] == y[2] and y[4] < x[5] and x[4] < y[5]:
                used.add(k)
                pairs.append((x[3], y[3]))
                break
    out["polarity_kappa"] = kappa([p for p, _ in pairs], [q for _, q in pairs])
    out["polarity_kappa_items"] = len(pairs)
    out["per_target"] = {}
    for target in sorted({t[2] for t in sa | sb}):
        xa, xb = {t for t in sa if t[2] == target}, {t for t in sb if t[2] == target}
        out["per_target"][target] = prf(len(xa & xb), len(xa), len(xb))
    return out


def agreement(a: Tree, b: Tree) -> dict:
    """All figures for set B against set A (A is the reference for precision and recall)."""
    return {"entities": entity_agreement(a, b), "events": event_agreement(a, b), "stance": stance_agreement(a, b)}


def markdown(report: dict, name_a: str, name_b: str) -> str:
    e, v, s = report["entities"], report["events"], report["stance"]
    rows = [("Entities, exact span + type", e["exact"]), ("Entities, partial overlap + type", e["partial"]),
            ("Event triggers (span + type)", v["trigger"]), ("Event arguments (role + entity span)", v["argument"]),
            ("Stance tuples (holder, target, polarity)", s["tuple"])]
    out = [f"# Agreement: {name_a} vs {name_b}\n\n", "Precision and recall treat the first set as the reference; F1 is symmetric.\n\n",
           "| layer | F1 | precision | recall | items A | items B |\n|---|---|---|---|---|---|\n"]
    for label, r in rows:
        out.append(f"| {label} | {r['f1']:.3f} | {r['precision']:.3f} | {r['recall']:.3f} | {r['a']} | {r['b']} |\n")
    out.append("\n| chance-corrected / clustering | value | items |\n|---|---|---|\n")
    out.append(f"| Cohen's κ, entity type (exactly matched spans) | {_fmt(e['type_kappa'])} | {e['type_kappa_items']} |\n")
    out.append(f"| Cohen's κ, event realis (matched triggers) | {_fmt(v['realis_kappa'])} | {v['realis_kappa_items']} |\n")
    out.append(f"| Cohen's κ, stance polarity (overlapping evidence, same holder and target) | {_fmt(s['polarity_kappa'])} | {s['polarity_kappa_items']} |\n")
    out.append(f"| B-cubed F1, event clusters (matched triggers) | {_fmt(v['clusters_bcubed']['f1'])} | {v['clusters_bcubed']['items']} |\n")
    out.append("\n## Entities per type (exact)\n\n| type | F1 | A | B |\n|---|---|---|---|\n")
    for t, r in e["per_type"].items():
        out.append(f"| {t} | {r['exact']['f1']:.3f} | {r['exact']['a']} | {r['exact']['b']} |\n")
    out.append("\n## Event triggers per type\n\n| type | F1 | A | B |\n|---|---|---|---|\n")
    for t, r in v["per_type"].items():
        out.append(f"| {t} | {r['f1']:.3f} | {r['a']} | {r['b']} |\n")
    out.append("\n## Stance tuples per document\n\n| document | F1 | A | B |\n|---|---|---|---|\n")
    for d, r in s["per_document"].items():
        out.append(f"| {d} | {r['f1']:.3f} | {r['a']} | {r['b']} |\n")
    return "".join(out)


def _fmt(x) -> str:
    return "—" if x is None else f"{x:.3f}"


def run(layout, name_a: str, name_b: str, out_dir: Path | None = None) -> dict:
    a, b = load_tree(layout, name_a), load_tree(layout, name_b)
    report = {"a": name_a, "b": name_b, **agreement(a, b)}
    out_dir = out_dir or layout.reports
    write_text_atomic(Path(out_dir) / "agreement.json", dumps(report))
    write_text_atomic(Path(out_dir) / "agreement.md", markdown(report, name_a, name_b))
    return report


def _cmd(args) -> int:
    from .paths import layout

    report = run(layout(args.root), args.a, args.b, Path(args.out) if args.out else None)
    if not args.quiet:
        print(markdown(report, args.a, args.b))
    return 0


def register(sub, add) -> None:
    p = add("agreement", _cmd, "Inter-annotator agreement between two annotation sets (gold, a pass name under annotations/passes/, or a folder).")
    p.add_argument("a", help="reference set: 'gold', a pass name (e.g. a) or a folder with entities/ events/ stance/")
    p.add_argument("b", help="the other set, same forms")
    p.add_argument("--out", help="folder for agreement.json and agreement.md (default: reports/)")
