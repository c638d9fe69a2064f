"""Validation problems and the table of stable error codes.

Each code has a one-line explanation; ``docs/validation.md`` is generated from ``CODES`` and
every code has a known-bad fixture under ``tests/fixtures/invalid/``.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass

CODES: dict[str, str] = {
    # files
    "VST001": "The file cannot be read as UTF-8 JSON (or JSON Lines): syntax error, bad encoding or BOM.",
    "VST002": "A record does not match its JSON Schema (missing key, extra key, wrong type or pattern).",
    "VST003": "A label is not in the inventory of schema/inventory.json.",
    # seeds
    "VST010": "A seed file's SHA-256 differs from seeds/SHA256SUMS (tampered or corrupted seed).",
    "VST011": "A seed file listed in SHA256SUMS or metadata.json is missing, or a seed is not listed.",
    "VST012": "A paragraph role in seeds/metadata.json points at a paragraph that does not start with the recorded text.",
    "VST013": "seeds/SHA256SUMS is missing, not UTF-8, or has a line that is not `<64 hex digits> <space> <file name>`.",
    # corpus documents
    "VST101": "A span lies outside the text or has start >= end.",
    "VST102": "A span's stored text differs from text[start:end].",
    "VST103": "An id occurs twice.",
    "VST104": "An id is malformed or does not start with its document id.",
    "VST105": "Spans of one kind overlap or are out of order (paragraphs, sentences, tokens, words).",
    "VST106": "Non-whitespace text lies outside every paragraph, or a sentence does not cover its paragraph's text.",
    "VST107": "A sentence is not inside the paragraph it names, or names an unknown paragraph.",
    "VST108": "A token lies outside every sentence or crosses a sentence boundary.",
    "VST109": "A word does not cover whole syllable tokens or its token ids do not match its span.",
    "VST110": "The text is not in Unicode NFC.",
    "VST111": "The text holds a control character other than newline.",
    "VST112": "The document text differs from its seed.",
    "VST113": "A quote span does not start and end with a matching pair of quotation marks.",
    # entities
    "VST201": "An entity mention does not start and end on syllable boundaries.",
    "VST202": "An entity mention links to an id that is not in the registry.",
    "VST203": "Two entity mentions have the same span and type.",
    "VST204": "Two entity mentions cross (overlap without one containing the other).",
    "VST205": "A mention's type differs from its registry record's type without the metonymy flag.",
    "VST206": "A registry record is malformed: duplicate id, or a mention's text missing from its aliases.",
    "VST207": "A record names a document that is not in the corpus.",
    "VST208": "A name in the text (capitalised syllables or a registry alias) is neither annotated nor listed in not_entities.json.",
    # events
    "VST301": "An event argument refers to an entity mention that does not exist.",
    "VST302": "An event trigger does not start and end on word boundaries.",
    "VST303": "An event argument lies outside the trigger's sentence.",
    "VST304": "An event names a cluster that is not in clusters.json.",
    "VST305": "Two events have the same trigger span and type.",
    # stance
    "VST401": "A stance holder refers to an entity mention that does not exist.",
    "VST402": "A stance holder is not in the evidence's paragraph, before or inside the evidence (and no exception applies).",
    "VST403": "direct_quote evidence does not lie inside the quote it names, or names an unknown quote.",
    "VST404": "A stance record's source and holder disagree (author source needs holder AUTHOR and back).",
    # other readers
    "VST620": "A brat .ann file cannot be read: a malformed line, a reference to an unknown annotation, a missing note or attribute, or records that do not match their schema.",
    # Label Studio
    "VST501": "A Label Studio region uses a label that is not in the inventory.",
    "VST502": "A Label Studio region's offsets lie outside the document text.",
    "VST503": "A Label Studio region's text differs from the document text at its offsets.",
    "VST504": "A Label Studio relation points at a region that does not exist.",
    "VST505": "Two Label Studio regions share an id.",
    "VST506": "A Label Studio export lacks a task for a corpus document, or holds a task for an unknown one.",
    "VST507": "A Label Studio task's document text differs from the corpus text.",
    "VST508": "A Label Studio offset falls between the two UTF-16 halves of a character outside the Basic Multilingual Plane.",
    "VST509": "A Label Studio per-region choice or text area belongs to no region, to a region of another layer, or has other offsets than its region.",
    "VST510": "A Label Studio relation links regions that cannot be linked (only event or stance to entity mention) or carries a label that does not fit them.",
    "VST511": "A Label Studio region or relation lacks a required value or has several where one is allowed (label, registry id, realis, target, polarity, source, argument role).",
    "VST512": "The file is not a Label Studio JSON export: a list of tasks with data.doc, data.text and lists of annotation results.",
    "VST513": "A Label Studio task has no submitted annotation to import (cancelled ones do not count).",
    "VST514": "Two Label Studio tasks hold the same document.",
    # limits and strict reading
    "VST600": "The file is larger than the documented limit for its kind, or is not a regular file (refused before it is read).",
    "VST601": "A single JSON string is longer than the documented limit for its kind of file (refused before the file is read whole).",
    "VST602": "JSON nesting is deeper than the documented limit for its kind of file.",
    "VST603": "A JSON object holds the same key twice (a plain reader would silently keep only the last value).",
    "VST604": "A JSON string holds an escaped lone surrogate (\\uD800-\\uDFFF without its pair), which is not a Unicode character.",
    "VST605": "A JSON number has too many digits to be read.",
    "VST606": "A path given to the validator is not a file it knows (corpus/*.json, <layer>/*.jsonl, registry.json, not_entities.json, clusters.json or a seeds folder).",
}


@dataclass(frozen=True)
class Problem:
    """One validation error: what, where (file, record, JSON pointer) and why."""

    code: str
    file: str
    record: str
    pointer: str
    message: str

    def __post_init__(self):
        if self.code not in CODES:
            raise KeyError(f"unknown error code {self.code}")

    def line(self) -> str:
        return f"{self.code} {self.file} {self.record or '-'} {self.pointer or '/'}: {self.message}"

    def as_dict(self) -> dict:
        return asdict(self)


class ProblemsError(Exception):
    """Raised by commands that must stop on bad input; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(p.line() for p in problems))


def pointer(*parts: object) -> str:
    """Build an RFC 6901 JSON pointer from path parts."""
    out = ""
    for part in parts:
        out += "/" + str(part).replace("~", "~0").replace("/", "~1")
    return out


def render(problems: list[Problem], fmt: str = "text") -> str:
    if fmt == "json":
        return json.dumps([p.as_dict() for p in problems], ensure_ascii=False, indent=2)
    return "\n".join(p.line() for p in problems)
