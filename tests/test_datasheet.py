"""DATASHEET.md and its figures: fresh, generated from the data, deterministic, hand-written parts kept."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from visectalks import datasheet

SECTIONS = ("## 1. Motivation", "## 2. Composition", "## 3. Collection process", "## 4. Preprocessing, cleaning, labelling",
            "## 5. Uses", "## 6. Distribution", "## 7. Maintenance", "## Data statement")


def _block(text: str, name: str) -> str:
    begin = datasheet.BEGIN.format(name=name)
    end = datasheet.END.format(name=name)
    return text.split(begin, 1)[1].split(end, 1)[0]


def _table_row(block: str, first_cell: str) -> list[str]:
    for line in block.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells and cells[0] == first_cell:
            return cells
    raise AssertionError(f"no row {first_cell!r}")


def _count_lines(root: Path, layer: str) -> int:
    return sum(1 for p in (root / "annotations" / layer).glob("d*.jsonl") for line in p.read_text(encoding="utf-8").splitlines() if line.strip())


@pytest.fixture(scope="session")
def text(root) -> str:
    return (root / "DATASHEET.md").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def specs(tree):
    return datasheet.figure_specs(tree)


def test_datasheet_and_figures_are_fresh(root, layout):
    """`visectalks datasheet --check` passes: regenerating gives the committed bytes."""
    from argparse import Namespace

    for path, content in datasheet.build_outputs(layout).items():
        assert path.read_bytes() == (content.encode("utf-8") if isinstance(content, str) else content), path
    assert datasheet._cmd_datasheet(Namespace(root=str(root), check=True, quiet=True)) == 0


def test_no_figure_is_left_over(root, specs):
    on_disk = {p.stem for p in (root / datasheet.FIGURE_DIR).glob("*.png")}
    assert on_disk == set(specs)


def test_every_figure_plots_the_current_data_and_renders_deterministically(root, specs):
    import matplotlib

    for k, (name, spec) in enumerate(specs.items()):
        committed = (root / datasheet.FIGURE_DIR / f"{name}.png").read_bytes()
        info = datasheet.png_text(committed)
        assert info[datasheet.DATA_KEY] == datasheet.data_hash(spec), name
        fresh = datasheet.render(spec)
        if k == 0:  # drawing twice in one process gives the same bytes
            assert fresh == datasheet.render(spec), name
        assert fresh.startswith(b"\x89PNG\r\n\x1a\n") and "Software" not in datasheet.png_text(fresh)
        if info.get("matplotlib") == matplotlib.__version__:
            assert fresh == committed, name


def test_a_figure_is_redrawn_when_its_data_changes(root, specs, tmp_path):
    name, spec = next(iter(specs.items()))
    path = tmp_path / "f.png"
    path.write_bytes(datasheet.render(spec))
    assert datasheet.figure_bytes(spec, path) == path.read_bytes()
    changed = {**spec, "series": {k: [v + 1 for v in vals] for k, vals in spec["series"].items()}}
    assert datasheet.figure_bytes(changed, path) != path.read_bytes()


def test_figures_count_what_the_annotation_files_hold(root, specs):
    for name, layer in (("entity_types", "entities"), ("event_types", "events"), ("stance_targets", "stance")):
        if _count_lines(root, layer):
            assert sum(sum(v) for v in specs[name]["series"].values()) == _count_lines(root, layer), name
        else:
            assert name not in specs
    tokens = sum(len(json.loads(p.read_text(encoding="utf-8"))["tokens"]) for p in (root / "corpus").glob("d*.json"))
    assert sum(sum(v) for v in specs["tokens_by_role"]["series"].values()) == tokens


def test_statistics_block_agrees_with_the_files(root, text):
    block = _block(text, "statistics")
    total = _table_row(block, "total")
    header = [c.strip() for c in block.split("\n| document |", 1)[1].split("\n", 1)[0].strip().strip("|").split("|")]
    header = ["document"] + header
    row = dict(zip(header, total))
    docs = [json.loads(p.read_text(encoding="utf-8")) for p in sorted((root / "corpus").glob("d*.json"))]
    assert int(row["characters"]) == sum(len(d["text"]) for d in docs)
    assert int(row["sentences"]) == sum(len(d["sentences"]) for d in docs)
    assert int(row["tokens"]) == sum(len(d["tokens"]) for d in docs)
    for column, layer in (("mentions", "entities"), ("events", "events"), ("stance records", "stance")):
        if _count_lines(root, layer):
            assert int(row[column]) == _count_lines(root, layer), column
        else:
            assert column not in row


def test_agreement_and_baseline_blocks_show_the_reports(root, text):
    for name, key in (("agreement", "entities.exact"), ("baseline", "micro")):
        path = root / "reports" / f"{name}.json"
        block = _block(text, name)
        if path.exists():
            report = json.loads(path.read_text(encoding="utf-8"))
            obj = report
            for k in key.split("."):
                obj = obj[k]
            assert f"{obj['f1']:.3f}" in block, name
        else:
            assert "not been computed" in block or "No baseline" in block


def test_hand_written_sections_and_licence_statement(text):
    for heading in SECTIONS:
        assert heading in text
    assert "no licence for their redistribution is known" in text and "CC BY 4.0" in text and "MIT" in text
    assert "**Out-of-scope uses.**" in text and "**Intended uses.**" in text
    assert "Language variety" in text and "Text characteristics" in text


def test_fill_rewrites_only_the_blocks_and_needs_their_markers():
    skeleton = "intro\n" + datasheet.BEGIN.format(name="x") + "\nold\n" + datasheet.END.format(name="x") + "\noutro\n"
    once = datasheet.fill(skeleton, {"x": "new\n"})
    assert once == "intro\n" + datasheet.BEGIN.format(name="x") + "\nnew\n" + datasheet.END.format(name="x") + "\noutro\n"
    assert datasheet.fill(once, {"x": "new\n"}) == once
    with pytest.raises(ValueError, match="markers"):
        datasheet.fill("no markers here\n", {"x": "new\n"})


def test_datasheet_links_every_figure(text, specs):
    block = _block(text, "figures")
    assert re.findall(r"\]\((docs/figures/[a-z_]+\.png)\)", block) == [f"docs/figures/{n}.png" for n in specs]
