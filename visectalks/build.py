"""``visectalks build``: seeds → corpus, schemas and generated docs, in one direction.

The corpus is built one document at a time on every core (``corpus_stream``) and checked
one document at a time (``validate_stream``), so memory does not grow with the corpus. Every
file is written atomically inside the command's transaction (``transaction.py``), so a
failing build leaves the previous outputs as they were.
"""
from __future__ import annotations

import sys
from pathlib import Path

from . import docsgen, schemas
from .errors import ProblemsError
from .jsonio import dumps, remove_atomic, write_bytes_atomic, write_text_atomic
from .paths import Layout
from .validate import check_metadata


def fixture_index(root: Path) -> dict[str, list[str]]:
    """Code -> fixture folder names, read from tests/fixtures/invalid/<CODE>-<name>/."""
    index: dict[str, list[str]] = {}
    base = root / "tests" / "fixtures" / "invalid"
    if base.is_dir():
        for d in sorted(base.iterdir()):
            if d.is_dir():
                index.setdefault(d.name.split("-")[0], []).append(d.name)
    return index


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
    from .plugins import load

    outputs: dict[Path, str | bytes] = {}
    changed: list[Path] = []
    for name in STAGES:
        module = load(name)
        if module is None or not hasattr(module, "build_outputs"):
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

    The corpus files are written first (later stages read them), one by one as they are built
    and inside the command's transaction, so that a build that stops on a problem leaves the
    previous corpus; later stages run only if the gold annotations validate.
    """
    from .corpus_stream import build_corpus, stale_files
    from .stream import verify_seeds
    from .validate_stream import check_layout

    # the checksum checks read fields of every metadata record: only metadata of the right shape
    problems = check_metadata(layout) or verify_seeds(layout.seeds)
    if problems:
        raise ProblemsError(problems)
    written, names = build_corpus(layout, jobs, quiet)  # streamed: one document per worker in memory
    changed = [layout.corpus / name for name in written]
    outputs = generated_outputs(layout)
    stale = stale_files(layout, names)
    changed += [p for p, content in sorted(outputs.items()) if write_text_atomic(p, content)]
    problems = check_layout(layout, jobs=jobs)
    if problems:
        raise ProblemsError(problems)
    staged, written = run_stages(layout)
    changed += written
    outputs.update(staged)
    for p in sorted(stale):
        remove_atomic(p)  # journaled: an interrupted build puts it back
        changed.append(p)
    if not quiet:
        print(f"build: {len(outputs) + len(names)} files checked, {len(changed)} written", file=sys.stderr)
    return changed
