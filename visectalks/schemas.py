"""JSON Schemas (draft 2020-12) for every file type, generated from the inventory.

The enums come from ``schema/inventory.json``; the files in ``schema/*.schema.json`` are written
by ``visectalks build`` and never edited by hand.
"""
from __future__ import annotations

from pathlib import Path

from . import inventory
from .jsonio import write_json

BASE = "https://visectalks.example/schema/"
DRAFT = "https://json-schema.org/draft/2020-12/schema"
DOC_ID = r"^d[0-9]{3,}$"


def _id(prefix: str) -> dict:
    return {"type": "string", "pattern": rf"^d[0-9]{{3,}}-{prefix}[0-9]+$"}


def _span(extra: dict | None = None, required: tuple = ()) -> dict:
    props = {"start": {"type": "integer", "minimum": 0}, "end": {"type": "integer", "minimum": 1}, "text": {"type": "string", "minLength": 1}}
    props.update(extra or {})
    return {"type": "object", "additionalProperties": False, "required": ["start", "end", "text", *required], "properties": props}


def _wrap(name: str, title: str, description: str, body: dict) -> dict:
    return {"$schema": DRAFT, "$id": BASE + f"{name}.schema.json", "title": title, "description": description, **body}


def _field() -> dict:
    return {"type": "object", "additionalProperties": False, "required": ["value", "status", "reason"],
            "properties": {"value": {"type": ["string", "null"]}, "status": {"enum": ["known", "stated", "likely", "unknown"]}, "reason": {"type": "string", "minLength": 1}}}


def metadata_schema() -> dict:
    roles = inventory.names("paragraph_roles")
    doc = {"type": "object", "additionalProperties": False,
           "required": ["id", "file", "sha256", "language", "outlet", "author", "title", "url", "publication_date", "license", "paragraph_roles"],
           "properties": {
               "id": {"type": "string", "pattern": DOC_ID},
               "file": {"type": "string", "pattern": r"^[0-9]{3}_[0-9a-f]{16}\.txt$"},
               "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
               "language": {"const": "vi"},
               **{k: _field() for k in ("outlet", "author", "title", "url", "publication_date", "license")},
               "paragraph_roles": {"type": "array", "items": {"type": "object", "additionalProperties": False,
                                    "required": ["paragraph", "role", "starts_with", "reason"],
                                    "properties": {"paragraph": {"type": "integer", "minimum": 1}, "role": {"enum": roles},
                                                   "starts_with": {"type": "string", "minLength": 1}, "reason": {"type": "string"}}}}}}
    return _wrap("metadata", "Seed metadata", "Provenance of each seed article; unknown values are null with a reason.",
                 {"type": "object", "additionalProperties": False, "required": ["documents"],
                  "properties": {"$schema": {"type": "string"}, "description": {"type": "string"}, "collection": {"type": "object"},
                                 "documents": {"type": "array", "items": doc}}})


def document_schema() -> dict:
    roles = inventory.names("paragraph_roles")
    return _wrap("document", "Corpus document", "One segmented document: text plus paragraphs, sentences, syllable tokens, words and quotes, all as half-open code-point offsets into text.",
                 {"type": "object", "additionalProperties": False,
                  "required": ["id", "seed_file", "sha256", "language", "segmenter", "text", "paragraphs", "sentences", "tokens", "words", "quotes"],
                  "properties": {
                      "id": {"type": "string", "pattern": DOC_ID},
                      "seed_file": {"type": "string"},
                      "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                      "language": {"const": "vi"},
                      "segmenter": {"type": "object", "additionalProperties": False, "required": ["name", "version", "function"],
                                    "properties": {"name": {"type": "string"}, "version": {"type": "string"}, "function": {"type": "string"}}},
                      "text": {"type": "string", "minLength": 1},
                      "paragraphs": {"type": "array", "items": _span({"id": _id("p"), "role": {"enum": roles}}, ("id", "role"))},
                      "sentences": {"type": "array", "items": _span({"id": _id("s"), "paragraph_id": _id("p")}, ("id", "paragraph_id"))},
                      "tokens": {"type": "array", "items": _span({"id": _id("t")}, ("id",))},
                      "words": {"type": "array", "items": _span({"id": _id("w"), "token_ids": {"type": "array", "minItems": 1, "items": _id("t")}}, ("id", "token_ids"))},
                      "quotes": {"type": "array", "items": _span({"id": _id("q"), "open_mark": {"enum": ["“", "‘", "«", "\"", "'"]}}, ("id", "open_mark"))}}})


def entity_schema() -> dict:
    props = {"id": _id("M"), "doc": {"type": "string", "pattern": DOC_ID},
             "start": {"type": "integer", "minimum": 0}, "end": {"type": "integer", "minimum": 1}, "text": {"type": "string", "minLength": 1},
             "type": {"enum": inventory.names("entity_types")},
             "entity": {"type": "string", "pattern": "^[a-z0-9_]+$"},
             "flags": {"type": "array", "uniqueItems": True, "items": {"enum": inventory.names("entity_flags")}}}
    return _wrap("entity", "Entity mention", "One named-entity mention (one line of annotations/entities/<doc>.jsonl).",
                 {"type": "object", "additionalProperties": False, "required": ["id", "doc", "start", "end", "text", "type", "entity", "flags"], "properties": props})


def registry_schema() -> dict:
    rec = {"type": "object", "additionalProperties": False, "required": ["id", "type", "name_vi", "name_en", "aliases", "wikidata"],
           "properties": {"id": {"type": "string", "pattern": "^[a-z0-9_]+$"}, "type": {"enum": inventory.names("entity_types")},
                          "name_vi": {"type": "string", "minLength": 1}, "name_en": {"type": "string", "minLength": 1},
                          "aliases": {"type": "array", "items": {"type": "string", "minLength": 1}, "uniqueItems": True},
                          "wikidata": {"type": ["string", "null"], "pattern": "^Q[0-9]+$"}}}
    return _wrap("registry", "Entity registry", "Cross-document registry: one record per real-world entity.", {"type": "array", "items": rec})


def not_entities_schema() -> dict:
    rec = {"type": "object", "additionalProperties": False, "required": ["text", "reason"],
           "properties": {"text": {"type": "string", "minLength": 1}, "reason": {"type": "string", "minLength": 1}, "docs": {"type": "array", "items": {"type": "string", "pattern": DOC_ID}}}}
    return _wrap("not_entities", "Explained non-entities", "Capitalised strings or aliases in the text that are deliberately not annotated, each with its reason.", {"type": "array", "items": rec})


def event_schema() -> dict:
    arg = {"type": "object", "additionalProperties": False, "required": ["role", "ref"],
           "properties": {"role": {"enum": inventory.names("argument_roles")}, "ref": _id("M")}}
    props = {"id": _id("E"), "doc": {"type": "string", "pattern": DOC_ID}, "trigger": _span(),
             "type": {"enum": inventory.names("event_types")}, "realis": {"enum": inventory.names("realis")},
             "cluster": {"type": ["string", "null"], "pattern": "^[a-z0-9_]+$"}, "arguments": {"type": "array", "items": arg}}
    return _wrap("event", "Event mention", "One event mention: a trigger, a PLOVER type, realis, arguments pointing at entity mentions, a cluster.",
                 {"type": "object", "additionalProperties": False, "required": list(props), "properties": props})


def clusters_schema() -> dict:
    rec = {"type": "object", "additionalProperties": False, "required": ["id", "description", "date_text", "place_text", "conflicts"],
           "properties": {"id": {"type": "string", "pattern": "^[a-z0-9_]+$"}, "description": {"type": "string", "minLength": 1},
                          "date_text": {"type": ["string", "null"]}, "place_text": {"type": ["string", "null"]},
                          "conflicts": {"type": "array", "items": {"type": "object", "additionalProperties": False, "required": ["role", "values"],
                                                                   "properties": {"role": {"enum": inventory.names("argument_roles")},
                                                                                  "values": {"type": "object", "additionalProperties": {"type": "array", "items": _id("M")}}}}}}}
    return _wrap("clusters", "Event clusters", "Cross-document event clusters, with conflicts between texts recorded by mention id.", {"type": "array", "items": rec})


def stance_schema() -> dict:
    props = {"id": _id("S"), "doc": {"type": "string", "pattern": DOC_ID},
             "holder": {"oneOf": [{"const": "AUTHOR"}, _id("M")]},
             "target": {"enum": inventory.names("stance_targets")}, "polarity": {"enum": inventory.names("stance_polarities")},
             "source": {"enum": inventory.names("stance_sources")}, "evidence": _span(),
             "quote": {"oneOf": [{"type": "null"}, _id("q")]},
             "exceptions": {"type": "array", "uniqueItems": True, "items": {"enum": inventory.names("stance_exceptions")}}}
    return _wrap("stance", "Stance record", "One stance: holder, target, polarity, source and evidence span.",
                 {"type": "object", "additionalProperties": False, "required": list(props), "properties": props})


def adjudication_schema() -> dict:
    rec = {"type": "object", "additionalProperties": False, "required": ["item", "layer", "doc", "pass_a", "pass_b", "decision", "rule", "note"],
           "properties": {"item": {"type": "string", "pattern": r"^(entity|event|stance):d[0-9]{3,}:"}, "layer": {"enum": ["entities", "events", "stance"]},
                          "doc": {"type": "string", "pattern": DOC_ID}, "pass_a": {"type": "array"}, "pass_b": {"type": "array"},
                          "decision": {"enum": ["a", "b", "neither"]}, "rule": {"type": "string", "minLength": 1}, "note": {"type": "string", "minLength": 1}}}
    return _wrap("adjudication", "Adjudication decision", "One line of annotations/adjudication.jsonl: a disagreement between two passes, both versions, the decision and the rule applied.", rec)


ALL = {"metadata": metadata_schema, "document": document_schema, "entity": entity_schema, "registry": registry_schema,
       "not_entities": not_entities_schema, "event": event_schema, "clusters": clusters_schema, "stance": stance_schema, "adjudication": adjudication_schema}


def generate(schema_dir: Path) -> list[Path]:
    """Write every schema file; return the paths written."""
    paths = []
    for name, make in ALL.items():
        path = Path(schema_dir) / f"{name}.schema.json"
        write_json(path, make())
        paths.append(path)
    return paths
