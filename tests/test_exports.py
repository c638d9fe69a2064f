"""CoNLL and brat exports, read back with readers written here (and seqeval's chunker)."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from iob_tools import strictly_iob2
from seqeval.metrics.sequence_labeling import get_entities

from visectalks import brat, exports
from visectalks.cli import main
from visectalks.layers import LAYERS, Tree

ENTITY_TYPES_KEY = "entity_types"


@pytest.fixture(scope="module")
def inv(root):
    return json.loads((root / "schema" / "inventory.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def exported(tmp_path_factory, root):
    """Both formats written by the command, as a user would run it."""
    out = tmp_path_factory.mktemp("export")
    for fmt in ("conll", "brat"):
        assert main(["export", fmt, "--root", str(root), "--out", str(out / fmt), "--quiet"]) == 0
    return out


# ---------------------------------------------------------------- independent helpers

def outermost(spans: set) -> set:
    """Spans not strictly inside another span of the set."""
    return {s for s in spans if not any(o[:2] != s[:2] and o[0] <= s[0] and s[1] <= o[1] for o in spans)}


def gold_spans(mentions: list[dict], scheme: str, inv: dict) -> set:
    vlsp = {t["name"]: t["vlsp"] for t in inv[ENTITY_TYPES_KEY]}
    if scheme == "full":
        return outermost({(m["start"], m["end"], m["type"]) for m in mentions})
    return outermost({(m["start"], m["end"], vlsp[m["type"]]) for m in mentions if vlsp[m["type"]]})


def widen_to_words(spans: set, words: list[dict]) -> set:
    """Each span grown to the words it touches, in text order; one that hits a kept one is dropped."""
    kept: list = []
    for s, e, label in sorted(spans):
        touched = [w for w in words if w["start"] < e and s < w["end"]]
        grown = (touched[0]["start"], touched[-1]["end"], label)
        if not any(k[0] < grown[1] and grown[0] < k[1] for k in kept):
            kept.append(grown)
    return set(kept)


def read_conll(text: str) -> dict[str, list[list[list[str]]]]:
    """doc id -> sentences -> rows of columns; checks the CoNLL-2003 layout on the way."""
    docs: dict[str, list] = {}
    current = None
    sentence: list = []
    for line in text.split("\n"):
        if line.startswith("-DOCSTART-"):
            assert not sentence, "-DOCSTART- inside a sentence"
            current = line.split()[1]
            docs[current] = []
        elif not line.strip():
            if sentence:
                docs[current].append(sentence)
                sentence = []
        else:
            cols = line.split(" ")
            assert len(cols) == 4 and all(cols), f"bad line {line!r}"
            sentence.append(cols)
    assert not sentence, "file does not end with a blank line"
    return docs


def read_back(doc: dict, sentences: list, kind: str, column: int) -> set:
    units = {u["id"]: u for u in doc[kind]}
    spans = set()
    for rows in sentences:
        for label, i, j in get_entities([r[column] for r in rows]):
            spans.add((units[rows[i][1]]["start"], units[rows[j][1]]["end"], label))
    return spans


# ---------------------------------------------------------------- CoNLL

@pytest.mark.parametrize("kind, name", [("tokens", "syllables.conll"), ("words", "words.conll")])
def test_conll_units_sentences_and_documents(exported, corpus, kind, name):
    docs = read_conll((exported / "conll" / name).read_text(encoding="utf-8"))
    assert list(docs) == sorted(corpus)
    for doc_id, sentences in docs.items():
        doc = corpus[doc_id]
        assert len(sentences) == len(doc["sentences"])
        assert [r[1] for rows in sentences for r in rows] == [u["id"] for u in doc[kind]]
        texts = {t["id"]: t["text"] for t in doc["tokens"]}
        expected = [u["text"] if kind == "tokens" else "_".join(texts[t] for t in u["token_ids"]) for u in doc[kind]]
        assert [r[0] for rows in sentences for r in rows] == expected
        for sent, rows in zip(doc["sentences"], sentences):
            units = {u["id"]: u for u in doc[kind]}
            assert sent["start"] <= units[rows[0][1]]["start"] and units[rows[-1][1]]["end"] <= sent["end"]
            assert strictly_iob2([r[2] for r in rows]) and strictly_iob2([r[3] for r in rows])


@pytest.mark.parametrize("column, scheme", [(2, "full"), (3, "vlsp")])
def test_conll_syllables_read_back_to_flattened_gold(exported, corpus, tree, inv, column, scheme):
    docs = read_conll((exported / "conll" / "syllables.conll").read_text(encoding="utf-8"))
    total = 0
    for doc_id, sentences in docs.items():
        expected = gold_spans(tree.mentions(doc_id), scheme, inv)
        assert read_back(corpus[doc_id], sentences, "tokens", column) == expected
        total += len(expected)
    assert total > 0


@pytest.mark.parametrize("column, scheme", [(2, "full"), (3, "vlsp")])
def test_conll_words_read_back_to_gold_widened_to_words(exported, corpus, tree, inv, column, scheme):
    docs = read_conll((exported / "conll" / "words.conll").read_text(encoding="utf-8"))
    for doc_id, sentences in docs.items():
        doc = corpus[doc_id]
        flat = gold_spans(tree.mentions(doc_id), scheme, inv)
        got = read_back(doc, sentences, "words", column)
        assert got == widen_to_words(flat, doc["words"])
        starts, ends = {w["start"] for w in doc["words"]}, {w["end"] for w in doc["words"]}
        aligned = {s for s in flat if s[0] in starts and s[1] in ends}
        assert aligned <= got, "an entity on word boundaries must come back unchanged"


def test_conll_nested_gold_keeps_outer_span_and_vlsp_keeps_inner_place():
    doc = {"id": "d900", "text": "100 lính Nga", "sentences": [{"start": 0, "end": 12}],
           "tokens": [{"id": f"d900-t{i}", "start": s, "end": e, "text": t} for i, (s, e, t) in enumerate([(0, 3, "100"), (4, 8, "lính"), (9, 12, "Nga")])],
           "words": [{"id": "d900-w1", "token_ids": ["d900-t0"], "start": 0, "end": 3, "text": "100"},
                     {"id": "d900-w2", "token_ids": ["d900-t1", "d900-t2"], "start": 4, "end": 12, "text": "lính Nga"}]}
    mentions = [{"start": 0, "end": 12, "type": "QUANTITY"}, {"start": 9, "end": 12, "type": "GPE"}]
    tree = Tree(layout=None, docs={"d900": doc})
    tree.layers["entities"]["d900"] = mentions
    rows = [line.split(" ") for line in exports.conll_text(tree, "tokens").split("\n") if line and not line.startswith("-DOC")]
    assert [r[2] for r in rows] == ["B-QUANTITY", "I-QUANTITY", "I-QUANTITY"]
    assert [r[3] for r in rows] == ["O", "O", "B-LOC"]
    words = [line.split(" ") for line in exports.conll_text(tree, "words").split("\n") if line and not line.startswith("-DOC")]
    assert [(w[0], w[3]) for w in words] == [("100", "O"), ("lính_Nga", "B-LOC")]


# ---------------------------------------------------------------- brat

T_RE = re.compile(r"^(T\d+)\t(\S+) ([\d ;]+)\t(.*)$")


def t_lines(ann: str) -> dict[str, tuple[str, list[tuple[int, int]], str]]:
    out = {}
    for line in ann.splitlines():
        m = T_RE.match(line)
        if m:
            frags = [tuple(map(int, f.split())) for f in m.group(3).split(";")]
            out[m.group(1)] = (m.group(2), frags, m.group(4))
    return out


def test_brat_txt_is_corpus_text_and_offsets_index_it(exported, corpus):
    for doc_id, doc in corpus.items():
        txt = (exported / "brat" / f"{doc_id}.txt").read_bytes().decode("utf-8")
        assert txt == doc["text"]
        ts = t_lines((exported / "brat" / f"{doc_id}.ann").read_text(encoding="utf-8"))
        assert ts
        for label, frags, text in ts.values():
            assert " ".join(txt[s:e] for s, e in frags) == text


def test_brat_lines_match_gold_counts_and_references(exported, tree, inv):
    entity_types = {t["name"] for t in inv[ENTITY_TYPES_KEY]}
    for doc_id in tree.docs:
        ann = (exported / "brat" / f"{doc_id}.ann").read_text(encoding="utf-8")
        ts = t_lines(ann)
        mentions = tree.mentions(doc_id)
        events = tree.layers["events"].get(doc_id, [])
        stance = tree.layers["stance"].get(doc_id, [])
        assert sum(t[0] in entity_types for t in ts.values()) == len(mentions)
        assert sorted((f[0][0], f[-1][1], lab) for lab, f, _ in ts.values() if lab in entity_types) == sorted((m["start"], m["end"], m["type"]) for m in mentions)
        assert sum(t[0] == "Stance" for t in ts.values()) == len(stance)
        e_lines = [line.split("\t")[1].split() for line in ann.splitlines() if line.startswith("E")]
        assert len(e_lines) == len(events)
        by_id = {m["id"]: m for m in mentions}
        for parts, event in zip(e_lines, events):
            label, trig = parts[0].split(":")
            assert label == event["type"] and ts[trig][0] == event["type"]
            assert (ts[trig][1][0][0], ts[trig][1][-1][1]) == (event["trigger"]["start"], event["trigger"]["end"])
            for part, arg in zip(parts[1:], event["arguments"]):
                role, target = part.split(":")
                assert role.rstrip("0123456789") == arg["role"]
                m = by_id[arg["ref"]]
                assert (ts[target][1][0][0], ts[target][1][-1][1]) == (m["start"], m["end"])
        holders = [line for line in ann.splitlines() if line.startswith("R") and "\tHolder " in line]
        assert len(holders) == sum(s["holder"] != "AUTHOR" for s in stance)
        assert sum(1 for line in ann.splitlines() if re.match(r"^A\d+\tRealis E\d+ ", line)) == len(events)


def test_brat_reimport_gives_the_gold_back(exported, tree):
    covered = set()
    for doc_id in tree.docs:
        got = brat.import_document(doc_id, (exported / "brat" / f"{doc_id}.txt").read_text(encoding="utf-8"),
                                   (exported / "brat" / f"{doc_id}.ann").read_text(encoding="utf-8"))
        for layer in LAYERS:
            assert got[layer] == tree.layers[layer].get(doc_id, []), (doc_id, layer)
            if got[layer]:
                covered.add(layer)
    assert covered == {layer for layer in LAYERS if any(tree.layers[layer].values())}
    assert "entities" in covered


def test_brat_round_trip_of_every_feature_on_a_small_document():
    """Flags, repeated roles, no cluster, AUTHOR holder, quotes, exceptions, a span over a line break."""
    text = "Nga nói: “Mỹ và NATO phải\nđáp ứng”. Washington bác bỏ."
    def at(s):
        i = text.index(s)
        return {"start": i, "end": i + len(s), "text": s}
    ms = [{"id": f"d900-M{k}", "doc": "d900", **at(s), "type": t, "entity": e, "flags": f}
          for k, (s, t, e, f) in enumerate([("Nga", "GPE", "russia", []), ("Mỹ", "GPE", "usa", []),
                                            ("NATO", "ORG", "nato", []), ("Washington", "GPE", "usa", ["metonymy"])], start=1)]
    events = [{"id": "d900-E1", "doc": "d900", "trigger": at("đáp ứng"), "type": "AGREE", "realis": "HYPOTHETICAL", "cluster": None,
               "arguments": [{"role": "ACTOR", "ref": "d900-M2"}, {"role": "ACTOR", "ref": "d900-M3"}]},
              {"id": "d900-E2", "doc": "d900", "trigger": at("bác bỏ"), "type": "REJECT", "realis": "ACTUAL", "cluster": "c1",
               "arguments": [{"role": "ACTOR", "ref": "d900-M4"}]}]
    stance = [{"id": "d900-S1", "doc": "d900", "holder": "d900-M1", "target": "russia_security_proposals", "polarity": "FAVOR",
               "source": "direct_quote", "evidence": at("Mỹ và NATO phải\nđáp ứng"), "quote": "d900-q001", "exceptions": ["holder_in_previous_paragraph"]},
              {"id": "d900-S2", "doc": "d900", "holder": "AUTHOR", "target": "continued_dialogue", "polarity": "NEUTRAL",
               "source": "author", "evidence": at("Washington bác bỏ"), "quote": None, "exceptions": []}]
    quote = at("“Mỹ và NATO phải\nđáp ứng”")
    tree = Tree(layout=None, docs={"d900": {"id": "d900", "text": text, "quotes": [{"id": "d900-q001", **quote}]}},
                registry=[{"id": "usa", "name_en": "United States", "wikidata": "Q30"}], clusters=[{"id": "c1", "description": "x\ty"}])
    tree.layers = {"entities": {"d900": ms}, "events": {"d900": events}, "stance": {"d900": stance}}
    txt, ann = brat.document_files(tree, "d900")
    assert "ACTOR2:" in ann and "\tholder_in_previous_paragraph T" in ann and "\tmetonymy T" in ann and "Wikidata:Q30" in ann
    evidence_line = next(line for line in ann.splitlines() if "\tStance " in line)
    assert ";" in evidence_line, "a span over a line break is written as two fragments"
    for label, frags, shown in t_lines(ann).values():
        assert all("\n" not in txt[s:e] for s, e in frags) and " ".join(txt[s:e] for s, e in frags) == shown
    assert brat.import_document("d900", txt, ann) == {"entities": ms, "events": events, "stance": stance}


def test_brat_fragments_split_only_at_line_breaks():
    assert brat.fragments("ab\ncd", 0, 5) == [(0, 2), (3, 5)]
    assert brat.fragments("ab\n\ncd", 1, 6) == [(1, 2), (4, 6)]
    assert brat.fragments("abc", 0, 3) == [(0, 3)]


def test_brat_annotation_conf_declares_the_inventory(exported, inv):
    conf = (exported / "brat" / "annotation.conf").read_text(encoding="utf-8")
    sections = dict(re.findall(r"\[(\w+)\]\n(.*?)(?=\n\[|\Z)", conf, flags=re.S))
    entities = sections["entities"].split()
    assert all(t["name"] in entities for t in inv["entity_types"]) and {"Stance", "Quote"} <= set(entities)
    events = [line.split()[0] for line in sections["events"].strip().splitlines()]
    assert events == [t["name"] for t in inv["event_types"]]
    attrs = sections["attributes"]
    for kind in ("realis", "stance_targets", "stance_polarities", "stance_sources"):
        assert "|".join(x["name"] for x in inv[kind]) in attrs
    for kind in ("entity_flags", "stance_exceptions"):
        for x in inv[kind]:
            assert re.search(rf"^{x['name']} Arg:", attrs, flags=re.M)


def test_brat_parse_rejects_a_line_that_is_not_brat():
    with pytest.raises(ValueError, match="line 2"):
        brat.parse_ann("T1\tGPE 0 3\tNga\nnot an annotation\n")


# ---------------------------------------------------------------- command and build

def test_build_outputs_equal_what_the_command_writes(exported, layout):
    outputs = exports.build_outputs(layout)
    assert {p.relative_to(layout.release).parts[0] for p in outputs} == {"conll", "brat"}
    for path, content in outputs.items():
        rel = path.relative_to(layout.release)
        assert (exported / rel).read_text(encoding="utf-8") == content, rel


def test_export_refuses_invalid_annotations_and_writes_nothing(project_copy, tmp_path, capsys):
    path = project_copy / "annotations" / "entities" / "d001.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    first = json.loads(lines[0])
    first["text"] = first["text"] + "x"
    path.write_text("\n".join([json.dumps(first, ensure_ascii=False)] + lines[1:]) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["export", "brat", "--root", str(project_copy), "--out", str(out)]) == 2
    assert "VST102" in capsys.readouterr().out
    assert not out.exists()


def test_brat_reader_reports_a_coded_problem(tree):
    from visectalks import brat

    for case in sorted((Path(__file__).parent / "fixtures" / "invalid").glob("VST62*")):
        [ann] = sorted(case.glob("*.ann"))
        records, problems = brat.read_document(tree, ann.stem, ann)
        assert records is None
        assert {p.code for p in problems} == {case.name.split("-")[0]}


# ---------------------------------------------------------------- brat reader: the validator's rules

def _gold_ann(tree, doc_id: str) -> list[str]:
    return brat.document_files(tree, doc_id)[1].splitlines()


def _read(tree, tmp_path, doc_id: str, lines: list[str]):
    path = tmp_path / f"{doc_id}.ann"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return brat.read_document(tree, doc_id, path)


def _argument_tid(lines: list[str]) -> str:
    """The T id of the first entity that fills an event argument."""
    for line in lines:
        if line.startswith("E"):
            args = line.split("\t")[1].split()[1:]
            if args:
                return args[0].split(":", 1)[1]
    raise AssertionError("no event with an argument")


def test_brat_reader_accepts_the_gold_export(tree, tmp_path):
    for doc_id in tree.docs:
        records, problems = _read(tree, tmp_path, doc_id, _gold_ann(tree, doc_id))
        assert problems == [] and records == {k: tree.layers[k][doc_id] for k in ("entities", "events", "stance")}


def test_brat_reader_refuses_an_argument_left_dangling(tree, tmp_path):
    lines = _gold_ann(tree, "d004")
    tid = _argument_tid(lines)
    kept = [ln for ln in lines if not ln.startswith(tid + "\t")]  # its note still names the mention id
    records, problems = _read(tree, tmp_path, "d004", kept)
    assert records is None and "VST301" in {p.code for p in problems}
    p = next(p for p in problems if p.code == "VST301")
    assert p.record.startswith("d004-") and p.pointer.startswith("/events/") and p.pointer.endswith("/ref")


def test_brat_reader_refuses_a_mention_off_syllable_boundaries(tree, tmp_path):
    text = tree.docs["d004"]["text"]
    lines = _gold_ann(tree, "d004")
    k = next(i for i, ln in enumerate(lines) if ln.startswith("T") and "\tPER " in ln)
    tid, head, _ = lines[k].split("\t")
    label, start, end = head.split()
    start = int(start) + 1
    lines[k] = f"{tid}\t{label} {start} {end}\t{text[start:int(end)]}"
    records, problems = _read(tree, tmp_path, "d004", lines)
    assert records is None and "VST201" in {p.code for p in problems}
    assert all(p.file.endswith("d004.ann") for p in problems)


def test_brat_reader_refuses_an_unknown_registry_id(tree, tmp_path):
    lines = [ln.replace("ViSecTalks:russia", "ViSecTalks:ruritania") for ln in _gold_ann(tree, "d004")]
    records, problems = _read(tree, tmp_path, "d004", lines)
    assert records is None and {p.code for p in problems} == {"VST202"}
    assert all(p.pointer.startswith("/entities/") and p.pointer.endswith("/entity") for p in problems)


def test_brat_reader_refuses_a_t_line_whose_text_drifted(tree, tmp_path):
    lines = _gold_ann(tree, "d004")
    k = next(i for i, ln in enumerate(lines) if ln.endswith("\tWendy Sherman"))
    lines[k] += "n"
    records, problems = _read(tree, tmp_path, "d004", lines)
    assert records is None and [(p.code, p.record) for p in problems] == [("VST620", lines[k].split("\t")[0])]


def test_brat_reader_refuses_a_document_outside_the_corpus(tree, tmp_path):
    records, problems = _read(tree, tmp_path, "d999", _gold_ann(tree, "d004"))
    assert records is None and [p.code for p in problems] == ["VST620"]
