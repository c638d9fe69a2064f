"""The build: checksums first, byte-identical rebuilds, nothing written on failure."""
from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def _build(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "visectalks.cli", "build", "--root", str(root), "--jobs", "1"], capture_output=True, text=True)


def test_seed_copies_match_shared_checksums(root):
    sums = (root / "seeds" / "SHA256SUMS").read_text().split("\n")
    for line in filter(None, sums):
        digest, name = line.split()
        assert hashlib.sha256((root / "seeds" / name).read_bytes()).hexdigest() == digest


def test_rebuild_is_byte_identical(project_copy, root):
    before = _digest(project_copy / "corpus")
    run = _build(project_copy)
    assert run.returncode == 0, run.stdout + run.stderr
    assert _digest(project_copy / "corpus") == before == _digest(root / "corpus")
    again = _build(project_copy)
    assert again.returncode == 0
    assert _digest(project_copy / "corpus") == before


def test_tampered_seed_stops_build_and_writes_nothing(project_copy):
    seed = sorted((project_copy / "seeds").glob("002_*.txt"))[0]
    seed.write_bytes(seed.read_bytes().replace("Geneva".encode(), "Genève".encode(), 1))
    (project_copy / "corpus" / "d002.json").unlink()
    before = _digest(project_copy)
    run = _build(project_copy)
    assert run.returncode == 2
    assert run.stdout.startswith("VST010 seeds/002_")
    assert "nothing was written" in run.stderr
    assert _digest(project_copy) == before


def test_invalid_annotation_stops_build_before_release(project_copy):
    path = project_copy / "annotations" / "entities" / "d001.jsonl"
    path.write_text(path.read_text(encoding="utf-8").replace('"type": "GPE"', '"type": "COUNTRY"', 1), encoding="utf-8")
    release = project_copy / "release"
    before = _digest(release) if release.exists() else {}
    run = _build(project_copy)
    assert run.returncode == 2 and "VST003" in run.stdout
    assert (_digest(release) if release.exists() else {}) == before


def test_metadata_unknowns_have_reasons(root):
    import json

    meta = json.loads((root / "seeds" / "metadata.json").read_text(encoding="utf-8"))
    for d in meta["documents"]:
        for key in ("outlet", "author", "title", "url", "publication_date", "license"):
            field = d[key]
            assert field["reason"]
            if field["value"] is None:
                assert field["status"] == "unknown"
    by_id = {d["id"]: d for d in meta["documents"]}
    assert by_id["d001"]["outlet"]["status"] == "likely" and "VTV" in by_id["d001"]["outlet"]["value"]
    assert by_id["d003"]["outlet"] == {**by_id["d003"]["outlet"], "value": "VietNamNet", "status": "likely"}
    assert all(d["publication_date"]["value"] is None and d["url"]["value"] is None for d in meta["documents"])


# ---------------------------------------------------------------- SHA256SUMS and metadata shape

BAD_SUM_LINES = [
    "7e352c7f  004.txt",                                   # digest too short
    "7E352C7FCDBA26A62FCEFE6C07565BB3FA52EEEF4EA029C62799CB3D16C63A0F  004.txt",  # not sha256sum's lower case
    "7e352c7fcdba26a62fcefe6c07565bb3fa52eeef4ea029c62799cb3d16c63a0f",            # no file name
    "7e352c7fcdba26a62fcefe6c07565bb3fa52eeef4ea029c62799cb3d16c63a0f  ../004.txt",  # a path
    "just words",
]


def test_every_malformed_sums_line_is_named_by_both_readers(project_copy):
    from visectalks import seeds
    from visectalks.stream import verify_seeds

    sums = project_copy / "seeds" / "SHA256SUMS"
    good = sums.read_text(encoding="utf-8")
    sums.write_text(good + "\n".join(BAD_SUM_LINES) + "\n" + good.splitlines()[0] + "\n", encoding="utf-8")
    first_bad = len(good.splitlines()) + 1
    expected = [f"line {first_bad + k}" for k in range(len(BAD_SUM_LINES) + 1)]
    for problems in (seeds.verify(project_copy / "seeds"), verify_seeds(project_copy / "seeds", stream=True)):
        assert {p.code for p in problems} == {"VST013"}
        assert [p.record for p in problems] == expected
        assert all(p.file == "seeds/SHA256SUMS" for p in problems)


def test_missing_or_binary_sums_file_is_a_coded_problem(project_copy):
    from visectalks import seeds

    sums = project_copy / "seeds" / "SHA256SUMS"
    sums.write_bytes(b"\xff\xfe" + sums.read_bytes())
    assert [p.code for p in seeds.verify(project_copy / "seeds")] == ["VST013"]
    sums.unlink()
    [problem] = seeds.verify(project_copy / "seeds")
    assert problem.code == "VST013" and "missing" in problem.message


def test_metadata_of_the_wrong_shape_stops_build_with_a_code(project_copy):
    """A null document record must be reported as a schema problem, not crash the checksum check."""
    import json

    path = project_copy / "seeds" / "metadata.json"
    meta = json.loads(path.read_text(encoding="utf-8"))
    meta["documents"][1] = None
    path.write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    before = _digest(project_copy)
    run = _build(project_copy)
    assert run.returncode == 2, run.stderr
    assert run.stdout.startswith("VST002 seeds/metadata.json") and "Traceback" not in run.stderr
    assert _digest(project_copy) == before


def test_atomic_writes_give_ordinary_permissions(tmp_path):
    """A temporary file is private to its owner; the file that replaces an output must not be."""
    import os
    import stat

    from visectalks.jsonio import write_text_atomic

    mask = os.umask(0o022)
    try:
        new = tmp_path / "new.json"
        write_text_atomic(new, "{}\n")
        assert stat.S_IMODE(new.stat().st_mode) == 0o644
        kept = tmp_path / "kept.json"
        kept.write_text("[]\n")
        kept.chmod(0o640)
        write_text_atomic(kept, "{}\n")
        assert stat.S_IMODE(kept.stat().st_mode) == 0o640 and kept.read_text() == "{}\n"
    finally:
        os.umask(mask)
