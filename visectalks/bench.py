"""``visectalks bench --sizes 1000,10000,100000``: every stage against its measured floor.

For each size a synthetic project is made (``synth``, or reused from ``--work`` if it is
already there), then every stage and every floor runs in a fresh process (``bench_stages``)
while this process samples the memory of that process and its workers. A stage's figures are
its documents and records per second (by wall clock, and per CPU second: CPU time is what
another busy process on the machine disturbs least), its wall time and its peak resident
memory (the sum over the process tree). Floors run on a sample of the same corpus in the
same run. Results go to ``bench/results.json`` and ``bench/results.md``; ``bench_report``
computes the ratios and checks the targets.
"""
from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from . import bench_report

PAGE = os.sysconf("SC_PAGE_SIZE")


def tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and all its descendants, read from /proc."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as fh:
                    parents[int(entry)] = int(fh.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    family, total = {pid}, 0
    grew = True
    while grew:
        grew = False
        for child, parent in parents.items():
            if parent in family and child not in family:
                family.add(child)
                grew = True
    for member in family:
        try:
            with open(f"/proc/{member}/statm", "rb") as fh:
                total += int(fh.read().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            continue
    return total


class Sampler(threading.Thread):
    """Samples the process tree's resident memory every ``interval`` seconds; keeps the peak."""

    def __init__(self, pid: int, interval: float = 0.2):
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak, self.done = pid, interval, 0, threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.peak = max(self.peak, tree_rss(self.pid))
            self.done.wait(self.interval)


def run_stage(stage: str, root: Path, jobs: int = 1, sample: int = 1000) -> dict:
    """Run one stage in a fresh process; its JSON result plus the sampled peak memory."""
    cmd = [sys.executable, "-m", "visectalks.bench_stages", stage, str(root), "--jobs", str(jobs), "--sample", str(sample)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "VISECTALKS_PROGRESS": "0"})
    sampler = Sampler(proc.pid)
    sampler.start()
    out, err = proc.communicate()
    sampler.done.set()
    sampler.join()
    if proc.returncode != 0:
        raise RuntimeError(f"bench stage {stage} failed:\n{err[-2000:]}")
    result = json.loads(out.strip().splitlines()[-1])
    result["peak_rss_mb"] = round(max(sampler.peak / 2**20, result["vmhwm_mb"]), 1)
    return result


# Synthetic documents for the benchmark: up to three body paragraphs (news-brief length, about
# 650 characters), so that all three sizes fit in about forty minutes on two cores.
MAX_PARAGRAPHS = 3


def synthetic_root(work: Path, size: int, seed: int, jobs: int, source: Path, quiet: bool) -> tuple[Path, dict]:
    """A synthetic project of ``size`` documents (made now, or an identical earlier one reused)."""
    from .paths import layout
    from .synth import MARKER, synth

    root = work / f"synth-{size}-seed{seed}"
    marker = root / MARKER
    wanted = {"documents": size, "seed": seed, "max_paragraphs": MAX_PARAGRAPHS}
    if marker.exists():
        made = json.loads(marker.read_text(encoding="utf-8"))
        if all(made.get(k) == v for k, v in wanted.items()) and (root / "corpus").is_dir():
            return root, {"reused": True, **made}
    t0 = time.perf_counter()
    info = synth(layout(source), root, size, seed=seed, jobs=jobs, max_paragraphs=MAX_PARAGRAPHS, quiet=quiet)
    return root, {"reused": False, "wall": time.perf_counter() - t0, **{k: v for k, v in info.items() if k != "problems"}}


def bench_size(root: Path, size: int, jobs: int, sample: int, serial_up_to: int, log) -> dict:
    """Every stage and floor on one synthetic project."""
    plan = [("build", jobs), ("validate", jobs), ("release", jobs), ("labelstudio", jobs)]
    if size <= serial_up_to:
        plan += [("build", 1)]
    plan += [("validate", 1), ("release", 1)]  # compared on one process with one-process targets and floors
    plan += [("segmenter", 1), ("jsonschema", 1), ("pyarrow", 1)]
    out: dict = {}
    for stage, j in plan:
        log(f"bench: {size} documents: {stage} (jobs {j}) …")
        result = run_stage(stage, root, j, min(sample, size))
        out[f"{stage}@{j}"] = result
        log(f"bench: {size} documents: {stage} (jobs {j}) {result['wall']:.1f} s, peak {result['peak_rss_mb']} MB")
    return out


def machine() -> dict:
    return {"cores": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
            "load_average": list(os.getloadavg())}


def bench(sizes: list[int], work: Path, out_dir: Path, source: Path, seed: int = 0, jobs: int | None = None,
          sample: int = 1000, serial_up_to: int = 1000, quiet: bool = False) -> dict:
    jobs = jobs or os.cpu_count() or 1
    log = (lambda msg: None) if quiet else (lambda msg: print(msg, file=sys.stderr, flush=True))
    results = {"machine": machine(), "jobs": jobs, "sample": sample, "seed": seed, "sizes": {}}
    for size in sizes:
        root, synth_info = synthetic_root(work, size, seed, jobs, source, quiet)
        results["sizes"][str(size)] = {"synth": synth_info, "stages": bench_size(root, size, jobs, sample, serial_up_to, log)}
        results["machine"]["load_average_end"] = list(os.getloadavg())
        bench_report.write(results, out_dir)  # after every size, so a long run leaves its figures
    return results


def _cmd_bench(args) -> int:
    from .paths import layout

    lay = layout(args.root)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    work = Path(args.work).resolve() if args.work else Path(tempfile.gettempdir()) / "visectalks-bench"
    out_dir = Path(args.out).resolve() if args.out else lay.root / "bench"
    results = bench(sizes, work, out_dir, lay.root, args.seed, args.jobs, args.sample, args.serial_up_to, args.quiet)
    if not args.quiet:
        print(bench_report.markdown(results))
    return 0


def register(sub, add) -> None:
    p = add("bench", _cmd_bench, "Benchmark build, validate, release and Label Studio round trip on synthetic corpora, against measured floors.")
    p.add_argument("--sizes", default="1000,10000,100000", help="corpus sizes, comma-separated (default: 1000,10000,100000)")
    p.add_argument("--work", help="folder for the synthetic corpora (default: visectalks-bench in the temporary folder; reused when present)")
    p.add_argument("--out", help="folder for results.json and results.md (default: bench/)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--jobs", type=int, default=None, help="worker processes of the parallel stages (default: number of cores)")
    p.add_argument("--sample", type=int, default=1000, help="documents on which the floors are measured (default: 1000)")
    p.add_argument("--serial-up-to", type=int, default=1000, help="also run build on one process up to this size (validate and release run on one process at every size; default: 1000)")
