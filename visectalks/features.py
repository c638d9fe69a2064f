"""The typed columns of every release config, as ``datasets.Features``, built from the inventory.

The release writes these declarations into the dataset card (``dataset_info``) and into each
Parquet file's schema metadata, so that ``load_dataset`` never infers a type. Every label list
comes from ``schema/inventory.json`` through ``inventory``; ClassLabel ids follow the inventory's
order, so adding a label at the end of an inventory keeps the meaning of existing ids.
"""
from __future__ import annotations

from datasets import ClassLabel, Features, List, Value

from . import inventory

CONFIGS = ("documents", "entities", "ner", "events", "stance")
# Which annotation layer each config needs (None: only the corpus).
CONFIG_LAYER = {"documents": None, "entities": "entities", "ner": "entities", "events": "events", "stance": "stance"}
DEFAULT_CONFIG = "documents"


def iob_names(types: list[str]) -> list[str]:
    """IOB2 tag names: O, then B-/I- for each type in the given order (CoNLL-2003 style)."""
    return ["O"] + [f"{prefix}-{t}" for t in types for prefix in ("B", "I")]


def vlsp_types() -> list[str]:
    """VLSP 2016/2018 types in first-appearance order of the inventory's ``vlsp`` mapping."""
    out: list[str] = []
    for target in inventory.vlsp_map().values():
        if target is not None and target not in out:
            out.append(target)
    return out


def _label(kind: str) -> ClassLabel:
    return ClassLabel(names=inventory.names(kind))


def _span(**extra) -> dict:
    return {**extra, "start": Value("int32"), "end": Value("int32"), "text": Value("string")}


def _provenance() -> dict:
    field = {"value": Value("string"), "status": Value("string"), "reason": Value("string")}
    return {k: dict(field) for k in ("outlet", "author", "title", "url", "publication_date", "license")}


def documents() -> Features:
    return Features({
        "id": Value("string"),
        "language": Value("string"),
        "seed_file": Value("string"),
        "sha256": Value("string"),
        "metadata": _provenance(),
        "segmenter": {"name": Value("string"), "version": Value("string"), "function": Value("string")},
        "text": Value("string"),
        "paragraphs": List(_span(id=Value("string"), role=_label("paragraph_roles"))),
        "sentences": List(_span(id=Value("string"), paragraph_id=Value("string"))),
        "tokens": List(_span(id=Value("string"))),
        "words": List(_span(id=Value("string"), token_ids=List(Value("string")))),
        "quotes": List(_span(id=Value("string"), open_mark=Value("string"))),
    })


def entities() -> Features:
    return Features({
        "id": Value("string"),
        "doc_id": Value("string"),
        "sentence_id": Value("string"),
        "paragraph_role": _label("paragraph_roles"),
        **_span(),
        "type": _label("entity_types"),
        "entity": Value("string"),
        "entity_name_vi": Value("string"),
        "entity_name_en": Value("string"),
        "wikidata": Value("string"),
        "flags": List(_label("entity_flags")),
        "nested_in": Value("string"),
    })


def ner() -> Features:
    return Features({
        "id": Value("string"),
        "doc_id": Value("string"),
        "paragraph_role": _label("paragraph_roles"),
        "tokens": List(Value("string")),
        "token_starts": List(Value("int32")),
        "token_ends": List(Value("int32")),
        "ner_tags": List(ClassLabel(names=iob_names(inventory.names("entity_types")))),
        "vlsp_ner_tags": List(ClassLabel(names=iob_names(vlsp_types()))),
    })


def events() -> Features:
    argument = _span(role=_label("argument_roles"), mention_id=Value("string"), entity=Value("string"))
    return Features({
        "id": Value("string"),
        "doc_id": Value("string"),
        "sentence_id": Value("string"),
        "trigger": _span(),
        "type": _label("event_types"),
        "realis": _label("realis"),
        "cluster": Value("string"),
        "cluster_description": Value("string"),
        "arguments": List(argument),
    })


def stance() -> Features:
    return Features({
        "id": Value("string"),
        "doc_id": Value("string"),
        "paragraph_id": Value("string"),
        "holder": Value("string"),
        "holder_entity": Value("string"),
        "holder_text": Value("string"),
        "target": _label("stance_targets"),
        "polarity": _label("stance_polarities"),
        "source": _label("stance_sources"),
        "evidence": _span(),
        "quote": Value("string"),
        "exceptions": List(_label("stance_exceptions")),
    })


ALL = {"documents": documents, "entities": entities, "ner": ner, "events": events, "stance": stance}
