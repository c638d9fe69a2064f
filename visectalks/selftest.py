"""``visectalks selftest``: mutation fuzzing of every reader, and recovery after a kill.

``--fuzz N`` runs N mutated inputs (``mutations.py``) through each reader of
``fuzz_readers.py``: the validator for each kind of file, the Label Studio importer, the brat
reader, the release builder and the viewer; it reports the cases run, accepted and refused
per reader, and every distinct failure of the property (an uncaught exception, a problem
without code, file, record or pointer, an accepted input that does not read back the same, a
refused import that wrote files). The test suite runs the same cases with a small fixed
number of examples (``tests/test_fuzz.py``). ``--recover`` undoes an interrupted command
(every command does that first anyway) and says how many files it put back.
"""
from __future__ import annotations

import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .fuzz_readers import Context, Reader, readers, run_case
from .paths import Layout


# ---------------------------------------------------------------- the command

@dataclass
class Stats:
    cases: Counter = field(default_factory=Counter)
    accepted: Counter = field(default_factory=Counter)
    codes: dict[str, Counter] = field(default_factory=dict)
    failures: dict[str, list[str]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def fuzz(layout: Layout, n: int, names: list[str] | None = None, seed: int = 0, stats: Stats | None = None) -> Stats:
    """Run ``n`` cases per reader; collect counts and every distinct violation (not stopping at one)."""
    stats = stats or Stats()
    with tempfile.TemporaryDirectory(prefix="visectalks-fuzz-") as tmp:
        ctx = Context(layout, Path(tmp))
        for name, reader in readers().items():
            if names and name not in names:
                continue
            started = time.perf_counter()
            _fuzz_reader(ctx, reader, n, seed, stats)()
            stats.seconds[name] = time.perf_counter() - started
    return stats


def _fuzz_reader(ctx: Context, reader: Reader, n: int, seed: int, stats: Stats):
    from hypothesis import HealthCheck, Phase, given, settings, strategies as st
    from hypothesis import seed as hseed

    name = reader.name
    stats.codes[name] = Counter()

    @hseed(seed)
    @settings(max_examples=n, database=None, deadline=None, phases=(Phase.generate,), suppress_health_check=list(HealthCheck))
    @given(st.data())
    def one(data):
        out, notes = run_case(ctx, reader, data)
        stats.cases[name] += 1
        stats.accepted[name] += out.accepted
        stats.codes[name].update(p.code for p in out.problems)
        for v in out.violations:
            key = v.splitlines()[-1] if v.startswith("uncaught") else v.split(":")[0]
            bucket = stats.failures.setdefault(f"{name}: {key}", [])
            if len(bucket) < 3:
                bucket.append(f"mutations: {'; '.join(notes)}\n{v}")

    return one


def report(stats: Stats) -> str:
    lines = ["| reader | cases | accepted | refused with a code | most frequent codes | seconds |", "|---|---|---|---|---|---|"]
    for name in stats.cases:
        top = ", ".join(f"{c} ×{k}" for c, k in stats.codes[name].most_common(4))
        lines.append(f"| {name} | {stats.cases[name]} | {stats.accepted[name]} | {stats.cases[name] - stats.accepted[name]} | {top} | {stats.seconds.get(name, 0):.0f} |")
    lines.append(f"\n{sum(stats.cases.values())} cases, {len(stats.failures)} distinct failure(s)")
    for key, examples in stats.failures.items():
        lines.append(f"\nFAILURE {key}\n" + "\n---\n".join(examples))
    return "\n".join(lines)


def _cmd(args) -> int:
    from . import transaction
    from .paths import layout as make_layout

    if args.recover:
        txn = transaction.active()
        n = txn.recovered if txn is not None else transaction.recover(make_layout(args.root).root)
        print(f"selftest: {n} file(s) put back from an interrupted command" if n else "selftest: nothing to recover", file=sys.stderr)
    if args.fuzz:
        try:
            import hypothesis  # noqa: F401
        except ImportError:
            print("selftest: --fuzz needs Hypothesis, from the test extra: pip install -e '.[test]'", file=sys.stderr)
            return 2
        unknown = sorted(set(args.readers or []) - set(readers()))
        if unknown:
            print(f"selftest: no reader {', '.join(unknown)}; readers: {', '.join(readers())}", file=sys.stderr)
            return 2
        stats = fuzz(make_layout(args.root), args.fuzz, args.readers, args.seed)
        print(report(stats))
        return 1 if stats.failures else 0
    return 0


def _names(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def register(sub, add) -> None:
    p = add("selftest", _cmd, "Fuzz every reader with mutated inputs (--fuzz N) or undo an interrupted command (--recover).")
    p.add_argument("--fuzz", type=int, default=0, metavar="N", help="mutated inputs per reader (needs the test extra: hypothesis)")
    p.add_argument("--readers", type=_names, default=None, help="comma-separated readers (default: all; docs/reliability.md lists them)")
    p.add_argument("--seed", type=int, default=0, help="random seed of the mutations (default 0: the same cases every run)")
    p.add_argument("--recover", action="store_true", help="put back the files of an interrupted command and report how many")

