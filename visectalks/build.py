"""``visectalks build``: seeds → corpus, schemas and generated docs, in one direction.

Everything is computed and checked in memory first; files are written (atomically, one by
one) only when the whole build is valid, so a failing build leaves the previous outputs as
they were.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from . import docsgen, schemas, seeds
from .corpus import build_document, text_problems
from .errors import ProblemsError
from .jsonio import dumps, write_bytes_atomic, write_text_atomic
from .paths import Layout
from .validate import check_document, check_metadata


def fixture_index(root: Path) -> dict[str, list[str]]:
    """Code -> fixture folder names, read from tests/fixtures/invalid/<CODE>-<name>/."""
    index: dict[str, list[str]] = {}
    base = root / "tests" / "fixtures" / "invalid"
    if base.is_dir():
        for d in sorted(base.iterdir()):
            if d.is_dir():
                index.setdefault(d.name.split("-")[0], []).append(d.name)
    return index


def corpus_outputs(layout: Layout, jobs: int = 1) -> dict[Path, str]:
    """Build every corpus document from the verified seeds; return path -> file content."""
    meta = seeds.load_metadata(layout.seeds)
    outputs: dict[Path, str] = {}
    problems = []
    records = meta["documents"]
    texts = [(layout.seeds / d["file"]).read_text(encoding="utf-8") for d in records]
    for d, text in zip(records, texts):
        problems += text_problems(text, f"seeds/{d['file']}", d["id"])
    if problems:
        raise ProblemsError(problems)
    docs = _map(build_document, texts, records, jobs)
    for d, doc, text in zip(records, docs, texts):
        shown = f"corpus/{d['id']}.json"
        problems += check_document(doc, shown, text)
        outputs[layout.corpus / f"{d['id']}.json"] = dumps(doc)
    if problems:
        raise ProblemsError(problems)
    return outputs


def _map(fn, texts, records, jobs):
    if jobs <= 1 or len(texts) < 2:
        return [fn(t, r) for t, r in zip(texts, records)]
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(fn, texts, records, chunksize=max(1, len(texts) // (jobs * 4))))


def generated_outputs(layout: Layout) -> dict[Path, str]:
    out = {layout.schema / f"{name}.schema.json": dumps(make()) for name, make in schemas.ALL.items()}
    out[layout.docs / "labels.md"] = docsgen.labels_md()
    out[layout.docs / "validation.md"] = docsgen.validation_md(fixture_index(layout.root))
    return out


# Later stages, in order, each a module with ``build_outputs(layout) -> {path: str | bytes}``
# computed from the corpus, the gold annotations and the outputs of the stages before it (the
# baseline report feeds the card and the datasheet); a module that does not exist is skipped.
STAGES = ("baseline", "release", "labelstudio", "exports", "viewer", "datasheet")


def run_stages(layout: Layout) -> tuple[dict[Path, str | bytes], list[Path]]:
    """Run every stage and write its outputs before the next stage starts."""
    import importlib

    outputs: dict[Path, str | bytes] = {}
    changed: list[Path] = []
    for name in STAGES:
        try:
            module = importlib.import_module(f"visectalks.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"visectalks.{name}":
                raise
            continue
        if not hasattr(module, "build_outputs"):
            continue
        staged = module.build_outputs(layout)
        for path, content in sorted(staged.items()):
            data = content.encode("utf-8") if isinstance(content, str) else content
            if write_bytes_atomic(path, data):
                changed.append(path)
        outputs.update(staged)
    return outputs, changed


def build(layout: Layout, jobs: int = 1, quiet: bool = False) -> list[Path]:
    """Verify seeds, build the corpus and every generated file; return the files that changed.

    The corpus files are written first (later stages read them), but only after the whole
    corpus is valid; later stages run only if the gold annotations validate.
    """
    from .layers import load_tree
    from .validate import check_tree

    problems = seeds.verify(layout.seeds) + check_metadata(layout)
    if problems:
        raise ProblemsError(problems)
    outputs = corpus_outputs(layout, jobs)
    outputs.update(generated_outputs(layout))
    stale = {p for p in layout.corpus.glob("*.json")} - set(outputs)
    changed = [p for p, content in sorted(outputs.items()) if write_text_atomic(p, content)]
    problems = check_tree(load_tree(layout))
    if problems:
        raise ProblemsError(problems)
    staged, written = run_stages(layout)
    changed += written
    outputs.update(staged)
    for p in sorted(stale):
        p.unlink()
        changed.append(p)
    if not quiet:
        print(f"build: {len(outputs)} files checked, {len(changed)} written", file=sys.stderr)
    return changed
