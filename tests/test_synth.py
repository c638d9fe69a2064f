"""Synthetic corpora: valid in every layer, deterministic for a seed, equal to what the build makes."""
from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from visectalks.jsonio import dumps
from visectalks.layers import LAYERS
from visectalks.paths import layout as make_layout
from visectalks.synth import MARKER, synth
from visectalks.validate import validate

N = 40


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory, layout):
    out = tmp_path_factory.mktemp("synth") / "corpus-a"
    info = synth(layout, out, N, seed=3, variants=3, check=True)
    return out, info


def test_synthetic_project_validates(synthetic):
    root, info = synthetic
    assert info["problems"] == []
    assert validate(make_layout(root)) == []
    assert len(list((root / "corpus").glob("*.json"))) == N


def test_every_layer_has_annotations(synthetic):
    root, _ = synthetic
    for layer in LAYERS:
        lines = [line for p in (root / "annotations" / layer).glob("*.jsonl") for line in p.read_text(encoding="utf-8").splitlines()]
        assert lines, f"no {layer} records"
    stance = [json.loads(line) for p in (root / "annotations" / "stance").glob("*.jsonl") for line in p.read_text(encoding="utf-8").splitlines()]
    assert {s["source"] for s in stance} >= {"reported"}


def test_texts_carry_hazards(synthetic):
    root, _ = synthetic
    texts = "".join(p.read_text(encoding="utf-8") for p in (root / "seeds").glob("*.txt"))
    assert "\u00a0" in texts or "\u202f" in texts
    assert any(ord(ch) > 0xFFFF for ch in texts), "no character outside the BMP (emoji)"
    assert "\u200d" in texts or "🔥" in texts or "✅" in texts or "📰" in texts


def test_same_seed_same_bytes_other_seed_other_text(synthetic, layout, tmp_path):
    root, _ = synthetic
    again = tmp_path / "again"
    synth(layout, again, N, seed=3, variants=3)
    assert _digest(again) == _digest(root)
    other = tmp_path / "other"
    synth(layout, other, N, seed=4, variants=3)
    assert _digest(other / "seeds") != _digest(root / "seeds")


def test_corpus_is_what_the_build_makes(synthetic, tmp_path):
    from visectalks.corpus_stream import build_corpus

    root, _ = synthetic
    copy = tmp_path / "copy"
    shutil.copytree(root, copy)
    shutil.rmtree(copy / "corpus")
    (copy / "corpus").mkdir()
    build_corpus(make_layout(copy), jobs=2)
    assert _digest(copy / "corpus") == _digest(root / "corpus")


def test_metadata_is_in_canonical_form(synthetic):
    root, _ = synthetic
    text = (root / "seeds" / "metadata.json").read_text(encoding="utf-8")
    assert dumps(json.loads(text)) == text


def test_refuses_a_folder_that_is_not_synthetic(layout, tmp_path):
    (tmp_path / "mine.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(SystemExit):
        synth(layout, tmp_path, 2, variants=2)
    assert (tmp_path / "mine.txt").read_text(encoding="utf-8") == "keep me"


def test_replaces_an_earlier_synthetic_corpus(synthetic, layout, tmp_path):
    out = tmp_path / "s"
    synth(layout, out, 5, seed=1, variants=2)
    synth(layout, out, 3, seed=1, variants=2)
    assert len(list((out / "corpus").glob("*.json"))) == 3
    assert json.loads((out / MARKER).read_text(encoding="utf-8"))["documents"] == 3


def test_command_line(root, tmp_path):
    out = tmp_path / "cli"
    run = subprocess.run([sys.executable, "-m", "visectalks.cli", "synth", "4", "--out", str(out), "--seed", "2", "--variants", "2",
                          "--jobs", "1", "--root", str(root)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "4 documents" in run.stderr
    check = subprocess.run([sys.executable, "-m", "visectalks.cli", "validate", "--root", str(out), "--quiet"], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
