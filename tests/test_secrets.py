"""Secrets: the Label Studio API key comes only from the environment and is written nowhere.

``ls push`` and ``ls pull`` run against a real local server (``scripts/labelstudio_server.sh``,
own state folder, a random token); afterwards every file in the project copy, the HOME and
the temporary folder the commands used, and everything they printed, is searched for the
token (and for a wrong token tried on purpose): it must appear nowhere. Error messages for
addresses with credentials (``http://user:password@host``) must not show the password.

As in ``test_labelstudio_server.py``: in CI (CI=true) a server that cannot be installed or
started fails; elsewhere the server tests skip, with the reason, only when the package cannot
be installed (no access to PyPI). The tests without a server always run.
"""
from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from ls_server import running_server

ROOT = Path(__file__).resolve().parent.parent

pytest.importorskip("visectalks.labelstudio_cli", reason="the Label Studio commands are not part of this installation")




@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("secrets-ls-state"), "secrets@visectalks.local") as started:
        yield started


def scan(folders: list[Path], needles: list[str]) -> list[str]:
    """Files under ``folders`` that hold any needle (as UTF-8 bytes)."""
    hits = []
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.is_symlink():
                data = path.read_bytes()
                hits += [f"{path}: {n[:4]}…" for n in needles if n.encode() in data]
    return hits


def sandbox(tmp_path: Path) -> dict:
    """HOME and TMPDIR of their own, so that anything the commands (or the SDK) write there is searched."""
    home, tmp = tmp_path / "home", tmp_path / "tmp"
    home.mkdir(exist_ok=True)
    tmp.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LABEL_STUDIO")}
    return {**env, "HOME": str(home), "TMPDIR": str(tmp), "XDG_CACHE_HOME": str(home / ".cache"), "XDG_CONFIG_HOME": str(home / ".config")}


def cli(args: list, env: dict, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "visectalks.cli", *map(str, args)], env=env, capture_output=True, text=True, cwd=cwd)


def test_scan_finds_what_it_looks_for(tmp_path):
    """The search below can fail: a file holding the needle is found."""
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "x.bin").write_bytes(b"\x00 prefix-token-abc123 \xff")
    assert scan([tmp_path], ["token-abc123"]) and not scan([tmp_path], ["token-zzz"])


def test_push_and_pull_leave_the_key_nowhere(server, project_copy, tmp_path):
    env = {**sandbox(tmp_path), "LABEL_STUDIO_URL": server["url"], "LABEL_STUDIO_API_KEY": server["token"]}
    wrong = "wrong-" + secrets.token_hex(12)
    runs = []
    push = cli(["ls", "push", "--root", project_copy, "--docs", "d004", "--as", "annotations"], env, tmp_path)
    runs.append(push)
    assert push.returncode == 0, push.stdout + push.stderr
    project = int(re.search(r"project (\d+)", push.stdout).group(1))
    saved = project_copy / "pulled.json"
    pull = cli(["ls", "pull", project, "--root", project_copy, "--docs", "d004", "--save", saved], env, tmp_path)
    runs.append(pull)
    assert pull.returncode == 0, pull.stdout + pull.stderr
    assert saved.exists()
    missing = cli(["ls", "pull", 10 ** 6, "--root", project_copy, "--docs", "d004"], env, tmp_path)
    refused = cli(["ls", "push", "--root", project_copy, "--docs", "d004"], {**env, "LABEL_STUDIO_API_KEY": wrong}, tmp_path)
    runs += [missing, refused]
    assert missing.returncode == 2 and "failed" in missing.stderr
    assert refused.returncode == 2 and "401" in refused.stderr
    needles = [server["token"], wrong]
    for run in runs:
        assert not [n for n in needles if n in run.stdout + run.stderr], run.args
    assert scan([project_copy, tmp_path], needles) == []


def test_credentials_in_the_address_are_not_shown(server, project_copy, tmp_path):
    """A password in LABEL_STUDIO_URL reaches the server (and is refused) but no message shows it."""
    password = "pw-" + secrets.token_hex(10)
    url = server["url"].replace("http://", f"http://alice:{password}@")
    env = {**sandbox(tmp_path), "LABEL_STUDIO_URL": url, "LABEL_STUDIO_API_KEY": server["token"]}
    for args in (["ls", "push", "--root", project_copy, "--docs", "d004"], ["ls", "pull", 1, "--root", project_copy, "--docs", "d004"]):
        run = cli(args, env, tmp_path)
        assert password not in run.stdout + run.stderr and server["token"] not in run.stdout + run.stderr
    assert scan([project_copy, tmp_path], [password, server["token"]]) == []


@pytest.mark.parametrize("url", ["http://alice:{pw}@127.0.0.1:9", "http://alice:{pw}@127.0.0.1:9/label-studio/?next=/projects/",
                                 "http://{pw}@localhost:9"])
def test_error_messages_without_a_server_do_not_show_credentials(project_copy, tmp_path, url):
    password, key = "pw-" + secrets.token_hex(10), "key-" + secrets.token_hex(10)
    env = {**sandbox(tmp_path), "LABEL_STUDIO_URL": url.format(pw=password), "LABEL_STUDIO_API_KEY": key}
    run = cli(["ls", "push", "--root", project_copy, "--docs", "d004"], env, tmp_path)
    assert run.returncode == 2 and "failed" in run.stderr
    assert password not in run.stdout + run.stderr and key not in run.stdout + run.stderr


def test_the_key_comes_only_from_the_environment(project_copy, tmp_path):
    env = sandbox(tmp_path)
    run = cli(["ls", "push", "--root", project_copy], env, tmp_path)
    assert run.returncode == 2 and "LABEL_STUDIO_API_KEY" in run.stderr
    for option in ("--api-key", "--token", "--key"):
        run = cli(["ls", "push", "--root", project_copy, option, "x"], env, tmp_path)
        assert run.returncode == 2 and "unrecognized arguments" in run.stderr
