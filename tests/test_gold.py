"""Real properties of the gold annotations, checked independently of the validator's code."""
from __future__ import annotations

import json
import re

import pytest

LAYERS = ("entities", "events", "stance")


def _span(record: dict, layer: str) -> dict:
    return {"entities": record, "events": record.get("trigger"), "stance": record.get("evidence")}[layer]


@pytest.mark.parametrize("layer", LAYERS)
def test_every_span_text_equals_corpus_text(tree, corpus, layer):
    assert set(tree.layers[layer]) == set(corpus)
    for doc_id, records in tree.layers[layer].items():
        text = corpus[doc_id]["text"]
        assert records, f"{layer} of {doc_id} is empty"
        for r in records:
            s = _span(r, layer)
            assert text[s["start"]:s["end"]] == s["text"], r["id"]


def test_ids_unique_and_prefixed(tree):
    seen = set()
    for layer in LAYERS:
        for doc_id, records in tree.layers[layer].items():
            for r in records:
                assert r["id"].startswith(doc_id + "-") and r["id"] not in seen
                seen.add(r["id"])


def test_no_dangling_references(tree):
    mentions = {m["id"] for recs in tree.layers["entities"].values() for m in recs}
    registry = {r["id"] for r in tree.registry}
    clusters = {c["id"] for c in tree.clusters}
    for recs in tree.layers["entities"].values():
        assert all(m["entity"] in registry for m in recs)
    for recs in tree.layers["events"].values():
        for e in recs:
            assert all(a["ref"] in mentions for a in e["arguments"])
            assert e["cluster"] is None or e["cluster"] in clusters
    for recs in tree.layers["stance"].values():
        assert all(s["holder"] == "AUTHOR" or s["holder"] in mentions for s in recs)
    used = {e["cluster"] for recs in tree.layers["events"].values() for e in recs}
    assert clusters <= used


def test_entity_spans_on_syllable_boundaries_and_nested_well(tree, corpus):
    for doc_id, recs in tree.layers["entities"].items():
        starts = {t["start"] for t in corpus[doc_id]["tokens"]}
        ends = {t["end"] for t in corpus[doc_id]["tokens"]}
        for m in recs:
            assert m["start"] in starts and m["end"] in ends, m["id"]
        for x in recs:
            for y in recs:
                crossing = x["start"] < y["start"] < x["end"] < y["end"]
                assert not crossing, (x["id"], y["id"])


def test_every_alias_occurrence_is_annotated_or_explained(tree, corpus):
    explained = {e["text"] for e in tree.not_entities}
    for rec in tree.registry:
        if rec["type"] in ("DATE", "QUANTITY"):
            continue
        forms = {re.sub(r"\s*\(.*\)$", "", a) for a in rec["aliases"]} | {rec["name_vi"]}
        for doc_id, doc in corpus.items():
            starts = {t["start"] for t in doc["tokens"]}
            ends = {t["end"] for t in doc["tokens"]}
            spans = [(m["start"], m["end"]) for m in tree.layers["entities"][doc_id]]
            for form in forms:
                for match in re.finditer(re.escape(form), doc["text"]):
                    s, e = match.span()
                    if s in starts and e in ends:
                        assert any(ms < e and s < me for ms, me in spans) or form in explained, (doc_id, form, s)


def _mentions(tree, doc_id, text):
    return [m for m in tree.layers["entities"][doc_id] if m["text"] == text]


def test_guideline_examples_hold_in_gold(tree):
    # E3: titles stay outside PER spans; E4: the country inside the title is a GPE
    ryabkov = _mentions(tree, "d000", "Sergei Ryabkov")
    assert ryabkov and all(m["type"] == "PER" for m in ryabkov)
    assert not [m for m in tree.layers["entities"]["d000"] if m["text"].startswith("Thứ trưởng")]
    # E6: nesting in "Hội đồng NATO-Nga"
    council = _mentions(tree, "d003", "Hội đồng NATO-Nga")
    assert council and council[0]["type"] == "ORG"
    inner = [m for m in tree.layers["entities"]["d003"] if council[0]["start"] <= m["start"] and m["end"] <= council[0]["end"] and m is not council[0]]
    assert sorted((m["text"], m["type"]) for m in inner) == [("NATO", "ORG"), ("Nga", "GPE")]
    # E9: capitals used for governments carry the metonymy flag and link to the country
    for text, entity in (("Moscow", "russia"), ("Washington", "united_states")):
        for doc_id in tree.layers["entities"]:
            for m in _mentions(tree, doc_id, text):
                assert "metonymy" in m["flags"] and m["entity"] == entity
    # E10: relative dates are DATE
    assert [m["type"] for m in _mentions(tree, "d000", "tháng trước")] == ["DATE"]
    assert [m["type"] for m in _mentions(tree, "d000", "tuần tới")] == ["DATE"]


def test_spelling_variants_link_to_one_entity(tree):
    by_text = {}
    for recs in tree.layers["entities"].values():
        for m in recs:
            by_text.setdefault(m["text"], set()).add(m["entity"])
    assert by_text["Ukraine"] == by_text["Ukraina"]
    assert by_text["Geneva"] == by_text["Geneve"]
    assert by_text["Sergei Lavrov"] == by_text["Sergey Lavrov"]
    assert by_text["Mỹ"] == by_text["Hoa Kỳ"]


def test_non_body_paragraphs_are_annotated(tree, corpus):
    for doc_id, doc in corpus.items():
        for p in doc["paragraphs"]:
            if p["role"] == "body":
                continue
            inside = [m for m in tree.layers["entities"][doc_id] if p["start"] <= m["start"] and m["end"] <= p["end"]]
            if any(ch.isupper() for ch in p["text"][1:]):
                assert inside, (doc_id, p["id"], p["role"])


def test_event_arguments_in_trigger_sentence(tree, corpus):
    for doc_id, recs in tree.layers["events"].items():
        mentions = {m["id"]: m for m in tree.layers["entities"][doc_id]}
        for e in recs:
            sent = next(s for s in corpus[doc_id]["sentences"] if s["start"] <= e["trigger"]["start"] < s["end"])
            for a in e["arguments"]:
                m = mentions[a["ref"]]
                assert sent["start"] <= m["start"] and m["end"] <= sent["end"], e["id"]


def test_direct_quotes_lie_inside_quotes(tree, corpus):
    for doc_id, recs in tree.layers["stance"].items():
        quotes = {q["id"]: q for q in corpus[doc_id]["quotes"]}
        for s in recs:
            if s["source"] == "direct_quote":
                q = quotes[s["quote"]]
                assert q["start"] < s["evidence"]["start"] and s["evidence"]["end"] < q["end"]


def test_geneva_date_conflict_is_recorded(tree):
    geneva = [c for c in tree.clusters if "geneva" in c["id"]]
    assert geneva
    conflict = [x for c in geneva for x in c["conflicts"] if x["role"] == "TIME"]
    assert conflict and {"10/1", "11/1"} <= set(conflict[0]["values"])


def test_registry_wikidata_only_well_formed(tree):
    for rec in tree.registry:
        assert rec["wikidata"] is None or re.fullmatch(r"Q[1-9][0-9]*", rec["wikidata"])
