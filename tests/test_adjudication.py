"""The adjudication log covers every disagreement between the passes and the gold follows it."""
from __future__ import annotations

import json

from visectalks.adjudicate import disagreements, event_view
from visectalks.agreement import entity_map
from visectalks.layers import load_tree


def _log(layout) -> list[dict]:
    return [json.loads(line) for line in (layout.annotations / "adjudication.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]


def test_log_covers_every_disagreement(layout):
    items = disagreements(load_tree(layout, "a"), load_tree(layout, "b"))
    log = _log(layout)
    assert [d["item"] for d in log] == [i["item"] for i in items]
    for d, i in zip(log, items):
        assert d["pass_a"] == i["pass_a"] and d["pass_b"] == i["pass_b"]
        assert d["decision"] in {"a", "b", "neither"} and d["rule"].strip() and d["note"].strip()


def test_gold_events_follow_decisions(layout, tree):
    mentions = {m["id"]: m for recs in tree.layers["entities"].values() for m in recs}
    for d in _log(layout):
        if d["layer"] != "events":
            continue
        _, doc, s, e = d["item"].split(":")
        gold = [event_view(ev, mentions) for ev in tree.layers["events"][doc] if (ev["trigger"]["start"], ev["trigger"]["end"]) == (int(s), int(e))]
        chosen = {"a": d["pass_a"], "b": d["pass_b"], "neither": []}[d["decision"]]
        assert sorted((v["type"], v["realis"]) for v in gold) == sorted((v["type"], v["realis"]) for v in chosen), d["item"]
        for g, c in zip(sorted(gold, key=lambda v: v["type"]), sorted(chosen, key=lambda v: v["type"])):
            assert {tuple(x) for x in c["arguments"]} <= {tuple(x) for x in g["arguments"]}, d["item"]


def test_gold_stance_follows_decisions(layout, tree):
    b = load_tree(layout, "b")
    ents = {m["id"]: m["entity"] for recs in tree.layers["entities"].values() for m in recs}
    present = {(s["doc"], "AUTHOR" if s["holder"] == "AUTHOR" else ents[s["holder"]], s["target"], s["polarity"]) for recs in tree.layers["stance"].values() for s in recs}
    assert entity_map(tree, b)
    for d in _log(layout):
        if d["layer"] != "stance":
            continue
        key = tuple(d["item"].split(":")[1:])
        wanted = bool({"a": d["pass_a"], "b": d["pass_b"], "neither": []}[d["decision"]])
        assert (key in present) == wanted, d["item"]
