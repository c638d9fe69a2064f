"""``visectalks datasheet``: the generated blocks of DATASHEET.md and the figures in docs/figures/.

DATASHEET.md is written by hand except for blocks between ``<!-- BEGIN GENERATED name -->`` and
``<!-- END GENERATED name -->``, which this module rewrites from the corpus, the gold layers
and the reports. Figures are PNG files drawn with matplotlib (Agg, no pyplot state).

Each PNG carries the SHA-256 of the data it plots (text chunk ``visectalks-data``). A figure
whose recorded data equals the current data is kept byte for byte, so that another matplotlib
or FreeType release (which may move pixels) does not make an unchanged figure look stale; a
figure is redrawn as soon as its data or its drawing spec changes.
"""
from __future__ import annotations

import hashlib
import io
import json
import re
import sys
from collections import Counter
from pathlib import Path

from . import inventory, stats
from .jsonio import write_bytes_atomic
from .layers import Tree
from .paths import Layout
from .release_rows import SPLITS

FIGURE_DIR = Path("docs") / "figures"
DATA_KEY = "visectalks-data"
BEGIN = "<!-- BEGIN GENERATED {name}: rewritten by `visectalks datasheet`; do not edit by hand -->"
END = "<!-- END GENERATED {name} -->"
BLOCKS = ("provenance", "statistics", "agreement", "baseline", "figures")
SKELETON = "# Datasheet for ViSecTalks-2022\n\n" + "".join(f"{BEGIN.format(name=b)}\n{END.format(name=b)}\n\n" for b in BLOCKS)
STYLE = 3  # bump when the drawing code changes, so every figure is redrawn


# ------------------------------------------------------------------ figure data

def figure_specs(tree: Tree) -> dict[str, dict]:
    """name -> what to plot: title, axis label, categories and one series per stack segment."""
    docs = sorted(tree.docs)
    roles = inventory.names("paragraph_roles")
    specs = {}
    syll = {d: Counter() for d in docs}
    for d in docs:
        doc = tree.docs[d]
        para_role = {p["id"]: p["role"] for p in doc["paragraphs"]}
        sent_of = [(s["start"], s["end"], para_role[s["paragraph_id"]]) for s in doc["sentences"]]
        for t in doc["tokens"]:
            role = next(r for s, e, r in sent_of if s <= t["start"] < e)
            syll[d][role] += 1
    specs["tokens_by_role"] = {"title": "Tokens per document, by paragraph role", "xlabel": "tokens (syllables, numbers, punctuation)",
                                  "categories": docs, "series": {r: [syll[d][r] for d in docs] for r in roles if any(syll[d][r] for d in docs)}}
    layers = {layer: stats.layer_records(tree, layer) for layer in ("entities", "events", "stance")}
    if layers["entities"]:
        types = inventory.names("entity_types")
        c = Counter((m["type"], stats.split_name(m["doc"])) for m in layers["entities"])
        specs["entity_types"] = {"title": "Entity mentions per type, by split", "xlabel": "mentions", "categories": types,
                                 "series": {s: [c[(t, s)] for t in types] for s in SPLITS}}
    if layers["events"]:
        types = inventory.names("event_types")
        c = Counter((e["type"], e["realis"]) for e in layers["events"])
        specs["event_types"] = {"title": "Event mentions per PLOVER type, by realis", "xlabel": "event mentions", "categories": types,
                                "series": {r: [c[(t, r)] for t in types] for r in inventory.names("realis")}}
    if layers["stance"]:
        targets = inventory.names("stance_targets")
        c = Counter((s["target"], s["polarity"]) for s in layers["stance"])
        specs["stance_targets"] = {"title": "Stance records per target, by polarity", "xlabel": "stance records", "categories": targets,
                                   "series": {p: [c[(t, p)] for t in targets] for p in inventory.names("stance_polarities")}}
    return specs


def data_hash(spec: dict) -> str:
    return hashlib.sha256(json.dumps({"style": STYLE, **spec}, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def render(spec: dict) -> bytes:
    """Draw one horizontal stacked bar chart as PNG bytes (deterministic for one matplotlib build)."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    cats = spec["categories"]
    fig = Figure(figsize=(8.0, max(2.6, 0.9 + 0.32 * len(cats))), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    left = [0] * len(cats)
    colours = matplotlib.colormaps["tab10"].colors
    for k, (name, values) in enumerate(spec["series"].items()):
        ax.barh(range(len(cats)), values, left=left, label=name, color=colours[k % len(colours)])
        left = [a + b for a, b in zip(left, values)]
    ax.set_yticks(range(len(cats)), labels=cats)
    ax.invert_yaxis()
    ax.set_xlabel(spec["xlabel"])
    ax.set_title(spec["title"])
    for y, total in enumerate(left):
        ax.text(total, y, f" {total}", va="center", fontsize=8)
    ax.set_xlim(0, max(left + [1]) * 1.12)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None, DATA_KEY: data_hash(spec), "matplotlib": matplotlib.__version__})
    return buf.getvalue()


def png_text(data: bytes) -> dict[str, str]:
    """The tEXt chunks of a PNG (keyword -> text), read without an imaging library."""
    out, pos = {}, 8
    while pos + 8 <= len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        kind = data[pos + 4:pos + 8]
        if kind == b"tEXt":
            key, _, value = data[pos + 8:pos + 8 + length].partition(b"\0")
            out[key.decode("latin-1")] = value.decode("latin-1")
        pos += 12 + length
    return out


def figure_bytes(spec: dict, existing: Path) -> bytes:
    """The existing PNG if it plots the same data, else a fresh drawing."""
    if existing.exists():
        old = existing.read_bytes()
        if png_text(old).get(DATA_KEY) == data_hash(spec):
            return old
    return render(spec)


# ------------------------------------------------------------------ DATASHEET blocks

def statistics_md(tree: Tree) -> str:
    parts = ["Documents (tokens: syllables, numbers and punctuation marks; words: from the segmenter):\n\n",
             stats.documents_table(tree), "\nParagraphs by role:\n\n", stats.paragraph_roles_table(tree)]
    if tree.layers["entities"]:
        parts += ["\nEntity mentions per type and split (VLSP: the type in the `vlsp_ner_tags` column):\n\n", stats.mentions_table(tree)]
    if tree.layers["events"]:
        parts += ["\nEvent mentions per type and realis:\n\n", stats.events_table(tree)]
    if tree.layers["stance"]:
        parts += ["\nStance records per target and polarity:\n\n", stats.stance_table(tree)]
    return "".join(parts)


def figures_md(specs: dict) -> str:
    return "".join(f"![{spec['title']}]({(FIGURE_DIR / f'{name}.png').as_posix()})\n\n" for name, spec in specs.items()).rstrip("\n") + "\n"


def blocks(layout: Layout, tree: Tree, metadata: dict, specs: dict) -> dict[str, str]:
    from .card import passes_md, provenance_table, unknown_summary

    return {
        "provenance": (unknown_summary(metadata) + " From `seeds/metadata.json` (status: `stated` in the text, `likely` from clues "
                       "in the text; unknown values are null there, with their reason):\n\n" + provenance_table(metadata)),
        "statistics": statistics_md(tree),
        "agreement": passes_md(layout) + "\n\n" + stats.agreement_md(stats.read_report(layout, "agreement")),
        "baseline": stats.baseline_md(stats.read_report(layout, "baseline")),
        "figures": figures_md(specs),
    }


def fill(text: str, contents: dict[str, str]) -> str:
    """Replace the body of every generated block; a block whose markers are missing is an error."""
    for name, body in contents.items():
        pattern = re.compile(re.escape(BEGIN.format(name=name)) + r"\n.*?" + re.escape(END.format(name=name)), re.S)
        if not pattern.search(text):
            raise ValueError(f"DATASHEET.md lacks the markers of the generated block {name!r}: {BEGIN.format(name=name)} … {END.format(name=name)}")
        text = pattern.sub(lambda _m: f"{BEGIN.format(name=name)}\n{body}{END.format(name=name)}", text, count=1)
    return text


def build_outputs(layout: Layout) -> dict[Path, str | bytes]:
    """DATASHEET.md with fresh generated blocks, and one PNG per figure."""
    from .release import load_checked

    tree, metadata = load_checked(layout)
    specs = figure_specs(tree)
    path = layout.root / "DATASHEET.md"
    current = path.read_text(encoding="utf-8") if path.exists() else SKELETON
    out: dict[Path, str | bytes] = {path: fill(current, blocks(layout, tree, metadata, specs))}
    for name, spec in specs.items():
        png = layout.root / FIGURE_DIR / f"{name}.png"
        out[png] = figure_bytes(spec, png)
    return out


def _cmd_datasheet(args) -> int:
    from .paths import layout as make_layout

    lay = make_layout(args.root)
    outputs = build_outputs(lay)
    data = {p: c.encode("utf-8") if isinstance(c, str) else c for p, c in outputs.items()}
    if args.check:
        stale = [p for p, d in data.items() if not p.exists() or p.read_bytes() != d]
        for p in stale:
            print(f"stale: {p.relative_to(lay.root)}")
        return 1 if stale else 0
    written = [p for p, d in sorted(data.items()) if write_bytes_atomic(p, d)]
    if not args.quiet:
        print(f"datasheet: {len(data)} files, {len(written)} written", file=sys.stderr)
    return 0


def register(sub, add) -> None:
    p = add("datasheet", _cmd_datasheet, "Rewrite the generated blocks of DATASHEET.md and the figures in docs/figures/.")
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 and list the files that are out of date")
