"""The benchmark runs end to end at a tiny size and reports every stage (no timing assertions)."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest

from visectalks import bench, bench_report, progress


@pytest.fixture(scope="module")
def results(tmp_path_factory, root):
    work = tmp_path_factory.mktemp("bench")
    out = work / "out"
    bench.bench([8], work / "corpora", out, root, seed=1, jobs=2, sample=4, serial_up_to=8, quiet=True)
    return json.loads((out / "results.json").read_text(encoding="utf-8")), (out / "results.md").read_text(encoding="utf-8")


def test_every_stage_and_floor_ran_on_the_whole_corpus(results):
    data, _ = results
    stages = data["sizes"]["8"]["stages"]
    assert set(stages) == {"build@2", "validate@2", "release@2", "labelstudio@2", "build@1", "validate@1", "release@1", "segmenter@1", "jsonschema@1", "pyarrow@1"}
    for name in ("build@2", "validate@2", "release@2", "labelstudio@2", "build@1", "validate@1", "release@1"):
        assert stages[name]["documents"] == 8 and stages[name]["records"] > 0, name
        assert stages[name]["peak_rss_mb"] > 10 and stages[name]["wall"] > 0 and stages[name]["cpu"] > 0
    assert stages["validate@2"]["problems"] == 0
    assert stages["validate@1"]["records"] == stages["validate@2"]["records"] > stages["build@2"]["records"]
    assert stages["release@1"]["records"] == stages["release@2"]["records"] > stages["pyarrow@1"]["records"] > 0
    assert stages["segmenter@1"]["documents"] == stages["jsonschema@1"]["documents"] == stages["pyarrow@1"]["documents"] == 4
    assert stages["jsonschema@1"]["valid"] is True
    assert stages["build@2"]["fsync_calls"] >= 8


def test_summary_has_ratios_and_verdicts(results):
    data, md = results
    ratios = data["summary"]["sizes"]["8"]["ratios"]
    for key in ("build_vs_segmenter", "build_speedup", "validate_records_per_s", "release_vs_pyarrow", "labelstudio_vs_json"):
        assert isinstance(ratios[key], float) and ratios[key] > 0, key
        assert key in md
    assert set(data["summary"]["verdicts"]["8"]) >= {"build_vs_segmenter", "validate_records_per_s", "release_vs_pyarrow"}
    assert "| build | 2 |" in md and "peak RSS MB" in md


def test_growth_needs_both_sizes():
    fake = {"sizes": {s: {"stages": {"build@2": {"wall": w, "cpu": c, "peak_rss_mb": m, "documents": 1, "records": 1, "jobs": 2}}}
                      for s, w, c, m in (("10000", 10.0, 10.0, 300.0), ("100000", 125.0, 105.0, 330.0))}}
    g = bench_report.growth(fake)["build"]
    assert g["time_ratio"] == pytest.approx(12.5) and g["cpu_ratio"] == pytest.approx(10.5) and g["rss_ratio"] == pytest.approx(1.1)
    verdict = bench_report.verdicts({}, {"build": g})["build_scaling"]
    assert verdict == {"rss_below_limit": True, "rss_growth": True, "time_growth": True, "time_growth_wall": False}
    assert bench_report.growth({"sizes": {"1000": fake["sizes"]["10000"]}}) == {}


def test_tree_memory_counts_children():
    code = "import sys, time; x = b'v' * (64 << 20); print('ready', flush=True); time.sleep(30)"
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready"
        seen = bench.tree_rss(child.pid)
        assert seen >= 64 << 20
        assert bench.tree_rss(os.getpid()) >= seen  # the child is part of this process's tree
    finally:
        child.kill()
        child.wait()


class _Stream(io.StringIO):
    def __init__(self, tty: bool):
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def test_progress_only_on_a_terminal(monkeypatch):
    monkeypatch.delenv("VISECTALKS_PROGRESS", raising=False)
    assert progress.enabled(False, _Stream(True)) is True
    assert progress.enabled(False, _Stream(False)) is False
    assert progress.enabled(True, _Stream(True)) is False
    monkeypatch.setenv("VISECTALKS_PROGRESS", "1")
    assert progress.enabled(False, _Stream(False)) is True
    monkeypatch.setenv("VISECTALKS_PROGRESS", "0")
    assert progress.enabled(False, _Stream(True)) is False


def test_progress_draws_counts_and_rates_on_a_terminal(monkeypatch):
    fake = _Stream(True)
    monkeypatch.setattr(sys, "stderr", fake)
    monkeypatch.delenv("VISECTALKS_PROGRESS", raising=False)
    assert list(progress.progress(range(5), total=5, desc="work", unit="doc")) == list(range(5))
    assert "5/5" in fake.getvalue() and "doc/s" in fake.getvalue()
    quiet = _Stream(True)
    monkeypatch.setattr(sys, "stderr", quiet)
    assert list(progress.progress(range(5), total=5, quiet=True)) == list(range(5))
    assert quiet.getvalue() == ""
