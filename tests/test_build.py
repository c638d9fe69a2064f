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
