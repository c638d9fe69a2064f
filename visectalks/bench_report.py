"""Figures, ratios against floors and target verdicts of a ``visectalks bench`` run.

Verdicts use rates per CPU second: CPU time is what the code costs, and it is far less
disturbed than wall time by other processes on a shared machine (on a busy two-core machine
a one-process stage may wait as long as it runs). Wall-clock ratios are shown next to them,
and the speedup of two processes over one is by wall clock. Build and validate are compared
from their one-process runs (build up to ``--serial-up-to`` documents; validate and release at
every size, since the validation target is a rate on one core and the release floor runs on
one process), build from the parallel run otherwise (its CPU time includes the main process,
and the release's the transfer of tables between processes: shown as ``…_parallel``); the
Label Studio round
trip is compared with its floor document by document in the same loop.
"""
from __future__ import annotations

from pathlib import Path

from .jsonio import dumps, write_text_atomic

TARGETS = {
    "build_vs_segmenter": 0.5,      # build on one core >= 1/2 of the segmenter alone
    "build_speedup": 1.6,           # --jobs 2 >= 1.6x --jobs 1
    "validate_records_per_s": 100_000,
    "release_vs_pyarrow": 1 / 3,
    "labelstudio_vs_json": 1 / 3,
    "peak_rss_mb": 1536,
    "rss_growth_100k_vs_10k": 1.2,
    "time_growth_100k_vs_10k": 11,
}
STAGES = ("build", "validate", "release", "labelstudio")


def _rate(units: float, seconds: float) -> float | None:
    return units / seconds if seconds else None


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def stage_figures(r: dict) -> dict:
    return {"documents": r["documents"], "records": r["records"], "wall_s": r["wall"], "cpu_s": r["cpu"],
            "docs_per_s": _rate(r["documents"], r["wall"]), "records_per_s": _rate(r["records"], r["wall"]),
            "docs_per_cpu_s": _rate(r["documents"], r["cpu"]), "records_per_cpu_s": _rate(r["records"], r["cpu"]),
            "peak_rss_mb": r["peak_rss_mb"], "jobs": r["jobs"]}


def _main(stages: dict, name: str) -> dict | None:
    """The stage run on every core (or the only run)."""
    runs = sorted((int(k.split("@")[1]), v) for k, v in stages.items() if k.split("@")[0] == name)
    return runs[-1][1] if runs else None


def _per_cpu(run: dict | None, units: str = "documents", seconds: str = "cpu") -> float | None:
    return _rate(run[units], run[seconds]) if run else None


def ratios(stages: dict) -> dict:
    """Each stage against its floor, per CPU second (and by wall clock where it means something)."""
    seg, js, arrow = stages.get("segmenter@1"), stages.get("jsonschema@1"), stages.get("pyarrow@1")
    one, par = stages.get("build@1"), _main(stages, "build")
    out: dict = {}
    if seg and par:
        out["segmenter_docs_per_cpu_s"] = _per_cpu(seg, seconds="timed_cpu")
        out["build_vs_segmenter"] = _ratio(_per_cpu(one or par), out["segmenter_docs_per_cpu_s"])
        if one:  # by wall clock only one process against one process means something
            out["build_vs_segmenter_wall"] = _ratio(_rate(one["documents"], one["wall"]), _per_cpu(seg, seconds="timed_wall"))
        out["build_fsync_share_of_wall"] = _ratio(par.get("fsync_seconds"), par["wall"])
    if one and par and par is not one:
        out["build_speedup"] = _ratio(one["wall"], par["wall"])
    val = stages.get("validate@1") or _main(stages, "validate")
    if val:
        out["validate_records_per_s"] = _per_cpu(val, "records")
        out["validate_records_per_wall_s"] = _rate(val["records"], val["wall"])
    if js and val:
        out["jsonschema_records_per_cpu_s"] = _per_cpu(js, "records", "timed_cpu")
        out["validate_vs_jsonschema"] = _ratio(out["validate_records_per_s"], out["jsonschema_records_per_cpu_s"])
    rel, rel_one = _main(stages, "release"), stages.get("release@1")
    if arrow and rel:
        out["pyarrow_rows_per_cpu_s"] = _per_cpu(arrow, "records", "timed_cpu")
        out["release_vs_pyarrow"] = _ratio(_per_cpu(rel_one or rel, "records"), out["pyarrow_rows_per_cpu_s"])
        if rel_one and rel is not rel_one:
            out["release_vs_pyarrow_parallel"] = _ratio(_per_cpu(rel, "records"), out["pyarrow_rows_per_cpu_s"])
        out["release_vs_pyarrow_wall"] = _ratio(_rate(rel["records"], rel["wall"]), _per_cpu(arrow, "records", "timed_wall"))
    ls = _main(stages, "labelstudio")
    if ls:
        out["labelstudio_vs_json"] = _ratio(ls["floor_seconds"], ls["round_trip_seconds"])
        out["labelstudio_vs_json_with_reading"] = _ratio(ls["floor_seconds"], ls["cpu"])
    return out


def summary(results: dict) -> dict:
    """Per size: stage figures and ratios; across sizes: growth from 10k to 100k, verdicts."""
    sizes = {}
    for size, data in results["sizes"].items():
        st = data["stages"]
        sizes[size] = {"stages": {f"{n}@{k.split('@')[1]}": stage_figures(v) for k, v in st.items() for n in [k.split("@")[0]] if n in STAGES},
                       "ratios": ratios(st), "synth": data.get("synth", {})}
    return {"sizes": sizes, "growth": growth(results), "verdicts": verdicts(sizes, growth(results))}


def growth(results: dict) -> dict:
    sz = results["sizes"]
    if "10000" not in sz or "100000" not in sz:
        return {}
    out = {}
    for name in STAGES:
        a, b = _main(sz["10000"]["stages"], name), _main(sz["100000"]["stages"], name)
        if a and b:
            out[name] = {"time_ratio": _ratio(b["wall"], a["wall"]), "cpu_ratio": _ratio(b["cpu"], a["cpu"]),
                         "rss_ratio": _ratio(b["peak_rss_mb"], a["peak_rss_mb"]), "peak_rss_mb_100k": b["peak_rss_mb"]}
    return out


def _verdict(value, target, higher_is_better=True):
    if value is None:
        return None
    return value >= target if higher_is_better else value <= target


def verdicts(sizes: dict, grow: dict) -> dict:
    out = {}
    for size, s in sizes.items():
        r = s["ratios"]
        out[size] = {
            "build_vs_segmenter": _verdict(r.get("build_vs_segmenter"), TARGETS["build_vs_segmenter"]),
            "build_speedup": _verdict(r.get("build_speedup"), TARGETS["build_speedup"]),
            "validate_records_per_s": _verdict(r.get("validate_records_per_s"), TARGETS["validate_records_per_s"]),
            "release_vs_pyarrow": _verdict(r.get("release_vs_pyarrow"), TARGETS["release_vs_pyarrow"]),
            "labelstudio_vs_json": _verdict(r.get("labelstudio_vs_json"), TARGETS["labelstudio_vs_json"]),
        }
    for name, g in grow.items():
        out[f"{name}_scaling"] = {"rss_below_limit": _verdict(g["peak_rss_mb_100k"], TARGETS["peak_rss_mb"], False),
                                  "rss_growth": _verdict(g["rss_ratio"], TARGETS["rss_growth_100k_vs_10k"], False),
                                  "time_growth": _verdict(g["cpu_ratio"], TARGETS["time_growth_100k_vs_10k"], False),
                                  "time_growth_wall": _verdict(g["time_ratio"], TARGETS["time_growth_100k_vs_10k"], False)}
    return out


def _f(x, digits: int = 2) -> str:
    if x is None:
        return "–"
    if isinstance(x, bool):
        return "met" if x else "**missed**"
    if abs(x) < 1 and digits == 2:
        digits = 3  # ratios near a target such as 1/3 need the third digit
    return f"{x:,.{digits}f}" if abs(x) < 100 else f"{x:,.0f}"


def markdown(results: dict) -> str:
    s = summary(results)
    m = results["machine"]
    lines = ["# Benchmark results", "",
             f"Machine: {m['cores']} cores, Python {m['python']}, {m['platform']}; load average at start {m['load_average']}, "
             f"at end {m.get('load_average_end')}. Parallel stages use {results['jobs']} processes; floors use {results['sample']} documents.", ""]
    for size, data in s["sizes"].items():
        lines += [f"## {int(size):,} documents", "", "| stage | jobs | docs/s | records/s | docs/CPU-s | records/CPU-s | wall s | CPU s | peak RSS MB |", "|---|---|---|---|---|---|---|---|---|"]
        for name, f in data["stages"].items():
            lines.append(f"| {name.split('@')[0]} | {f['jobs']} | {_f(f['docs_per_s'])} | {_f(f['records_per_s'])} | {_f(f['docs_per_cpu_s'])} | {_f(f['records_per_cpu_s'])} | {_f(f['wall_s'], 1)} | {_f(f['cpu_s'], 1)} | {_f(f['peak_rss_mb'], 0)} |")
        lines += ["", "| ratio or rate | value | target | verdict |", "|---|---|---|---|"]
        for key, value in data["ratios"].items():
            target = TARGETS.get(key)
            verdict = s["verdicts"][size].get(key)
            lines.append(f"| {key} | {_f(value)} | {_f(target) if target else ''} | {_f(verdict) if verdict is not None else ''} |")
        lines.append("")
    if s["growth"]:
        lines += ["## From 10,000 to 100,000 documents", "",
                  "Targets: CPU time × 11 at most (wall time shown too), peak RSS below 1,536 MB and × 1.2 at most.", "",
                  "| stage | wall ratio | CPU ratio | RSS ratio | peak RSS MB at 100k | CPU ≤ 11 | RSS < 1.5 GB | RSS ≤ 1.2 × |", "|---|---|---|---|---|---|---|---|"]
        for name, g in s["growth"].items():
            v = s["verdicts"][f"{name}_scaling"]
            lines.append(f"| {name} | {_f(g['time_ratio'])} | {_f(g['cpu_ratio'])} | {_f(g['rss_ratio'])} | {_f(g['peak_rss_mb_100k'], 0)} | "
                         f"{_f(v['time_growth'])} | {_f(v['rss_below_limit'])} | {_f(v['rss_growth'])} |")
        lines.append("")
    return "\n".join(lines) + "\n"


def write(results: dict, out_dir: Path) -> None:
    out_dir = Path(out_dir)
    write_text_atomic(out_dir / "results.json", dumps({**results, "summary": summary(results)}))
    write_text_atomic(out_dir / "results.md", markdown(results))
