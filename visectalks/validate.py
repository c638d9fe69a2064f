"""The validator: JSON Schema first, then semantic and cross-layer checks with stable codes.

Every problem names its code (``errors.CODES``), file, record id and JSON pointer. Checks are
plain functions over loaded records so that other readers (Label Studio import, release)
reuse them.
"""
from __future__ import annotations

import bisect
import os
import re
import stat
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain, compress, islice, repeat
from operator import itemgetter, le, lt
from pathlib import Path

import jsonschema

from . import fastcheck, schemas
from .corpus import text_problems
from .errors import Problem, pointer
from .layers import LAYERS, Tree, load_tree
from .paths import Layout

ID_RE = {"p": r"p[0-9]+", "s": r"s[0-9]+", "t": r"t[0-9]+", "w": r"w[0-9]+", "q": r"q[0-9]+", "M": r"M[0-9]+", "E": r"E[0-9]+", "S": r"S[0-9]+"}


def _is_integer(checker, instance) -> bool:
    """Only real ints are integers: jsonschema also accepts 38.0, which cannot index a string."""
    return isinstance(instance, int) and not isinstance(instance, bool)


_Strict = jsonschema.validators.extend(
    jsonschema.Draft202012Validator,
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_integer))


@lru_cache(maxsize=None)
def _validator(name: str) -> jsonschema.Draft202012Validator:
    return _Strict(schemas.ALL[name]())


@lru_cache(maxsize=None)
def _item_validator(name: str) -> jsonschema.Draft202012Validator:
    return _Strict(schemas.ALL[name]()["items"])


def valid_items(name: str, records) -> list:
    """The items of a list-shaped file (registry, clusters, not_entities) that match their schema."""
    if not isinstance(records, list):
        return []
    return [r for r in records if _item_validator(name).is_valid(r)]


def schema_problems(name: str, record, shown: str, record_id: str, base: tuple = ()) -> list[Problem]:
    """Validate one record against schema ``name``; enum failures on labels become VST003.

    The compiled check (``fastcheck``) answers for valid records; only a rejected record pays
    for ``jsonschema``'s detailed errors.
    """
    if fastcheck.is_valid(name, record):  # compiled check, with real ints only (no 38.0)
        return []
    out = []
    for err in sorted(_validator(name).iter_errors(record), key=lambda e: list(map(str, e.absolute_path))):
        path = pointer(*base, *err.absolute_path)
        code = "VST003" if err.validator == "enum" and err.absolute_path and str(list(err.absolute_path)[-1]) in {"type", "role", "realis", "target", "polarity", "source", "flags"} or (err.validator == "enum" and len(err.absolute_path) >= 2 and str(list(err.absolute_path)[-2]) in {"flags", "exceptions"}) else "VST002"
        msg = err.message if len(err.message) < 200 else err.message[:200] + "…"
        out.append(Problem(code, shown, record_id, path, msg))
    return out


def _rid(record) -> str:
    return str(record.get("id", "")) if isinstance(record, dict) else ""


def _span_problems(text: str, item: dict, shown: str, rid: str, where) -> list[Problem]:
    """VST101/VST102 of one span; ``where`` is its pointer, or the parts of it (built only on error)."""
    start, end = item["start"], item["end"]
    if 0 <= start < end <= len(text) and text[start:end] == item["text"]:
        return []
    where = where if isinstance(where, str) else pointer(*where)
    if not (0 <= start < end <= len(text)):
        return [Problem("VST101", shown, rid, where, f"span [{start}, {end}) is not inside a text of length {len(text)} with start < end")]
    return [Problem("VST102", shown, rid, where + "/text", f"stored text {item['text'][:40]!r} differs from text[start:end] {text[start:end][:40]!r}")]


@lru_cache(maxsize=None)
def _id_rest(kind: str) -> re.Pattern:
    return re.compile(rf"{ID_RE[kind]}$")


def _id_problems(items: list[dict], doc_id: str, kind: str, shown: str, seen: set, base: str) -> list[Problem]:
    out = []
    prefix, rest = doc_id + "-", _id_rest(kind)
    for i, item in enumerate(items):
        rid = item["id"]
        if not (rid.startswith(prefix) and rest.match(rid, len(prefix))):  # ^<doc>-<kind><n>$
            out.append(Problem("VST104", shown, rid, pointer(base, i, "id"), f"id must look like {doc_id}-{kind}<number>"))
        if rid in seen:
            out.append(Problem("VST103", shown, rid, pointer(base, i, "id"), "id occurs twice"))
        seen.add(rid)
    return out


# ---------------------------------------------------------------- corpus documents

SPAN_KINDS = (("p", "paragraphs"), ("s", "sentences"), ("t", "tokens"), ("w", "words"), ("q", "quotes"))
_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")  # category Cc without the newline


_ID, _START, _END, _TEXT = itemgetter("id"), itemgetter("start"), itemgetter("end"), itemgetter("text")


@lru_cache(maxsize=None)
def _schema_implies_id_rest() -> bool:
    """True if the document schema gives the document id the pattern ``^d[0-9]{3,}$`` and each
    span id ``^d[0-9]{3,}-<kind>[0-9]+$``. In a document that matches it, a span id that starts
    with ``<document id>-`` has the same digits after ``d``, so the rest is ``<kind><number>``
    (with at most a final newline, as ``$`` allows, and as ``_id_rest`` allows too)."""
    props = schemas.ALL["document"]().get("properties", {})
    try:
        return props["id"]["pattern"] == "^d[0-9]{3,}$" and all(
            props[key]["items"]["properties"]["id"]["pattern"] == f"^d[0-9]{{3,}}-{ID_RE[kind]}$" for kind, key in SPAN_KINDS)
    except (KeyError, TypeError):
        return False


class _Columns:
    """The id, start and end columns of a document's span lists, each taken once."""

    __slots__ = ("doc", "taken")

    def __init__(self, doc: dict):
        self.doc, self.taken = doc, {}

    def __call__(self, key: str) -> tuple[list, list, list]:
        got = self.taken.get(key)
        if got is None:
            items = self.doc[key]
            got = self.taken[key] = (list(map(_ID, items)), list(map(_START, items)), list(map(_END, items)))
        return got


def _ids_and_spans_clean(doc: dict, doc_id: str, text: str, cols: _Columns | None = None) -> bool:
    """True if no id or span of ``doc`` (a document that matches its schema) has a VST101-VST104
    problem, checked a column at a time (the per-item loop then runs only for a document that
    has one)."""
    prefix, every, size = doc_id + "-", [], len(text)
    rest_implied = _schema_implies_id_rest()
    cols = cols or _Columns(doc)
    for kind, key in SPAN_KINDS:
        items = doc[key]
        if not items:
            continue
        ids, starts, ends = cols(key)
        if not all(map(str.startswith, ids, repeat(prefix))):
            return False
        if not rest_implied and not all(map(_id_rest(kind).match, ids, repeat(len(prefix)))):
            return False
        if min(starts) < 0 or max(ends) > size or not all(map(lt, starts, ends)):
            return False
        if list(map(text.__getitem__, map(slice, starts, ends))) != list(map(_TEXT, items)):
            return False
        every += ids
    return len(set(every)) == len(every)


def check_document(doc: dict, shown: str, seed_text: str | None = None) -> list[Problem]:
    problems = schema_problems("document", doc, shown, _rid(doc))
    if problems:
        return problems
    doc_id, text = doc["id"], doc["text"]
    if not shown.endswith(f"{doc_id}.json"):
        problems.append(Problem("VST104", shown, doc_id, "/id", "document id does not match the file name"))
    if not (unicodedata.is_normalized("NFC", text) and not _CONTROL.search(text)):
        problems += text_problems(text, shown, doc_id)
    if seed_text is not None and seed_text != text:
        problems.append(Problem("VST112", shown, doc_id, "/text", "document text differs from its seed"))
    cols = _Columns(doc)
    if not _ids_and_spans_clean(doc, doc_id, text, cols):
        seen: set = set()
        for kind, key in SPAN_KINDS:
            problems += _id_problems(doc[key], doc_id, kind, shown, seen, key)
            for i, item in enumerate(doc[key]):
                problems += _span_problems(text, item, shown, item["id"], (key, i))
    if any(p.code == "VST101" for p in problems):
        return problems
    problems += _check_paragraphs(doc, shown, cols)
    problems += _check_sentences(doc, shown, cols)
    problems += _check_tokens_words(doc, shown, cols)
    problems += _check_quotes(doc, shown)
    return problems


def _in_order(starts: list, ends: list) -> bool:
    """True if each span ends at or before the next one starts."""
    return all(map(le, ends, islice(starts, 1, None)))


def _ordered(items: list[dict], shown: str, key: str, cols: _Columns | None = None) -> list[Problem]:
    _ids, starts, ends = (cols or _Columns({key: items}))(key)
    if _in_order(starts, ends):
        return []
    for i in range(1, len(items)):
        if items[i]["start"] < items[i - 1]["end"]:
            return [Problem("VST105", shown, items[i]["id"], pointer(key, i), f"overlaps or precedes {items[i - 1]['id']}")]
    return []


def _check_paragraphs(doc: dict, shown: str, cols: _Columns | None = None) -> list[Problem]:
    text, paras = doc["text"], doc["paragraphs"]
    problems = _ordered(paras, shown, "paragraphs", cols)
    if problems:
        return problems
    pos = 0
    for i, p in enumerate(paras + [None]):
        gap_end = p["start"] if p else len(text)
        gap = text[pos:gap_end]
        if gap.strip():
            rid = p["id"] if p else doc["id"]
            problems.append(Problem("VST106", shown, rid, pointer("paragraphs", i) if p else "/text", f"non-whitespace text {gap.strip()[:30]!r} lies outside every paragraph"))
        if p:
            pos = p["end"]
    return problems


def _check_sentences(doc: dict, shown: str, cols: _Columns | None = None) -> list[Problem]:
    text = doc["text"]
    paras = {p["id"]: p for p in doc["paragraphs"]}
    problems = _ordered(doc["sentences"], shown, "sentences", cols)
    for i, s in enumerate(doc["sentences"]):
        p = paras.get(s["paragraph_id"])
        if p is None or not (p["start"] <= s["start"] and s["end"] <= p["end"]):
            problems.append(Problem("VST107", shown, s["id"], pointer("sentences", i, "paragraph_id"), f"sentence is not inside paragraph {s['paragraph_id']}"))
    rest = list(text)  # the text with every sentence blanked out
    for s in doc["sentences"]:
        rest[s["start"]:s["end"]] = " " * (s["end"] - s["start"])
    for i, p in enumerate(doc["paragraphs"]):
        if "".join(rest[p["start"]:p["end"]]).strip():
            problems.append(Problem("VST106", shown, p["id"], pointer("paragraphs", i), "paragraph text is not covered by its sentences"))
    return problems


def _tokens_words_clean(doc: dict, cols: _Columns | None = None) -> bool:
    """True if every token lies inside one sentence (VST108) and every word covers whole tokens
    matching its token_ids (VST109), checked a column at a time in a document whose sentences
    are in order and whose spans lie inside its text; False: not sure."""
    cols = cols or _Columns(doc)
    _s_ids, s_starts, s_ends = cols("sentences")
    if not _in_order(s_starts, s_ends):
        return False
    # end_at[k]: the end of the sentence holding character k (-1: none). With sentences in
    # order, the sentence that ``bisect`` finds for a token holds its start, or none does.
    end_at = [-1] * len(doc["text"])
    for a, b in zip(s_starts, s_ends):
        end_at[a:b] = [b] * (b - a)
    t_ids, t_starts, t_ends = cols("tokens")
    if not all(map(le, t_ends, map(end_at.__getitem__, t_starts))):
        return False
    _w_ids, w_starts, w_ends = cols("words")
    w_tokens = list(map(itemgetter("token_ids"), doc["words"]))
    if not (set(t_starts).issuperset(w_starts) and set(t_ends).issuperset(w_ends)):
        return False
    start_of, end_of = dict(zip(t_ids, t_starts)), dict(zip(t_ids, t_ends))
    if not start_of.keys() >= set(chain.from_iterable(w_tokens)):
        return False
    return (list(map(start_of.__getitem__, map(itemgetter(0), w_tokens))) == w_starts
            and list(map(end_of.__getitem__, map(itemgetter(-1), w_tokens))) == w_ends)


def _check_tokens_words(doc: dict, shown: str, cols: _Columns | None = None) -> list[Problem]:
    cols = cols or _Columns(doc)
    problems = _ordered(doc["tokens"], shown, "tokens", cols) + _ordered(doc["words"], shown, "words", cols)
    if _tokens_words_clean(doc, cols):
        return problems
    sents = doc["sentences"]
    starts = [s["start"] for s in sents]
    for i, t in enumerate(doc["tokens"]):
        k = bisect.bisect_right(starts, t["start"]) - 1
        if k < 0 or t["end"] > sents[k]["end"]:
            problems.append(Problem("VST108", shown, t["id"], pointer("tokens", i), "token is not inside one sentence"))
    tokens = {t["id"]: t for t in doc["tokens"]}
    token_starts = {t["start"] for t in doc["tokens"]}
    token_ends = {t["end"] for t in doc["tokens"]}
    for i, w in enumerate(doc["words"]):
        parts = [tokens.get(tid) for tid in w["token_ids"]]
        if w["start"] not in token_starts or w["end"] not in token_ends or None in parts or parts[0]["start"] != w["start"] or parts[-1]["end"] != w["end"]:
            problems.append(Problem("VST109", shown, w["id"], pointer("words", i), "word does not cover whole syllable tokens matching its token_ids"))
    return problems


CLOSING = {"“": "”", "‘": "’", "«": "»", "\"": "\"", "'": "'"}


def _check_quotes(doc: dict, shown: str) -> list[Problem]:
    problems = []
    for i, q in enumerate(doc["quotes"]):
        t = q["text"]
        if len(t) < 2 or t[0] != q["open_mark"] or t[-1] != CLOSING[q["open_mark"]]:
            problems.append(Problem("VST113", shown, q["id"], pointer("quotes", i), "quote span does not start and end with its pair of marks"))
    return problems


# ---------------------------------------------------------------- entities

def _syllable_bounds(doc: dict) -> tuple[set, set]:
    return {t["start"] for t in doc["tokens"]}, {t["end"] for t in doc["tokens"]}


def check_entities(records: list, doc: dict | None, shown: str, registry_ids: dict | None, doc_key: str) -> list[Problem]:
    problems = []
    good = []
    all_valid = fastcheck.all_valid("entity", records)
    for i, m in enumerate(records):
        found = [] if all_valid else schema_problems("entity", m, shown, _rid(m), (i,))
        if found:
            problems += found
            continue
        if doc is None or m["doc"] != doc_key:
            problems.append(Problem("VST207", shown, m["id"], pointer(i, "doc"), f"document {m['doc']!r} is not in the corpus (or not this file's document)"))
            continue
        good.append((i, m))
    if doc is None:
        return problems
    starts, ends = _syllable_bounds(doc)
    seen_ids: set = set()
    spans: set = set()  # (start, end, type) of the mentions seen so far
    ok = []
    for i, m in good:
        if not m["id"].startswith(doc["id"] + "-"):
            problems.append(Problem("VST104", shown, m["id"], pointer(i, "id"), "mention id does not start with its document id"))
        if m["id"] in seen_ids:
            problems.append(Problem("VST103", shown, m["id"], pointer(i, "id"), "id occurs twice"))
        seen_ids.add(m["id"])
        span_errors = _span_problems(doc["text"], m, shown, m["id"], (i,))
        if span_errors:
            problems += span_errors
            continue
        if m["start"] not in starts or m["end"] not in ends:
            problems.append(Problem("VST201", shown, m["id"], pointer(i, "start"), "mention does not start and end on syllable boundaries"))
        if registry_ids is not None:
            rec = registry_ids.get(m["entity"])
            if rec is None:
                problems.append(Problem("VST202", shown, m["id"], pointer(i, "entity"), f"registry has no id {m['entity']!r}"))
            elif rec.get("type") != m["type"] and "metonymy" not in m["flags"]:
                problems.append(Problem("VST205", shown, m["id"], pointer(i, "type"), f"type {m['type']} differs from registry type {rec.get('type')} without the metonymy flag"))
        key = (m["start"], m["end"], m["type"])
        if key in spans:
            problems.append(Problem("VST203", shown, m["id"], pointer(i), "another mention has the same span and type"))
        spans.add(key)
        ok.append((i, m))
    ordered = sorted(ok, key=lambda im: (im[1]["start"], -im[1]["end"]))
    open_spans: list = []
    for i, m in ordered:
        open_spans = [o for o in open_spans if o[1]["end"] > m["start"]]
        for _j, o in open_spans:
            if m["end"] > o["end"]:
                problems.append(Problem("VST204", shown, m["id"], pointer(i), f"crosses mention {o['id']}"))
        open_spans.append((i, m))
    return problems


def check_registry(registry, shown: str) -> tuple[dict, list[Problem]]:
    problems = schema_problems("registry", registry, shown, "")
    if problems:
        return {r["id"]: r for r in valid_items("registry", registry)}, problems
    by_id = {}
    for i, rec in enumerate(registry):
        if rec["id"] in by_id:
            problems.append(Problem("VST206", shown, rec["id"], pointer(i, "id"), "registry id occurs twice"))
        by_id[rec["id"]] = rec
    return by_id, problems


def alias_forms(rec: dict) -> set[str]:
    """Surface forms of a registry record: its names and aliases without '(metonym)' notes."""
    try:
        return set(_alias_forms(rec["name_vi"], tuple(rec["aliases"])))
    except TypeError:  # unhashable values in a malformed record: nothing to cache
        return set(_alias_forms.__wrapped__(rec["name_vi"], rec["aliases"]))


def _forms(rec: dict) -> frozenset[str] | set[str]:
    """``alias_forms`` without a copy (for reading only)."""
    try:
        return _alias_forms(rec["name_vi"], tuple(rec["aliases"]))
    except TypeError:
        return alias_forms(rec)


@lru_cache(maxsize=4096)
def _alias_forms(name_vi: str, aliases: tuple) -> frozenset[str]:
    """Cached: the validator asks for the same records' forms once per document."""
    forms = {name_vi}
    for alias in aliases:
        forms.add(re.sub(r"\s*\(.*\)\s*$", "", alias).strip())
    return frozenset(f for f in forms if f)


@lru_cache(maxsize=4096)
def _literal(form: str) -> re.Pattern:
    return re.compile(re.escape(form))


def check_registry_names(tree: Tree, by_id: dict) -> list[Problem]:
    """Every mention's text must be listed among its registry record's names (VST206)."""
    problems = []
    for doc_key, records in tree.layers["entities"].items():
        shown = tree.layer_files["entities"][doc_key]
        for i, m in enumerate(records):
            if not isinstance(m, dict) or m.get("entity") not in by_id or not isinstance(m.get("text"), str):
                continue
            rec = by_id[m["entity"]]
            if rec["type"] in ("DATE", "QUANTITY"):
                continue
            if m["text"] not in _forms(rec):
                problems.append(Problem("VST206", shown, str(m.get("id")), pointer(i, "text"), f"text {m['text']!r} is not a name or alias of registry record {rec['id']!r}"))
    return problems


# ---------------------------------------------------------------- coverage

SENTENCE_OPENERS = ".!?…:“\"‘'(*–-"


def _opens_sentence(text: str, pos: int) -> bool:
    """True if ``pos`` starts a line, or follows sentence-final punctuation or an opening mark."""
    k = pos - 1
    while k >= 0 and text[k].isspace() and text[k] != "\n":
        k -= 1
    return k < 0 or text[k] == "\n" or text[k] in SENTENCE_OPENERS


def _widen_to_words(doc: dict, start: int, end: int, covered: list) -> tuple[int, int]:
    """Widen a run of flagged syllables to its words, then trim syllables that a mention covers."""
    touched = [w for w in doc["words"] if w["start"] < end and w["end"] > start]
    if not touched:
        return start, end
    ws, we = min(w["start"] for w in touched), max(w["end"] for w in touched)
    free = [t for t in doc["tokens"] if ws <= t["start"] and t["end"] <= we and not any(covered[t["start"]:t["end"]])]
    return (free[0]["start"], free[-1]["end"]) if free else (start, end)


def registry_forms(registry: dict) -> tuple[str, ...]:
    """Every name and alias form of the registry records that coverage looks for (all but DATE
    and QUANTITY records), each once."""
    forms: dict[str, None] = {}
    for rec in registry.values():
        if rec["type"] not in ("DATE", "QUANTITY"):
            forms.update(dict.fromkeys(sorted(_forms(rec))))
    return tuple(forms)


def _capitalised_runs(doc: dict, covered: list, t_starts: list, t_ends: list) -> list[tuple[int, int]]:
    """Runs of flagged tokens (capitalised, not covered, not opening a sentence), consecutive
    tokens with only whitespace between them, each widened to its words. Only a capitalised
    token can be flagged, so only those are looked at."""
    text, tokens, found = doc["text"], doc["tokens"], []
    run: list[int] = []
    for k in compress(range(len(tokens)), map(str.isupper, map(itemgetter(0), map(_TEXT, tokens)))):
        a, b = t_starts[k], t_ends[k]
        if any(covered[a:b]) or _opens_sentence(text, a):
            continue
        if run and run[-1] == k - 1 and not text[t_ends[k - 1]:a].strip():
            run.append(k)
            continue
        if run:
            found.append(_widen_to_words(doc, t_starts[run[0]], t_ends[run[-1]], covered))
        run = [k]
    if run:
        found.append(_widen_to_words(doc, t_starts[run[0]], t_ends[run[-1]], covered))
    return found


def coverage_gaps(doc: dict, mentions: list[dict], registry: dict, not_entities: list, shown: str,
                  forms: tuple[str, ...] | None = None) -> list[Problem]:
    """Names in the text that no mention covers and no not_entities entry explains (VST208).

    Candidates are (a) runs of capitalised words that are not the first word of a sentence or
    quotation, and (b) every occurrence of a registry name or alias (DATE and QUANTITY records
    excluded) on syllable boundaries; ``forms``, if given, are ``registry_forms(registry)``.
    """
    text = doc["text"]
    size = len(text)
    covered = [False] * size
    for m in mentions:
        a, b = max(0, m["start"]), min(size, m["end"])
        if a < b:
            covered[a:b] = [True] * (b - a)
    explained = {}
    for entry in not_entities:
        if not entry.get("docs") or doc["id"] in entry["docs"]:
            explained[entry["text"]] = entry
    tokens = doc["tokens"]
    t_starts, t_ends = list(map(_START, tokens)), list(map(_END, tokens))
    starts, ends = set(t_starts), set(t_ends)
    candidates = _capitalised_runs(doc, covered, t_starts, t_ends)
    for form in registry_forms(registry) if forms is None else forms:
        if form not in text:
            continue
        for match in _literal(form).finditer(text):
            s, e = match.span()
            if s in starts and e in ends and not any(covered[s:e]):
                candidates.append((s, e))
    problems = []
    for s, e in sorted(set(candidates)):
        if text[s:e] in explained:
            continue
        problems.append(Problem("VST208", shown, doc["id"], "", f"[{s}, {e}) {text[s:e]!r} is neither annotated nor listed in not_entities.json"))
    return problems


# ---------------------------------------------------------------- events

def _sentence_of(doc: dict, pos: int) -> dict | None:
    return _sentence_at(doc["sentences"], [s["start"] for s in doc["sentences"]], pos)


def _sentence_at(sentences: list[dict], starts: list[int], pos: int) -> dict | None:
    k = bisect.bisect_right(starts, pos) - 1
    return sentences[k] if k >= 0 and pos < sentences[k]["end"] else None


def check_events(records: list, doc: dict | None, shown: str, mentions: dict, cluster_ids: set | None, doc_key: str) -> list[Problem]:
    problems = []
    seen: set = set()
    triggers: set = set()  # (start, end, type) of the triggers seen so far
    word_starts = set(map(_START, doc["words"])) if doc else set()
    word_ends = set(map(_END, doc["words"])) if doc else set()
    sentence_starts = list(map(_START, doc["sentences"])) if doc else []
    all_valid = fastcheck.all_valid("event", records)
    for i, ev in enumerate(records):
        found = [] if all_valid else schema_problems("event", ev, shown, _rid(ev), (i,))
        if found:
            problems += found
            continue
        if doc is None or ev["doc"] != doc_key:
            problems.append(Problem("VST207", shown, ev["id"], pointer(i, "doc"), f"document {ev['doc']!r} is not in the corpus (or not this file's document)"))
            continue
        if not ev["id"].startswith(doc["id"] + "-"):
            problems.append(Problem("VST104", shown, ev["id"], pointer(i, "id"), "event id does not start with its document id"))
        if ev["id"] in seen:
            problems.append(Problem("VST103", shown, ev["id"], pointer(i, "id"), "id occurs twice"))
        seen.add(ev["id"])
        trig = ev["trigger"]
        span_errors = _span_problems(doc["text"], trig, shown, ev["id"], (i, "trigger"))
        if span_errors:
            problems += span_errors
            continue
        if trig["start"] not in word_starts or trig["end"] not in word_ends:
            problems.append(Problem("VST302", shown, ev["id"], pointer(i, "trigger"), "trigger does not start and end on word boundaries"))
        key = (trig["start"], trig["end"], ev["type"])
        if key in triggers:
            problems.append(Problem("VST305", shown, ev["id"], pointer(i, "trigger"), "another event has the same trigger span and type"))
        triggers.add(key)
        if ev["cluster"] is not None and cluster_ids is not None and ev["cluster"] not in cluster_ids:
            problems.append(Problem("VST304", shown, ev["id"], pointer(i, "cluster"), f"cluster {ev['cluster']!r} is not in clusters.json"))
        sentence = _sentence_at(doc["sentences"], sentence_starts, trig["start"])
        for k, arg in enumerate(ev["arguments"]):
            m = mentions.get(arg["ref"])
            if m is None:
                problems.append(Problem("VST301", shown, ev["id"], pointer(i, "arguments", k, "ref"), f"no entity mention {arg['ref']!r}"))
            elif sentence is None or not (sentence["start"] <= m["start"] and m["end"] <= sentence["end"]):
                problems.append(Problem("VST303", shown, ev["id"], pointer(i, "arguments", k, "ref"), f"argument {arg['ref']} is outside the trigger's sentence"))
    return problems


def check_clusters(clusters, shown: str) -> tuple[set, list[Problem]]:
    problems = schema_problems("clusters", clusters, shown, "")
    ids: set = set()
    if isinstance(clusters, list):
        for i, c in enumerate(clusters):
            if isinstance(c, dict) and isinstance(c.get("id"), str):
                if c["id"] in ids:
                    problems.append(Problem("VST103", shown, c["id"], pointer(i, "id"), "cluster id occurs twice"))
                ids.add(c["id"])
    return ids, problems


# ---------------------------------------------------------------- stance

def check_stance(records: list, doc: dict | None, shown: str, mentions: dict, doc_key: str) -> list[Problem]:
    problems = []
    seen: set = set()
    quotes = {q["id"]: q for q in doc["quotes"]} if doc else {}
    all_valid = fastcheck.all_valid("stance", records)
    for i, st in enumerate(records):
        found = [] if all_valid else schema_problems("stance", st, shown, _rid(st), (i,))
        if found:
            problems += found
            continue
        if doc is None or st["doc"] != doc_key:
            problems.append(Problem("VST207", shown, st["id"], pointer(i, "doc"), f"document {st['doc']!r} is not in the corpus (or not this file's document)"))
            continue
        if not st["id"].startswith(doc["id"] + "-"):
            problems.append(Problem("VST104", shown, st["id"], pointer(i, "id"), "stance id does not start with its document id"))
        if st["id"] in seen:
            problems.append(Problem("VST103", shown, st["id"], pointer(i, "id"), "id occurs twice"))
        seen.add(st["id"])
        ev = st["evidence"]
        span_errors = _span_problems(doc["text"], ev, shown, st["id"], (i, "evidence"))
        if span_errors:
            problems += span_errors
            continue
        if (st["source"] == "author") != (st["holder"] == "AUTHOR"):
            problems.append(Problem("VST404", shown, st["id"], pointer(i, "source"), "source 'author' goes with holder AUTHOR and only with it"))
        if st["holder"] != "AUTHOR":
            holder = mentions.get(st["holder"])
            if holder is None:
                problems.append(Problem("VST401", shown, st["id"], pointer(i, "holder"), f"no entity mention {st['holder']!r}"))
            elif not _holder_ok(doc, holder, ev, st["exceptions"]):
                problems.append(Problem("VST402", shown, st["id"], pointer(i, "holder"), "holder is not before or inside the evidence in its paragraph"))
        if st["source"] == "direct_quote":
            q = quotes.get(st["quote"]) if st["quote"] else None
            if q is None or not (q["start"] < ev["start"] and ev["end"] < q["end"]):
                problems.append(Problem("VST403", shown, st["id"], pointer(i, "quote"), "direct_quote evidence must lie inside the quote it names"))
        elif st["quote"] is not None and st["quote"] not in quotes:
            problems.append(Problem("VST403", shown, st["id"], pointer(i, "quote"), f"unknown quote {st['quote']!r}"))
    return problems


def paragraph_index(doc: dict, pos: int) -> int | None:
    for k, p in enumerate(doc["paragraphs"]):
        if p["start"] <= pos < p["end"]:
            return k
    return None


def _holder_ok(doc: dict, holder: dict, ev: dict, exceptions: list) -> bool:
    pe, ph = paragraph_index(doc, ev["start"]), paragraph_index(doc, holder["start"])
    if pe is None or ph is None:
        return False
    if "holder_in_previous_paragraph" in exceptions:
        return ph == pe - 1
    return ph == pe and holder["start"] < ev["end"]


# ---------------------------------------------------------------- whole trees

def check_metadata(layout: Layout) -> list[Problem]:
    from .jsonio import read_json
    from .stream import is_large, metadata_problems

    if is_large(layout.seeds / "metadata.json"):  # a large corpus: read one record at a time
        return metadata_problems(layout)
    meta, problems = read_json(layout.seeds / "metadata.json", "seeds/metadata.json")
    if problems:
        return problems
    return schema_problems("metadata", meta, "seeds/metadata.json", "")


def _seed_text(seed_dir: Path, name) -> str | None:
    """The seed a document names, if it is a plain file name in seeds/ (never a path elsewhere)."""
    if not isinstance(name, str) or not name or Path(name).name != name or name in (".", ".."):
        return None
    try:  # opened without waiting (a pipe), read only if it is a regular file
        fd = os.open(os.path.join(seed_dir, name), os.O_RDONLY | os.O_NONBLOCK)
    except (OSError, ValueError):  # no such file, a name too long for the file system, a NUL
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        with open(fd, "rb", closefd=False) as fh:
            return fh.read().decode("utf-8", errors="replace")
    except OSError:
        return None
    finally:
        os.close(fd)


@dataclass
class Side:
    """What every document's checks need from the side files (registry, not_entities, clusters)."""

    registry: dict | None  # by id; None when the tree has no registry
    not_entities: list
    cluster_ids: set | None
    registry_problems: list[Problem]  # registry and not_entities files
    cluster_problems: list[Problem]
    forms: tuple[str, ...] | None = None  # registry_forms(registry), looked for by coverage


def side_checks(tree: Tree) -> Side:
    registry, problems = None, []
    if tree.registry is not None:
        registry, problems = check_registry(tree.registry, tree.registry_file)
    if tree.not_entities_file:
        problems += schema_problems("not_entities", tree.not_entities, tree.not_entities_file, "")
    cluster_ids, cluster_problems = None, []
    if tree.clusters is not None:
        cluster_ids, cluster_problems = check_clusters(tree.clusters, tree.clusters_file)
    forms = registry_forms(registry) if registry is not None else None
    return Side(registry, valid_items("not_entities", tree.not_entities), cluster_ids, problems, cluster_problems, forms)


def document_checks(tree: Tree) -> tuple[list[Problem], set[str]]:
    """Problems of every document, and the documents whose shape is wrong (annotation checks
    against them would fail, so they are skipped)."""
    problems, unusable = [], set()
    for doc_id, doc in tree.docs.items():
        found = check_document(doc, tree.doc_files[doc_id], _seed_text(tree.layout.seeds, doc.get("seed_file")))
        if not found and Path(doc["seed_file"]).name != doc["seed_file"]:
            found.append(Problem("VST002", tree.doc_files[doc_id], doc_id, "/seed_file", "seed_file must be a file name in seeds/, not a path"))
        problems += found
        if any(p.code in ("VST002", "VST003") for p in found):
            unusable.add(doc_id)
    return problems, unusable


def entity_checks(tree: Tree, side: Side, unusable: set[str], coverage: bool) -> tuple[list[Problem], dict[str, dict]]:
    """Problems of every entity file (with coverage), and each file's mentions by id."""
    problems, mentions_by_doc = [], {}
    for key, records in tree.layers["entities"].items():
        doc = tree.docs.get(key)
        shown = tree.layer_files["entities"][key]
        if key in unusable:
            continue
        problems += check_entities(records, doc, shown, side.registry, key)
        mentions_by_doc[key] = {m["id"]: m for m in records if isinstance(m, dict) and isinstance(m.get("id"), str) and isinstance(m.get("start"), int) and isinstance(m.get("end"), int)}
        if coverage and doc is not None and side.registry is not None and shown not in tree.unreadable:
            problems += coverage_gaps(doc, list(mentions_by_doc[key].values()), side.registry, side.not_entities, shown, side.forms)
    return problems, mentions_by_doc


def event_stance_checks(tree: Tree, side: Side, unusable: set[str], mentions_by_doc: dict) -> tuple[list[Problem], list[Problem]]:
    events, stance = [], []
    for key, records in tree.layers["events"].items():
        if key not in unusable:
            events += check_events(records, tree.docs.get(key), tree.layer_files["events"][key], mentions_by_doc.get(key, {}), side.cluster_ids, key)
    for key, records in tree.layers["stance"].items():
        if key not in unusable:
            stance += check_stance(records, tree.docs.get(key), tree.layer_files["stance"][key], mentions_by_doc.get(key, {}), key)
    return events, stance


def tree_parts(tree: Tree, side: Side, coverage: bool = True) -> list[list[Problem]]:
    """The problems of a tree's documents and layers, in the order of ``check_tree``: documents,
    entities (with coverage), registry names, events, stance. ``validate_stream`` runs this on
    one document at a time."""
    docs, unusable = document_checks(tree)
    entities, mentions_by_doc = entity_checks(tree, side, unusable, coverage)
    names = check_registry_names(tree, side.registry) if side.registry is not None else []
    events, stance = event_stance_checks(tree, side, unusable, mentions_by_doc)
    return [docs, entities, names, events, stance]


def check_tree(tree: Tree, only_files: set[str] | None = None, coverage: bool = True) -> list[Problem]:
    """Run every check over a loaded tree; keep problems of ``only_files`` if given."""
    side = side_checks(tree)
    docs, entities, names, events, stance = tree_parts(tree, side, coverage)
    problems = tree.problems + docs + side.registry_problems + entities + names + side.cluster_problems + events + stance
    if only_files is not None:
        problems = [p for p in problems if p.file in only_files]
    return problems


def validate(layout: Layout, paths: list[Path] | None = None, pass_name: str | None = None, jobs: int | None = None) -> list[Problem]:
    """Validate the project (no paths) or the given files against the rest of the project.

    The whole project is read one document at a time (``validate_stream``), on ``jobs``
    processes (None: every core for a large corpus, one for a small one).
    """
    from . import seeds

    if not paths:
        from .stream import verify_seeds
        from .validate_stream import check_layout

        # the checksum checks read fields of every metadata record: only metadata of the right shape
        problems = check_metadata(layout) or verify_seeds(layout.seeds)
        problems += check_layout(layout, pass_name, jobs)
        passes = layout.annotations / "passes"
        if pass_name is None and passes.is_dir():
            for sub in sorted(p for p in passes.iterdir() if p.is_dir()):
                problems += check_layout(layout, sub.name, jobs)
        return problems
    tree = load_tree(layout, pass_name)
    only: set[str] = set()
    problems: list[Problem] = []
    for path in paths:
        path = Path(path)
        if path.is_dir() and (path / "SHA256SUMS").exists():
            shape = check_metadata(Layout(path.parent)) if path.name == "seeds" else []
            problems += shape or seeds.verify(path)
            continue
        try:
            tree.overlay(path)
        except ValueError as exc:
            problems.append(Problem("VST606", tree.shown(path), "", "", str(exc).split(": ", 1)[-1]))
            continue
        only.add(tree.shown(path))
    return problems + check_tree(tree, only)
