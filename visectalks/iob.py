"""Flat span sets and IOB2 tag sequences, shared by the CoNLL export and the NER baseline.

The gold entity layer nests ("Bộ Ngoại giao Mỹ" contains "Mỹ"); IOB2 cannot. Both the export
and the baseline therefore use one flattening rule: keep the outermost spans. For the VLSP view
the types are first mapped through ``schema/inventory.json`` (types without a VLSP
counterpart are dropped), and only then flattened, so a place inside a dropped QUANTITY span
survives as LOC.

Spans here are ``(start, end, label)`` triples of half-open code-point offsets.
"""
from __future__ import annotations

from . import inventory

Span = tuple[int, int, str]


def outermost(spans: list[Span]) -> tuple[list[Span], list[Span]]:
    """Split spans into (kept, dropped): kept spans are those not inside an earlier kept one.

    Spans are taken by start, longest first, so a span that contains another comes first and
    wins. A span that crosses a kept one (never in valid gold: VST204) is dropped as well.
    """
    kept: list[Span] = []
    dropped: list[Span] = []
    for span in sorted(set(spans), key=lambda s: (s[0], -s[1], s[2])):
        if kept and span[0] < kept[-1][1]:
            dropped.append(span)
        else:
            kept.append(span)
    return kept, dropped


def mention_spans(mentions: list[dict], scheme: str) -> list[Span]:
    """Entity mentions as spans labelled with their type (``full``) or VLSP type (``vlsp``)."""
    if scheme == "full":
        return [(m["start"], m["end"], m["type"]) for m in mentions]
    if scheme == "vlsp":
        to_vlsp = inventory.vlsp_map()
        return [(m["start"], m["end"], to_vlsp[m["type"]]) for m in mentions if to_vlsp[m["type"]]]
    raise ValueError(f"unknown label scheme {scheme!r} (expected 'full' or 'vlsp')")


def flat_gold(mentions: list[dict], scheme: str) -> list[Span]:
    """The outermost gold spans of one document in one label scheme."""
    return outermost(mention_spans(mentions, scheme))[0]


def vlsp_types() -> list[str]:
    """VLSP types in inventory order, each once (PER, ORG, LOC, MISC)."""
    seen: list[str] = []
    for label in inventory.vlsp_map().values():
        if label and label not in seen:
            seen.append(label)
    return seen


def widen(spans: list[Span], units: list[tuple[int, int]]) -> tuple[list[Span], list[Span]]:
    """Widen flat spans to whole units (words); return (kept, dropped).

    A span that starts or ends inside a unit takes the whole unit, because a word-level tag
    can only label whole words. When two widened spans then collide ("NATO-Nga" is one word
    holding two names), the one that comes first in the text is kept.
    """
    kept: list[Span] = []
    dropped: list[Span] = []
    for start, end, label in sorted(spans, key=lambda s: (s[0], -s[1], s[2])):
        inside = [u for u in units if u[0] < end and start < u[1]]
        grown = (inside[0][0], inside[-1][1], label) if inside else None
        if grown is None or (kept and grown[0] < kept[-1][1]):
            dropped.append((start, end, label))
        else:
            kept.append(grown)
    return kept, dropped


def tags(units: list[tuple[int, int]], spans: list[Span]) -> list[str]:
    """IOB2 tags for a sequence of units, given non-overlapping spans on unit boundaries."""
    out = ["O"] * len(units)
    for start, end, label in spans:
        covered = [k for k, (s, e) in enumerate(units) if start <= s and e <= end]
        if not covered or units[covered[0]][0] != start or units[covered[-1]][1] != end:
            raise ValueError(f"span [{start}, {end}) {label} is not on unit boundaries")
        for n, k in enumerate(covered):
            if out[k] != "O":
                raise ValueError(f"span [{start}, {end}) {label} overlaps another span")
            out[k] = ("B-" if n == 0 else "I-") + label
    return out


def sentence_units(doc: dict, kind: str) -> list[list[dict]]:
    """The document's tokens (``tokens``) or words (``words``), grouped by sentence, in order."""
    groups: list[list[dict]] = []
    items = doc[kind]
    k = 0
    for sent in doc["sentences"]:
        group = []
        while k < len(items) and items[k]["start"] < sent["end"]:
            if items[k]["start"] >= sent["start"]:
                group.append(items[k])
            k += 1
        groups.append(group)
    return groups


def sentence_tags(doc: dict, kind: str, spans: list[Span]) -> list[list[str]]:
    """IOB2 tags per sentence for the document's ``tokens`` or ``words``.

    Every span must lie inside one sentence; a span that crosses a sentence boundary is an
    error, not something to cut silently.
    """
    out: list[list[str]] = []
    used = 0
    for group in sentence_units(doc, kind):
        lo, hi = (group[0]["start"], group[-1]["end"]) if group else (0, 0)
        inside = [s for s in spans if lo <= s[0] and s[1] <= hi] if group else []
        used += len(inside)
        out.append(tags([(u["start"], u["end"]) for u in group], inside))
    if used != len(spans):
        raise ValueError(f"{doc['id']}: {len(spans) - used} span(s) cross a sentence boundary")
    return out
