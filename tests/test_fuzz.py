"""Mutation fuzzing of every reader (fixed seed), and one regression test per bug it found.

Each case mutates a valid file (``visectalks/mutations.py``) and runs one reader on it; the
reader must accept it (and a canonical copy must read back the same) or refuse it with coded
problems, never raise, and an importer that refuses must write nothing. The counts here suit
CI; ``visectalks selftest --fuzz N`` runs the same cases at any size.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings, strategies as st

from visectalks import fuzz_readers
from visectalks.errors import CODES
from visectalks.jsonio import dumps, dumps_lines, read_json
from visectalks.mutations import describe
from visectalks.paths import Layout
from visectalks.validate import validate

READERS = fuzz_readers.readers()
# Examples per reader in CI, about 0.05-0.5 s each; the builders (release, viewer) are slower.
EXAMPLES = {"release": 12, "viewer": 25, "adjudication": 20}
DEFAULT_EXAMPLES = 60
# Readers of other modules with a known, reported failure: the test fails once they are fixed.
KNOWN_BROKEN: dict[str, str] = {}  # reader name -> why its fuzz test is expected to fail


@pytest.fixture(scope="module")
def ctx(layout, tmp_path_factory):
    return fuzz_readers.Context(layout, tmp_path_factory.mktemp("fuzz"))


def test_every_reader_of_the_project_is_fuzzed():
    """The validator's file kinds, and the importer, brat reader and builders when their modules exist."""
    validator_kinds = {"document", "entities", "events", "stance", "registry", "not_entities", "clusters", "metadata", "sums", "project"}
    assert validator_kinds <= set(READERS)
    for module, name in (("labelstudio_import", "labelstudio"), ("brat", "brat"), ("release", "release"), ("viewer", "viewer"),
                         ("adjudicate", "adjudication")):
        if (Path(fuzz_readers.__file__).parent / f"{module}.py").exists():
            assert name in READERS, name


def _run(ctx, name: str, data) -> None:
    out, notes = fuzz_readers.run_case(ctx, READERS[name], data)
    assert not out.violations, f"mutations: {describe(notes)}\n" + "\n".join(out.violations)


def _fuzz_test(name: str):
    phases = (Phase.generate,) if name in KNOWN_BROKEN else (Phase.generate, Phase.shrink)

    @settings(max_examples=EXAMPLES.get(name, DEFAULT_EXAMPLES), derandomize=True, deadline=None, database=None,
              phases=phases, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture])
    @given(data=st.data())
    def test(ctx, data):
        _run(ctx, name, data)

    if name in KNOWN_BROKEN:  # its falsifying example is large: Hypothesis would warn about printing it
        test = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")(test)
        test = pytest.mark.xfail(strict=True, reason=KNOWN_BROKEN[name])(test)
    return test


for _name in READERS:
    globals()[f"test_fuzz_{_name}"] = _fuzz_test(_name)


# ---------------------------------------------------------------- the property checker itself

def test_pointer_resolution_accepts_missing_key_at_its_object_only():
    doc = {"a": [{"b": 1}]}
    assert fuzz_readers.resolves(doc, "/a/0/b") and fuzz_readers.resolves(doc, "/a/0/c")
    assert not fuzz_readers.resolves(doc, "/a/1/b") and not fuzz_readers.resolves(doc, "/x/y")


def test_problem_checker_rejects_a_bad_pointer():
    from visectalks.errors import Problem

    assert fuzz_readers.problem_violations([Problem("VST002", "f", "r", "/a~2", "m")])
    assert not fuzz_readers.problem_violations([Problem("VST002", "f", "r", "/a~1b/0", "m")])


# ---------------------------------------------------------------- regressions: one per bug found

def _write(tmp_path: Path, rel: str, content: str | bytes) -> Path:
    path = tmp_path / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def _gold(layout, rel: str) -> list[dict]:
    return [json.loads(line) for line in (layout.annotations / rel).read_text(encoding="utf-8").splitlines() if line.strip()]


def _codes(problems) -> set[str]:
    return {p.code for p in problems}


@pytest.mark.parametrize("layer,field", [("entities", ("start",)), ("events", ("trigger", "start")), ("stance", ("evidence", "end"))])
def test_float_offset_is_a_schema_error_not_a_crash(layout, tmp_path, layer, field):
    records = _gold(layout, f"{layer}/d004.jsonl")
    node = records[0]
    for key in field[:-1]:
        node = node[key]
    node[field[-1]] = float(node[field[-1]])
    problems = validate(layout, [_write(tmp_path, f"{layer}/d004.jsonl", dumps_lines(records))])
    problems = [p for p in problems if p.code != "VST208"]  # the broken mention no longer covers its name
    assert _codes(problems) == {"VST002"} and problems[0].record == records[0]["id"]
    assert problems[0].pointer == "/0/" + "/".join(field)


def test_float_offset_in_a_document_is_a_schema_error(layout, tmp_path):
    doc = json.loads((layout.corpus / "d004.json").read_text(encoding="utf-8"))
    doc["tokens"][3]["end"] = float(doc["tokens"][3]["end"])
    problems = validate(layout, [_write(tmp_path, "corpus/d004.json", dumps(doc))])
    assert [(p.code, p.pointer) for p in problems] == [("VST002", "/tokens/3/end")]


def test_number_with_too_many_digits_is_coded(layout, tmp_path):
    line = json.dumps(_gold(layout, "entities/d004.jsonl")[0]).replace('"start": ', '"start": ' + "1" * 5000, 1)
    problems = validate(layout, [_write(tmp_path, "entities/d004.jsonl", line + "\n")])
    assert [(p.code, p.record) for p in problems] == [("VST605", "line 1")]


def test_duplicate_key_is_refused(layout, tmp_path):
    line = json.dumps(_gold(layout, "entities/d004.jsonl")[0]).replace('"type": ', '"type": "ORG", "type": ', 1)
    problems = validate(layout, [_write(tmp_path, "entities/d004.jsonl", line + "\n")])
    assert [p.code for p in problems] == ["VST603"] and "'type'" in problems[0].message


def test_lone_surrogate_is_refused_with_its_pointer(layout, tmp_path):
    records = _gold(layout, "entities/d004.jsonl")
    text = dumps_lines(records).replace(json.dumps(records[1]["text"], ensure_ascii=False), '"\\udc80"', 1)
    problems = validate(layout, [_write(tmp_path, "entities/d004.jsonl", text)])
    assert [(p.code, p.record, p.pointer) for p in problems] == [("VST604", "line 2", "/text")]


def test_a_valid_surrogate_pair_is_read(tmp_path):
    path = _write(tmp_path, "x.json", '{"a": "\\ud83d\\ude00"}')
    assert read_json(path) == ({"a": "\U0001F600"}, [])


def test_nan_is_not_json(layout, tmp_path):
    line = json.dumps(_gold(layout, "entities/d004.jsonl")[0]).replace('"start": ', '"start": NaN, "x": ', 1)
    problems = validate(layout, [_write(tmp_path, "entities/d004.jsonl", line + "\n")])
    assert [p.code for p in problems] == ["VST001"] and "NaN" in problems[0].message


def test_registry_with_a_partial_record_is_reported_not_crashed(layout, tmp_path):
    registry = json.loads((layout.annotations / "entities" / "registry.json").read_text(encoding="utf-8"))
    registry.append({"id": "half_a_record"})
    problems = validate(layout, [_write(tmp_path, "entities/registry.json", dumps(registry))])
    assert _codes(problems) == {"VST002"}


@pytest.mark.parametrize("content", ["{}", "[1]", '[{"text": 5}]'])
def test_not_entities_of_the_wrong_shape_is_reported(layout, tmp_path, content):
    problems = validate(layout, [_write(tmp_path, "entities/not_entities.json", content)])
    assert _codes(problems) == {"VST002"}


def test_unreadable_entity_file_gives_no_coverage_noise(layout, tmp_path):
    text = (layout.annotations / "entities" / "d004.jsonl").read_text(encoding="utf-8")
    problems = validate(layout, [_write(tmp_path, "entities/d004.jsonl", text[:-40])])
    assert _codes(problems) == {"VST001"}


def test_seed_file_outside_seeds_is_refused_and_not_read(layout, tmp_path):
    doc = json.loads((layout.corpus / "d004.json").read_text(encoding="utf-8"))
    secret = _write(tmp_path, "outside.txt", doc["text"] + "changed")
    doc["seed_file"] = str(Path("..") / ".." / ".." / secret)
    problems = validate(layout, [_write(tmp_path, "corpus/d004.json", dumps(doc))])
    assert [(p.code, p.pointer) for p in problems] == [("VST002", "/seed_file")]


def test_unknown_path_is_a_coded_problem(layout, tmp_path):
    problems = validate(layout, [_write(tmp_path, "notes/x.json", "[]")])
    assert [p.code for p in problems] == ["VST606"]


@pytest.mark.parametrize("mutation", ["null record", "list record", "string roles"])
def test_malformed_metadata_is_a_schema_error_not_a_crash(layout, tmp_path, mutation):
    seeds = tmp_path / "seeds"
    shutil.copytree(layout.seeds, seeds)
    meta = json.loads((seeds / "metadata.json").read_text(encoding="utf-8"))
    if mutation == "null record":
        meta["documents"][1] = None
    elif mutation == "list record":
        meta["documents"][1] = []
    else:
        meta["documents"][2]["paragraph_roles"] = "x"
    (seeds / "metadata.json").write_text(dumps(meta), encoding="utf-8")
    problems = validate(layout, [seeds])
    assert _codes(problems) == {"VST002"}


def test_document_of_the_wrong_shape_does_not_break_the_annotation_checks(layout, tmp_path):
    """A corpus document whose tokens are not a list: its own schema problem, nothing raised."""
    doc = json.loads((layout.corpus / "d004.json").read_text(encoding="utf-8"))
    doc["tokens"] = 5
    problems = validate(layout, [_write(tmp_path, "corpus/d004.json", dumps(doc))])
    assert [(p.code, p.pointer) for p in problems] == [("VST002", "/tokens")]


def test_deep_nesting_is_the_depth_limit(layout, tmp_path):
    problems = validate(layout, [_write(tmp_path, "entities/d004.jsonl", "[" * 5000 + "\n")])
    assert [p.code for p in problems] == ["VST602"]


def test_every_code_of_this_range_is_known():
    assert {f"VST60{k}" for k in range(7)} <= set(CODES)


def test_mini_project_validates(ctx):
    """The one-document project the fuzzer works in is valid before any mutation."""
    assert validate(ctx.mini()) == []
    assert isinstance(ctx.mini(), Layout)


def test_a_file_of_the_project_given_alone_is_reported_once(project_copy):
    """``validate FILE`` on a file that is part of the project read it twice and doubled its problems."""
    path = project_copy / "annotations" / "entities" / "registry.json"
    path.write_text("", encoding="utf-8")
    problems = validate(Layout(project_copy), [path])
    assert [(p.code, p.file) for p in problems] == [("VST001", "annotations/entities/registry.json")]


def test_seed_file_name_too_long_for_the_file_system(layout, tmp_path):
    """A 5,000-character seed_file raised OSError (file name too long) from the seed lookup."""
    doc = json.loads((layout.corpus / "d004.json").read_text(encoding="utf-8"))
    doc["seed_file"] = "x" * 5000 + ".txt"
    assert validate(layout, [_write(tmp_path, "corpus/d004.json", dumps(doc))]) == []
