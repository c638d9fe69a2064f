"""Corpus statistics and report figures as Markdown tables, for the dataset card and the datasheet.

Everything here is counted from the loaded corpus and gold layers, or read from the reports
other commands write (``reports/agreement.json``, ``reports/baseline.json``); nothing is typed in.
"""
from __future__ import annotations

from . import markdown

import json
from collections import Counter
from pathlib import Path

from . import inventory
from .layers import Tree
from .release_rows import SPLITS


def table(header: list[str], rows: list[list]) -> str:
    """A Markdown table; numbers right-aligned."""
    def cell(v):
        return f"{v:.3f}" if isinstance(v, float) else markdown.cell(v)
    align = ["---:" if rows and all(isinstance(r[i], (int, float)) for r in rows) else "---" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def layer_records(tree: Tree, layer: str) -> list[dict]:
    return [r for recs in tree.layers[layer].values() for r in recs if isinstance(r, dict)]


def split_name(doc_id: str) -> str:
    return next((s for s, docs in SPLITS.items() if doc_id in docs), "-")


def documents_table(tree: Tree) -> str:
    counts = {layer: Counter(r.get("doc") for r in layer_records(tree, layer)) for layer in ("entities", "events", "stance")}
    header = ["document", "split", "characters", "paragraphs", "sentences", "tokens", "words"]
    present = [layer for layer in ("entities", "events", "stance") if tree.layers[layer]]
    header += [{"entities": "mentions", "events": "events", "stance": "stance records"}[layer] for layer in present]
    rows = []
    for doc_id in sorted(tree.docs):
        d = tree.docs[doc_id]
        rows.append([doc_id, split_name(doc_id), len(d["text"]), len(d["paragraphs"]), len(d["sentences"]), len(d["tokens"]), len(d["words"])]
                    + [counts[layer][doc_id] for layer in present])
    rows.append(["total", ""] + [sum(r[i] for r in rows) for i in range(2, len(header))])
    return table(header, rows)


def paragraph_roles_table(tree: Tree) -> str:
    roles = inventory.names("paragraph_roles")
    docs = sorted(tree.docs)
    counts = {d: Counter(p["role"] for p in tree.docs[d]["paragraphs"]) for d in docs}
    rows = [[role] + [counts[d][role] for d in docs] + [sum(counts[d][role] for d in docs)] for role in roles]
    return table(["paragraph role"] + docs + ["total"], rows)


def _cross(records: list[dict], row_key: str, col_key: str, row_labels: list[str], col_labels: list[str], first: str) -> str:
    c = Counter((r[row_key], r[col_key]) for r in records)
    rows = [[lab] + [c[(lab, col)] for col in col_labels] + [sum(c[(lab, col)] for col in col_labels)] for lab in row_labels]
    rows.append(["total"] + [sum(c[(lab, col)] for lab in row_labels) for col in col_labels] + [len(records)])
    return table([first] + col_labels + ["total"], rows)


def mentions_table(tree: Tree) -> str:
    recs = layer_records(tree, "entities")
    splits = list(SPLITS)
    c = Counter((m["type"], split_name(m["doc"])) for m in recs)
    vlsp = inventory.vlsp_map()
    rows = [[t, vlsp[t] or "O"] + [c[(t, s)] for s in splits] + [sum(c[(t, s)] for s in splits)] for t in inventory.names("entity_types")]
    rows.append(["total", ""] + [sum(c[(t, s)] for t in inventory.names("entity_types")) for s in splits] + [len(recs)])
    return table(["type", "VLSP"] + splits + ["total"], rows)


def events_table(tree: Tree) -> str:
    return _cross(layer_records(tree, "events"), "type", "realis", inventory.names("event_types"), inventory.names("realis"), "event type")


def stance_table(tree: Tree) -> str:
    return _cross(layer_records(tree, "stance"), "target", "polarity", inventory.names("stance_targets"), inventory.names("stance_polarities"), "stance target")


def read_report(layout, name: str) -> dict | None:
    """``reports/<name>.json`` as this build will leave it.

    When ``visectalks.<name>`` is itself a build stage, its file is computed here from the same
    inputs (all stages are computed before any is written, so reading the file from disk would
    show the previous build's figures); otherwise the file on disk is read, if there is one.
    """
    import importlib

    from .build import STAGES

    path = layout.reports / f"{name}.json"
    if name in STAGES:
        module = importlib.import_module(f"visectalks.{name}")
        produced = module.build_outputs(layout)
        if path in produced:
            return json.loads(produced[path])
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def _leaves(obj, prefix: str = "") -> list[tuple[str, object]]:
    """(dotted path, value) for every number or short string in a nested report, in file order."""
    out: list[tuple[str, object]] = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            if str(k).startswith("$") or k in ("description", "keys", "comment", "notes"):
                continue
            out += _leaves(v, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out += _leaves(v, f"{prefix}[{i}]")
    elif isinstance(obj, bool) or obj is None:
        out.append((prefix, str(obj).lower() if obj is not None else "null"))
    elif isinstance(obj, (int, float, str)) and len(str(obj)) <= 80:
        out.append((prefix, obj))
    return out


def report_table(report: dict | None, missing: str) -> str:
    """A report's figures as a table of (figure, value), or ``missing`` if there is no report."""
    if report is None:
        return missing + "\n"
    rows = [[k, v] for k, v in _leaves(report)]
    return table(["figure", "value"], rows)


def _get(obj, path: str):
    for key in path.split("."):
        if not isinstance(obj, dict) or key not in obj:
            return None
        obj = obj[key]
    return obj


AGREEMENT_ROWS = (("entities, exact span and type", "entities.exact"), ("entities, overlapping span and type", "entities.partial"),
                  ("event triggers", "events.trigger"), ("event arguments", "events.argument"), ("stance tuples", "stance.tuple"))
AGREEMENT_SCORES = (("Cohen's κ, entity type", "entities.type_kappa", "entities.type_kappa_items"),
                    ("Cohen's κ, event realis", "events.realis_kappa", "events.realis_kappa_items"),
                    ("Cohen's κ, stance polarity", "stance.polarity_kappa", "stance.polarity_kappa_items"),
                    ("B-cubed F1, event clusters", "events.clusters_bcubed.f1", "events.clusters_bcubed.items"))


def agreement_md(report: dict | None) -> str:
    """Agreement tables from ``reports/agreement.json`` (keys named in the table), or a statement that there is none."""
    if report is None:
        return "Agreement has not been computed for this version (no `reports/agreement.json`).\n"
    rows = [[label, f"`{key}`", _get(report, key)["f1"], _get(report, key)["precision"], _get(report, key)["recall"],
             _get(report, key).get("a", ""), _get(report, key).get("b", "")]
            for label, key in AGREEMENT_ROWS if isinstance(_get(report, key), dict) and "f1" in _get(report, key)]
    scores = [[label, f"`{key}`", _get(report, key), _get(report, items) if _get(report, items) is not None else ""]
              for label, key, items in AGREEMENT_SCORES if isinstance(_get(report, key), (int, float))]
    if not rows and not scores:
        return report_table(report, "")
    passes = f"passes `{report.get('a', 'a')}` and `{report.get('b', 'b')}`"
    out = f"Between annotation {passes} (`reports/agreement.json`, written by `visectalks agreement`; precision and recall take `{report.get('a', 'a')}` as the reference):\n\n"
    out += table(["layer", "key", "F1", "precision", "recall", "items a", "items b"], rows) if rows else ""
    out += ("\n" + table(["measure", "key", "value", "items"], scores)) if scores else ""
    if isinstance(report.get("stance"), dict) and report["stance"].get("tuple_definition"):
        out += f"\nStance tuples: {report['stance']['tuple_definition']}.\n"
    return out


def baseline_md(report: dict | None) -> str:
    """Baseline scores from ``reports/baseline.json``, or a statement that there is none."""
    if report is None:
        return "No baseline has been scored for this version (no `reports/baseline.json`).\n"
    tool = report.get("tool") or {}
    counts = report.get("counts") or {}
    scope = f" on {counts['documents']} documents ({counts.get('sentences', '?')} sentences)" if "documents" in counts else ""
    types = ", ".join(report.get("per_type") or {})
    out = (f"`{tool.get('name', '?')}` {tool.get('version', '')} against the gold{scope}, types {types}, scheme {report.get('scheme', '?')} "
           "(`reports/baseline.json`, written by `visectalks baseline`):\n\n")
    rows = [[name] + [_get(report, f"{key}.{m}") for m in ("precision", "recall", "f1")] + [_get(report, f"{key}.support") or ""]
            for name, key in [("micro", "micro"), ("macro", "macro")] + [(t, f"per_type.{t}") for t in (report.get("per_type") or {})]
            if isinstance(_get(report, key), dict)]
    rows += [[f"partial: {k}", v.get("precision"), v.get("recall"), v.get("f1"), ""] for k, v in (report.get("partial") or {}).items() if isinstance(v, dict)]
    if not rows:
        return report_table(report, "")
    return out + table(["", "precision", "recall", "F1", "support"], rows)
