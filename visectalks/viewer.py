"""``visectalks view``: a static HTML site for reading the annotations in any browser.

One page per document (entity, event-trigger and stance-evidence highlights, layer toggles,
paragraph roles, hover details, links to the registry), an index with counts and a registry
page. Every piece of corpus or annotation text goes through ``html.escape``; the pages carry
a Content-Security-Policy that allows only the site's own script and style sheet.

Highlights nest as the annotations do. Where two annotations cross (an evidence span that
ends inside a name, say), the later one is split: its first element carries the annotation's
id, the others the class ``cont`` and the same ``data-id``.
"""
from __future__ import annotations

import html
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from . import inventory, viewer_assets
from .errors import ProblemsError
from .jsonio import read_json, write_text_atomic
from .layers import Tree, load_tree
from .paths import Layout, layout as make_layout

KINDS = {"stn": "Stance evidence", "ent": "Entities", "evt": "Event triggers"}  # outermost first
CSP = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:"
# Problems that make a page impossible to draw; other validation problems do not stop the viewer.
BLOCKING = {"VST001", "VST002", "VST003", "VST101", "VST102", "VST103", "VST207", "VST301", "VST401", "VST403"}


def esc(value) -> str:
    return html.escape(str(value), quote=True)


@dataclass
class Mark:
    """One highlight: a span of the text and how to draw it."""

    start: int
    end: int
    kind: str
    id: str
    title: str
    classes: list[str] = field(default_factory=list)
    data: dict[str, str] = field(default_factory=dict)
    link: str | None = None

    def open_tag(self, head: bool) -> str:
        classes = " ".join(["ann", self.kind, *self.classes] + ([] if head else ["cont"]))
        attrs = [f'class="{esc(classes)}"', f'data-kind="{self.kind}"', f'data-id="{esc(self.id)}"', f'title="{esc(self.title)}"']
        attrs += [f'data-{k}="{esc(v)}"' for k, v in self.data.items() if v]
        if head:
            attrs.insert(0, f'id="{esc(self.id)}"')
        return f"<span {' '.join(attrs)}>"

    def close_tag(self, at_end: bool) -> str:
        if at_end and self.link:
            return f'<a class="reglink" href="{esc(self.link)}" aria-label="registry entry {esc(self.data.get("entity", ""))}"></a></span>'
        return "</span>"


def render_text(text: str, start: int, end: int, marks: list[Mark], opened: set[str]) -> str:
    """HTML for ``text[start:end]`` with every mark as properly nested spans.

    A mark clipped by this range, or crossed by another, is closed and reopened as a
    continuation element; ``opened`` records the marks already drawn (shared across calls).
    """
    rank = {k: i for i, k in enumerate(KINDS)}
    inside = [m for m in marks if m.start < end and start < m.end]
    cut = lambda m: (max(m.start, start), min(m.end, end))  # noqa: E731
    points = sorted({start, end} | {p for m in inside for p in cut(m)})
    out, stack = [], []
    for here, nxt in zip(points, points[1:] + [end]):
        ending = [m for m in stack if cut(m)[1] == here]
        if ending:
            low = min(stack.index(m) for m in ending)
            reopen = [m for m in stack[low:] if cut(m)[1] != here]
            out += [m.close_tag(m.end == here) for m in reversed(stack[low:])]
            del stack[low:]
            for m in reopen:
                out.append(m.open_tag(False))
                stack.append(m)
        for m in sorted((m for m in inside if cut(m)[0] == here and cut(m)[1] > here), key=lambda m: (-cut(m)[1], rank[m.kind], m.id)):
            out.append(m.open_tag(m.id not in opened))
            opened.add(m.id)
            stack.append(m)
        out.append(esc(text[here:nxt]))
    return "".join(out)


# ---------------------------------------------------------------- marks from the layers

def _mention_label(m: dict | None, ref: str) -> str:
    return f"{m['text']} [{ref}]" if m else f"? [{ref}]"


def entity_marks(tree: Tree, doc_id: str, registry: dict) -> list[Mark]:
    marks = []
    for m in tree.mentions(doc_id):
        rec = registry.get(m["entity"], {})
        names = " / ".join(n for n in (rec.get("name_en"), rec.get("name_vi")) if n)
        title = f"{m['type']} · registry {m['entity']}" + (f" ({names})" if names else "") + "".join(f" · {f}" for f in m["flags"]) + f" · {m['id']}"
        marks.append(Mark(m["start"], m["end"], "ent", m["id"], title, [f"t-{m['type']}", *m["flags"]],
                          {"type": m["type"], "entity": m["entity"]}, f"registry.html#entity-{m['entity']}"))
    return marks


def event_marks(tree: Tree, doc_id: str, mentions: dict) -> list[Mark]:
    marks = []
    for e in tree.layers["events"].get(doc_id, []):
        args = "; ".join(f"{a['role']}: {_mention_label(mentions.get(a['ref']), a['ref'])}" for a in e["arguments"]) or "no arguments"
        title = f"{e['type']} · {e['realis']} · cluster {e['cluster'] or '—'} · {args} · {e['id']}"
        marks.append(Mark(e["trigger"]["start"], e["trigger"]["end"], "evt", e["id"], title, [f"r-{e['realis']}"],
                          {"type": e["type"], "args": " ".join(a["ref"] for a in e["arguments"])}))
    return marks


def stance_marks(tree: Tree, doc_id: str, mentions: dict) -> list[Mark]:
    marks = []
    for s in tree.layers["stance"].get(doc_id, []):
        holder = "AUTHOR" if s["holder"] == "AUTHOR" else _mention_label(mentions.get(s["holder"]), s["holder"])
        extra = (f" · quote {s['quote']}" if s["quote"] else "") + "".join(f" · {x}" for x in s["exceptions"])
        title = f"{s['polarity']} {s['target']} · holder {holder} · {s['source']}{extra} · {s['id']}"
        marks.append(Mark(s["evidence"]["start"], s["evidence"]["end"], "stn", s["id"], title, [f"pol-{s['polarity']}"],
                          {"polarity": s["polarity"], "target": s["target"], "holder": "" if s["holder"] == "AUTHOR" else s["holder"]}))
    return marks


def document_marks(tree: Tree, doc_id: str) -> list[Mark]:
    registry = {r["id"]: r for r in tree.registry or []}
    mentions = {m["id"]: m for m in tree.mentions(doc_id)}
    return stance_marks(tree, doc_id, mentions) + entity_marks(tree, doc_id, registry) + event_marks(tree, doc_id, mentions)


# ---------------------------------------------------------------- pages

def page(title: str, body: str, body_class: str = "") -> str:
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{esc(title)}</title>\n<link rel=\"icon\" href=\"data:,\">\n<link rel=\"stylesheet\" href=\"style.css\">\n"
            f"</head>\n<body class=\"{body_class}\">\n{body}\n<script src=\"viewer.js\"></script>\n</body>\n</html>\n")


def _meta_line(meta: dict) -> str:
    """Outlet, author and date from seeds/metadata.json ("unknown" where the record says so)."""
    fields = [(k, meta[k]) for k in ("outlet", "author", "publication_date") if isinstance(meta.get(k), dict)]
    return esc(" · ".join(f"{k.replace('_', ' ')}: {v.get('value') or 'unknown'}" for k, v in fields))


def document_page(tree: Tree, doc_id: str, meta: dict) -> str:
    doc = tree.docs[doc_id]
    marks = document_marks(tree, doc_id)
    counts = Counter(m.kind for m in marks)
    types = Counter(m.data["type"] for m in marks if m.kind == "ent")
    toggles = "".join(f'<label><input type="checkbox" class="toggle" data-layer="{k}" checked> <span class="{k}">{esc(name)}</span> ({counts[k]})</label>'
                      for k, name in KINDS.items())
    polarities = Counter(m.data["polarity"] for m in marks if m.kind == "stn")
    legend = "".join(f'<span class="swatch t-{esc(t)}">{esc(t)} {types[t]}</span>' for t in inventory.names("entity_types") if types[t])
    legend += "".join(f'<span class="swatch pol-{esc(t)}">{esc(t)} {polarities[t]}</span>' for t in inventory.names("stance_polarities") if polarities[t])
    opened: set[str] = set()
    paras = []
    for p in doc["paragraphs"]:
        paras.append(f'<section class="para role-{esc(p["role"])}" id="{esc(p["id"])}" data-role="{esc(p["role"])}">'
                     f'<div class="role">{esc(p["role"])}</div>'
                     f'<p class="text" lang="vi">{render_text(doc["text"], p["start"], p["end"], marks, opened)}</p></section>')
    body = (f'<header><p class="meta"><a href="index.html">All documents</a> · <a href="registry.html">Registry</a></p>'
            f"<h1>{esc(doc_id)}</h1><p class=\"meta\">{_meta_line(meta)}</p>"
            f'<div class="controls">{toggles}</div><div class="legend">{legend}</div>'
            '</header><div id="details" aria-live="polite">Hover over a highlight for its details.</div>'
            f"<main>{''.join(paras)}</main>")
    return page(f"{doc_id} · ViSecTalks-2022", body)


def doc_counts(tree: Tree, doc_id: str) -> dict[str, int]:
    doc = tree.docs[doc_id]
    return {"paragraphs": len(doc["paragraphs"]), "sentences": len(doc["sentences"]), "tokens": len(doc["tokens"]),
            "entities": len(tree.mentions(doc_id)), "events": len(tree.layers["events"].get(doc_id, [])),
            "stance": len(tree.layers["stance"].get(doc_id, []))}


def index_page(tree: Tree, metas: dict) -> str:
    rows, total = [], Counter()
    heads = ["paragraphs", "sentences", "tokens", "entities", "events", "stance"]
    for doc_id in sorted(tree.docs):
        c = doc_counts(tree, doc_id)
        total.update(c)
        outlet = (metas.get(doc_id, {}).get("outlet") or {}).get("value") or "—"
        rows.append(f'<tr><td><a href="{esc(doc_id)}.html">{esc(doc_id)}</a></td><td>{esc(outlet)}</td>'
                    + "".join(f'<td class="num" data-count="{h}">{c[h]}</td>' for h in heads) + "</tr>")
    rows.append("<tr><th>total</th><th></th>" + "".join(f'<th class="num">{total[h]}</th>' for h in heads) + "</tr>")
    table = ("<table><thead><tr><th>document</th><th>outlet</th>" + "".join(f'<th class="num">{h}</th>' for h in heads)
             + f"</tr></thead><tbody>{''.join(rows)}</tbody></table>")
    body = ("<header><h1>ViSecTalks-2022</h1><p class=\"meta\">Five Vietnamese news articles on the January 2022 "
            "Russia–US/NATO security talks: entities, events and stance. <a href=\"registry.html\">Entity registry and event clusters</a>.</p></header>"
            f"<main>{table}</main>")
    return page("ViSecTalks-2022", body)


def registry_page(tree: Tree) -> str:
    by_entity: dict[str, list[dict]] = {}
    by_cluster: dict[str, list[dict]] = {}
    for doc_id in sorted(tree.docs):
        for m in tree.mentions(doc_id):
            by_entity.setdefault(m["entity"], []).append(m)
        for e in tree.layers["events"].get(doc_id, []):
            if e["cluster"]:
                by_cluster.setdefault(e["cluster"], []).append(e)

    def refs(items: list[dict], label) -> str:
        return ", ".join(f'<a href="{esc(x["doc"])}.html#{esc(x["id"])}">{esc(label(x))}</a>' for x in items) or "—"

    ents = []
    for r in tree.registry or []:
        wd = f' · <a href="https://www.wikidata.org/wiki/{esc(r["wikidata"])}">{esc(r["wikidata"])}</a>' if r.get("wikidata") else ""
        ents.append(f'<dt id="entity-{esc(r["id"])}">{esc(r["name_vi"])} — {esc(r["name_en"])} <small>({esc(r["type"])}, {esc(r["id"])})</small></dt>'
                    f'<dd>aliases: {esc(", ".join(r["aliases"]))}{wd}</dd>'
                    f'<dd>mentions: {refs(by_entity.get(r["id"], []), lambda m: m["id"] + " " + m["text"])}</dd>')
    clusters = []
    for c in tree.clusters or []:
        clusters.append(f'<dt id="cluster-{esc(c["id"])}">{esc(c["id"])}</dt><dd>{esc(c["description"])}</dd>'
                        f'<dd>events: {refs(by_cluster.get(c["id"], []), lambda e: e["id"] + " " + e["trigger"]["text"])}</dd>')
    body = ('<header><p class="meta"><a href="index.html">All documents</a></p><h1>Registry</h1></header>'
            f'<main class="registry"><h2>Entities</h2><dl>{"".join(ents)}</dl><h2>Event clusters</h2><dl>{"".join(clusters)}</dl></main>')
    return page("Registry · ViSecTalks-2022", body)


def stylesheet() -> str:
    rules = [viewer_assets.BASE_CSS.strip()]
    for colour, name in zip(_cycle(viewer_assets.TYPE_COLOURS), inventory.names("entity_types")):
        rules.append(f".ent.t-{name}, .swatch.t-{name} {{ background: {colour}; }}")
    for colour, name in zip(_cycle(viewer_assets.POLARITY_COLOURS), inventory.names("stance_polarities")):
        rules.append(f".stn.pol-{name} {{ border-bottom-color: {colour}; }}")
        rules.append(f".swatch.pol-{name} {{ border-bottom: 3px solid {colour}; }}")
    return "\n".join(rules) + "\n"


def _cycle(items):
    while True:
        yield from items


# ---------------------------------------------------------------- site and command

def _metadata(layout: Layout) -> dict[str, dict]:
    meta, problems = read_json(layout.seeds / "metadata.json", "seeds/metadata.json")
    if problems or not isinstance(meta, dict):
        return {}
    return {d.get("id"): d for d in meta.get("documents", []) if isinstance(d, dict)}


def site(layout: Layout, pass_name: str | None = None) -> dict[str, str]:
    """File name -> content for the whole site; refuses annotations it cannot draw."""
    from .validate import check_tree

    tree = load_tree(layout, pass_name)
    problems = [p for p in check_tree(tree, coverage=False) if p.code in BLOCKING]
    if problems:
        raise ProblemsError(problems)
    metas = _metadata(layout)
    files = {"index.html": index_page(tree, metas), "registry.html": registry_page(tree),
             "style.css": stylesheet(), "viewer.js": viewer_assets.SCRIPT}
    for doc_id in sorted(tree.docs):
        files[f"{doc_id}.html"] = document_page(tree, doc_id, metas.get(doc_id, {}))
    return files


def write_site(layout: Layout, out: Path, pass_name: str | None = None) -> list[Path]:
    files = site(layout, pass_name)
    for name, content in sorted(files.items()):
        write_text_atomic(Path(out) / name, content)
    return [Path(out) / name for name in sorted(files)]


def _cmd_view(args) -> int:
    paths = write_site(make_layout(args.root), args.out, args.pass_name)
    if not args.quiet:
        print(f"view: {len(paths)} files; open {Path(args.out).resolve() / 'index.html'} in a browser", file=sys.stderr)
    return 0


def register(sub, add) -> None:
    p = add("view", _cmd_view, "Write a static HTML site (no server needed) showing the documents with their annotations.")
    p.add_argument("--out", type=Path, default=Path("site"), help="output folder (default: site/)")
    p.add_argument("--pass", dest="pass_name", default=None, help="show annotations/passes/<name>/ instead of the gold")
