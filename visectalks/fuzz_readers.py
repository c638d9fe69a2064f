"""The readers under fuzzing, their valid inputs, and the property every reader must keep.

A reader either accepts a mutated input, and then a canonical copy of it reads back to the
same records (an accepted import, exported and imported again, writes the same files), or it
reports coded problems: a code from ``errors.CODES``, the file, the record and a JSON pointer
that resolves in the file. It never raises anything else, and an importer that refuses writes
nothing. ``selftest.py`` runs the cases; ``mutations.py`` makes them.
"""
from __future__ import annotations

import json
import re
import shutil
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .errors import CODES, Problem, ProblemsError
from .paths import Layout

POINTER_RE = re.compile(r"^(/([^~/]|~[01])*)*$")
LS_DOC = "d004"  # the smallest document: the one-document project and the Label Studio export hold it
SIDE_FILES = ("entities/registry.json", "entities/not_entities.json", "events/clusters.json")


@dataclass
class Outcome:
    """What a reader did with one input."""

    problems: list[Problem] = field(default_factory=list)
    error: str = ""                  # an uncaught exception, with its traceback
    accepted: bool = False
    violations: list[str] = field(default_factory=list)


@dataclass
class Reader:
    """One reader under test: its valid inputs and how to run it on a mutated one."""

    name: str
    fmt: str                                              # json, jsonl or text
    bases: Callable[["Context"], list[tuple[str, bytes]]]  # (relative path, valid content)
    run: Callable[["Context", Path], Outcome]


@dataclass
class Context:
    """The project (read only) and a scratch folder for the mutated files."""

    layout: Layout
    scratch: Path
    cache: dict = field(default_factory=dict)

    def cached(self, key, make: Callable[[], Any]) -> Any:
        """``make()`` once per key: readers share the trees and bases they load."""
        if key not in self.cache:
            self.cache[key] = make()
        return self.cache[key]

    def mini(self) -> Layout:
        """A one-document project (LS_DOC with its annotations, the registry, the clusters and the
        seeds), made once: the validator then checks one document per case instead of all."""
        if "mini" not in self.cache:
            dest, src = self.scratch / "mini", self.layout
            shutil.copytree(src.seeds, dest / "seeds")
            (dest / "corpus").mkdir(parents=True)
            shutil.copy2(src.corpus / f"{LS_DOC}.json", dest / "corpus")
            for rel in [f"{layer}/{LS_DOC}.jsonl" for layer in ("entities", "events", "stance")] + list(SIDE_FILES):
                if (src.annotations / rel).exists():
                    (dest / "annotations" / rel).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(src.annotations / rel, dest / "annotations" / rel)
            self.cache["mini"] = Layout(dest.resolve())
        return self.cache["mini"]

    def project_copy(self) -> Layout:
        """A copy of the project's data (made once) for readers that build outputs."""
        if "copy" not in self.cache:
            dest = self.scratch / "project"
            for name in ("seeds", "corpus", "schema", "annotations", "docs", "release", "reports"):
                if (self.layout.root / name).exists():
                    shutil.copytree(self.layout.root / name, dest / name)
            for name in ("LICENSE", "LICENSE-annotations", "README.md", "GUIDELINES.md", "DATASHEET.md", "CHANGELOG.md", "CITATION.cff"):
                if (self.layout.root / name).exists():
                    shutil.copy2(self.layout.root / name, dest / name)
            self.cache["copy"] = Layout(dest.resolve())
        return self.cache["copy"]


# ---------------------------------------------------------------- properties

def problem_violations(problems: list) -> list[str]:
    """Every problem must carry a known code, a file, a record (string) and a JSON pointer."""
    out = []
    for p in problems:
        if not isinstance(p, Problem):
            out.append(f"not a Problem: {p!r}"[:200])
        elif p.code not in CODES or not p.file or not isinstance(p.record, str) or not p.message:
            out.append(f"incomplete problem: {p.line()[:200]}")
        elif not POINTER_RE.match(p.pointer):
            out.append(f"not a JSON pointer: {p.pointer!r} in {p.line()[:200]}")
    return out


def resolves(obj: Any, ptr: str) -> bool:
    """True if the pointer, or its parent (a missing key is reported at its object), exists in obj."""
    if not ptr:
        return True
    parts = [t.replace("~1", "/").replace("~0", "~") for t in ptr.split("/")[1:]]
    for k, token in enumerate(parts):
        last = k == len(parts) - 1
        if isinstance(obj, dict) and token in obj:
            obj = obj[token]
        elif isinstance(obj, list) and token.isdigit() and int(token) < len(obj):
            obj = obj[int(token)]
        else:
            return last and isinstance(obj, (dict, list))
    return True


def guarded_run(func: Callable[[], Any]) -> tuple[Any, Outcome]:
    """Run a reader; coded refusals and uncaught exceptions become an Outcome."""
    try:
        return func(), Outcome()
    except ProblemsError as exc:
        return None, Outcome(problems=list(exc.problems))
    except Exception:  # the property under test: nothing else may escape a reader
        return None, Outcome(error=traceback.format_exc(limit=6))


# ---------------------------------------------------------------- validator readers

def _layer_bases(ctx: Context, layer: str) -> list[tuple[str, bytes]]:
    folder = ctx.mini().layer(layer)
    return [(f"{layer}/{p.name}", p.read_bytes()) for p in sorted(folder.glob("*.jsonl"))]


def _side_base(rel: str) -> Callable[[Context], list[tuple[str, bytes]]]:
    def bases(ctx: Context) -> list[tuple[str, bytes]]:
        path = ctx.mini().annotations / rel
        return [(rel, path.read_bytes())] if path.exists() else []
    return bases


def small_document(doc: dict, paragraphs: int = 2, new_id: str = "d900") -> dict:
    """The first paragraphs of a corpus document as a document of its own (a cheap valid input)."""
    cut = doc["paragraphs"][min(paragraphs, len(doc["paragraphs"])) - 1]["end"]
    text = json.dumps({k: v for k, v in doc.items()}, ensure_ascii=False)
    small = json.loads(text.replace(f'"{doc["id"]}-', f'"{new_id}-').replace(f'"id": "{doc["id"]}"', f'"id": "{new_id}"'))
    small["text"] = doc["text"][:cut]
    small["seed_file"] = "900_0000000000000000.txt"
    for key in ("paragraphs", "sentences", "tokens", "words", "quotes"):
        small[key] = [x for x in small[key] if x["end"] <= cut]
    return small


def _document_bases(ctx: Context) -> list[tuple[str, bytes]]:
    from .jsonio import dumps

    docs = sorted(ctx.layout.corpus.glob("*.json"))
    smallest = min(docs, key=lambda p: p.stat().st_size)
    doc = json.loads(smallest.read_text(encoding="utf-8"))
    return [("corpus/d900.json", dumps(small_document(doc)).encode("utf-8")), (f"corpus/{smallest.name}", smallest.read_bytes())]


def _read_back(path: Path, fmt: str) -> tuple[Any, list[Problem]]:
    from .jsonio import read_json, read_jsonl

    return read_jsonl(path) if fmt == "jsonl" else read_json(path)


def _validate_file(fmt: str) -> Callable[[Context, Path], Outcome]:
    def run(ctx: Context, path: Path) -> Outcome:
        from .jsonio import dumps, dumps_lines
        from .validate import validate

        problems, out = guarded_run(lambda: validate(ctx.mini(), [path]))
        if out.error:
            return out
        if problems:
            out.problems = problems
            _check_pointers(out, path, fmt)
            return out
        out.accepted = True
        value, found = _read_back(path, fmt)
        if found:
            out.violations.append(f"accepted by the validator but not by the reader: {found[0].line()}")
            return out
        path.write_text(dumps_lines(value) if fmt == "jsonl" else dumps(value), encoding="utf-8")
        again, found = _read_back(path, fmt)
        problems, second = guarded_run(lambda: validate(ctx.mini(), [path]))
        if again != value or problems or second.error:
            out.violations.append("canonical copy of an accepted file does not read back the same")
        return out
    return run


def _check_pointers(out: Outcome, path: Path, fmt: str) -> None:
    value, found = _read_back(path, fmt)
    if found:
        return
    for p in out.problems:
        if p.file.endswith(path.name) and not resolves(value, p.pointer):
            out.violations.append(f"pointer does not resolve in the file: {p.line()[:200]}")


# ---------------------------------------------------------------- seeds metadata

def _metadata_bases(ctx: Context) -> list[tuple[str, bytes]]:
    return [("seeds/metadata.json", (ctx.layout.seeds / "metadata.json").read_bytes())]


def _complete_seeds(ctx: Context, path: Path) -> None:
    """Put the project's other seed files beside the mutated one (``path``), once per case folder."""
    for src in ctx.layout.seeds.iterdir():
        if src.name != path.name and not (path.parent / src.name).exists():
            shutil.copy2(src, path.parent / src.name)


def _run_metadata(ctx: Context, path: Path) -> Outcome:
    from .jsonio import dumps, read_json
    from .validate import validate

    _complete_seeds(ctx, path)
    problems, out = guarded_run(lambda: validate(ctx.mini(), [path.parent]))
    out.problems = problems or out.problems
    out.accepted = not out.error and not out.problems
    if out.accepted:
        value, found = read_json(path)
        path.write_text(dumps(value), encoding="utf-8")
        again, found_again = read_json(path)
        problems, second = guarded_run(lambda: validate(ctx.mini(), [path.parent]))
        if found or found_again or again != value or problems or second.error:
            out.violations.append("canonical copy of accepted metadata does not read back the same")
    elif out.problems:
        _check_pointers(out, path, "json")
    return out


# ---------------------------------------------------------------- seeds/SHA256SUMS

def _sums_bases(ctx: Context) -> list[tuple[str, bytes]]:
    return [("seeds/SHA256SUMS", (ctx.layout.seeds / "SHA256SUMS").read_bytes())]


def _run_sums(ctx: Context, path: Path) -> Outcome:
    """Both seed checkers on a seeds folder with a mutated ``SHA256SUMS``: the same verdict,
    coded; accepted sums written back in canonical form read as the same mapping."""
    from . import seeds
    from .stream import verify_seeds

    _complete_seeds(ctx, path)
    problems, out = guarded_run(lambda: seeds.verify(path.parent))
    if out.error:
        return out
    streamed, run = guarded_run(lambda: verify_seeds(path.parent, stream=True))
    if run.error or streamed != problems:
        out.violations.append("the streaming seed checker disagrees: " + (run.error.splitlines()[-1] if run.error else str(len(streamed))))
    out.problems, out.accepted = problems, not problems
    if out.accepted:
        sums = seeds.read_sums(path.parent)
        path.write_text("".join(f"{digest}  {name}\n" for name, digest in sums.items()), encoding="utf-8")
        again, second = guarded_run(lambda: (seeds.read_sums(path.parent), seeds.verify(path.parent)))
        if second.error or again != (sums, []):
            out.violations.append("canonical copy of accepted sums does not read back the same")
    return out


# ---------------------------------------------------------------- Label Studio importer



def _ls_bases(ctx: Context) -> list[tuple[str, bytes]]:
    from .jsonio import dumps
    from .labelstudio_cli import export_tasks

    return [("ls/export.json", dumps(export_tasks(ctx.mini().root, None, [LS_DOC], "annotations")).encode("utf-8"))]


def _ls_target(ctx: Context) -> Path:
    """A pass folder with the gold registry, explained non-entities and clusters, and no layer files."""
    target = ctx.scratch / "ls-target"
    for layer in ("entities", "events", "stance"):
        folder = target / layer
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
    for rel in SIDE_FILES:
        if (ctx.mini().annotations / rel).exists():
            shutil.copy2(ctx.mini().annotations / rel, target / rel)
    return target


def _written(target: Path) -> dict[str, bytes]:
    return {str(p.relative_to(target)): p.read_bytes() for p in sorted(target.rglob("*.jsonl"))}


def _run_ls(ctx: Context, path: Path) -> Outcome:
    from .jsonio import read_json
    from .labelstudio_import import Options, run_import

    target = _ls_target(ctx)
    data, problems = read_json(path, "export.json")
    if problems:
        out = Outcome(problems=problems)
    else:
        opts = Options(pass_name=str(target), docs=[LS_DOC])
        _, out = guarded_run(lambda: run_import(ctx.mini(), data, "export.json", opts))
        if not out.error and not out.problems:
            out.accepted = True
            _ls_round_trip(ctx, target, opts, out)
            return out
        if out.problems:
            for p in out.problems:
                if p.file == "export.json" and not resolves(data, p.pointer):
                    out.violations.append(f"pointer does not resolve in the export: {p.line()[:200]}")
    if _written(target):
        out.violations.append(f"refused import wrote files: {sorted(_written(target))}")
    return out


def _ls_round_trip(ctx: Context, target: Path, opts, out: Outcome) -> None:
    """An accepted import, exported again and imported again, writes the same files."""
    from .labelstudio import make_task
    from .labelstudio_import import run_import
    from .layers import load_tree

    first = _written(target)
    tree = load_tree(ctx.mini(), str(target))
    task = make_task(tree.docs[LS_DOC], {layer: tree.layers[layer].get(LS_DOC, []) for layer in ("entities", "events", "stance")}, "annotations")
    _, again = guarded_run(lambda: run_import(ctx.mini(), [task], "again.json", opts))
    if again.error or again.problems or _written(target) != first:
        out.violations.append("an accepted import does not survive export and import unchanged: "
                              + (again.error.splitlines()[-1] if again.error else "; ".join(p.line() for p in again.problems[:2]) or "files differ"))


# ---------------------------------------------------------------- brat reader

def _brat_bases(ctx: Context) -> list[tuple[str, bytes]]:
    from . import brat
    from .layers import load_tree

    tree = ctx.cached("tree", lambda: load_tree(ctx.layout))
    return [(f"brat/{LS_DOC}.ann", brat.document_files(tree, LS_DOC)[1].encode("utf-8"))]


def _run_brat(ctx: Context, path: Path) -> Outcome:
    from . import brat

    from .layers import load_tree

    tree = ctx.cached("mini_tree", lambda: load_tree(ctx.mini()))
    result, out = guarded_run(lambda: brat.read_document(tree, LS_DOC, path))
    if result is None:
        return out
    records, out.problems = result
    if records is not None and not out.problems:
        out.accepted = True
        _brat_round_trip(ctx, records, out)
    return out


def _brat_tree(ctx: Context, records: dict):
    from .layers import load_tree

    tree = load_tree(ctx.mini())
    for layer, recs in records.items():
        tree.layers[layer][LS_DOC] = recs
    return tree


def _brat_round_trip(ctx: Context, records: dict, out: Outcome) -> None:
    """Accepted records must validate, and export and read back unchanged."""
    from . import brat
    from .validate import check_tree

    tree = _brat_tree(ctx, records)
    problems, run = guarded_run(lambda: check_tree(tree, coverage=False))
    if run.error or problems:
        out.violations.append("accepted records do not validate: " + (run.error.splitlines()[-1] if run.error else problems[0].line()[:200]))
        return
    txt, ann = brat.document_files(tree, LS_DOC)
    again, run = guarded_run(lambda: brat.import_document(LS_DOC, txt, ann))
    if run.error or again != records:
        out.violations.append("accepted records do not export and read back unchanged")


# ---------------------------------------------------------------- builders that read the tree

def _copy_run(build: Callable[[Layout], Any]) -> Callable[[Context, Path], Outcome]:
    """Put the mutated annotation file into the project copy, build, and put the original back."""
    def run(ctx: Context, path: Path) -> Outcome:
        copy = ctx.project_copy()
        rel = path.relative_to(ctx.scratch / "case")
        target = copy.annotations / rel
        original = target.read_bytes() if target.exists() else None
        target.write_bytes(path.read_bytes())
        try:
            result, out = guarded_run(lambda: build(copy))
            out.accepted = result is not None
            return out
        finally:
            if original is None:
                target.unlink()
            else:
                target.write_bytes(original)
    return run


def _release_build(layout: Layout):
    from .release import build_outputs

    return build_outputs(layout)


def _viewer_build(layout: Layout):
    from .viewer import site

    return site(layout)


def _annotation_bases(ctx: Context) -> list[tuple[str, bytes]]:
    out = []
    for layer in ("entities", "events", "stance"):
        path = ctx.layout.layer(layer) / f"{LS_DOC}.jsonl"
        if path.exists():
            out.append((f"{layer}/{path.name}", path.read_bytes()))
    return out + _side_base("entities/registry.json")(ctx) + _side_base("events/clusters.json")(ctx)


def _fmt_of(rel: str) -> str:
    return "jsonl" if rel.endswith(".jsonl") else "json"


# ---------------------------------------------------------------- the adjudication log

def _adjudication_bases(ctx: Context) -> list[tuple[str, bytes]]:
    path = ctx.layout.annotations / "adjudication.jsonl"
    return [("adjudication.jsonl", path.read_bytes())] if path.exists() else []


def _snapshot(folder: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _restore(folder: Path, snapshot: dict[Path, bytes]) -> None:
    for p in sorted(folder.rglob("*")):
        if p.is_file() and p not in snapshot:
            p.unlink()
    for p, data in snapshot.items():
        p.parent.mkdir(parents=True, exist_ok=True)
        if not p.exists() or p.read_bytes() != data:
            p.write_bytes(data)


def _run_adjudication(ctx: Context, path: Path) -> Outcome:
    """``visectalks adjudicate`` in the project copy with the mutated decisions: a refusal leaves
    the gold as it was, an accepted log leaves a gold that validates."""
    from argparse import Namespace

    from .adjudicate import _cmd_apply
    from .layers import load_tree
    from .transaction import guarded
    from .validate import check_tree

    copy = ctx.project_copy()
    before = _snapshot(copy.annotations)
    (copy.annotations / "adjudication.jsonl").write_bytes(path.read_bytes())
    after_write = _snapshot(copy.annotations)
    try:  # the command as the command line runs it: in a transaction of the project
        _, out = guarded_run(lambda: guarded(_cmd_apply)(Namespace(root=str(copy.root), b="b", quiet=True)))
        if out.error or out.problems:
            if _snapshot(copy.annotations) != after_write:
                out.violations.append("a refused adjudication changed the gold")
            return out
        out.accepted = True
        problems = check_tree(load_tree(copy), coverage=False)
        if problems:
            out.violations.append("accepted decisions leave a gold that does not validate: " + problems[0].line()[:200])
        return out
    finally:
        _restore(copy.annotations, before)


# ---------------------------------------------------------------- the whole-project validator

def _project_bases(ctx: Context) -> list[tuple[str, bytes]]:
    mini = ctx.mini()
    files = [mini.corpus / f"{LS_DOC}.json"] + sorted(mini.annotations.rglob("*.json*"))
    return [(str(p.relative_to(mini.root)), p.read_bytes()) for p in files]


def _key(problems: list[Problem], shown: str) -> list[tuple]:
    return sorted((p.code, p.record, p.pointer, p.message) for p in problems if p.file == shown)


def _run_project(ctx: Context, path: Path) -> Outcome:
    """``validate`` of the whole one-document project (read a document at a time, by the fast
    reader) with the mutated file in place; it must report for that file exactly what
    ``validate`` of the file alone reports."""
    from .validate import validate

    mini = ctx.mini()
    rel = path.relative_to(ctx.scratch / "case")
    target = mini.root / rel
    original = target.read_bytes()
    target.write_bytes(path.read_bytes())
    try:
        whole, out = guarded_run(lambda: validate(mini))
        if out.error:
            return out
        alone, second = guarded_run(lambda: validate(mini, [target]))
        out.problems = whole
        out.accepted = not whole
        if second.error or _key(whole, str(rel)) != _key(alone, str(rel)):
            out.violations.append("the whole-project validation and the validation of the file alone disagree: "
                                  + (second.error.splitlines()[-1] if second.error else f"{_key(whole, str(rel))[:2]} vs {_key(alone, str(rel))[:2]}"))
        return out
    finally:
        target.write_bytes(original)


# ---------------------------------------------------------------- the readers

def readers() -> dict[str, Reader]:
    """Every reader that exists in this installation (modules of other features may be absent)."""
    import importlib.util

    out = {
        "document": Reader("document", "json", _document_bases, _validate_file("json")),
        "entities": Reader("entities", "jsonl", lambda c: _layer_bases(c, "entities"), _validate_file("jsonl")),
        "events": Reader("events", "jsonl", lambda c: _layer_bases(c, "events"), _validate_file("jsonl")),
        "stance": Reader("stance", "jsonl", lambda c: _layer_bases(c, "stance"), _validate_file("jsonl")),
        "registry": Reader("registry", "json", _side_base("entities/registry.json"), _validate_file("json")),
        "not_entities": Reader("not_entities", "json", _side_base("entities/not_entities.json"), _validate_file("json")),
        "clusters": Reader("clusters", "json", _side_base("events/clusters.json"), _validate_file("json")),
        "metadata": Reader("metadata", "json", _metadata_bases, _run_metadata),
        "sums": Reader("sums", "text", _sums_bases, _run_sums),
        "project": Reader("project", "mixed", _project_bases, _run_project),
    }
    if importlib.util.find_spec("visectalks.adjudicate"):
        out["adjudication"] = Reader("adjudication", "jsonl", _adjudication_bases, _run_adjudication)
    if importlib.util.find_spec("visectalks.labelstudio_import"):
        out["labelstudio"] = Reader("labelstudio", "json", _ls_bases, _run_ls)
    if importlib.util.find_spec("visectalks.brat"):
        out["brat"] = Reader("brat", "text", _brat_bases, _run_brat)
    if importlib.util.find_spec("visectalks.release"):
        out["release"] = Reader("release", "mixed", _annotation_bases, _copy_run(_release_build))
    if importlib.util.find_spec("visectalks.viewer"):
        out["viewer"] = Reader("viewer", "mixed", _annotation_bases, _copy_run(_viewer_build))
    return out


def run_case(ctx: Context, reader: Reader, data) -> tuple[Outcome, list[str]]:
    """Draw a base file and mutations with ``data`` (Hypothesis), run the reader, check the property."""
    from hypothesis import strategies as st

    from .mutations import mutate

    bases = ctx.cached(("bases", reader.name), lambda: reader.bases(ctx))
    rel, raw = bases[data.draw(st.integers(0, len(bases) - 1))] if len(bases) > 1 else bases[0]
    fmt = _fmt_of(rel) if reader.fmt == "mixed" else reader.fmt
    mutated, notes = mutate(data, raw, fmt)
    case = ctx.scratch / "case"
    if case.exists():
        shutil.rmtree(case)
    path = case / rel
    path.parent.mkdir(parents=True)
    path.write_bytes(mutated)
    out = reader.run(ctx, path)
    if out.error:
        out.violations.append("uncaught exception:\n" + out.error)
    out.violations += problem_violations(out.problems)
    if not out.accepted and not out.problems and not out.error:
        out.violations.append("refused without a coded problem")
    return out, notes
