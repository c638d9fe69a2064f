"""Resource limits: oversized input is refused with a coded problem before it is read whole.

Memory is measured two ways: ``tracemalloc`` (every Python allocation, so reading the file
whole would show) around the reader, and the peak resident size of a ``visectalks ls import``
process refusing an 8 GiB export, against the same command refusing a tiny bad file. The
large inputs are sparse files, so they take no disk space.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from visectalks import limits
from visectalks.jsonio import read_json, read_jsonl
from visectalks.limits import KIB, LIMITS, MIB

GIB = 1024 * MIB


def sparse(path: Path, head: bytes, size: int) -> Path:
    """A file of ``size`` bytes: ``head``, then NUL bytes that take no disk space."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(head)
        fh.truncate(size)
    return path


def peak(func):
    """(result, peak bytes allocated by Python while it ran)."""
    tracemalloc.start()
    try:
        result = func()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_oversized_annotation_file_is_refused_by_its_size(tmp_path):
    path = sparse(tmp_path / "entities" / "d004.jsonl", b'{"id": "d004-M001"}\n', 8 * GIB)
    (records, problems), used = peak(lambda: read_jsonl(path))
    assert records == [] and [p.code for p in problems] == ["VST600"]
    assert used < 256 * KIB, used


def test_long_string_is_refused_after_a_few_chunks(tmp_path):
    limit = LIMITS["import"]
    path = sparse(tmp_path / "export.json", b'[{"data": {"text": "', limit.max_bytes - 1)
    (data, problems), used = peak(lambda: read_json(path))
    assert data is None and [p.code for p in problems] == ["VST601"]
    assert used < 3 * limits.CHUNK, used


def test_deep_nesting_is_refused_while_streaming(tmp_path):
    path = tmp_path / "export.json"
    path.write_bytes(b"[" * (8 * MIB))
    (data, problems), used = peak(lambda: read_json(path))
    assert [p.code for p in problems] == ["VST602"]
    assert used < 3 * limits.CHUNK, used


def test_special_files_are_refused(tmp_path):
    assert [p.code for p in read_json(Path("/dev/zero"))[1]] == ["VST600"]
    assert [p.code for p in read_json(tmp_path)[1]] == ["VST600"]


def test_large_valid_input_within_the_limits_is_read(tmp_path):
    """Above one chunk the file is scanned, then read: the same value as plain json."""
    records = [{"id": k, "text": "Nga và Mỹ \"đàm phán\" \\ ở Geneva " * 40, "nested": [[{"a": [k]}]]} for k in range(600)]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    assert path.stat().st_size > limits.CHUNK
    assert read_json(path) == (records, [])


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64])
def test_scanner_is_exact_across_chunk_boundaries(monkeypatch, chunk):
    """Escapes, quotes and brackets split between chunks: strings measured exactly, brackets in strings ignored."""
    limit = limits.Limit("t", 10 ** 6, 8, 3)
    ok = '{"a": "12345678", "b": ["\\"\\\\[[[[", "x\\\\"], "c": {"d": []}}'.encode()
    long = '{"a": "1234\\"5678"}'.encode()  # 10 bytes as written
    deep = '[[["x"], [[1]]]]'.encode()
    for data, expected in ((ok, None), (long, "VST601"), (deep, "VST602")):
        scanner = limits.Scanner(limit, "t")
        found = next((p for p in (scanner.feed(data[i:i + chunk]) for i in range(0, len(data), chunk)) if p), None)
        assert (found.code if found else None) == expected, (data, chunk)


def test_label_studio_import_refuses_an_8_gib_export_in_little_memory(project_copy, tmp_path):
    """Peak resident size of the whole command, refusing an 8 GiB export and a 2-byte one."""
    pytest.importorskip("visectalks.labelstudio_cli", reason="the Label Studio importer is not part of this installation")
    huge = sparse(tmp_path / "huge.json", b"[", 8 * GIB)
    tiny = tmp_path / "tiny.json"
    tiny.write_text("{}", encoding="utf-8")
    code = ("import resource, sys\nfrom visectalks.cli import main\nrc = main(sys.argv[1:])\n"
            "print('MAXRSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\nsys.exit(rc)")

    def run(path: Path) -> tuple[str, int]:
        done = subprocess.run([sys.executable, "-c", code, "ls", "import", str(path), "--root", str(project_copy)],
                              capture_output=True, text=True)
        assert done.returncode == 2, done.stdout + done.stderr
        return done.stdout, int(done.stderr.split("MAXRSS")[1].split()[0]) * KIB

    out_huge, rss_huge = run(huge)
    out_tiny, rss_tiny = run(tiny)
    assert out_huge.startswith("VST600") and out_tiny.startswith("VST512")
    print(f"\nls import refusing 8 GiB: peak RSS {rss_huge / MIB:.1f} MiB; refusing 2 bytes: {rss_tiny / MIB:.1f} MiB")
    assert rss_huge - rss_tiny < 16 * MIB


def test_limits_are_documented(root):
    doc = (root / "docs" / "reliability.md").read_text(encoding="utf-8")
    for limit in LIMITS.values():
        for value in (limit.max_bytes, limit.max_string):
            shown = f"{value // MIB} MiB" if value >= MIB else f"{value // KIB} KiB"
            assert shown in doc, (limit.kind, shown)
        assert f"{limit.max_depth} levels" in doc


# ---------------------------------------------------------------- a download in pieces (ls pull)

def _pieces(head: bytes, piece: bytes, count: int, taken: list):
    yield head
    for _ in range(count):
        taken.append(1)
        yield piece


def test_download_beyond_the_size_limit_is_refused_before_it_is_whole():
    from visectalks.jsonio import parse_chunks

    limit, taken = LIMITS["import"], []
    piece = b"1, " * (MIB // 3)
    pieces = _pieces(b"[", piece, 10 * limit.max_bytes // len(piece), taken)
    (data, problems), used = peak(lambda: parse_chunks(pieces, "export"))
    assert data is None and [p.code for p in problems] == ["VST600"]
    assert len(taken) * len(piece) <= limit.max_bytes + len(piece)  # stopped at the limit, not at the end
    assert used < limit.max_bytes + 4 * MIB, used


@pytest.mark.parametrize("head, code", [
    (b'[{"data": {"text": "' + b"x" * (LIMITS["import"].max_string + 1) + b'"}}]', "VST601"),
    (b"[" * (LIMITS["import"].max_depth + 1) + b"]" * (LIMITS["import"].max_depth + 1), "VST602"),
    (b'[{"id": 1, "id": 2}]', "VST603"),
    (b"\xef\xbb\xbf[]", "VST001"),
    (b'[{"text": "\xff"}]', "VST001"),
])
def test_download_is_read_as_strictly_as_a_file(tmp_path, head, code):
    from visectalks.jsonio import parse_chunks

    path = tmp_path / "export.json"
    path.write_bytes(head)
    from_file = read_json(path)
    in_pieces = parse_chunks((head[i:i + 7] for i in range(0, len(head), 7)), "export")
    assert from_file[0] is None and in_pieces[0] is None
    assert [p.code for p in in_pieces[1]] == [p.code for p in from_file[1]] == [code]


def test_pull_refuses_an_oversized_export_with_a_code(project_copy, monkeypatch, capsys):
    """``ls pull`` with a server that sends more than the limit: a coded refusal, no file written."""
    from visectalks import labelstudio_cli
    from visectalks.cli import main

    class Exports:
        def download_sync(self, project_id, **_kwargs):
            yield b"["
            while True:
                yield b"1, " * 300_000

    class Client:
        projects = type("Projects", (), {"exports": Exports()})()

    monkeypatch.setenv("LABEL_STUDIO_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "k" * 40)
    monkeypatch.setattr(labelstudio_cli, "_client", lambda url, key: Client())
    save = project_copy / "pulled.json"
    code = main(["ls", "pull", "7", "--root", str(project_copy), "--save", str(save)])
    assert code == 2 and not save.exists()
    out = capsys.readouterr().out
    assert out.startswith("VST600 label-studio project 7 export"), out
