"""``visectalks ls import``: a Label Studio JSON export back into the standoff files.

Steps, all in memory: check the export's shape (VST512); match tasks to corpus documents by
``data.doc`` and compare texts (VST506, VST507, VST514); read each annotator's latest submitted
annotation per task (VST513 if a task has none) with ``labelstudio.parse_result``; give project
ids to regions drawn in Label Studio; with several annotators, merge them
(``labelstudio_merge``) and keep each one's set apart as a pass; run the project's validator on
everything that would be written, reporting its problems at their place in the export. Files
are written (atomically, one by one) only when no problem was found.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .errors import Problem, ProblemsError, pointer
from .jsonio import dumps, dumps_lines, write_text_atomic
from .labelstudio import DEFAULT_UNIT, ID_LETTER, TEXT, Where, assign_ids, fill_quotes, id_number, parse_result
from .labelstudio_merge import merge, pairwise_agreement
from .layers import LAYERS, Tree, load_tree
from .paths import Layout

class UsageError(Exception):
    """A command-line value that does not fit the export (e.g. --prefer names nobody)."""


POLICY = ("majority: a record is kept when more than half of the annotators made exactly that record; "
          "at exactly half the preferred annotator decides")


@dataclass
class Options:
    pass_name: str | None = None          # write to annotations/passes/<name>/ instead of the gold
    prefer: str | None = None             # annotator who breaks ties (default: first by name)
    skip_unannotated: bool = False        # leave documents without annotation as they are
    use_predictions: bool = False         # read predictions instead of annotations
    docs: list[str] | None = None         # documents the export must hold (default: all)
    apart_prefix: str = "ls-"             # pass name prefix for each annotator's own set
    report: Path | None = None            # where the agreement and disagreement report goes
    unit: str = DEFAULT_UNIT              # offset unit of the export: codepoint (Label Studio 1.23) or utf16


@dataclass
class Origin:
    """Where a record came from in the export, to report validator problems there."""

    where: Where
    index: int
    region: str


@dataclass
class Read:
    sets: dict[str, dict[str, dict[str, list]]] = field(default_factory=dict)   # annotator -> layer -> doc -> records
    fresh: dict[str, set] = field(default_factory=dict)
    origins: dict[str, dict[str, Origin]] = field(default_factory=dict)
    tasks: dict[str, Where] = field(default_factory=dict)                     # doc -> task location
    problems: list[Problem] = field(default_factory=list)


# ---------------------------------------------------------------- shape and tasks

def _is_int(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def shape_problems(data, shown: str, use_predictions: bool) -> list[Problem]:
    if not isinstance(data, list):
        return [Problem("VST512", shown, "", "", "a Label Studio JSON export is a list of tasks")]
    out = []
    key = "predictions" if use_predictions else "annotations"
    for i, task in enumerate(data):
        tid = task.get("id", i) if isinstance(task, dict) else i
        bad = _task_shape(task, key)
        if bad:
            out.append(Problem("VST512", shown, f"task {tid}", pointer(i, *bad[0]), bad[1]))
    return out


def _task_shape(task, key: str) -> tuple[tuple, str] | None:
    if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
        return (), "a task is an object with a data object"
    if not isinstance(task["data"].get("doc"), str) or not isinstance(task["data"].get(TEXT), str):
        return ("data",), "task data needs the document id in 'doc' and its text in 'text'"
    items = task.get(key, [])
    if not isinstance(items, list):
        return (key,), f"'{key}' must be a list"
    for j, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("result"), list):
            return (key, j), f"each of '{key}' must be an object with a result list (an export with prediction ids only cannot be read with --predictions)"
    return None


def match_tasks(data: list, docs: dict[str, dict], expected: list[str], shown: str) -> tuple[dict[str, int], list[Problem]]:
    """Document id -> task index; every expected document needs exactly one task with its text."""
    found: dict[str, int] = {}
    seen: set[str] = set()
    problems = []
    for i, task in enumerate(data):
        doc_id, tid = task["data"]["doc"], task.get("id", i)
        if doc_id not in docs or doc_id not in expected:
            where = "corpus" if doc_id not in docs else "selection given with --docs"
            problems.append(Problem("VST506", shown, f"task {tid}", pointer(i, "data", "doc"), f"document {doc_id!r} is not in the {where}"))
            continue
        if doc_id in seen:
            first = data[found[doc_id]].get("id", found[doc_id]) if doc_id in found else "?"
            problems.append(Problem("VST514", shown, f"task {tid}", pointer(i, "data", "doc"), f"a second task for {doc_id} (the first is task {first})"))
        elif task["data"][TEXT] != docs[doc_id]["text"]:
            problems.append(Problem("VST507", shown, f"task {tid}", pointer(i, "data", TEXT), _first_difference(task["data"][TEXT], docs[doc_id]["text"], doc_id)))
        else:
            found[doc_id] = i
        seen.add(doc_id)
    for doc_id in expected:
        if doc_id not in seen:
            problems.append(Problem("VST506", shown, doc_id, "", f"the export has no task for {doc_id}"))
    return found, problems


def _first_difference(a: str, b: str, doc_id: str) -> str:
    k = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    return f"task text differs from corpus/{doc_id}.json at code point {k}: {a[k:k + 20]!r} vs {b[k:k + 20]!r}"


def annotator(item: dict, use_predictions: bool) -> str:
    """A stable name for whoever made an annotation: u<user id>, a cleaned e-mail, or the model."""
    if use_predictions:
        who = item.get("model_version") or "prediction"
    else:
        who = item.get("completed_by")
        if isinstance(who, dict):
            who = who.get("email") or who.get("id")
        if _is_int(who):
            return f"u{who}"
    cleaned = re.sub(r"[^a-z0-9_]+", "_", str(who or "unknown").lower()).strip("_")
    return cleaned or "unknown"


def latest_results(task: dict, i: int, use_predictions: bool) -> dict[str, tuple[list, Where]]:
    """Each annotator's latest submitted (not cancelled) annotation of a task."""
    key = "predictions" if use_predictions else "annotations"
    best: dict[str, tuple] = {}
    for j, item in enumerate(task.get(key, [])):
        if item.get("was_cancelled"):
            continue
        name = annotator(item, use_predictions)
        rank = (str(item.get("updated_at") or ""), item.get("id") if _is_int(item.get("id")) else -1, j)
        if name not in best or rank > best[name][0]:
            best[name] = (rank, item["result"], Where("", i, task.get("id", i), (key, j)))
    return {name: (result, where) for name, (_rank, result, where) in best.items()}


# ---------------------------------------------------------------- reading

def floors(tree: Tree, doc_id: str) -> dict[str, int]:
    """Highest id number per layer in the target files: new ids start above it."""
    out = {}
    for layer, letter in ID_LETTER.items():
        nums = [id_number(r.get("id", ""), doc_id, letter) for r in tree.layers[layer].get(doc_id, []) if isinstance(r, dict) and isinstance(r.get("id"), str)]
        out[layer] = max([0] + [n for n in nums if n is not None])
    return out


def read_export(data, target: Tree, shown: str, opts: Options) -> Read:
    read = Read()
    read.problems = shape_problems(data, shown, opts.use_predictions)
    if read.problems:
        return read
    expected = opts.docs or sorted(target.docs)
    by_doc, read.problems = match_tasks(data, target.docs, expected, shown)
    for doc_id, i in sorted(by_doc.items()):
        task = data[i]
        results = latest_results(task, i, opts.use_predictions)
        read.tasks[doc_id] = Where(shown, i, task.get("id", i))
        if not results:
            if not opts.skip_unannotated:
                read.problems.append(Problem("VST513", shown, f"task {task.get('id', i)}", pointer(i), f"no submitted annotation for {doc_id} (use --skip-unannotated to leave it as it is)"))
            continue
        for name, (result, where) in results.items():
            where.file = shown
            _read_one(read, name, result, where, target, doc_id, opts.unit)
    return read


def _read_one(read: Read, name: str, result: list, where: Where, target: Tree, doc_id: str, unit: str) -> None:
    doc = target.docs[doc_id]
    parsed, problems = parse_result(result, doc, where, unit)
    if problems:
        read.problems += problems
        return
    records, rename, fresh = assign_ids(parsed, doc_id, floors(target, doc_id))
    fill_quotes(records, doc)
    sets = read.sets.setdefault(name, {layer: {} for layer in ID_LETTER})
    for layer, recs in records.items():
        sets[layer][doc_id] = recs
    read.fresh.setdefault(name, set()).update(fresh)
    origins = read.origins.setdefault(name, {})
    for region, k in parsed.index.items():
        origins[rename.get(region, region)] = Origin(where, k, region)


# ---------------------------------------------------------------- outputs and validation

def layer_files(layout: Layout, pass_name: str | None, sets: dict[str, dict[str, list]], base: Tree) -> dict[tuple[str, str], Path]:
    """(layer, doc) -> file for every layer that exists in the target or receives records."""
    out = {}
    docs = sorted({d for recs in sets.values() for d in recs})
    for layer in ID_LETTER:
        folder = layout.layer(layer, pass_name)
        if folder.is_dir() or any(sets.get(layer, {}).get(d) for d in docs) or base.layers[layer]:
            for d in docs:
                out[(layer, d)] = folder / f"{d}.jsonl"
    return out


def overlay(base: Tree, sets: dict[str, dict[str, list]], files: dict[tuple[str, str], Path]) -> Tree:
    """A copy of ``base`` whose layer files for the imported documents are replaced by ``sets``."""
    t = Tree(base.layout, base.pass_name, docs=base.docs, doc_files=base.doc_files, registry=base.registry,
             registry_file=base.registry_file, not_entities=base.not_entities, not_entities_file=base.not_entities_file,
             clusters=base.clusters, clusters_file=base.clusters_file)
    for layer in LAYERS:
        t.layers[layer] = dict(base.layers[layer])
        t.layer_files[layer] = dict(base.layer_files[layer])
    for (layer, d), path in files.items():
        t.layers[layer][d] = sets.get(layer, {}).get(d, [])
        t.layer_files[layer][d] = t.shown(path)
    return t


def located(problems: list[Problem], origins: dict[str, Origin], tasks: dict[str, Where], shown_files: dict[str, str]) -> list[Problem]:
    """Validator problems moved to their place in the export (task, region, JSON pointer)."""
    out = []
    for p in problems:
        o = origins.get(p.record)
        detail = f"{p.file} {p.record or '-'} {p.pointer or '/'}: {p.message}"
        if o is not None:
            out.append(Problem(p.code, o.where.file, f"task {o.where.task_id} region {o.region}",
                               pointer(o.where.task_index, *o.where.base, "result", o.index), detail))
            continue
        where = tasks.get(shown_files.get(p.file, ""))
        if where is not None:
            out.append(Problem(p.code, where.file, f"task {where.task_id}", pointer(where.task_index), detail))
        else:
            out.append(p)
    return out


def _check(base: Tree, sets, files, origins, tasks, coverage: bool) -> list[Problem]:
    from .validate import check_tree

    tree = overlay(base, sets, files)
    shown = {tree.shown(path): d for (_layer, d), path in files.items()}
    return located(check_tree(tree, set(shown), coverage=coverage), origins, tasks, shown)


def _render(sets, files) -> dict[Path, str]:
    return {path: dumps_lines(sets.get(layer, {}).get(d, [])) for (layer, d), path in files.items()}


def _agreement_tree(base: Tree, sets) -> Tree:
    t = Tree(base.layout, None, docs=base.docs, registry=base.registry)
    for layer, docs in sets.items():
        t.layers[layer] = dict(docs)
    return t


def plan(layout: Layout, data, shown: str, opts: Options) -> tuple[dict[Path, str], dict | None]:
    """Everything an import would write, checked; raises ProblemsError and writes nothing on error."""
    target = load_tree(layout, opts.pass_name)
    read = read_export(data, target, shown, opts)
    if read.problems:
        raise ProblemsError(read.problems)
    names = sorted(read.sets)
    if not names:
        return {}, None
    if len(names) == 1:
        files = layer_files(layout, opts.pass_name, read.sets[names[0]], target)
        problems = _check(target, read.sets[names[0]], files, read.origins[names[0]], read.tasks, coverage=True)
        if problems:
            raise ProblemsError(problems)
        return _render(read.sets[names[0]], files), None
    return _plan_several(layout, target, read, names, shown, opts)


def _plan_several(layout: Layout, target: Tree, read: Read, names: list[str], shown: str, opts: Options) -> tuple[dict[Path, str], dict]:
    prefer = opts.prefer or names[0]
    if prefer not in names:
        raise UsageError(f"--prefer {prefer!r} is not one of the annotators in the export: {', '.join(names)}")
    docs = sorted(read.tasks)
    merged, notes = merge(read.sets, read.fresh, prefer, {d: floors(target, d) for d in docs})
    origins = {**{k: v for a in names if a != prefer for k, v in read.origins[a].items()}, **read.origins[prefer]}
    files = layer_files(layout, opts.pass_name, merged, target)
    problems = _check(target, merged, files, origins, read.tasks, coverage=True)
    outputs = _render(merged, files)
    passes = {}
    for a in names:
        pass_name = opts.apart_prefix + a
        own = layer_files(layout, pass_name, read.sets[a], target)
        # checked as `visectalks validate` checks a pass: with the pass's own side files (none)
        problems += _check(load_tree(layout, pass_name), read.sets[a], own, read.origins[a], read.tasks, coverage=False)
        outputs.update(_render(read.sets[a], own))
        passes[a] = f"annotations/passes/{pass_name}/"
    if problems:
        raise ProblemsError(problems)
    report = {"export": shown, "documents": docs, "annotators": names, "prefer": prefer, "policy": POLICY, "passes": passes,
              "agreement": pairwise_agreement(read.sets, lambda sets: _agreement_tree(target, sets)), "disagreements": notes}
    outputs[Path(opts.report) if opts.report else layout.reports / "labelstudio" / "import.json"] = dumps(report)
    return outputs, report


def run_import(layout: Layout, data, shown: str, opts: Options) -> tuple[list[Path], dict | None]:
    """Check everything, then write; return the files that changed and the report (several annotators)."""
    outputs, report = plan(layout, data, shown, opts)
    changed = [path for path, content in sorted(outputs.items()) if write_text_atomic(path, content)]
    return changed, report
