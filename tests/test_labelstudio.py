"""Label Studio round trip: config from the inventory, offsets at the boundary (code points and
UTF-16 units), lossless export and import, bad exports (one fixture per code), several
annotators, and the commands.

The real-server test is in test_labelstudio_server.py.
"""
from __future__ import annotations

import contextlib
import copy
import hashlib
import importlib.util
import io
import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from visectalks import inventory
from visectalks.cli import main
from visectalks.labelstudio import (DEFAULT_UNIT, EVIDENCE, HOLDER, ID_LETTER, PER_REGION, UNITS, Offsets, build_outputs,
                                    label_config, make_task, outline)
from visectalks.labelstudio_import import Options, read_export, run_import
from visectalks.layers import LAYERS, Tree, load_tree
from visectalks.paths import Layout

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "invalid"
LS_CASES = sorted(p for p in FIXTURES.iterdir() if p.is_dir() and p.name.startswith("VST5"))


# ---------------------------------------------------------------- helpers

def as_export(tasks: list[dict], completed_by: int = 1) -> list[dict]:
    """What Label Studio's JSON export gives back after one annotator submitted every task.

    The server numbers tasks and annotations, and its editor adds the region text to
    per-region choices; both are done here, after a JSON round trip.
    """
    out = json.loads(json.dumps(tasks, ensure_ascii=False))
    for i, task in enumerate(out):
        task["id"] = 100 + i
        result = task.pop("predictions")[0]["result"] if "predictions" in task else task["annotations"][0]["result"]
        texts = {r["id"]: r["value"]["text"] for r in result if r["type"] == "labels"}
        for r in result:
            if r["type"] == "choices":
                r["value"]["text"] = texts[r["id"]]
        task["annotations"] = [{"id": 500 + i, "completed_by": completed_by, "result": result, "was_cancelled": False,
                                "updated_at": "2026-01-10T10:00:00Z"}]
    return out


def gold_tasks(tree: Tree, docs=None) -> list[dict]:
    return [make_task(tree.docs[d], {layer: tree.layers[layer].get(d, []) for layer in ID_LETTER}) for d in (docs or sorted(tree.docs))]


def snapshot(root: Path) -> dict[str, str]:
    """Hash of every file under annotations/ and reports/: to prove that nothing was written."""
    out = {}
    for sub in ("annotations", "reports"):
        base = root / sub
        if base.is_dir():
            for p in sorted(base.rglob("*")):
                if p.is_file():
                    out[str(p.relative_to(root))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def run_cli(*argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()


def write_export(path: Path, data) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def existing_layers(tree: Tree) -> list[str]:
    return [layer for layer in LAYERS if tree.layers[layer]]


# ---------------------------------------------------------------- the labeling config

def _config() -> ET.Element:
    return ET.fromstring(label_config())


def test_config_labels_come_from_the_inventory():
    view = _config()
    labels = {el.get("name"): [lab.get("value") for lab in el.findall("Label")] for el in view.iter("Labels")}
    assert labels == {"entity": inventory.names("entity_types"), "event": inventory.names("event_types"), "stance": [EVIDENCE]}
    assert [r.get("value") for r in view.iter("Relation")] == inventory.names("argument_roles") + [HOLDER]
    for el in view.iter("Labels"):
        assert el.get("toName") == "text"
        assert all(lab.get("hint") for lab in el.findall("Label")), "every label carries its definition as a hint"
    choices = {el.get("name"): [c.get("value") for c in el.findall("Choice")] for el in view.iter("Choices")}
    for p in PER_REGION:
        if p.kind == "choices":
            assert choices[p.control] == inventory.names(p.inventory)


def test_config_per_region_controls_follow_their_region():
    """Per-region controls show (and are required) only for their own kind of region."""
    view = _config()
    controls = {el.get("name"): el for tag in ("Choices", "TextArea") for el in view.iter(tag)}
    assert set(controls) == {p.control for p in PER_REGION}
    for p in PER_REGION:
        el = controls[p.control]
        assert el.get("perRegion") == "true" and el.get("toName") == "text"
        assert el.get("visibleWhen") == "region-selected" and el.get("whenTagName") == p.region
        assert (el.get("required") == "true") == p.required
        assert (el.get("choice") == "multiple") == p.multiple or p.kind == "textarea"


def test_config_shows_paragraph_roles(corpus):
    view = _config()
    texts = {el.get("name"): el.get("value") for el in view.iter("Text")}
    assert texts == {"text": "$text", "paragraphs": "$paragraphs"}
    roles_seen = set()
    for doc in corpus.values():
        lines = outline(doc).split("\n")
        assert len(lines) == len(doc["paragraphs"])
        for n, (line, p) in enumerate(zip(lines, doc["paragraphs"]), start=1):
            assert line.startswith(f"¶{n} {p['role'] if p['role'] == 'body' else p['role'].upper()}:")
            roles_seen.add(p["role"])
    assert roles_seen - {"body"}, "the corpus has non-body paragraphs whose role the outline shows"


def test_config_accepted_by_the_sdk_and_tasks_validate(tree):
    from label_studio_sdk.label_interface import LabelInterface

    li = LabelInterface(label_config())
    li.validate()
    for task in gold_tasks(tree):
        assert li.validate_prediction(task["predictions"][0], return_errors=True) == []
    bad = copy.deepcopy(gold_tasks(tree)[0]["predictions"][0])
    bad["result"][0]["value"]["labels"] = ["PERSON"]
    assert li.validate_prediction(bad, return_errors=True), "the SDK check itself can fail"


# ---------------------------------------------------------------- offsets at the boundary

TRICKY = ["a", "ă", "ệ", " ", "\u00a0", "\n", "\u0301", "\u0323", "😀", "🇻", "🇳", "\U00010348", "“", "”", "\"", "."]
texts = st.text(alphabet=st.sampled_from(TRICKY) | st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=0, max_size=60)


def test_default_unit_is_what_label_studio_1_23_stores():
    """Measured with the real editor (test_labelstudio_server.py checks it again): code points."""
    assert DEFAULT_UNIT == "codepoint" and set(UNITS) == {"codepoint", "utf16"}


@settings(max_examples=1000, deadline=None)
@given(texts)
def test_codepoint_offsets_are_the_identity(text):
    off = Offsets(text, "codepoint")
    assert off.ls_len == len(text)
    assert all(off.to_ls(i) == i and off.from_ls(i) == i for i in range(len(text) + 1))


@settings(max_examples=1000, deadline=None)
@given(texts)
def test_utf16_offsets_match_utf16_encoding(text):
    off = Offsets(text, "utf16")
    assert off.ls_len == len(text.encode("utf-16-le")) // 2
    units = set()
    for i in range(len(text) + 1):
        u = off.to_ls(i)
        assert u == len(text[:i].encode("utf-16-le")) // 2
        assert off.from_ls(u) == i
        units.add(u)
    for u in range(off.ls_len + 1):
        if u not in units:          # between the two halves of a surrogate pair
            assert off.from_ls(u) is None


# ---------------------------------------------------------------- lossless round trip (property)

ALPHABET = st.sampled_from(TRICKY + list("NgaMỹđàmphánOTĐứcPutin,-"))


@st.composite
def spans(draw, n_text: int, max_spans: int = 8) -> list[tuple[int, int]]:
    """Spans with nested and adjacent ones among them (same spans may repeat)."""
    out = []
    for _ in range(draw(st.integers(1, max_spans))):
        s = draw(st.integers(0, n_text - 1))
        e = draw(st.integers(s + 1, n_text))
        out.append((s, e))
        extra = draw(st.sampled_from(["", "nested", "adjacent"]))
        if extra == "nested" and e - s > 1:
            a = draw(st.integers(s, e - 1))
            out.append((a, draw(st.integers(a + 1, e))))
        elif extra == "adjacent" and e < n_text:
            out.append((e, draw(st.integers(e + 1, n_text))))
    return out


def _span(text, s, e):
    return {"start": s, "end": e, "text": text[s:e]}


@st.composite
def documents(draw):
    """A document with every layer: mentions, events with arguments, stances with holders."""
    text = draw(st.text(ALPHABET, min_size=1, max_size=80))
    doc = {"id": "d900", "text": text, "paragraphs": [{"id": "d900-p001", "role": "body", **_span(text, 0, len(text))}], "quotes": []}
    pick = lambda kind: draw(st.sampled_from(inventory.names(kind)))
    ids = lambda prefix, n: draw(st.permutations([f"d900-{prefix}{k:03d}" for k in range(1, n + 1)]))
    m_spans = draw(spans(len(text)))
    mentions = [{"id": rid, "doc": "d900", **_span(text, s, e), "type": pick("entity_types"),
                 "entity": draw(st.sampled_from(["russia", "nato", "united_states", "x_1"])),
                 "flags": draw(st.sampled_from([[], ["metonymy"]]))} for rid, (s, e) in zip(ids("M", len(m_spans)), m_spans)]
    refs = st.sampled_from([m["id"] for m in mentions])
    e_spans = draw(spans(len(text), 4))
    events = [{"id": rid, "doc": "d900", "trigger": _span(text, s, e), "type": pick("event_types"), "realis": pick("realis"),
               "cluster": draw(st.sampled_from([None, "geneva_talks_2022_01_10"])),
               "arguments": [{"role": pick("argument_roles"), "ref": draw(refs)} for _ in range(draw(st.integers(0, 3)))]}
              for rid, (s, e) in zip(ids("E", len(e_spans)), e_spans)]
    s_spans = draw(spans(len(text), 3))
    stance = [{"id": rid, "doc": "d900", "holder": draw(st.sampled_from(["AUTHOR"]) | refs), "target": pick("stance_targets"),
               "polarity": pick("stance_polarities"), "source": pick("stance_sources"), "evidence": _span(text, s, e),
               "quote": draw(st.sampled_from([None, "d900-q001"])), "exceptions": draw(st.sampled_from([[], ["holder_in_previous_paragraph"]]))}
              for rid, (s, e) in zip(ids("S", len(s_spans)), s_spans)]
    return doc, {"entities": mentions, "events": events, "stance": stance}


def _tree(doc: dict) -> Tree:
    return Tree(Layout(Path("/nonexistent")), docs={doc["id"]: doc})


def _import(doc: dict, data: list, unit: str = DEFAULT_UNIT) -> dict[str, list[dict]]:
    read = read_export(data, _tree(doc), "export.json", Options(docs=[doc["id"]], unit=unit))
    assert read.problems == [], [p.line() for p in read.problems]
    [sets] = read.sets.values()
    assert read.fresh == {"u1": set()}
    return {layer: sets[layer][doc["id"]] for layer in ID_LETTER}


FIXED_TEXT = "Nga 🇷🇺 và Mỹ\u00a0đàm phán. Ệ\u0301 “NATO” 😀."
FIXED = ({"id": "d900", "text": FIXED_TEXT, "paragraphs": [{"id": "d900-p001", "role": "heading", **_span(FIXED_TEXT, 0, len(FIXED_TEXT))}], "quotes": []},
         {"entities": [{"id": "d900-M002", "doc": "d900", **_span(FIXED_TEXT, 4, 6), "type": "GPE", "entity": "russia", "flags": ["metonymy"]},
                       {"id": "d900-M001", "doc": "d900", **_span(FIXED_TEXT, 0, 6), "type": "MISC", "entity": "x_1", "flags": []},
                       {"id": "d900-M003", "doc": "d900", **_span(FIXED_TEXT, 6, 9), "type": "GPE", "entity": "united_states", "flags": []}],
          "events": [{"id": "d900-E001", "doc": "d900", "trigger": _span(FIXED_TEXT, 10, 18), "type": "CONSULT", "realis": "ACTUAL",
                      "cluster": None, "arguments": [{"role": "ACTOR", "ref": "d900-M002"}, {"role": "ACTOR", "ref": "d900-M003"}]}],
          "stance": [{"id": "d900-S001", "doc": "d900", "holder": "d900-M003", "target": "continued_dialogue", "polarity": "FAVOR",
                      "source": "reported", "evidence": _span(FIXED_TEXT, 20, len(FIXED_TEXT)), "quote": None, "exceptions": []}]})


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(documents())
@example(FIXED)
def test_export_then_import_is_lossless(case):
    """Every record, id, field and the order of each file survive export -> Label Studio -> import,
    with offsets in code points (Label Studio 1.23) and in UTF-16 units."""
    doc, layers = case
    for unit in UNITS:
        data = as_export([make_task(doc, layers, unit=unit)])
        assert _import(doc, data, unit) == layers


def test_fixed_example_has_what_the_property_claims():
    doc, layers = FIXED
    assert Offsets(doc["text"], "utf16").ls_len > len(doc["text"]), "astral-plane characters make UTF-16 offsets differ"
    assert "\u00a0" in doc["text"] and "\u0301" in doc["text"]
    m1, m2, m3 = sorted(layers["entities"], key=lambda m: m["id"])
    assert m1["start"] <= m2["start"] and m2["end"] <= m1["end"], "nested"
    assert m2["end"] == m3["start"], "adjacent"
    for unit, start in (("codepoint", 6), ("utf16", 6 + 2)):      # the two flag characters count twice in UTF-16
        task = make_task(doc, layers, unit=unit)
        region = next(r for r in task["predictions"][0]["result"] if r["id"] == "d900-M003" and r["type"] == "labels")
        assert region["value"]["start"] == start


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(documents(), st.data())
def test_regions_drawn_in_label_studio_get_fresh_ids(case, data):
    """A region with a Label Studio id becomes the next id after the highest, in text order, and
    relations to it are rewritten."""
    doc, layers = case
    task = make_task(doc, layers, "annotations")
    s = data.draw(st.integers(0, len(doc["text"]) - 1))
    e = data.draw(st.integers(s + 1, len(doc["text"])))
    off = Offsets(doc["text"])
    result = task["annotations"][0]["result"]
    result.append({"id": "Xk3_pq9Zt1", "from_name": "entity", "to_name": "text", "type": "labels",
                   "value": {"start": off.to_ls(s), "end": off.to_ls(e), "text": doc["text"][s:e], "labels": ["PER"]}})
    result.append({"id": "Xk3_pq9Zt1", "from_name": "entity_id", "to_name": "text", "type": "textarea",
                   "value": {"start": off.to_ls(s), "end": off.to_ls(e), "text": [" new_person "]}})
    if layers["events"]:
        result.append({"from_id": "Xk3_pq9Zt1", "to_id": layers["events"][0]["id"], "type": "relation", "direction": "left", "labels": ["RECIPIENT"]})
    read = read_export(as_export([task]), _tree(doc), "export.json", Options(docs=["d900"]))
    assert read.problems == []
    got = {layer: read.sets["u1"][layer]["d900"] for layer in ID_LETTER}
    new_id = f"d900-M{len(layers['entities']) + 1:03d}"
    assert read.fresh["u1"] == {new_id}
    new = [m for m in got["entities"] if m["id"] == new_id]
    assert new == [{"id": new_id, "doc": "d900", "start": s, "end": e, "text": doc["text"][s:e], "type": "PER", "entity": "new_person", "flags": []}]
    assert [m for m in got["entities"] if m["id"] != new_id] == layers["entities"]
    # placed before the first record that comes after it in the text
    k = got["entities"].index(new[0])
    assert all((m["start"], m["end"]) <= (s, e) for m in got["entities"][:k])
    assert k == len(got["entities"]) - 1 or (got["entities"][k + 1]["start"], got["entities"][k + 1]["end"]) > (s, e)
    if layers["events"]:
        first = got["events"][0]
        assert first["arguments"] == layers["events"][0]["arguments"] + [{"role": "RECIPIENT", "ref": new_id}]


def _codes_after(edit) -> list[str]:
    """Codes from reading the FIXED document's export after ``edit(result)``."""
    doc, layers = FIXED
    data = as_export([make_task(doc, layers)])
    edit(data[0]["annotations"][0]["result"])
    read = read_export(data, _tree(doc), "export.json", Options(docs=["d900"]))
    return sorted(p.code for p in read.problems)


def _relation(result, from_id):
    return next(r for r in result if r["type"] == "relation" and r["from_id"] == from_id)


def _item(result, rid, from_name):
    return next(r for r in result if r.get("id") == rid and r.get("from_name") == from_name)


@pytest.mark.parametrize("name, edit, codes", [
    ("argument without role", lambda res: _relation(res, "d900-E001").pop("labels"), ["VST511"]),
    ("role label on a stance", lambda res: _relation(res, "d900-S001").update(labels=["ACTOR"]), ["VST510"]),
    ("holder label on an event", lambda res: _relation(res, "d900-E001").update(labels=[HOLDER]), ["VST510"]),
    ("two holders", lambda res: res.append(dict(_relation(res, "d900-S001"), to_id="d900-M001")), ["VST510"]),
    ("event linked to a stance", lambda res: _relation(res, "d900-E001").update(to_id="d900-S001"), ["VST510"]),
    ("two registry ids", lambda res: _item(res, "d900-M001", "entity_id")["value"].update(text=["russia", "nato"]), ["VST511"]),
    ("empty registry id", lambda res: _item(res, "d900-M001", "entity_id")["value"].update(text=["  "]), ["VST511"]),
    ("two labels", lambda res: _item(res, "d900-M001", "entity")["value"].update(labels=["GPE", "LOC"]), ["VST511"]),
    ("unknown realis", lambda res: _item(res, "d900-E001", "realis")["value"].update(choices=["LIKELY"]), ["VST501"]),
    ("unknown relation label", lambda res: _relation(res, "d900-E001").update(labels=["WITNESS"]), ["VST501"]),
    ("unknown control", lambda res: _item(res, "d900-M001", "entity").update(from_name="ner"), ["VST501"]),
    ("choice with other offsets", lambda res: _item(res, "d900-E001", "realis")["value"].update(start=0), ["VST509"]),
    ("start after end", lambda res: _item(res, "d900-M003", "entity")["value"].update(start=9, end=6), ["VST502"]),
    ("offset is not a number", lambda res: _item(res, "d900-M003", "entity")["value"].update(start="6"), ["VST502"]),
    ("result is not an object", lambda res: res.append("d900-M001"), ["VST512"]),
])
def test_bad_results_give_their_code(name, edit, codes):
    assert _codes_after(edit) == codes, name


def test_untouched_fixed_export_reads_cleanly():
    assert _codes_after(lambda res: None) == []


def test_empty_cluster_text_area_means_no_cluster():
    doc, layers = FIXED
    with_cluster = copy.deepcopy(layers)
    with_cluster["events"][0]["cluster"] = "geneva_talks_2022_01_10"
    data = as_export([make_task(doc, with_cluster)])
    _item(data[0]["annotations"][0]["result"], "d900-E001", "cluster")["value"]["text"] = [""]
    assert _import(doc, data) == layers


# ---------------------------------------------------------------- the real gold, through the command

def test_gold_round_trip_writes_nothing(project_copy, tree):
    """Export of the gold, submitted unchanged, imports to byte-identical files (every layer)."""
    layers = existing_layers(tree)
    assert "entities" in layers
    tasks = gold_tasks(tree)
    for layer in layers:
        n_records = sum(len(v) for v in tree.layers[layer].values())
        control = {"entities": "entity", "events": "event", "stance": "stance"}[layer]
        n_regions = sum(1 for t in tasks for r in t["predictions"][0]["result"] if r.get("from_name") == control and r["type"] == "labels")
        assert n_regions == n_records > 0, layer
    before = snapshot(project_copy)
    path = write_export(project_copy / "export.json", as_export(tasks))
    code, out, err = run_cli("ls", "import", path, "--root", project_copy)
    assert code == 0, out + err
    assert "0 file(s) written" in err
    assert snapshot(project_copy) == before


def test_gold_round_trip_with_edits(project_copy, tree):
    """An annotator redraws a mention, changes a realis and a polarity: the files say exactly that."""
    doc_id = "d004"
    mentions = tree.layers["entities"][doc_id]
    referenced = {a["ref"] for e in tree.layers["events"].get(doc_id, []) for a in e["arguments"]} | {s["holder"] for s in tree.layers["stance"].get(doc_id, [])}
    starts = [m["start"] for m in mentions]
    redrawn = next(m for m in mentions if m["type"] in ("DATE", "QUANTITY") and m["id"] not in referenced and starts.count(m["start"]) == 1)
    data = as_export(gold_tasks(tree))
    task = next(t for t in data if t["data"]["doc"] == doc_id)
    result = task["annotations"][0]["result"]
    for r in result:                     # the annotator deletes the region and draws it again
        if r.get("id") == redrawn["id"]:
            r["id"] = "Lz8_Qm2xWe"
    event = tree.layers["events"][doc_id][0]
    realis = next(v for v in inventory.names("realis") if v != event["realis"])
    next(r for r in result if r.get("id") == event["id"] and r["from_name"] == "realis")["value"]["choices"] = [realis]
    stance = tree.layers["stance"].get(doc_id, [])
    if stance:
        polarity = next(v for v in inventory.names("stance_polarities") if v != stance[0]["polarity"])
        next(r for r in result if r.get("id") == stance[0]["id"] and r["from_name"] == "polarity")["value"]["choices"] = [polarity]
    result.append({"id": "abcDEF1234", "from_name": "entity_id", "to_name": "text", "type": "textarea",
                   "value": {"start": 0, "end": 4, "text": ["russia"]}})
    path = write_export(project_copy / "export.json", data)
    before = snapshot(project_copy)
    code, out, err = run_cli("ls", "import", path, "--root", project_copy)
    assert code == 2 and out.split()[0] == "VST509", "a text area whose region does not exist"
    assert snapshot(project_copy) == before
    result.pop()
    write_export(path, data)
    code, out, err = run_cli("ls", "import", path, "--root", project_copy)
    assert code == 0, out + err
    read = lambda layer: [json.loads(x) for x in (project_copy / "annotations" / layer / f"{doc_id}.jsonl").read_text(encoding="utf-8").splitlines()]
    new_id = f"{doc_id}-M{max(int(m['id'].split('-M')[1]) for m in mentions) + 1:03d}"
    assert read("entities") == [dict(m, id=new_id) if m is redrawn else m for m in mentions]
    assert read("events") == [dict(e, realis=realis) if e is event else e for e in tree.layers["events"][doc_id]]
    if stance:
        assert read("stance") == [dict(s, polarity=polarity) if s is stance[0] else s for s in stance]
    for d in sorted(tree.docs):
        if d != doc_id:
            for layer in existing_layers(tree):
                assert (project_copy / "annotations" / layer / f"{d}.jsonl").read_bytes() == (ROOT / "annotations" / layer / f"{d}.jsonl").read_bytes()


def test_validator_problems_are_located_in_the_export(project_copy, tree):
    """A region whose registry id is unknown gets the validator's code at its place in the export."""
    data = as_export(gold_tasks(tree))
    task_index, task = next((i, t) for i, t in enumerate(data) if t["data"]["doc"] == "d002")
    item = next(r for r in task["annotations"][0]["result"] if r.get("from_name") == "entity_id")
    item["value"]["text"] = ["no_such_entity"]
    before = snapshot(project_copy)
    code, out, _err = run_cli("ls", "import", write_export(project_copy / "export.json", data), "--root", project_copy, "--format", "json")
    assert code == 2
    problems = json.loads(out)
    assert {p["code"] for p in problems} == {"VST202"}
    [p] = [p for p in problems if p["record"].endswith(item["id"])]
    assert p["record"] == f"task {task['id']} region {item['id']}"
    region_index = next(j for j, r in enumerate(task["annotations"][0]["result"]) if r.get("id") == item["id"] and r["type"] == "labels")
    assert p["pointer"] == f"/{task_index}/annotations/0/result/{region_index}"
    assert snapshot(project_copy) == before


# ---------------------------------------------------------------- bad exports: one fixture per code

def _fixture_module():
    spec = importlib.util.spec_from_file_location("make_labelstudio_fixtures", ROOT / "scripts" / "make_labelstudio_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _with_fixture_doc(project_copy: Path, case: Path) -> None:
    shutil.copy2(case / "corpus" / "d900.json", project_copy / "corpus" / "d900.json")


@pytest.mark.parametrize("case", LS_CASES, ids=[c.name for c in LS_CASES])
def test_bad_export_gives_exactly_its_code_and_writes_nothing(project_copy, case):
    _with_fixture_doc(project_copy, case)
    before = snapshot(project_copy)
    extra = json.loads((case / "args.json").read_text(encoding="utf-8")) if (case / "args.json").exists() else []
    code, out, err = run_cli("ls", "import", case / "export.json", "--root", project_copy, "--docs", "d900", "--format", "json", *extra)
    expected = case.name.split("-")[0]
    assert code == 2, err
    problems = json.loads(out)
    assert problems and {p["code"] for p in problems} == {expected}, problems
    for p in problems:
        assert p["file"].endswith("export.json") and p["message"]
        assert p["pointer"] == "" or p["pointer"].startswith("/")
        assert p["record"].startswith("task ") or p["record"] == "d900"
    assert "nothing was written" in err
    assert snapshot(project_copy) == before


def test_region_problems_name_task_region_and_pointer(project_copy):
    case = FIXTURES / "VST503-region-text-drift"
    _with_fixture_doc(project_copy, case)
    code, out, _err = run_cli("ls", "import", case / "export.json", "--root", project_copy, "--docs", "d900", "--format", "json")
    [p] = json.loads(out)
    data = json.loads((case / "export.json").read_text(encoding="utf-8"))
    k = next(k for k, r in enumerate(data[0]["annotations"][0]["result"]) if r.get("id") == "d900-M003" and r["type"] == "labels")
    assert p["record"] == "task 41 region d900-M003"
    assert p["pointer"] == f"/0/annotations/0/result/{k}/value/text"


def test_fixtures_are_the_generator_output_and_the_untampered_export_imports(project_copy):
    """The committed fixtures equal what the generator writes; without the tampering the export imports."""
    gen = _fixture_module()
    doc = gen.document()
    cases = gen.cases(doc)
    assert sorted(cases) == [c.name for c in LS_CASES]
    for name, data in cases.items():
        assert json.loads((FIXTURES / name / "export.json").read_text(encoding="utf-8")) == data, name
        assert json.loads((FIXTURES / name / "corpus" / "d900.json").read_text(encoding="utf-8")) == doc
        args = FIXTURES / name / "args.json"
        assert (json.loads(args.read_text(encoding="utf-8")) if args.exists() else None) == gen.ARGS.get(name)
    read = read_export(gen.export(doc), _tree(doc), "export.json", Options(docs=["d900"]))
    assert read.problems == []
    assert {layer: read.sets["u3"][layer]["d900"] for layer in ID_LETTER} == gen.layers(doc)


# ---------------------------------------------------------------- several annotators

def _three_annotators(tree: Tree, doc_id: str):
    """u1 submits the gold, u2 retypes a mention and draws a new one, u3 deletes a mention."""
    tasks = [t for t in gold_tasks(tree) if t["data"]["doc"] == doc_id]
    referenced = {a["ref"] for e in tree.layers["events"].get(doc_id, []) for a in e["arguments"]} | {s["holder"] for s in tree.layers["stance"].get(doc_id, [])}
    mentions = tree.layers["entities"][doc_id]
    retyped = next(m for m in mentions if m["type"] == "GPE" and not m["flags"])
    deleted = next(m for m in mentions if m["id"] not in referenced and m is not retyped)
    exports = [as_export(tasks, completed_by=u) for u in (1, 2, 3)]
    res2 = exports[1][0]["annotations"][0]["result"]
    next(r for r in res2 if r["id"] == retyped["id"] and r["type"] == "labels")["value"]["labels"] = ["LOC"]
    word = next(w for w in tree.docs[doc_id]["words"] if not any(m["start"] < w["end"] and w["start"] < m["end"] for m in mentions))
    res2.append({"id": "u2new00001", "from_name": "entity", "to_name": "text", "type": "labels",
                 "value": {"start": word["start"], "end": word["end"], "text": word["text"], "labels": ["MISC"]}})
    res2.append({"id": "u2new00001", "from_name": "entity_id", "to_name": "text", "type": "textarea",
                 "value": {"start": word["start"], "end": word["end"], "text": ["something_new"]}})
    res3 = exports[2][0]["annotations"][0]["result"]
    res3[:] = [r for r in res3 if r.get("id") != deleted["id"]]
    task = exports[0][0]
    task["annotations"] = [e[0]["annotations"][0] for e in exports]
    return [task], retyped, deleted, word


def test_several_annotators_kept_apart_merged_by_majority(project_copy, tree):
    doc_id = "d004"
    data, retyped, deleted, word = _three_annotators(tree, doc_id)
    path = write_export(project_copy / "export.json", data)
    gold_file = project_copy / "annotations" / "entities" / f"{doc_id}.jsonl"
    before = gold_file.read_bytes()
    code, out, err = run_cli("ls", "import", path, "--root", project_copy, "--docs", doc_id)
    assert code == 0, out + err
    assert gold_file.read_bytes() == before, "each change was made by one annotator of three: the majority is the gold"
    passes = project_copy / "annotations" / "passes"
    own = {u: [json.loads(x) for x in (passes / f"ls-{u}" / "entities" / f"{doc_id}.jsonl").read_text(encoding="utf-8").splitlines()] for u in ("u1", "u2", "u3")}
    assert own["u1"] == tree.layers["entities"][doc_id]
    assert next(m for m in own["u2"] if m["id"] == retyped["id"])["type"] == "LOC"
    assert any(m["start"] == word["start"] and m["entity"] == "something_new" for m in own["u2"])
    assert all(m["id"] != deleted["id"] for m in own["u3"])
    report = json.loads((project_copy / "reports" / "labelstudio" / "import.json").read_text(encoding="utf-8"))
    assert report["annotators"] == ["u1", "u2", "u3"] and report["prefer"] == "u1"
    assert set(report["agreement"]) == {"u1 vs u2", "u1 vs u3", "u2 vs u3"}
    assert report["agreement"]["u1 vs u2"]["entities"]["exact"]["f1"] < 1.0
    assert report["agreement"]["u1 vs u3"]["entities"]["exact"]["precision"] == 1.0
    notes = {(n["record"].get("start"), n["record"].get("type"), tuple(n["annotators"]), n["kept"]) for n in report["disagreements"]}
    assert (retyped["start"], "LOC", ("u2",), False) in notes
    assert (retyped["start"], "GPE", ("u1", "u3"), True) in notes
    assert (word["start"], "MISC", ("u2",), False) in notes
    assert (deleted["start"], deleted["type"], ("u1", "u2"), True) in notes
    assert len(report["disagreements"]) == 4


def test_majority_merge_by_hand():
    """Three annotators on one document; every expected record below is worked out by hand."""
    from visectalks.labelstudio_merge import merge

    text = "Nga Putin NATO và Kiev nói"

    def m(rid, s, e, type_, entity):
        return {"id": rid, "doc": "d900", "start": s, "end": e, "text": text[s:e], "type": type_, "entity": entity, "flags": []}

    def ev(rid, args):
        return {"id": rid, "doc": "d900", "trigger": {"start": 23, "end": 26, "text": "nói"}, "type": "ACCUSE", "realis": "ACTUAL",
                "cluster": None, "arguments": [{"role": "ACTOR", "ref": r} for r in args]}

    def st(rid, holder):
        return {"id": rid, "doc": "d900", "holder": holder, "target": "arms_control", "polarity": "FAVOR", "source": "reported",
                "evidence": {"start": 10, "end": 14, "text": "NATO"}, "quote": None, "exceptions": []}

    nga, putin = m("d900-M001", 0, 3, "GPE", "russia"), m("d900-M002", 4, 9, "PER", "vladimir_putin")
    sets = {
        "a": {"entities": {"d900": [nga, putin]}, "events": {"d900": [ev("d900-E001", ["d900-M001"])]}, "stance": {"d900": [st("d900-S001", "d900-M002")]}},
        "b": {"entities": {"d900": [nga, putin, m("d900-M005", 18, 22, "GPE", "kyiv")]},
              "events": {"d900": [ev("d900-E001", ["d900-M001"]), ev("d900-E007", ["d900-M005"])]},
              "stance": {"d900": [st("d900-S001", "d900-M002"), dict(st("d900-S003", "d900-M005"), polarity="AGAINST")]}},
        "c": {"entities": {"d900": [nga, m("d900-M004", 10, 14, "ORG", "nato"), m("d900-M005", 18, 22, "GPE", "kiev")]},
              "events": {"d900": [ev("d900-E001", ["d900-M001"]), ev("d900-E002", ["d900-M005"])]},
              "stance": {"d900": [dict(st("d900-S002", "d900-M005"), polarity="AGAINST")]}},
    }
    fresh = {"a": set(), "b": set(), "c": {"d900-M004", "d900-E002", "d900-S002"}}
    merged, notes = merge(sets, fresh, "a", {"d900": {"entities": 3, "events": 1, "stance": 1}})
    # Nga: 3/3; Putin: a, b; NATO: c only; Kiev: b and c disagree on the registry id, 1/3 each
    assert merged["entities"]["d900"] == [nga, putin]
    # E001: 3/3. E007 (b) and E002 (c) are the same event by content: 2/3, kept under b's project
    # id, but its argument's mention (Kiev) is not kept: the argument is dropped and listed
    assert merged["events"]["d900"] == [ev("d900-E001", ["d900-M001"]), ev("d900-E007", [])]
    # S001 (a, b) holds; S003 (b) = S002 (c) by content, 2/3, but its holder (Kiev) is gone
    assert merged["stance"]["d900"] == [st("d900-S001", "d900-M002")]
    kinds = sorted((n["layer"], n["record"].get("text") or n["record"].get("trigger", {}).get("text") or n["record"]["evidence"]["text"],
                    tuple(n["annotators"]), n["kept"], "argument_dropped" in n, "dropped_because" in n) for n in notes)
    assert kinds == sorted([
        ("entities", "Putin", ("a", "b"), True, False, False),
        ("entities", "NATO", ("c",), False, False, False),
        ("entities", "Kiev", ("b",), False, False, False),
        ("entities", "Kiev", ("c",), False, False, False),
        ("events", "nói", ("b", "c"), True, True, False),
        ("events", "nói", ("b", "c"), True, False, False),
        ("stance", "NATO", ("a", "b"), True, False, False),
        ("stance", "NATO", ("b", "c"), False, False, True),
    ])


def test_only_the_annotators_of_a_document_vote_on_it(project_copy, tree):
    """d004 has three annotators, d001 only u2: d001's records are u2's, without disagreements."""
    data, _retyped, _deleted, _word = _three_annotators(tree, "d004")
    [d001] = as_export([t for t in gold_tasks(tree) if t["data"]["doc"] == "d001"], completed_by=2)
    data.append(d001)
    path = write_export(project_copy / "export.json", data)
    code, out, err = run_cli("ls", "import", path, "--root", project_copy, "--docs", "d001,d004")
    assert code == 0, out + err
    report = json.loads((project_copy / "reports" / "labelstudio" / "import.json").read_text(encoding="utf-8"))
    assert report["documents"] == ["d001", "d004"]
    assert {n["doc"] for n in report["disagreements"]} == {"d004"}
    assert report["agreement"]["u1 vs u2"]["documents"] == ["d004"], "pairs compare the documents both submitted"
    for layer in existing_layers(tree):
        got = (project_copy / "annotations" / layer / "d001.jsonl").read_bytes()
        assert got == (ROOT / "annotations" / layer / "d001.jsonl").read_bytes(), layer
    assert not (project_copy / "annotations" / "passes" / "ls-u1" / "entities" / "d001.jsonl").exists()


def test_two_annotators_tie_goes_to_the_preferred_one(project_copy, tree):
    doc_id = "d004"
    data, retyped, _deleted, word = _three_annotators(tree, doc_id)
    data[0]["annotations"] = data[0]["annotations"][:2]
    path = write_export(project_copy / "export.json", data)
    code, out, err = run_cli("ls", "import", path, "--root", project_copy, "--docs", doc_id, "--prefer", "u2", "--report", project_copy / "r.json")
    # u2's set becomes the gold: the retyped and the new mention fail the registry checks, nothing is written
    codes = {p.split()[0] for p in out.strip().splitlines()}
    assert code == 2 and {"VST205", "VST202"} <= codes, out
    assert all(" task " in p for p in out.strip().splitlines()), "located in the export"
    code, out, err = run_cli("ls", "import", path, "--root", project_copy, "--docs", doc_id, "--prefer", "u1", "--report", project_copy / "r.json")
    assert code == 0, out + err
    got = [json.loads(x) for x in (project_copy / "annotations" / "entities" / f"{doc_id}.jsonl").read_text(encoding="utf-8").splitlines()]
    assert got == tree.layers["entities"][doc_id]
    code, _out, err = run_cli("ls", "import", path, "--root", project_copy, "--docs", doc_id, "--prefer", "u9")
    assert code == 2 and "u9" in err


# ---------------------------------------------------------------- commands and build

def test_config_and_export_commands(tmp_path, root, tree):
    code, out, _ = run_cli("ls", "config", "--root", root)
    assert code == 0 and out == label_config()
    code, _, _ = run_cli("ls", "export", "--root", root, "--docs", "d001,d003", "--as", "annotations", "--output", tmp_path / "t.json")
    assert code == 0
    tasks = json.loads((tmp_path / "t.json").read_text(encoding="utf-8"))
    assert [t["data"]["doc"] for t in tasks] == ["d001", "d003"]
    assert all("annotations" in t and "predictions" not in t for t in tasks)
    for t in tasks:
        result = t["annotations"][0]["result"]
        assert result == make_task(tree.docs[t["data"]["doc"]], {layer: tree.layers[layer].get(t["data"]["doc"], []) for layer in ID_LETTER})["predictions"][0]["result"]


def test_build_outputs_are_deterministic(layout, tree):
    a, b = build_outputs(layout), build_outputs(layout)
    assert a == b
    config, tasks = a[layout.release / "labelstudio" / "config.xml"], a[layout.release / "labelstudio" / "tasks.json"]
    assert config == label_config()
    assert json.loads(tasks) == gold_tasks(tree)


def test_push_and_pull_need_the_environment_and_never_show_the_token(project_copy, monkeypatch):
    monkeypatch.delenv("LABEL_STUDIO_URL", raising=False)
    monkeypatch.delenv("LABEL_STUDIO_API_KEY", raising=False)
    code, out, err = run_cli("ls", "push", "--root", project_copy)
    assert code == 2 and "LABEL_STUDIO_URL" in err
    token = "tok-" + "7f3a9c" * 6
    monkeypatch.setenv("LABEL_STUDIO_URL", "http://127.0.0.1:9")          # nothing listens on the discard port
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", token)
    for argv in (("ls", "push", "--root", project_copy), ("ls", "pull", "1", "--root", project_copy, "--save", project_copy / "pulled.json")):
        before = snapshot(project_copy)
        code, out, err = run_cli(*argv)
        assert code == 2 and "failed" in err
        assert token not in out + err
        assert snapshot(project_copy) == before and not (project_copy / "pulled.json").exists()
    for p in project_copy.rglob("*"):
        if p.is_file() and p.stat().st_size < 5_000_000:
            assert token.encode() not in p.read_bytes(), p
