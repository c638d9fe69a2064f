"""Agreement metrics on small hand-built cases whose answers are worked out by hand here."""
from __future__ import annotations

import json

import pytest

from visectalks import agreement as ag
from visectalks.layers import Tree, load_tree
from visectalks.paths import layout as make_layout


def _tree(mentions=(), events=(), stance=()) -> Tree:
    t = Tree(make_layout("."))
    for layer, recs in (("entities", mentions), ("events", events), ("stance", stance)):
        for r in recs:
            t.layers[layer].setdefault(r["doc"], []).append(r)
    return t


def M(i, start, end, type_="GPE", entity="x", doc="d000"):
    return {"id": f"{doc}-M{i:03d}", "doc": doc, "start": start, "end": end, "text": "t", "type": type_, "entity": entity, "flags": []}


def E(i, start, end, type_="CONSULT", realis="ACTUAL", cluster=None, args=(), doc="d000"):
    return {"id": f"{doc}-E{i:03d}", "doc": doc, "trigger": {"start": start, "end": end, "text": "t"}, "type": type_, "realis": realis,
            "cluster": cluster, "arguments": [{"role": r, "ref": ref} for r, ref in args]}


def S(i, holder, target, polarity, start, end, doc="d000"):
    return {"id": f"{doc}-S{i:03d}", "doc": doc, "holder": holder, "target": target, "polarity": polarity, "source": "reported",
            "evidence": {"start": start, "end": end, "text": "t"}, "quote": None, "exceptions": []}


def test_two_of_three_spans_match():
    a = _tree([M(1, 0, 3), M(2, 5, 8), M(3, 10, 14, "PER")])
    b = _tree([M(1, 0, 3), M(2, 5, 8), M(3, 10, 14, "ORG")])
    r = ag.entity_agreement(a, b)
    assert r["exact"]["precision"] == r["exact"]["recall"] == round(2 / 3, 4)
    assert r["exact"]["f1"] == round(2 / 3, 4)
    # all three spans match by offsets; types agree on 2 of 3 with labels GPE,GPE,PER vs GPE,GPE,ORG:
    # po = 2/3, pe = (2/3)(2/3) + 0 + 0 = 4/9, kappa = (2/3 - 4/9) / (1 - 4/9) = 0.4
    assert r["type_kappa"] == pytest.approx(0.4, abs=1e-4)


def test_partial_overlap_counts_shifted_span():
    a = _tree([M(1, 0, 10), M(2, 20, 25)])
    b = _tree([M(1, 2, 10), M(2, 30, 35)])
    r = ag.entity_agreement(a, b)
    assert r["exact"]["f1"] == 0.0
    assert r["partial"]["tp"] == 1 and r["partial"]["f1"] == 0.5


def test_identical_sets_give_one(tree):
    r = ag.agreement(tree, tree)
    assert r["entities"]["exact"]["f1"] == 1.0 and r["entities"]["partial"]["f1"] == 1.0
    assert r["entities"]["type_kappa"] == 1.0
    assert r["events"]["trigger"]["f1"] == 1.0 and r["events"]["argument"]["f1"] == 1.0
    assert r["events"]["clusters_bcubed"]["f1"] == 1.0
    assert r["stance"]["tuple"]["f1"] == 1.0 and r["stance"]["polarity_kappa"] == 1.0


def test_trigger_and_argument_f1():
    ms = [M(1, 0, 3), M(2, 5, 8)]
    a = _tree(ms, [E(1, 10, 18, args=[("ACTOR", "d000-M001"), ("ACTOR", "d000-M002")]), E(2, 20, 25, "REJECT")])
    b = _tree(ms, [E(1, 10, 18, args=[("ACTOR", "d000-M001")]), E(2, 20, 25, "REQUEST"), E(3, 30, 35)])
    r = ag.event_agreement(a, b)
    # triggers: 1 of A's 2 and 1 of B's 3 match -> P = 1/3, R = 1/2, F1 = 0.4
    assert (r["trigger"]["precision"], r["trigger"]["recall"], r["trigger"]["f1"]) == (round(1 / 3, 4), 0.5, 0.4)
    # arguments: A has 2, B has 1, one shared -> P = 1, R = 0.5, F1 = 2/3
    assert r["argument"]["f1"] == round(2 / 3, 4)


def test_bcubed_by_hand():
    # A: {1,2,3} {4}; B: {1,2} {3,4}
    r = ag.bcubed(["x", "x", "x", "y"], ["p", "p", "q", "q"])
    # precision per item: 1,1,1/2,1/2 -> 0.75; recall per item: 2/3,2/3,1/3,1 -> 2/3
    assert r["precision"] == 0.75 and r["recall"] == round(2 / 3, 4)
    assert r["f1"] == round(2 * 0.75 * (2 / 3) / (0.75 + 2 / 3), 4)
    assert ag.bcubed([None, None], [None, None])["f1"] == 1.0


def test_kappa_by_hand():
    # po = 3/4; pe = (2/4)(1/4) + (2/4)(3/4) = 1/2; kappa = (3/4 - 1/2) / (1/2) = 0.5
    assert ag.kappa(["x", "x", "y", "y"], ["x", "y", "y", "y"]) == 0.5


def test_stance_tuples_map_holders_across_registries():
    a = _tree([M(1, 0, 3, entity="russia")], stance=[S(1, "d000-M001", "nato_enlargement", "AGAINST", 5, 20), S(2, "AUTHOR", "continued_dialogue", "NEUTRAL", 30, 40)])
    b = _tree([M(7, 0, 3, entity="nga")], stance=[S(1, "d000-M007", "nato_enlargement", "AGAINST", 4, 18), S(2, "AUTHOR", "continued_dialogue", "FAVOR", 30, 40)])
    r = ag.stance_agreement(a, b)
    assert r["tuple"]["tp"] == 1 and r["tuple"]["f1"] == 0.5
    # both pairs overlap with the same holder and target; polarity agrees on 1 of 2:
    # po = 1/2, pe = (1/2)(1/2) = 1/4, kappa = (1/2 - 1/4) / (3/4) = 1/3
    assert r["polarity_kappa_items"] == 2
    assert r["polarity_kappa"] == round(1 / 3, 4)


def test_command_reproduces_committed_report(layout, tmp_path):
    committed = json.loads((layout.reports / "agreement.json").read_text(encoding="utf-8"))
    fresh = ag.run(layout, committed["a"], committed["b"], tmp_path)
    assert fresh == committed
    assert (tmp_path / "agreement.md").read_text(encoding="utf-8") == (layout.reports / "agreement.md").read_text(encoding="utf-8")


def test_passes_are_complete(layout):
    for name in ("a", "b"):
        t = load_tree(layout, name)
        assert set(t.layers["entities"]) == set(t.layers["events"]) == set(t.layers["stance"]) == set(t.docs)
