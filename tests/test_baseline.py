"""The NER baseline: offline tool, explicit alignment, seqeval scoring, reproducible report."""
from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter

import pytest

from visectalks import baseline, iob
from visectalks.cli import main


@pytest.fixture(scope="module")
def computed(layout):
    """(results, details) for the real corpus; the tool runs once for the module."""
    return baseline._compute(layout)


# ---------------------------------------------------------------- the tool

OFFLINE = """
import socket
def refuse(*a, **k):
    raise OSError("network disabled for this test")
socket.socket.connect = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse
from underthesea import ner
print([(w, t) for w, *_, t in ner("Ông Putin ca ngợi những thành tựu vĩ đại của Liên Xô")])
"""


def test_underthesea_ner_runs_without_network():
    run = subprocess.run([sys.executable, "-c", OFFLINE], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    tags = dict(eval(run.stdout.strip()))  # noqa: S307 - our own subprocess output
    assert tags["Putin"] == "B-PER" and tags["Liên Xô"] == "B-LOC"


# ---------------------------------------------------------------- alignment

def test_align_maps_words_to_characters_across_whitespace():
    text = "  Ông\u00a0Putin  ca ngợi Liên\u00a0Xô."
    spans = baseline.align(text, 2, len(text), ["Ông", "Putin", "ca ngợi", "Liên Xô", "."])
    assert [text[s:e] for s, e in spans] == ["Ông", "Putin", "ca ngợi", "Liên\u00a0Xô", "."]


def test_align_accepts_same_length_normalisation():
    text = "hoà bình ở Nga"
    spans = baseline.align(text, 0, len(text), ["hòa bình", "ở", "Nga"])  # accent placed on the other vowel
    assert spans == [(0, 8), (9, 10), (11, 14)]


def test_align_leaves_an_invented_word_unaligned_and_keeps_the_others():
    text = "Nga và Mỹ"
    spans = baseline.align(text, 0, len(text), ["Nga", "XYZW", "và", "Mỹ"])
    assert spans == [(0, 3), None, (4, 6), (7, 9)]


def test_snap_widens_to_the_syllable_tokens_overlapped():
    tokens = [(0, 9), (10, 13)]  # "10/1/2022 tại"
    assert baseline.snap((0, 4), tokens) == (0, 9)
    assert baseline.snap((5, 11), tokens) == (0, 13)
    assert baseline.snap((9, 10), tokens) is None


def test_tool_spans_reads_chunks_and_maps_labels():
    text = "Ông Putin nói với NATO Jens"
    tokens = [(0, 3), (4, 9), (10, 13), (14, 17), (18, 22), (23, 27)]
    words = ["Ông", "Putin", "nói với", "NATO", "Jens"]
    spans = baseline.align(text, 0, len(text), words)
    found, stats = baseline.tool_spans(spans, ["O", "I-PER", "O", "B-ORG", "B-MISC"], tokens)
    assert found == [(4, 9, "PER"), (18, 22, "ORG"), (23, 27, "MISC")]
    assert stats["entities_unaligned"] == 0
    with pytest.raises(ValueError, match="unknown label"):
        baseline.tool_spans(spans, ["O", "B-DATE", "O", "O", "O"], tokens)


def test_word_stats_count_words_inside_tokens():
    stats = baseline.word_stats([(0, 4), (4, 9), None], [(0, 9)])
    assert stats["words_inside_a_token"] == 2 and stats["words_unaligned"] == 1 and stats["words"] == 3


def test_every_tool_word_of_the_corpus_is_located_in_the_text(computed):
    a = computed[0]["alignment"]
    assert a["words"] > 0
    assert a["words_on_token_boundaries"] + a["words_inside_a_token"] + a["words_unaligned"] == a["words"]
    assert a["words_unaligned"] == 0, "the tool changed characters that the alignment could not map"


# ---------------------------------------------------------------- gold and scores

def test_vlsp_flattening_maps_first_then_keeps_outermost():
    mentions = [{"start": 0, "end": 12, "type": "QUANTITY"}, {"start": 9, "end": 12, "type": "GPE"},
                {"start": 20, "end": 37, "type": "ORG"}, {"start": 34, "end": 37, "type": "GPE"}]
    assert iob.flat_gold(mentions, "vlsp") == [(9, 12, "LOC"), (20, 37, "ORG")]
    assert iob.flat_gold(mentions, "full") == [(0, 12, "QUANTITY"), (20, 37, "ORG")]


def test_real_gold_flattening_is_flat_and_complete(tree, root):
    vlsp = {t["name"]: t["vlsp"] for t in json.loads((root / "schema" / "inventory.json").read_text())["entity_types"]}
    for doc_id in tree.docs:
        flat = iob.flat_gold(tree.mentions(doc_id), "vlsp")
        assert all(a[1] <= b[0] for a, b in zip(flat, flat[1:])), "flattened spans overlap"
        mapped = {(m["start"], m["end"], vlsp[m["type"]]) for m in tree.mentions(doc_id) if vlsp[m["type"]]}
        assert set(flat) <= mapped
        assert all(any(f[0] <= m[0] and m[1] <= f[1] for f in flat) for m in mapped)


def test_seqeval_scoring_of_perfect_and_empty_predictions():
    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O"]]
    perfect = baseline.score(gold, gold)
    assert perfect["micro"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 3}
    empty = baseline.score(gold, [["O"] * 4, ["O"] * 2])
    assert empty["micro"]["recall"] == 0.0 and empty["per_type"]["PER"]["support"] == 1


def test_strict_mode_does_not_credit_a_chunk_without_its_begin_tag():
    gold = [["B-PER", "I-PER", "O"]]
    assert baseline.score(gold, [["I-PER", "I-PER", "O"]])["micro"]["f1"] == 0.0


def test_micro_scores_equal_an_independent_exact_span_count(computed):
    results, details = computed
    gold, pred = set(details["gold"]), set(details["pred"])
    assert len(gold) == results["counts"]["gold_spans"] and len(pred) == results["counts"]["predicted_spans"]
    hit = len(gold & pred)
    assert results["micro"]["precision"] == round(hit / len(pred), 4)
    assert results["micro"]["recall"] == round(hit / len(gold), 4)
    support = Counter(g[3] for g in gold)
    assert {t: v["support"] for t, v in results["per_type"].items()} == {t: support[t] for t in results["per_type"]}
    assert set(support) <= set(results["per_type"])


def test_partial_scores_bound_the_exact_ones(computed):
    r = computed[0]
    same, any_type = r["partial"]["overlap_same_type"], r["partial"]["overlap_any_type"]
    for key in ("precision", "recall"):
        assert r["micro"][key] <= same[key] <= any_type[key] <= 1.0


def test_partial_overlap_definition():
    gold = [("d", 0, 5, "PER"), ("d", 10, 12, "LOC")]
    pred = [("d", 3, 8, "PER"), ("d", 10, 12, "ORG"), ("e", 0, 5, "PER")]
    p = baseline.partial(gold, pred)
    assert p["overlap_same_type"]["precision"] == round(1 / 3, 4) and p["overlap_same_type"]["recall"] == 0.5
    assert p["overlap_any_type"]["precision"] == round(2 / 3, 4) and p["overlap_any_type"]["recall"] == 1.0


# ---------------------------------------------------------------- report

def test_report_json_shape_and_tool_version(computed):
    import underthesea

    r = computed[0]
    assert r["tool"] == {"name": "underthesea", "version": underthesea.__version__}
    assert r["scheme"] == "IOB2 strict"
    assert list(r["per_type"]) == [t for t in iob.vlsp_types() if t in r["per_type"]]
    for block in [r["micro"], r["macro"], *r["per_type"].values(), *r["partial"].values()]:
        assert all(0.0 <= block[k] <= 1.0 for k in ("precision", "recall", "f1"))


def test_committed_reports_are_what_the_command_writes(computed, layout, root):
    outputs = baseline.build_outputs(layout)
    assert set(outputs) == {root / "reports" / "baseline.json", root / "reports" / "baseline.md"}
    for path, content in outputs.items():
        assert path.exists(), f"{path.name} is not committed; run 'visectalks baseline'"
        assert path.read_text(encoding="utf-8") == content, f"{path.name} is stale; run 'visectalks baseline'"


def test_rerunning_the_command_reproduces_the_report(project_copy, root, computed):
    baseline._CACHE.clear()  # run the tool again rather than reuse the module's result
    assert main(["baseline", "--root", str(project_copy), "--quiet"]) == 0
    for name in ("baseline.json", "baseline.md"):
        assert (project_copy / "reports" / name).read_bytes() == (root / "reports" / name).read_bytes()
