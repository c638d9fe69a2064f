"""Building corpus documents from seeds: ids, offsets and segmentation layers.

``build_document`` is a pure function of the seed text and its metadata record, so that it can
run in worker processes or under ``datasets.Dataset.map``.
"""
from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Iterator

from . import segment
from .errors import Problem, ProblemsError, pointer
from .jsonio import read_json


def span(text: str, start: int, end: int, **extra) -> dict:
    return {**extra, "start": start, "end": end, "text": text[start:end]}


def _roles(doc_meta: dict, text: str, paras: list[tuple[int, int]]) -> tuple[list[str], list[Problem]]:
    roles = ["body"] * len(paras)
    problems = []
    for k, entry in enumerate(doc_meta.get("paragraph_roles", [])):
        index = entry["paragraph"] - 1
        where = pointer("documents", doc_meta["id"], "paragraph_roles", k)
        if not 0 <= index < len(paras) or not text[paras[index][0] : paras[index][1]].startswith(entry["starts_with"]):
            problems.append(Problem("VST012", "seeds/metadata.json", doc_meta["id"], where,
                                    f"paragraph {entry['paragraph']} does not start with {entry['starts_with']!r}"))
            continue
        roles[index] = entry["role"]
    return roles, problems


def build_document(text: str, doc_meta: dict, segmenter=segment.segment_words, segmenter_info: dict | None = None) -> dict:
    """Segment one seed text into the corpus document record."""
    doc_id = doc_meta["id"]
    paras = segment.paragraphs(text)
    roles, problems = _roles(doc_meta, text, paras)
    if problems:
        raise ProblemsError(problems)
    doc = {
        "id": doc_id,
        "seed_file": doc_meta["file"],
        "sha256": doc_meta["sha256"],
        "language": "vi",
        "segmenter": segmenter_info or segment.segmenter_info(),
        "text": text,
        "paragraphs": [],
        "sentences": [],
        "tokens": [],
        "words": [],
        "quotes": [],
    }
    for p_index, ((ps, pe), role) in enumerate(zip(paras, roles), start=1):
        pid = f"{doc_id}-p{p_index:03d}"
        doc["paragraphs"].append(span(text, ps, pe, id=pid, role=role))
        qspans = segment.quotes(text, ps, pe)
        for qs, qe, mark in qspans:
            doc["quotes"].append(span(text, qs, qe, id=f"{doc_id}-q{len(doc['quotes']) + 1:03d}", open_mark=mark))
        for ss, se in segment.sentences(text, ps, pe, qspans):
            sid = f"{doc_id}-s{len(doc['sentences']) + 1:03d}"
            doc["sentences"].append(span(text, ss, se, id=sid, paragraph_id=pid))
            toks = segment.syllables(text, ss, se)
            first = len(doc["tokens"])
            for ts, te in toks:
                doc["tokens"].append(span(text, ts, te, id=f"{doc_id}-t{len(doc['tokens']) + 1:05d}"))
            for group in segment.align_words(text, toks, segmenter(text[ss:se])):
                ws, we = toks[group[0]][0], toks[group[-1]][1]
                ids = [doc["tokens"][first + k]["id"] for k in group]
                doc["words"].append(span(text, ws, we, id=f"{doc_id}-w{len(doc['words']) + 1:05d}", token_ids=ids))
    doc["quotes"].sort(key=lambda q: (q["start"], -q["end"]))
    for k, q in enumerate(doc["quotes"], start=1):
        q["id"] = f"{doc_id}-q{k:03d}"
    return doc


def text_problems(text: str, shown: str, record: str) -> list[Problem]:
    """NFC and control-character checks shared by the build and the validator."""
    problems = []
    if unicodedata.normalize("NFC", text) != text:
        problems.append(Problem("VST110", shown, record, "/text", "text is not in Unicode NFC"))
    for i, ch in enumerate(text):
        if ch != "\n" and unicodedata.category(ch) == "Cc":
            problems.append(Problem("VST111", shown, record, "/text", f"control character U+{ord(ch):04X} at offset {i}"))
            break
    return problems


def load_documents(corpus_dir: Path) -> Iterator[tuple[Path, dict | None, list[Problem]]]:
    for path in sorted(Path(corpus_dir).glob("*.json")):
        doc, problems = read_json(path, f"corpus/{path.name}")
        yield path, doc, problems


def load_corpus(corpus_dir: Path) -> dict[str, dict]:
    """All corpus documents by id (raises on unreadable files)."""
    docs = {}
    for _path, doc, problems in load_documents(corpus_dir):
        if problems:
            raise ProblemsError(problems)
        docs[doc["id"]] = doc
    return docs
