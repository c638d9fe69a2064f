"""One synthetic document: assembling sentence units into a text, and projecting annotations.

``assemble`` picks units and lays them out as paragraphs (with the hazards of real files:
blank and no-break-space-only lines, indented lines, several kinds of spaces between
sentences, a final newline or none); ``project`` turns the units' relative annotations into
the standoff records of the assembled document, with ids in text order.
"""
from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

from .synth_pool import Unit

SENTENCE_GAPS = (" ", " ", " ", " ", "  ", "\u00a0")
LINE_GAPS = ("\n", "\n", "\n", "\n\n", "\n\u00a0\n", "\n  ")
ROLE_REASON = "Role of the source paragraph this synthetic paragraph was made from."
UNKNOWN = "Synthetic document made by `visectalks synth`; it has no real provenance."
LICENCE = "Synthetic text recombined from the seed articles, whose copyright belongs to their publishers."


@dataclass
class Pools:
    """Validated variants: joinable body sentences, and stand-alone paragraphs by role."""

    body: list[Unit]
    standalone: dict[str, list[Unit]]


@dataclass
class Draft:
    doc_id: str
    text: str
    roles: list[dict]
    placed: list[tuple[int, Unit]]


def doc_id(i: int, n: int) -> str:
    return f"d{i:0{max(3, len(str(max(n - 1, 0))))}d}"


def _paragraphs(rng: random.Random, pools: Pools, max_paragraphs: int) -> list[tuple[str, list[Unit]]]:
    paras = []
    for _ in range(rng.randint(1, max_paragraphs)):
        if pools.standalone.get("body") and rng.random() < 0.1:
            paras.append(("body", [rng.choice(pools.standalone["body"])]))
        else:
            paras.append(("body", [rng.choice(pools.body) for _ in range(rng.choice((1, 2, 2, 3)))]))
    extra = [r for r in sorted(pools.standalone) if r != "body"]
    if extra and rng.random() < 0.35:
        role = rng.choice(extra)
        unit = rng.choice(pools.standalone[role])
        at = 0 if role == "heading" and rng.random() < 0.5 else (1 if role == "caption" else len(paras))
        paras.insert(min(at, len(paras)), (role, [unit]))
    return paras


def assemble(i: int, n: int, pools: Pools, seed: int, max_paragraphs: int) -> Draft:
    """Document ``i`` of ``n``: a deterministic function of the pools, the seed and ``i``."""
    rng = random.Random(f"{seed}:doc:{i}")
    text, placed, roles = "", [], []
    for number, (role, units) in enumerate(_paragraphs(rng, pools, max_paragraphs), start=1):
        if text:
            text += rng.choice(LINE_GAPS)
        start = len(text)
        for k, unit in enumerate(units):
            if k:
                text += rng.choice(SENTENCE_GAPS)
            placed.append((len(text), unit))
            text += unit.text
        if role != "body":
            roles.append({"paragraph": number, "role": role, "starts_with": text[start:start + 24].rstrip(), "reason": ROLE_REASON})
    if rng.random() < 0.5:
        text += "\n"
    return Draft(doc_id(i, n), text, roles, placed)


def seed_record(draft: Draft, i: int) -> dict:
    """The metadata.json record of a synthetic seed (every provenance field unknown)."""
    digest = hashlib.sha256(draft.text.encode("utf-8")).hexdigest()
    name = hashlib.sha256(f"{draft.doc_id}\n{draft.text}".encode("utf-8")).hexdigest()[:16]
    unknown = {"value": None, "status": "unknown", "reason": UNKNOWN}
    fields = {k: dict(unknown) for k in ("outlet", "author", "title", "url", "publication_date")}
    return {"id": draft.doc_id, "file": f"{i % 1000:03d}_{name}.txt", "sha256": digest, "language": "vi", **fields,
            "license": {"value": None, "status": "unknown", "reason": LICENCE}, "paragraph_roles": draft.roles}


def _span(text: str, start: int, end: int) -> dict:
    return {"start": start, "end": end, "text": text[start:end]}


def _mentions(doc: dict, placed: list[tuple[int, Unit]]) -> tuple[list[dict], dict]:
    found = [(o + m["start"], o + m["end"], u, k, m) for u, (o, unit) in enumerate(placed) for k, m in enumerate(unit.mentions)]
    found.sort(key=lambda f: (f[0], -f[1], f[2], f[3]))
    ids, out = {}, []
    for n, (s, e, u, k, m) in enumerate(found, start=1):
        ids[(u, k)] = f"{doc['id']}-M{n:03d}"
        out.append({"id": ids[(u, k)], "doc": doc["id"], **_span(doc["text"], s, e), "type": m["type"], "entity": m["entity"], "flags": list(m["flags"])})
    return out, ids


def _events(doc: dict, placed: list[tuple[int, Unit]], ids: dict) -> list[dict]:
    found = sorted((o + e["start"], o + e["end"], u, k, e) for u, (o, unit) in enumerate(placed) for k, e in enumerate(unit.events))
    out = []
    for n, (s, e_end, u, _k, ev) in enumerate(found, start=1):
        args = [{"role": a["role"], "ref": ids[(u, a["ref"])]} for a in ev["arguments"]]
        out.append({"id": f"{doc['id']}-E{n:03d}", "doc": doc["id"], "trigger": _span(doc["text"], s, e_end), "type": ev["type"],
                    "realis": ev["realis"], "cluster": ev["cluster"], "arguments": args})
    return out


def _stance(doc: dict, placed: list[tuple[int, Unit]], ids: dict) -> list[dict]:
    quote_ids = {(q["start"], q["end"]): q["id"] for q in doc["quotes"]}
    found = sorted((o + st["start"], o + st["end"], u, k, st, o) for u, (o, unit) in enumerate(placed) for k, st in enumerate(unit.stance))
    out = []
    for n, (s, e, u, _k, st, o) in enumerate(found, start=1):
        quote = quote_ids[(o + st["quote"]["start"], o + st["quote"]["end"])] if st["quote"] else None
        holder = "AUTHOR" if st["holder"] == "AUTHOR" else ids[(u, st["holder"])]
        out.append({"id": f"{doc['id']}-S{n:03d}", "doc": doc["id"], "holder": holder, "target": st["target"], "polarity": st["polarity"],
                    "source": st["source"], "evidence": _span(doc["text"], s, e), "quote": quote, "exceptions": []})
    return out


def project(doc: dict, placed: list[tuple[int, Unit]]) -> dict[str, list[dict]]:
    """The entity, event and stance records of a built document assembled from ``placed``."""
    mentions, ids = _mentions(doc, placed)
    return {"entities": mentions, "events": _events(doc, placed, ids), "stance": _stance(doc, placed, ids)}
