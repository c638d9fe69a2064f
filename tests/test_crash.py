"""Crash safety: commands killed with SIGKILL at random moments leave the old outputs or the new.

Each trial switches the inputs of a project copy between two valid variants (A and B: a
paragraph role, an author note and a registry name differ, so the corpus, the release, the
exports, the viewer and the datasheet all change), starts a command and kills it. After the
recovery that every command performs first (``transaction.recover``), the checksums of every
file of the copy must equal those of the complete A build or the complete B build, and the
next run must succeed. Most kills are aimed at the writes (a delay counted from the moment
the command's journal appears); the others fall anywhere in the run.

Trials fork from a helper process that has imported the package and run the command once
(``crash_runner.py``), so that each costs the command's own work; a few trials kill a real
``visectalks build`` process started from the shell command.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

from visectalks import transaction
from visectalks.jsonio import dumps

HERE = Path(__file__).parent
BUILD_TRIALS = 50
REAL_TRIALS = 3
RELEASE_TRIALS = 12
IMPORT_TRIALS = 20
AIMED = 0.8  # share of the kills aimed at the writes
INPUTS = ("seeds/metadata.json", "annotations/entities/registry.json")


class Runner:
    def __init__(self):
        self.proc = subprocess.Popen([sys.executable, str(HERE / "crash_runner.py")], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, cwd=HERE.parent)

    def ask(self, **cmd) -> dict:
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        assert line, "the crash runner stopped"
        return json.loads(line)

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


@pytest.fixture(scope="module")
def runner():
    r = Runner()
    yield r
    r.close()


def digest(root: Path, skip: tuple = INPUTS) -> dict[str, str]:
    """sha256 of every file of the copy but the journal folder and the switched inputs."""
    out = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if p.is_file() and not rel.startswith(".visectalks/") and rel not in skip:
            out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def variant_b(root: Path) -> dict[str, bytes]:
    """Inputs of variant B: valid, and different in what the corpus and every stage show."""
    meta = json.loads((root / INPUTS[0]).read_text(encoding="utf-8"))
    docs = {d["id"]: d for d in meta["documents"]}
    for role in docs["d001"]["paragraph_roles"]:
        if role["role"] == "boilerplate":
            role["role"] = "related"
    docs["d000"]["author"]["reason"] += " (checked twice)"
    registry = json.loads((root / INPUTS[1]).read_text(encoding="utf-8"))
    registry[0]["name_en"] += " Media Network"
    return {INPUTS[0]: dumps(meta).encode("utf-8"), INPUTS[1]: dumps(registry).encode("utf-8")}


def put(root: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        (root / rel).write_bytes(data)


@dataclass
class Scenario:
    """A command with two input variants: how to run it, switch inputs and checksum its outputs."""

    root: Path
    argv: Callable[[str], list[str]]
    switch: Callable[[str], None]
    outputs: Callable[[], dict]


def input_scenario(root: Path, argv: list[str]) -> Scenario:
    """Variants A (the project as it is) and B (``variant_b``) of the input files."""
    inputs = {"A": {rel: (root / rel).read_bytes() for rel in INPUTS}, "B": variant_b(root)}
    return Scenario(root, lambda v: argv, lambda v: put(root, inputs[v]), lambda: digest(root))


def two_states(runner: Runner, sc: Scenario) -> dict[str, dict]:
    """Run the command on A, then on B, in the runner; the checksums of both complete states."""
    states = {}
    for v in ("A", "B"):
        sc.switch(v)
        assert runner.ask(op="warm", argv=sc.argv(v)) == {"rc": 0}
        states[v] = sc.outputs()
    return states


def kill_trials(runner: Runner, sc: Scenario, n: int, seed: int, until_killed: bool = False) -> dict:
    """``n`` runs, each towards the variant the outputs are not in, killed at a random moment;
    every state must be A or B. With ``until_killed``, runs go on until ``n`` of them were
    killed (at most ``3 * n`` runs), so the figure does not depend on the machine's speed."""
    states = two_states(runner, sc)
    changed = sorted(k for k in set(states["A"]) | set(states["B"]) if states["A"].get(k) != states["B"].get(k))
    assert changed, "the variants must differ in their outputs"
    sc.switch("A")
    full = runner.ask(op="trial", argv=sc.argv("A"), root=str(sc.root), delay=600, after_writes=True)
    assert not full["killed"] and full["rc"] == 0 and sc.outputs() == states["A"]
    window, total = full["seconds"] - full["writing_at"], full["seconds"]
    rng = random.Random(seed)
    state, tally = "A", {"trials": 0, "killed": 0, "while_writing": 0, "rolled_back": 0, "completed": 0, "files_restored": 0, "mixed_on_disk": 0}
    k = -1
    while (tally["killed"] < n and tally["trials"] < 3 * n) if until_killed else tally["trials"] < n:
        k += 1
        target = "B" if state == "A" else "A"
        sc.switch(target)
        aimed = rng.random() < AIMED
        res = runner.ask(op="trial", argv=sc.argv(target), root=str(sc.root), delay=rng.uniform(0, 1.2 * (window if aimed else total)), after_writes=aimed)
        if not res["killed"]:
            assert res["rc"] == 0, res
        tally["mixed_on_disk"] += sc.outputs() not in (states["A"], states["B"])
        tally["files_restored"] += transaction.recover(sc.root)
        now = sc.outputs()
        assert now in (states["A"], states["B"]), f"trial {k}: a mixture of old and new outputs after {res}: " \
            f"{[p for p in changed if now.get(p) not in (states['A'].get(p), states['B'].get(p))][:5]}"
        state = "A" if now == states["A"] else "B"
        tally["trials"] += 1
        tally["killed"] += res["killed"]
        tally["while_writing"] += res["killed"] and res["writing"]
        tally["rolled_back"] += state != target
        tally["completed"] += state == target
    sc.switch(state)
    tally.update(states=states, state=state, changed=changed, window=round(window, 3), total=round(total, 3))
    return tally


def _report(name: str, tally: dict) -> None:
    figures = {k: v for k, v in tally.items() if k not in ("states", "state")}
    print(f"\n{name}: {json.dumps(figures)}")


def test_build_killed_at_random_moments_leaves_old_or_new(runner, project_copy):
    argv = ["build", "--root", str(project_copy), "--jobs", "1", "--quiet"]
    sc = input_scenario(project_copy, argv)
    tally = kill_trials(runner, sc, BUILD_TRIALS, seed=2022, until_killed=True)
    _report("build", tally)
    assert tally["trials"] >= 50 and tally["killed"] >= 50 and tally["while_writing"] >= 10 and tally["rolled_back"] >= 5
    assert any(p.startswith("corpus/") for p in tally["changed"]) and any(p.startswith("release/") for p in tally["changed"])
    # the next run, a real process, succeeds and gives the complete state of its inputs
    target = "B" if tally["state"] == "A" else "A"
    sc.switch(target)
    run = subprocess.run([sys.executable, "-m", "visectalks.cli", *argv], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert sc.outputs() == tally["states"][target]


def test_real_build_processes_killed_leave_old_or_new(runner, project_copy):
    """A few kills of whole ``visectalks build`` processes (interpreter start-up included)."""
    argv = ["build", "--root", str(project_copy), "--jobs", "1", "--quiet"]
    sc = input_scenario(project_copy, argv)
    states = two_states(runner, sc)
    rng, state = random.Random(7), "B"
    started = time.monotonic()
    run = subprocess.run([sys.executable, "-m", "visectalks.cli", *argv], capture_output=True, text=True)
    assert run.returncode == 0 and sc.outputs() == states["B"]
    total = time.monotonic() - started
    for _ in range(REAL_TRIALS):
        target = "A" if state == "B" else "B"
        sc.switch(target)
        proc = subprocess.Popen([sys.executable, "-m", "visectalks.cli", *argv], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        try:
            proc.wait(timeout=rng.uniform(total * 0.3, total * 1.1))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        transaction.recover(project_copy)
        now = sc.outputs()
        assert now in (states["A"], states["B"])
        state = "A" if now == states["A"] else "B"


def test_release_killed_at_random_moments_leaves_old_or_new(runner, project_copy):
    assert runner.ask(op="warm", argv=["build", "--root", str(project_copy), "--jobs", "1", "--quiet"]) == {"rc": 0}
    sc = input_scenario(project_copy, ["release", "--root", str(project_copy), "--quiet"])
    tally = kill_trials(runner, sc, RELEASE_TRIALS, seed=11)
    _report("release", tally)
    assert tally["trials"] == RELEASE_TRIALS and tally["killed"] >= 3  # its writes take a few milliseconds


def _ls_variant(export: list) -> list:
    """The same export with two valid changes in two layers: an event's realis, a stance's polarity."""
    task = json.loads(json.dumps(export))
    swap = {"realis": ("ACTUAL", "GENERIC"), "polarity": ("AGAINST", "NEUTRAL")}
    done = set()
    for region in task[0]["annotations"][0]["result"]:
        name = region.get("from_name")
        if name in swap and name not in done:
            a, b = swap[name]
            region["value"]["choices"] = [b if region["value"]["choices"][0] == a else a]
            done.add(name)
    assert done == set(swap), "the export lacks a realis or a polarity"
    return task


def test_label_studio_import_killed_leaves_old_or_new(runner, project_copy):
    pytest.importorskip("visectalks.labelstudio_import", reason="the Label Studio importer is not part of this installation")
    from visectalks.labelstudio_cli import export_tasks

    export = export_tasks(project_copy, None, ["d004"], "annotations")
    files = {"A": project_copy / "ls-a.json", "B": project_copy / "ls-b.json"}
    files["A"].write_text(dumps(export), encoding="utf-8")
    files["B"].write_text(dumps(_ls_variant(export)), encoding="utf-8")
    sc = Scenario(project_copy, lambda v: ["ls", "import", str(files[v]), "--root", str(project_copy), "--docs", "d004", "--quiet"],
                  lambda v: None, lambda: digest(project_copy / "annotations", ()))
    tally = kill_trials(runner, sc, IMPORT_TRIALS, seed=5)
    _report("ls import", tally)
    assert tally["trials"] == IMPORT_TRIALS and tally["killed"] >= 3


# ---------------------------------------------------------------- two runs at once

def test_a_second_run_waits_for_the_lock(project_copy):
    """While another run holds the project lock, ``visectalks build`` writes nothing and waits."""
    (project_copy / "corpus" / "d000.json").unlink()  # so that the build has something to write
    before = digest(project_copy)
    fd = os.open(project_copy, os.O_RDONLY | os.O_DIRECTORY)  # the lock is on the project folder
    fcntl.flock(fd, fcntl.LOCK_EX)
    proc = subprocess.Popen([sys.executable, "-m", "visectalks.cli", "build", "--root", str(project_copy), "--jobs", "1", "--quiet"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(4)
        assert proc.poll() is None, "the build did not wait for the lock"
        assert digest(project_copy) == before
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, out + err
    assert (project_copy / "corpus" / "d000.json").exists()


WRITER = """
import sys, time
from pathlib import Path
from visectalks import transaction
from visectalks.jsonio import write_text_atomic
root, mark, order = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
while not (root / "go").exists():
    time.sleep(0.005)
with transaction.transaction(root):
    for k in (range(20) if order == "up" else range(19, -1, -1)):
        write_text_atomic(root / "out" / f"f{k:02d}.txt", mark * 100 + str(k))
        time.sleep(0.03)
"""


def _writers(tmp_path: Path, code: str) -> list[str]:
    """Run writer A (files in increasing order) and B (decreasing) at the same moment."""
    procs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path), mark, order]) for mark, order in (("A", "up"), ("B", "down"))]
    time.sleep(2)  # both have started and wait for the signal
    (tmp_path / "go").touch()
    for p in procs:
        assert p.wait(timeout=120) == 0
    return [(tmp_path / "out" / f"f{k:02d}.txt").read_text()[0] for k in range(20)]


def test_concurrent_transactions_do_not_interleave(tmp_path):
    """Two processes writing the same 20 files at once, in opposite orders: one wins, whole."""
    assert len(set(_writers(tmp_path, WRITER))) == 1


def test_interleaving_is_caught_without_the_lock(tmp_path):
    """The check above can fail: the same writers without a transaction leave a mixture."""
    assert len(set(_writers(tmp_path, WRITER.replace("with transaction.transaction(root):", "if True:")))) == 2


# ---------------------------------------------------------------- the journal itself

def test_a_failing_command_is_undone(tmp_path):
    from visectalks.jsonio import remove_atomic, write_text_atomic

    (tmp_path / "keep.txt").write_text("old")
    (tmp_path / "gone.txt").write_text("old")
    with pytest.raises(RuntimeError):
        with transaction.transaction(tmp_path):
            write_text_atomic(tmp_path / "keep.txt", "new")
            write_text_atomic(tmp_path / "new" / "deep" / "file.txt", "new")
            remove_atomic(tmp_path / "gone.txt")
            raise RuntimeError("stop")
    assert (tmp_path / "keep.txt").read_text() == "old" and (tmp_path / "gone.txt").read_text() == "old"
    assert not (tmp_path / "new").exists() and not (tmp_path / ".visectalks" / "journal").exists()


def test_recovery_after_a_kill_inside_a_transaction(tmp_path):
    """A process killed half-way through its writes: the next transaction finds the old files."""
    for k in range(5):
        (tmp_path / f"f{k}.txt").write_text("old")
    code = WRITER.replace('root / "out" / f"f{k:02d}.txt"', 'root / f"f{k}.txt"').replace("range(20)", "range(5)") \
        .replace("time.sleep(0.03)", "time.sleep(60 if k == 3 else 0)")
    (tmp_path / "go").touch()
    proc = subprocess.Popen([sys.executable, "-c", code, str(tmp_path), "N", "up"])
    deadline = time.monotonic() + 60
    while (tmp_path / "f3.txt").read_text() == "old":
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.01)
    proc.kill()
    proc.wait()
    on_disk = [(tmp_path / f"f{k}.txt").read_text() for k in range(5)]
    assert on_disk[:4] == ["N" * 100 + str(k) for k in range(4)] and on_disk[4] == "old"
    with transaction.transaction(tmp_path) as txn:
        assert txn.recovered == 4
    assert [(tmp_path / f"f{k}.txt").read_text() for k in range(5)] == ["old"] * 5
    assert not (tmp_path / ".visectalks" / "journal").exists()
