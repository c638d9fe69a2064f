"""``release/croissant.json``: Croissant 1.0 metadata (with the RAI fields that apply) for the release.

Generated from the same metadata as the card and the citation files, and from the declared
features: one record set per config reading that config's Parquet files, a ``split`` field taken
from the file name, one enumeration record set per ClassLabel with the label names, and the
SHA-256 of every Parquet file.
"""
from __future__ import annotations

import hashlib
import json

from . import DATASET_NAME, __version__
from .card import ABSTRACT, AUTHORS, KEYWORDS, LICENSE_NOTE, bibtex, passes_md, unknown_summary
from .release_rows import SPLIT_REASON, SPLITS

CONTEXT = {
    "@language": "en", "@vocab": "https://schema.org/", "citeAs": "cr:citeAs", "column": "cr:column",
    "conformsTo": "dct:conformsTo", "cr": "http://mlcommons.org/croissant/", "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"}, "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/", "examples": {"@id": "cr:examples", "@type": "@json"}, "extract": "cr:extract",
    "field": "cr:field", "fileProperty": "cr:fileProperty", "fileObject": "cr:fileObject", "fileSet": "cr:fileSet",
    "format": "cr:format", "includes": "cr:includes", "isLiveDataset": "cr:isLiveDataset", "jsonPath": "cr:jsonPath",
    "key": "cr:key", "md5": "cr:md5", "parentField": "cr:parentField", "path": "cr:path", "recordSet": "cr:recordSet",
    "references": "cr:references", "regex": "cr:regex", "repeated": "cr:repeated", "replace": "cr:replace",
    "sc": "https://schema.org/", "separator": "cr:separator", "source": "cr:source", "subField": "cr:subField",
    "transform": "cr:transform", "samplingRate": "cr:samplingRate", "equivalentProperty": "cr:equivalentProperty",
}
SCALAR = {"string": "sc:Text", "int32": "sc:Integer", "int64": "sc:Integer", "bool": "sc:Boolean"}


def _data_type(feature) -> str:
    from datasets import ClassLabel, Value

    if isinstance(feature, ClassLabel):
        return "sc:Integer"
    if isinstance(feature, Value):
        return SCALAR[feature.dtype]
    raise TypeError(f"no Croissant type for {feature!r}")


def _field(rs: str, feature, fileset: str, column: str, path: list[str], descriptions: dict) -> dict:
    """One Croissant field for a column or a struct member; structs become subFields.

    A list is a ``repeated`` field; a list of structs is a repeated field whose subFields read
    each item's member (mlcroissant then yields a list of dicts).
    """
    from datasets import ClassLabel, List

    fid = f"{rs}/{'/'.join([column, *path])}"
    desc = descriptions.get(column, column) if not path else f"`{'.'.join([column, *path])}`"
    out = {"@type": "cr:Field", "@id": fid, "name": fid, "description": desc}
    inner, repeated = (feature.feature, True) if isinstance(feature, List) else (feature, False)
    if repeated:
        out["repeated"] = True
    if isinstance(inner, dict):
        out["subField"] = [_field(rs, v, fileset, column, [*path, k], descriptions) for k, v in inner.items()]
        return out
    out["dataType"] = _data_type(inner)
    if isinstance(inner, ClassLabel):
        out["description"] += " (ClassLabel id: " + ", ".join(f"{i} {n}" for i, n in enumerate(inner.names)) + ")"
    out["source"] = {"fileSet": {"@id": fileset}, "extract": {"column": column}}
    if path:
        out["source"]["transform"] = {"jsonPath": ".".join(path)}
    return out


def record_sets(configs) -> list[dict]:
    from .card import COLUMN_DOCS

    splits_rs = {"@type": "cr:RecordSet", "dataType": "cr:Split", "@id": "splits", "name": "splits", "key": {"@id": "splits/name"},
                 "description": "Splits by document. " + SPLIT_REASON,
                 "field": [{"@type": "cr:Field", "@id": "splits/name", "name": "splits/name", "description": "split name", "dataType": "sc:Text"}],
                 "data": [{"splits/name": s} for s in SPLITS]}
    out = [splits_rs]
    for c in configs:
        fileset = f"parquet-{c.name}"
        fields = [{"@type": "cr:Field", "@id": f"{c.name}/split", "name": f"{c.name}/split", "description": "split of the row",
                   "dataType": "sc:Text", "references": {"field": {"@id": "splits/name"}},
                   "source": {"fileSet": {"@id": fileset}, "extract": {"fileProperty": "fullpath"},
                              "transform": {"regex": f"^(?:.*/)?({'|'.join(SPLITS)})(?:-[0-9]+-of-[0-9]+\\.parquet)?$"}}}]
        fields += [_field(c.name, v, fileset, k, [], COLUMN_DOCS[c.name]) for k, v in c.features.items()]
        out.append({"@type": "cr:RecordSet", "@id": c.name, "name": c.name, "description": f"The `{c.name}` config.", "field": fields})
    return out


def distribution(configs) -> list[dict]:
    out = []
    for c in configs:
        for split, data in c.files.items():
            out.append({"@type": "cr:FileObject", "@id": c.path(split), "name": c.path(split), "contentUrl": c.path(split),
                        "encodingFormat": "application/x-parquet", "sha256": hashlib.sha256(data).hexdigest()})
    for c in configs:
        out.append({"@type": "cr:FileSet", "@id": f"parquet-{c.name}", "name": f"parquet-{c.name}",
                    "description": f"Parquet files of the `{c.name}` config, one per split.",
                    "encodingFormat": "application/x-parquet", "includes": f"{c.name}/*.parquet"})
    return out


def rai_fields(layout, metadata: dict) -> dict:
    return {
        "rai:dataCollection": "Five Vietnamese news articles on the January 2022 Russia–US/NATO security talks, kept byte for "
                              "byte as found (UTF-8, NFC) with their SHA-256 sums; provenance per article in the `documents` config.",
        "rai:dataCollectionType": ["Secondary Data Analysis"],
        "rai:dataCollectionMissingData": unknown_summary(metadata) + " Each unknown value has its reason in `documents.metadata`.",
        "rai:dataCollectionRawData": "News article bodies as published by their outlets; the texts are not modified.",
        "rai:dataPreprocessingProtocol": ["Paragraphs, sentences and syllable tokens by rules; words by the underthesea segmenter; "
                                          "no normalisation of the text."],
        "rai:dataAnnotationProtocol": "Hand annotation following the project's GUIDELINES.md (entities with a cross-document registry, "
                                      "PLOVER events with arguments, realis and clusters, stance with holder, target, polarity and "
                                      "evidence), checked by `visectalks validate`. " + passes_md(layout),
        "rai:dataAnnotationAnalysis": "Agreement between the annotation passes: see the dataset card (from reports/agreement.json when computed).",
        "rai:annotatorDemographics": "Not recorded.",
        "rai:dataUseCases": ["Evaluation and error analysis of Vietnamese NER, entity linking, event extraction and stance detection "
                             "on news; not for training general-purpose models (five documents on one story)."],
        "rai:dataBiases": ["One news story seen through Vietnamese outlets over a few days; the texts carry their outlets' framing, "
                           "and the stance layer records what the texts report, not what the actors held."],
        "rai:dataLimitations": ["Five documents; the test split is one document.", LICENSE_NOTE],
        "rai:personalSensitiveInformation": ["Names of people as reported by the press (annotated as PER); no other personal data known."],
        "rai:dataReleaseMaintenancePlan": "Versioned with semantic versioning; CHANGELOG.md records every annotation change by annotation "
                                          "id; splits do not change within a major version.",
    }


def croissant(layout, metadata: dict, configs) -> str:
    doc = {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "name": DATASET_NAME,
        "description": ABSTRACT,
        "conformsTo": "http://mlcommons.org/croissant/1.0",
        "citeAs": bibtex(),
        "license": "https://creativecommons.org/licenses/by/4.0/",
        "version": __version__,
        "inLanguage": "vi",
        "keywords": KEYWORDS,
        "creator": [{"@type": "sc:Organization", **a} for a in AUTHORS],
        **rai_fields(layout, metadata),
        "distribution": distribution(configs),
        "recordSet": record_sets(configs),
    }
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
