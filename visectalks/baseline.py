"""``visectalks baseline``: an off-the-shelf Vietnamese NER scored against the entity gold.

The tool is underthesea's default ``ner`` (``deep=False``): a CRF trained on VLSP 2016 whose
model file ships inside the wheel, so it runs offline and deterministically. (Its ``deep=True``
model is downloaded from the Hugging Face Hub at run time, so it is not used.)

Scoring is on the corpus syllable tokens, one sequence per corpus sentence, with seqeval in
strict IOB2 mode. The tool's words are aligned to the syllable tokens through the characters
of the text (``align``); see ``reports/baseline.md`` for the figures and the alignment counts.
"""
from __future__ import annotations

import hashlib
import sys
from collections import Counter
from difflib import SequenceMatcher
from pathlib import Path

from . import iob
from .iob import Span
from .jsonio import dumps, write_text_atomic
from .layers import Tree, load_tree
from .paths import Layout, layout as make_layout

# underthesea's CRF emits VLSP 2016 labels; the map is explicit so that a new label in a later
# release stops the baseline instead of being scored as something else.
TOOL_TO_VLSP = {"PER": "PER", "ORG": "ORG", "LOC": "LOC", "MISC": "MISC"}
SCHEME = "IOB2 strict"
# Alignment counts reported (zero counts included, so that a change shows in the diff).
ALIGNMENT_KEYS = ("words", "words_on_token_boundaries", "words_inside_a_token", "words_unaligned",
                  "sentences_with_changed_characters", "entities_snapped", "entities_unaligned", "entities_overlapping_dropped")


def tool_info() -> dict:
    import underthesea

    return {"name": "underthesea", "version": underthesea.__version__}


def run_tool(sentence: str) -> list[tuple[str, str]]:
    """(word, IOB tag) pairs from underthesea's CRF NER for one sentence."""
    from underthesea import ner

    return [(row[0], row[-1]) for row in ner(sentence, deep=False)]


# ---------------------------------------------------------------- alignment

def align(text: str, start: int, end: int, words: list[str]) -> list[tuple[int, int] | None]:
    """Character span in ``text`` of each tool word, the words being read from ``text[start:end]``.

    The tool drops whitespace and may normalise characters (accent placement, some letter
    forms), so its words are matched to the text on non-space characters: identical runs and
    same-length substitutions map one to one, anything else maps nothing. A word with no
    mapped character gets None.
    """
    positions = [i for i in range(start, end) if not text[i].isspace()]
    source = "".join(text[i] for i in positions)
    owner = [k for k, w in enumerate(words) for ch in w if not ch.isspace()]
    produced = "".join(ch for w in words for ch in w if not ch.isspace())
    mapped: list[int | None] = [None] * len(produced)
    if produced == source:
        mapped = list(positions)
    else:
        for op, i1, i2, j1, j2 in SequenceMatcher(None, produced, source, autojunk=False).get_opcodes():
            if op == "equal" or (op == "replace" and i2 - i1 == j2 - j1):
                mapped[i1:i2] = positions[j1:j2]
    spans: list[tuple[int, int] | None] = [None] * len(words)
    for k, pos in zip(owner, mapped):
        if pos is not None:
            old = spans[k]
            spans[k] = (pos, pos + 1) if old is None else (min(old[0], pos), max(old[1], pos + 1))
    return spans


def snap(span: tuple[int, int], tokens: list[tuple[int, int]]) -> tuple[int, int] | None:
    """Widen a character span to the syllable tokens it overlaps (None if it overlaps none)."""
    inside = [t for t in tokens if t[0] < span[1] and span[0] < t[1]]
    return (inside[0][0], inside[-1][1]) if inside else None


def tool_spans(word_spans: list[tuple[int, int] | None], tags: list[str], tokens: list[tuple[int, int]]) -> tuple[list[Span], Counter]:
    """The tool's entities as syllable-token spans with VLSP labels, plus alignment counts.

    Chunks are read from the word tags with seqeval's ``get_entities`` (an I- tag without a
    B- opens a chunk, as in conlleval).
    """
    from seqeval.metrics.sequence_labeling import get_entities

    stats: Counter = Counter()
    spans: list[Span] = []
    for label, i, j in get_entities(list(tags)):
        if label not in TOOL_TO_VLSP:
            raise ValueError(f"underthesea produced an unknown label {label!r}; extend TOOL_TO_VLSP")
        parts = [s for s in word_spans[i : j + 1] if s is not None]
        snapped = snap((parts[0][0], parts[-1][1]), tokens) if parts else None
        if snapped is None:
            stats["entities_unaligned"] += 1
            continue
        stats["entities_snapped"] += snapped != (parts[0][0], parts[-1][1])
        spans.append((snapped[0], snapped[1], TOOL_TO_VLSP[label]))
    kept, dropped = iob.outermost(spans)
    stats["entities_overlapping_dropped"] += len(dropped)
    return kept, stats


def word_stats(word_spans: list[tuple[int, int] | None], tokens: list[tuple[int, int]]) -> Counter:
    starts, ends = {t[0] for t in tokens}, {t[1] for t in tokens}
    stats: Counter = Counter(words=len(word_spans))
    for span in word_spans:
        if span is None:
            stats["words_unaligned"] += 1
        elif span[0] in starts and span[1] in ends:
            stats["words_on_token_boundaries"] += 1
        else:
            stats["words_inside_a_token"] += 1
    return stats


def predict_document(doc: dict) -> tuple[list[Span], Counter]:
    """Run the tool sentence by sentence; return its spans on syllable tokens and counts."""
    text, stats, spans = doc["text"], Counter(), []
    for sent, units in zip(doc["sentences"], iob.sentence_units(doc, "tokens")):
        tokens = [(t["start"], t["end"]) for t in units]
        pairs = run_tool(sent["text"])
        words, tags = [w for w, _ in pairs], [t for _, t in pairs]
        word_spans = align(text, sent["start"], sent["end"], words)
        found, counts = tool_spans(word_spans, tags, tokens)
        spans += found
        stats += counts + word_stats(word_spans, tokens)
        stats["sentences_with_changed_characters"] += "".join("".join(words).split()) != "".join(sent["text"].split())
    return spans, stats


# ---------------------------------------------------------------- scoring

def prf(correct_p: int, n_pred: int, correct_g: int, n_gold: int) -> dict:
    p = correct_p / n_pred if n_pred else 0.0
    r = correct_g / n_gold if n_gold else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0}


def partial(gold: list[tuple], pred: list[tuple]) -> dict:
    """Overlap scores: a predicted span counts if it overlaps a gold span (of the same type, or
    of any type); a gold span is found if a predicted one overlaps it. Spans are
    ``(doc, start, end, label)``."""
    def overlaps(a, b, same_type):
        return a[0] == b[0] and a[1] < b[2] and b[1] < a[2] and (not same_type or a[3] == b[3])

    out = {}
    for key, same in (("overlap_same_type", True), ("overlap_any_type", False)):
        hit_p = sum(any(overlaps(p, g, same) for g in gold) for p in pred)
        hit_g = sum(any(overlaps(g, p, same) for p in pred) for g in gold)
        out[key] = prf(hit_p, len(pred), hit_g, len(gold))
    return out


def score(y_true: list[list[str]], y_pred: list[list[str]]) -> dict:
    """seqeval strict IOB2: per type (VLSP order), micro and macro averages."""
    from seqeval.metrics import classification_report
    from seqeval.scheme import IOB2

    report = classification_report(y_true, y_pred, mode="strict", scheme=IOB2, output_dict=True, zero_division=0)

    def pick(row: dict) -> dict:
        return {"precision": round(float(row["precision"]), 4), "recall": round(float(row["recall"]), 4),
                "f1": round(float(row["f1-score"]), 4), "support": int(row["support"])}

    per_type = {t: pick(report[t]) for t in iob.vlsp_types() if t in report}
    return {"micro": pick(report["micro avg"]), "macro": pick(report["macro avg"]), "per_type": per_type}


def evaluate(tree: Tree) -> tuple[dict, dict]:
    """(results for baseline.json, details for the Markdown report)."""
    y_true, y_pred, gold, pred, stats, per_doc = [], [], [], [], Counter(), {}
    for doc_id in sorted(tree.docs):
        doc = tree.docs[doc_id]
        g = iob.flat_gold(tree.mentions(doc_id), "vlsp")
        p, counts = predict_document(doc)
        stats += counts
        yt, yp = iob.sentence_tags(doc, "tokens", g), iob.sentence_tags(doc, "tokens", p)
        y_true += yt
        y_pred += yp
        per_doc[doc_id] = score(yt, yp)["micro"]
        gold += [(doc_id, *s) for s in g]
        pred += [(doc_id, *s) for s in p]
    results = {"tool": tool_info(), "scheme": SCHEME, **score(y_true, y_pred), "partial": partial(gold, pred),
               "counts": {"documents": len(tree.docs), "sentences": len(y_true), "tokens": sum(map(len, y_true)),
                          "gold_spans": len(gold), "predicted_spans": len(pred)},
               "alignment": {k: stats[k] for k in ALIGNMENT_KEYS}}
    return results, {"per_doc": per_doc, "gold": gold, "pred": pred, "texts": {d: tree.docs[d]["text"] for d in tree.docs}}


# ---------------------------------------------------------------- report

def _pct(x: float) -> str:
    return f"{100 * x:.1f}"


def _errors(details: dict, limit: int = 12) -> list[str]:
    """Most frequent misses and false alarms, by surface form."""
    gold, pred, texts = set(details["gold"]), set(details["pred"]), details["texts"]
    counts: Counter = Counter()
    for kind, mine, other in (("missed", gold - pred, pred), ("spurious", pred - gold, gold)):
        for d, s, e, label in mine:
            near = sorted({o[3] for o in other if o[0] == d and o[1] < e and s < o[2]})
            counts[(kind, texts[d][s:e], label, "/".join(near) or "—")] += 1
    rows = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    return [f"| {k} | {t} | {lab} | {near} | {n} |" for (k, t, lab, near), n in rows]


def render_md(results: dict, details: dict) -> str:
    from . import inventory

    tool, c, a = results["tool"], results["counts"], results["alignment"]
    lines = ["# NER baseline", "", "Generated by `visectalks baseline` (and `visectalks build`); do not edit.", "",
             f"Tool: **{tool['name']} {tool['version']}**, `underthesea.ner(sentence, deep=False)`: the CRF model that ships in "
             "the wheel (VLSP 2016 labels), run offline, one corpus sentence at a time. Its labels map one to one onto VLSP "
             "(" + ", ".join(f"{k} → {v}" for k, v in TOOL_TO_VLSP.items()) + ").", "",
             "Gold: the entity layer mapped to VLSP through `schema/inventory.json` ("
             + ", ".join(f"{k} → {v or 'O'}" for k, v in inventory.vlsp_map().items())
             + "), then flattened to the outermost spans (a span inside another is dropped, as IOB2 cannot nest).", "",
             f"Data: {c['documents']} documents, {c['sentences']} sentences, {c['tokens']} syllable tokens, "
             f"{c['gold_spans']} gold spans, {c['predicted_spans']} predicted spans.", "",
             f"## Exact match (seqeval, {results['scheme']}, syllable tokens)", "",
             "| type | precision | recall | F1 | support |", "|---|---:|---:|---:|---:|"]
    rows = [(t, v) for t, v in results["per_type"].items()] + [("micro avg", results["micro"]), ("macro avg", results["macro"])]
    lines += [f"| {t} | {_pct(v['precision'])} | {_pct(v['recall'])} | {_pct(v['f1'])} | {v['support']} |" for t, v in rows]
    lines += ["", "## Partial match", "",
              "A predicted span counts as correct if it overlaps a gold span (of the same type, or of any type); a gold span "
              "counts as found if some predicted span overlaps it.", "",
              "| criterion | precision | recall | F1 |", "|---|---:|---:|---:|"]
    lines += [f"| {k.replace('_', ' ')} | {_pct(v['precision'])} | {_pct(v['recall'])} | {_pct(v['f1'])} |" for k, v in results["partial"].items()]
    lines += ["", "## Per document (micro, exact)", "", "| document | precision | recall | F1 | support |", "|---|---:|---:|---:|---:|"]
    lines += [f"| {d} | {_pct(v['precision'])} | {_pct(v['recall'])} | {_pct(v['f1'])} | {v['support']} |" for d, v in details["per_doc"].items()]
    lines += ["", "## Alignment of the tool's words to the syllable tokens", "",
              "The tool segments the text into its own words; each word is located in the text by its characters (ignoring "
              "whitespace; a same-length character change from the tool's normalisation maps one to one) and each predicted "
              "entity is widened to the syllable tokens it overlaps.", "",
              "| count | value |", "|---|---:|"]
    lines += [f"| {k.replace('_', ' ')} | {v} |" for k, v in a.items()]
    lines += ["", "## Most frequent errors (exact match)", "", "| error | text | type | overlapping type(s) in the other set | count |",
              "|---|---|---|---|---:|", *_errors(details), ""]
    return "\n".join(lines)


# ---------------------------------------------------------------- outputs and command

_CACHE: dict[str, tuple[dict, dict]] = {}


def _digest(layout: Layout) -> str:
    h = hashlib.sha256(repr(tool_info()).encode())
    h.update((layout.schema / "inventory.json").read_bytes() if (layout.schema / "inventory.json").exists() else b"")
    for folder, pattern in ((layout.corpus, "*.json"), (layout.layer("entities"), "*.jsonl")):
        for path in sorted(Path(folder).glob(pattern)):
            h.update(path.name.encode() + path.read_bytes())
    return h.hexdigest()


def results(layout: Layout) -> dict:
    """The figures of reports/baseline.json, computed from the corpus and the entity gold.

    Cached per input content, so the build and the datasheet can both ask without rerunning
    the tool.
    """
    return _compute(layout)[0]


def _compute(layout: Layout) -> tuple[dict, dict]:
    key = _digest(layout)
    if key not in _CACHE:
        _CACHE[key] = evaluate(load_tree(layout))
    return _CACHE[key]


def build_outputs(layout: Layout) -> dict[Path, str]:
    """reports/baseline.json and reports/baseline.md (called by ``visectalks build``)."""
    res, details = _compute(layout)
    return {layout.reports / "baseline.json": dumps(res), layout.reports / "baseline.md": render_md(res, details)}


def _cmd_baseline(args) -> int:
    from .errors import ProblemsError
    from .validate import check_tree

    lay = make_layout(args.root)
    problems = check_tree(load_tree(lay), coverage=False)
    if problems:
        raise ProblemsError(problems)
    for path, content in build_outputs(lay).items():
        write_text_atomic(path, content)
    if not args.quiet:
        m = results(lay)["micro"]
        print(f"baseline: micro P {_pct(m['precision'])} R {_pct(m['recall'])} F1 {_pct(m['f1'])}; wrote {lay.reports}/baseline.md and .json", file=sys.stderr)
    return 0


def register(sub, add) -> None:
    add("baseline", _cmd_baseline, "Run underthesea's NER on the corpus, score it against the entity gold (seqeval, strict IOB2) and write reports/baseline.md and .json.")
