"""Sentence units for synthetic corpora: gold sentences with their annotations, and variants.

A unit is one sentence of the gold corpus together with every annotation that lies wholly
inside it (mentions, events whose arguments are in the sentence, stance records whose holder
and evidence are in the sentence), with offsets relative to the sentence. Variants perturb a
unit (other names of the same type, other digits, no-break spaces, emoji) and move every
offset with the edits, so the annotations stay exact. Each variant is word-segmented once;
documents assembled from variants then reuse those words (see ``synth``), which gives the
same corpus files as the build, at a fraction of the cost.
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass, field, replace

from . import segment
from .layers import Tree
from .validate import alias_forms

SWAPPABLE = ("PER", "ORG", "GPE", "LOC", "NORP", "EVENT", "FAC", "MISC")
NUMERIC = ("DATE", "QUANTITY")
SPACES = ("\u00a0", "\u202f")
EMOJI = ("🔥", "🇺🇦", "🇷🇺", "👨\u200d👩\u200d👧", "✅", "📰", "⚠️", "🕊️")
QUOTE_MARKS = set("“”‘’«»\"'")


@dataclass
class Unit:
    """One sentence with its annotations; offsets are relative to ``text``."""

    text: str
    role: str
    joinable: bool
    mentions: list[dict]
    events: list[dict]
    stance: list[dict]
    words: list[str] = field(default_factory=list)


def _inside(item: dict, start: int, end: int) -> bool:
    return start <= item["start"] and item["end"] <= end


def _shift(item: dict, by: int, **extra) -> dict:
    return {**item, **extra, "start": item["start"] - by, "end": item["end"] - by}


def unit_mentions(tree: Tree, doc_id: str, s: dict) -> tuple[list[dict], dict]:
    inside = [m for m in tree.mentions(doc_id) if _inside(m, s["start"], s["end"])]
    inside.sort(key=lambda m: (m["start"], -m["end"], m["id"]))
    keys = {m["id"]: k for k, m in enumerate(inside)}
    out = [{"start": m["start"] - s["start"], "end": m["end"] - s["start"], "type": m["type"], "entity": m["entity"], "flags": list(m["flags"])} for m in inside]
    return out, keys


def unit_events(tree: Tree, doc_id: str, s: dict, keys: dict) -> list[dict]:
    out = []
    for e in tree.layers["events"].get(doc_id, []):
        if not _inside(e["trigger"], s["start"], s["end"]) or any(a["ref"] not in keys for a in e["arguments"]):
            continue
        trig = _shift(e["trigger"], s["start"])
        args = [{"role": a["role"], "ref": keys[a["ref"]]} for a in e["arguments"]]
        out.append({"start": trig["start"], "end": trig["end"], "type": e["type"], "realis": e["realis"], "cluster": e["cluster"], "arguments": args})
    return out


def unit_stance(tree: Tree, doc: dict, s: dict, keys: dict) -> list[dict]:
    quotes = {q["id"]: q for q in doc["quotes"]}
    out = []
    for st in tree.layers["stance"].get(doc["id"], []):
        ev = st["evidence"]
        if st["exceptions"] or not _inside(ev, s["start"], s["end"]):
            continue
        if st["holder"] != "AUTHOR" and st["holder"] not in keys:
            continue
        quote = quotes.get(st["quote"]) if st["quote"] is not None else None
        if st["quote"] is not None and (quote is None or not _inside(quote, s["start"], s["end"])):
            continue
        holder = "AUTHOR" if st["holder"] == "AUTHOR" else keys[st["holder"]]
        out.append({"start": ev["start"] - s["start"], "end": ev["end"] - s["start"], "holder": holder, "target": st["target"],
                    "polarity": st["polarity"], "source": st["source"], "quote": _shift(quote, s["start"]) if quote else None})
    return out


def balanced_quotes(text: str) -> bool:
    """Every quotation mark of ``text`` belongs to a quote span found in ``text`` alone."""
    used = {k for qs, qe, _ in segment.quotes(text, 0, len(text)) for k in (qs, qe - 1)}
    return all(k in used for k, ch in enumerate(text) if ch in QUOTE_MARKS)


def single_sentence(text: str) -> bool:
    return segment.sentences(text, 0, len(text), segment.quotes(text, 0, len(text))) == [(0, len(text))]


def joins(text: str) -> bool:
    """True if ``text`` splits off cleanly from a sentence before it and one after it."""
    before, after = "Đây là câu trước. ", " Đây là câu sau."
    whole = before + text + after
    spans = segment.sentences(whole, 0, len(whole), segment.quotes(whole, 0, len(whole)))
    return (len(before), len(before) + len(text)) in spans


def gold_units(tree: Tree) -> list[Unit]:
    """Every gold sentence that stands alone as one sentence with balanced quotation marks."""
    units = []
    for doc_id in sorted(tree.docs):
        doc = tree.docs[doc_id]
        roles = {p["id"]: p["role"] for p in doc["paragraphs"]}
        for s in doc["sentences"]:
            text = s["text"]
            if not (balanced_quotes(text) and single_sentence(text)):
                continue
            mentions, keys = unit_mentions(tree, doc_id, s)
            role = roles[s["paragraph_id"]]
            units.append(Unit(text, role, role == "body" and joins(text), mentions,
                              unit_events(tree, doc_id, s, keys), unit_stance(tree, doc, s, keys)))
    return units


# ---------------------------------------------------------------- variants

def _spans(unit: Unit) -> list[dict]:
    return unit.mentions + unit.events + unit.stance + [st["quote"] for st in unit.stance if st["quote"]]


def _clean_edit(unit: Unit, start: int, end: int, itself: dict | None = None) -> bool:
    """An edit may not cut a span (every span is disjoint from it, contains it or is it), and
    nothing is inserted inside a mention or a trigger."""
    for sp in _spans(unit):
        if sp is itself:
            continue
        if not (sp["end"] <= start or sp["start"] >= end or (sp["start"] <= start and end <= sp["end"])):
            return False
    if start == end:
        return not any(sp["start"] < start < sp["end"] for sp in unit.mentions + unit.events)
    return True


def _move(pos: int, edits: list[tuple[int, int, str]], is_end: bool) -> int:
    out = pos
    for s, e, new in edits:
        if e < pos or (e == pos and (s < e or not is_end)):
            out += len(new) - (e - s)
    return out


def apply_edits(unit: Unit, edits: list[tuple[int, int, str]], entity_of: dict) -> Unit:
    """Apply non-overlapping edits and move every span; ``entity_of`` maps id(mention) to a new registry id."""
    edits = sorted(edits)
    text = unit.text
    for s, e, new in reversed(edits):
        text = text[:s] + new + text[e:]

    def moved(sp: dict) -> dict:
        out = {**sp, "start": _move(sp["start"], edits, False), "end": _move(sp["end"], edits, True)}
        if sp.get("quote"):
            out["quote"] = moved(sp["quote"])
        return out

    mentions = []
    for m in unit.mentions:
        new = moved(m)
        if id(m) in entity_of:
            new["entity"] = entity_of[id(m)]
        mentions.append(new)
    return replace(unit, text=text, mentions=mentions, events=[moved(e) for e in unit.events], stance=[moved(s) for s in unit.stance], words=[])


def name_forms(registry: list[dict]) -> dict[str, list[tuple[str, str]]]:
    """Type -> (registry id, plain name) for every name or non-metonymic alias."""
    out: dict[str, list[tuple[str, str]]] = {}
    for rec in registry:
        plain = {rec["name_vi"]} | {a for a in rec["aliases"] if "(" not in a}
        for form in sorted(plain & alias_forms(rec)):
            out.setdefault(rec["type"], []).append((rec["id"], form))
    return out


def _swap_edits(unit: Unit, rng: random.Random, forms: dict) -> tuple[list, dict]:
    edits, entity_of = [], {}
    for m in unit.mentions:
        nested = any(o is not m and _inside(o, m["start"], m["end"]) or (o is not m and _inside(m, o["start"], o["end"])) for o in unit.mentions)
        if m["type"] not in SWAPPABLE or m["flags"] or nested or rng.random() > 0.5 or not forms.get(m["type"]):
            continue
        if not _clean_edit(unit, m["start"], m["end"], itself=m):
            continue
        rec_id, form = rng.choice(forms[m["type"]])
        edits.append((m["start"], m["end"], form))
        entity_of[id(m)] = rec_id
    return edits, entity_of


def _digit_edits(unit: Unit, rng: random.Random) -> list:
    named = [m for m in unit.mentions if m["type"] not in NUMERIC]
    edits = []
    for match in re.finditer(r"\d+", unit.text):
        s, e = match.span()
        if rng.random() < 0.5 or any(m["start"] < e and s < m["end"] for m in named):
            continue
        digits = "".join(rng.choice("0123456789") for _ in range(e - s))
        edits.append((s, e, (rng.choice("123456789") + digits[1:]) if e - s > 1 else digits))
    return edits


def _space_edit(unit: Unit, rng: random.Random) -> list:
    spots = [k for k, ch in enumerate(unit.text) if ch == " " and not any(sp["start"] <= k < sp["end"] for sp in unit.mentions + unit.events)]
    return [(k, k + 1, rng.choice(SPACES)) for k in rng.sample(spots, min(len(spots), rng.randint(1, 2)))] if spots else []


def _emoji_edit(unit: Unit, rng: random.Random) -> list:
    text = unit.text.rstrip(segment.CLOSERS)
    end = len(text.rstrip(segment.TERMINALS))
    if end == len(text) or end == 0 or not _clean_edit(unit, end, end):
        return []
    return [(end, end, " " + rng.choice(EMOJI))]


def variant(unit: Unit, rng: random.Random, forms: dict) -> Unit:
    """One perturbed copy of ``unit`` (names, digits, spaces, emoji), annotations moved along."""
    edits, entity_of = _swap_edits(unit, rng, forms)
    taken = [(s, e) for s, e, _ in edits]
    for extra in (_digit_edits(unit, rng), _space_edit(unit, rng) if rng.random() < 0.4 else [], _emoji_edit(unit, rng) if rng.random() < 0.25 else []):
        for s, e, new in extra:
            if all(e < ts or s > te for ts, te in taken):
                edits.append((s, e, new))
                taken.append((s, e))
    return apply_edits(unit, edits, entity_of)
