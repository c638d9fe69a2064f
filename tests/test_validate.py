"""The validator: the gold passes; every known-bad fixture gives exactly its code."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from visectalks.errors import CODES
from visectalks.validate import validate

FIXTURES = Path(__file__).parent / "fixtures" / "invalid"
ALL_CASES = sorted(p for p in FIXTURES.iterdir() if p.is_dir())
# VST5xx fixtures are Label Studio exports and VST62x brat files, checked by their readers' tests.
CASES = [c for c in ALL_CASES if not c.name.startswith(("VST5", "VST62"))]


def _target(case: Path) -> list[Path]:
    if (case / "seeds").is_dir():
        return [case / "seeds"]
    return sorted(p for p in case.rglob("*") if p.is_file())


def test_gold_and_passes_validate(layout):
    assert validate(layout) == []


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_fixture_gives_exactly_its_code(layout, case):
    problems = validate(layout, _target(case))
    expected = case.name.split("-")[0]
    if expected == "VALID":
        assert problems == []
        return
    assert problems, f"{case.name} raised nothing"
    assert {p.code for p in problems} == {expected}, [p.line() for p in problems]
    for p in problems:
        assert p.file and p.message
        assert p.pointer == "" or p.pointer.startswith("/")


def test_every_code_has_a_fixture():
    have = {c.name.split("-")[0] for c in ALL_CASES}
    assert set(CODES) - have == set()


def test_every_code_is_documented(root):
    doc = (root / "docs" / "validation.md").read_text(encoding="utf-8")
    for code, meaning in CODES.items():
        assert f"`{code}` | {meaning}" in doc


def test_problem_names_record_and_pointer(layout):
    path = FIXTURES / "VST202-unknown-registry-id" / "annotations" / "entities" / "d004.jsonl"
    [problem] = validate(layout, [path])
    first = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    assert problem.record == first["id"]
    assert problem.pointer == "/0/entity"


def test_cli_json_output_and_exit_status(root):
    path = FIXTURES / "VST102-sentence-text-drift" / "corpus" / "d900.json"
    run = subprocess.run([sys.executable, "-m", "visectalks.cli", "validate", "--root", str(root), "--format", "json", str(path)],
                         capture_output=True, text=True, cwd=root)
    assert run.returncode == 1
    errors = json.loads(run.stdout)
    assert [e["code"] for e in errors] == ["VST102"]
    assert set(errors[0]) == {"code", "file", "record", "pointer", "message"}
    assert errors[0]["record"] == "d900-s001" and errors[0]["pointer"] == "/sentences/0/text"


def test_cli_clean_exit(root):
    run = subprocess.run([sys.executable, "-m", "visectalks.cli", "validate", "--root", str(root), "--quiet"], capture_output=True, text=True, cwd=root)
    assert run.returncode == 0, run.stdout


def test_off_by_one_entity_is_caught(layout, tmp_path, corpus):
    src = layout.layer("entities") / "d002.jsonl"
    records = [json.loads(line) for line in src.read_text(encoding="utf-8").splitlines()]
    target = next(r for r in records if r["text"] == "Dmitry Peskov")
    target["end"] += 1
    out = tmp_path / "entities" / "d002.jsonl"
    out.parent.mkdir()
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    problems = validate(layout, [out])
    assert [(p.code, p.record) for p in problems] == [("VST102", target["id"])]
