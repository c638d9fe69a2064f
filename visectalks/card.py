"""The dataset card (``release/README.md``), ``CITATION.cff`` and ``.zenodo.json``.

All three read the same metadata below and the version in ``visectalks/__init__.py``, so a new
version is one edit. Facts about the articles come only from ``seeds/metadata.json``; what it
does not know is printed as unknown.
"""
from __future__ import annotations

import json

import yaml

from . import DATASET_NAME, __version__, inventory, stats
from .features import CONFIG_LAYER, DEFAULT_CONFIG
from .release_rows import PROVENANCE_FIELDS, SPLIT_REASON, SPLITS

TITLE = f"{DATASET_NAME}: Vietnamese news on the January 2022 Russia–US/NATO security talks, annotated with entities, events and stance"
AUTHORS = [{"name": "The ViSecTalks-2022 maintainers"}]
KEYWORDS = ["Vietnamese", "news", "named entity recognition", "entity linking", "event extraction", "PLOVER",
            "stance detection", "NATO", "Russia", "security talks"]
ABSTRACT = (
    f"{DATASET_NAME} is a corpus of five Vietnamese news articles about the January 2022 Russia–United States / "
    "NATO security talks (Geneva 10/1, NATO–Russia Council in Brussels 12/1, OSCE in Vienna 13/1), with hand-curated "
    "standoff annotations: named entities linked to a cross-document registry, events typed with PLOVER with "
    "arguments, realis and cross-document clusters, and stance records (holder, target, polarity, evidence)."
)
LICENSE_NOTE = (
    "The annotations (every label, link and span, the label inventory and the guidelines) are licensed under CC BY 4.0. "
    "The article texts are not: their copyright belongs to their publishers, and no licence for their redistribution "
    "is known."
)
BIBTEX_KEY = "visectalks2022"

COLUMN_DOCS = {
    "documents": {
        "id": "document id (`d000`…)", "language": "ISO 639-1 code (`vi`)", "seed_file": "seed file name",
        "sha256": "SHA-256 of the seed text", "metadata": "provenance: outlet, author, title, url, publication_date, license, each `{value, status, reason}`; unknown values are null",
        "segmenter": "word segmenter name, version and function", "text": "the article text, unchanged",
        "paragraphs": "non-blank lines with their role", "sentences": "sentences with their paragraph id",
        "tokens": "syllables, numbers and punctuation", "words": "segmenter words as runs of whole tokens",
        "quotes": "quotation spans, marks included",
    },
    "entities": {
        "id": "mention id", "doc_id": "document id", "sentence_id": "sentence holding the mention's start",
        "paragraph_role": "role of that sentence's paragraph", "start": "code-point offset into the document text",
        "end": "end offset (exclusive)", "text": "the mention's text, equal to `text[start:end]`", "type": "entity type",
        "entity": "registry id of the entity referred to", "entity_name_vi": "registry name in Vietnamese",
        "entity_name_en": "registry name in English", "wikidata": "Wikidata Q-id where certain, else null",
        "flags": "e.g. `metonymy`", "nested_in": "id of the smallest mention containing this one, else null",
    },
    "ner": {
        "id": "sentence id", "doc_id": "document id", "paragraph_role": "role of the sentence's paragraph",
        "tokens": "syllable tokens", "token_starts": "start offset of each token in the document text",
        "token_ends": "end offset of each token", "ner_tags": "IOB2 tags, full inventory (default tag column)",
        "vlsp_ner_tags": "IOB2 tags mapped to VLSP 2016/2018 (PER, ORG, LOC, MISC)",
    },
    "events": {
        "id": "event mention id", "doc_id": "document id", "sentence_id": "sentence of the trigger",
        "trigger": "trigger span (whole words)", "type": "PLOVER event type", "realis": "realis",
        "cluster": "cross-document cluster id, or null", "cluster_description": "what the cluster is",
        "arguments": "role, entity mention id, registry id and span of each argument",
    },
    "stance": {
        "id": "stance record id", "doc_id": "document id", "paragraph_id": "paragraph of the evidence start",
        "holder": "entity mention id, or `AUTHOR`", "holder_entity": "registry id of the holder, or null for AUTHOR",
        "holder_text": "the holder mention's text, or null", "target": "stance target", "polarity": "polarity",
        "source": "`direct_quote`, `reported` or `author`", "evidence": "evidence span", "quote": "quote id for direct quotes, else null",
        "exceptions": "rule exceptions applied (e.g. holder in the previous paragraph)",
    },
}
CONFIG_DOCS = {
    "documents": "one row per document: text, provenance, paragraphs (with roles), sentences, syllable tokens, words, quotes; every other config's offsets point into this `text`.",
    "entities": "one row per entity mention, nested mentions included.",
    "ner": "one row per sentence: syllable tokens with IOB2 tags; nested mentions flattened to the outermost span.",
    "events": "one row per event mention: trigger, PLOVER type, realis, arguments, cluster.",
    "stance": "one row per stance record: holder, target, polarity, source, evidence.",
}


def _dump_yaml(obj) -> str:
    return yaml.safe_dump(obj, sort_keys=False, allow_unicode=True, width=1000, default_flow_style=False)


# ------------------------------------------------------------------ citation files

def citation_cff() -> str:
    cff = {
        "cff-version": "1.2.0",
        "message": "If you use this dataset, please cite it using these metadata.",
        "type": "dataset",
        "title": TITLE,
        "version": __version__,
        "authors": AUTHORS,
        "abstract": ABSTRACT + " " + LICENSE_NOTE,
        "keywords": KEYWORDS,
        "license": "CC-BY-4.0",
    }
    return "# Generated by `visectalks build` from visectalks/card.py and visectalks/__init__.py. Do not edit by hand.\n" + _dump_yaml(cff)


def zenodo_json() -> str:
    meta = {
        "title": TITLE,
        "upload_type": "dataset",
        "version": __version__,
        "creators": AUTHORS,
        "description": ABSTRACT,
        "notes": LICENSE_NOTE,
        "keywords": KEYWORDS,
        "language": "vie",
        "license": "cc-by-4.0",
        "access_right": "open",
    }
    return json.dumps(meta, ensure_ascii=False, indent=2) + "\n"


def bibtex() -> str:
    authors = " and ".join("{" + a["name"] + "}" for a in AUTHORS)
    return (f"@misc{{{BIBTEX_KEY},\n  title = {{{{{TITLE}}}}},\n  author = {{{authors}}},\n"
            f"  note = {{Version {__version__}. {LICENSE_NOTE}}}\n}}\n")


# ------------------------------------------------------------------ card YAML

def _size_category(n: int) -> str:
    for limit, label in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")):
        if n < limit:
            return label
    return "n>1M"


def card_yaml(configs) -> dict:
    from datasets import DatasetInfo, SplitDict, SplitInfo

    tasks = {"ner": ("token-classification", "named-entity-recognition"), "events": ("token-classification", None),
             "stance": ("text-classification", "multi-class-classification")}
    present = [c.name for c in configs]
    categories = sorted({tasks[c][0] for c in present if c in tasks})
    ids = sorted({tasks[c][1] for c in present if c in tasks and tasks[c][1]})
    infos = []
    for c in configs:
        splits = SplitDict()
        for s, t in c.tables.items():
            splits.add(SplitInfo(name=s, num_bytes=t.nbytes, num_examples=t.num_rows))
        info = DatasetInfo(features=c.features, splits=splits, download_size=sum(len(b) for b in c.files.values()),
                           dataset_size=sum(t.nbytes for t in c.tables.values()))
        infos.append({"config_name": c.name, **info._to_yaml_dict()})
    return {
        "license": "other",
        "license_name": "cc-by-4.0-annotations-text-licence-unknown",
        "license_link": "LICENSE.md",
        "language": ["vi"],
        "multilinguality": ["monolingual"],
        "language_creators": ["found"],
        "source_datasets": ["original"],
        "task_categories": categories,
        "task_ids": ids,
        "tags": ["news", "vietnamese", "entity-linking", "event-extraction", "plover", "stance-detection", "international-relations"],
        "pretty_name": DATASET_NAME,
        "size_categories": [_size_category(max(sum(t.num_rows for t in c.tables.values()) for c in configs))],
        "configs": [{"config_name": c.name, **({"default": True} if c.name == DEFAULT_CONFIG else {}),
                     "data_files": [{"split": s, "path": c.path(s)} for s in c.tables]} for c in configs],
        "dataset_info": infos,
    }


# ------------------------------------------------------------------ card body

def _type_name(feature) -> str:
    from datasets import ClassLabel, List, Value

    if isinstance(feature, Value):
        return feature.dtype
    if isinstance(feature, ClassLabel):
        return f"ClassLabel({feature.num_classes})"
    if isinstance(feature, List):
        return f"list<{_type_name(feature.feature)}>"
    if isinstance(feature, dict):
        return "struct{" + ", ".join(feature) + "}"
    return type(feature).__name__


def _preview(obj):
    """Shorten a row for display: long strings cut, long lists cut to their first items."""
    if isinstance(obj, str):
        return obj if len(obj) <= 90 else obj[:90] + "…"
    if isinstance(obj, list):
        keep = 12 if all(not isinstance(x, (dict, list)) for x in obj) else 2
        items = [_preview(x) for x in obj[:keep]]
        return items + ([f"… {len(obj) - keep} more"] if len(obj) > keep else [])
    if isinstance(obj, dict):
        return {k: _preview(v) for k, v in obj.items()}
    return obj


def _structure(configs) -> str:
    out = []
    for c in configs:
        out.append(f"### `{c.name}`\n\n{CONFIG_DOCS[c.name][0].upper() + CONFIG_DOCS[c.name][1:]}\n\n")
        out.append(stats.table(["column", "type", "meaning"], [[f"`{k}`", f"`{_type_name(v)}`", COLUMN_DOCS[c.name][k]] for k, v in c.features.items()]))
        labels = [f"`{k}`: " + ", ".join(f"{i} {n}" for i, n in enumerate(v.names)) for k, v in c.features.items() if hasattr(v, "names")]
        labels += [f"`{k}`: " + ", ".join(f"{i} {n}" for i, n in enumerate(v.feature.names)) for k, v in c.features.items()
                   if hasattr(v, "feature") and hasattr(v.feature, "names")]
        if labels:
            out.append("\nClassLabel ids (`features[column].int2str(id)` gives the name):\n\n" + "".join(f"- {x}\n" for x in labels))
        first = next((rows[0] for rows in c.rows.values() if rows), None)
        if first is not None:
            shown = json.dumps(_preview(first), ensure_ascii=False, indent=1)
            out.append(f"\nFirst row of `{c.name}` (labels shown by name; `load_dataset` returns ClassLabel ids; long values cut):\n\n```json\n{shown}\n```\n\n")
    return "".join(out)


LOAD_EXAMPLE = '''from datasets import load_dataset

# From the project root; once this folder is on the Hugging Face Hub, pass its repository id instead.
ner = load_dataset("release", "ner")
print(ner)
tag_names = ner["train"].features["ner_tags"].feature
first = ner["train"][0]
print(list(zip(first["tokens"], tag_names.int2str(first["ner_tags"])))[:8])

# Every document as one split, in corpus order (train + validation + test):
corpus = load_dataset("release", "documents", split="all")
print(corpus.num_rows, corpus[0]["id"])
'''

ARROW_EXAMPLE = '''import json
import duckdb
import pyarrow.parquet as pq

# pyarrow alone: the ClassLabel names travel in the Parquet schema metadata.
table = pq.read_table("release/entities/train-00000-of-00001.parquet")
names = json.loads(table.schema.metadata[b"huggingface"])["info"]["features"]["type"]["names"]
print(table.num_rows, names)

# DuckDB: mentions per type id over every split.
print(duckdb.sql("SELECT type, count(*) AS n FROM 'release/entities/*.parquet' GROUP BY type ORDER BY type").fetchall())
'''


def _splits_table(configs) -> str:
    rows = [[f"`{c.name}`"] + [c.tables[s].num_rows for s in SPLITS] + [sum(t.num_rows for t in c.tables.values())] for c in configs]
    return stats.table(["config"] + list(SPLITS) + ["all"], rows)


def unknown_summary(metadata: dict) -> str:
    """Which provenance values are unknown, counted from ``seeds/metadata.json``."""
    n = len(metadata["documents"])
    counts = [(k, sum(d[k]["value"] is None for d in metadata["documents"])) for k in PROVENANCE_FIELDS]
    return "Unknown provenance values: " + ", ".join(f"{k} for {c} of {n} documents" for k, c in counts if c) + "."


def provenance_table(metadata: dict) -> str:
    def show(f):
        return f"{f['value']} ({f['status']})" if f["value"] is not None else "unknown"
    rows = [[d["id"]] + [show(d[k]) for k in PROVENANCE_FIELDS] for d in metadata["documents"]]
    return stats.table(["document"] + list(PROVENANCE_FIELDS), rows)


def passes_md(layout) -> str:
    """What the annotation passes and the adjudication log on disk say about how the gold was made."""
    base = layout.annotations / "passes"
    passes = sorted(p.name for p in base.iterdir() if p.is_dir()) if base.is_dir() else []
    log = layout.annotations / "adjudication.jsonl"
    text = ""
    if passes:
        text = "Annotation passes are kept apart from the gold in " + ", ".join(f"`annotations/passes/{p}/`" for p in passes) + "."
    if log.exists():
        items = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]
        layers = sorted({i.get("layer", "?") for i in items})
        text += (f" Where the passes disagreed, the gold follows an adjudication: {len(items)} decisions ({', '.join(layers)}), "
                 "each with the guideline rule it applies, in `annotations/adjudication.jsonl`.")
    return text.strip() or "The gold is a single annotation pass."


def _annotation_section(tree, layout) -> str:
    missing_layers = [layer for layer in ("entities", "events", "stance") if not tree.layers[layer]]
    out = ["## Annotation\n\n",
           "Annotations are standoff records over the document text (code-point offsets, half-open, each span storing its "
           "text), made by hand following `GUIDELINES.md` of the project; labels and definitions come from one inventory "
           "(`schema/inventory.json`). Every record is checked by `visectalks validate`: offsets against the text, entity "
           "spans on syllable boundaries, triggers on word boundaries, event arguments inside the trigger's sentence, "
           "direct-quote evidence inside its quotation, and a coverage check that lists every capitalised name or registry "
           "alias that no mention covers.\n\n", passes_md(layout) + "\n\n"]
    if missing_layers:
        out.append("Layers not in this version: " + ", ".join(missing_layers) + ".\n\n")
    out.append("### Agreement\n\n" + stats.agreement_md(stats.read_report(layout, "agreement")))
    out.append("\n### Baseline\n\n" + stats.baseline_md(stats.read_report(layout, "baseline")))
    return "".join(out)


def card(layout, tree, metadata, configs) -> str:
    names = [c.name for c in configs]
    absent = [c for c in CONFIG_LAYER if c not in names]
    parts = ["---\n", _dump_yaml(card_yaml(configs)), "---\n\n",
             "<!-- Generated by `visectalks build` (visectalks/card.py). Do not edit by hand. -->\n\n",
             f"# {DATASET_NAME}\n\nVersion {__version__}.\n\n{ABSTRACT}\n\n",
             "## Licence\n\n" + LICENSE_NOTE + " See `LICENSE.md`. Use of the texts is at the user's own responsibility; "
             "the intended uses are research on Vietnamese information extraction and stance (see Limitations).\n\n",
             "## Loading\n\n```python\n" + LOAD_EXAMPLE + "```\n\n",
             "The files are plain Parquet and need no `datasets`:\n\n```python\n" + ARROW_EXAMPLE + "```\n\n",
             "## Configs and splits\n\n",
             "| config | rows |\n|---|---|\n" + "".join(f"| `{c.name}`{' (default)' if c.name == DEFAULT_CONFIG else ''} | {CONFIG_DOCS[c.name]} |\n" for c in configs),
             ("\nConfigs not in this version (their annotation layer does not exist yet): " + ", ".join(f"`{a}`" for a in absent) + ".\n" if absent else ""),
             f"\n`{DEFAULT_CONFIG}` is the default config because every other config's offsets index its `text`, and it exists "
             "whatever layers a version carries. In `ner`, `ner_tags` (the full inventory) is the default tag column, since it "
             "keeps the dataset's own distinctions (GPE vs LOC vs FAC, NORP, EVENT, DATE, QUANTITY); `vlsp_ner_tags` maps "
             "them to the VLSP 2016/2018 set for comparison with Vietnamese NER systems (DATE and QUANTITY become O). Nested "
             "mentions are flattened to the outermost span: a mention inside a longer one is dropped from both tag columns "
             "(for `vlsp_ner_tags` after dropping the mentions that map to O, so a name inside a DATE would be kept). The "
             "`entities` config keeps every mention, with `nested_in`.\n\n",
             "Splits by document: " + "; ".join(f"`{s}` = {', '.join(docs)}" for s, docs in SPLITS.items()) + ". " + SPLIT_REASON
             + " Entities, registry ids and event clusters recur across documents (all five articles report the same talks), "
             "so held-out scores measure generalisation within one news story, not to new topics.\n\n",
             "Rows per split:\n\n" + _splits_table(configs) + "\n",
             "## Corpus statistics\n\n" + stats.documents_table(tree) + "\n",
             ("Entity mentions per type and split:\n\n" + stats.mentions_table(tree) + "\n" if tree.layers["entities"] else ""),
             ("Events per type and realis:\n\n" + stats.events_table(tree) + "\n" if tree.layers["events"] else ""),
             ("Stance records per target and polarity:\n\n" + stats.stance_table(tree) + "\n" if tree.layers["stance"] else ""),
             "## Structure\n\n", _structure(configs),
             _annotation_section(tree, layout), "\n",
             "## Provenance\n\nFrom `seeds/metadata.json`; the status says how a value is known (`stated` in the text, "
             "`likely` from clues in the text), and null values are unknown:\n\n" + provenance_table(metadata) + "\n",
             "## Limitations\n\n",
             "- Five articles on one news story over a few days: too small and too narrow for training general models; "
             "use it for evaluation, error analysis and method development on Vietnamese news.\n"
             "- " + unknown_summary(metadata) + "\n"
             "- The texts carry their outlets' framing of the talks; stance records describe what the texts report, not the "
             "positions the actors actually held.\n"
             "- Words come from an automatic segmenter (`underthesea`) and are not corrected by hand; syllable tokens, "
             "paragraphs and sentences come from rules. Entity spans follow syllable boundaries, so they do not depend on the "
             "word segmentation.\n"
             "- The test split is one document: held-out scores have a wide margin of error.\n"
             "- Every personal name in the texts is annotated as PER (the `entities` config lists them); they are people named "
             "by the press in its reporting. No other personal data are known to be in the texts.\n\n",
             "## Citation\n\n```bibtex\n" + bibtex() + "```\n\n`CITATION.cff` in the project holds the same metadata.\n"]
    return "".join(parts)
