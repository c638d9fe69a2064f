"""A real Label Studio server for the tests, through scripts/labelstudio_server.sh.

The server is installed into its own virtual environment and started on 127.0.0.1 with a
temporary data folder and a user and API token made up for the run; it is stopped by its pid.
In CI a failed install or start fails the test; elsewhere a failed install skips it.
"""
from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "labelstudio_server.sh"
IN_CI = os.environ.get("CI", "").lower() in ("true", "1", "yes")
VERSION = os.environ.get("LS_VERSION", "1.23.2")


def script(action: str, env: dict, timeout: int) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(SCRIPT), action], env=env, capture_output=True, text=True, timeout=timeout)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@contextlib.contextmanager
def running_server(state: Path, user: str):
    """Yield {url, token, password, pid, state} of a started server; stop it afterwards."""
    token, password = secrets.token_hex(20), secrets.token_urlsafe(18)
    env = {**os.environ, "LS_STATE": str(state), "LS_VERSION": VERSION, "LABEL_STUDIO_USER_TOKEN": token,
           "LABEL_STUDIO_USERNAME": user, "LABEL_STUDIO_PASSWORD": password}
    try:
        installed = script("install", env, 1500)
        reason = None if installed.returncode == 0 else installed.stderr[-2000:]
    except subprocess.TimeoutExpired:
        reason = "pip install of label-studio timed out"
    if reason:
        message = f"label-studio {VERSION} could not be installed: {reason}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    started = script("start", env, 900)
    if started.returncode != 0:
        pytest.fail(f"label-studio did not start: {started.stderr[-3000:]}")
    values = dict(line.split("=", 1) for line in started.stdout.split() if "=" in line)
    pid = int(values["LS_PID"])
    try:
        yield {"url": values["LABEL_STUDIO_URL"], "token": token, "password": password, "pid": pid, "state": state}
    finally:
        stopped = script("stop", env, 120)
        deadline = time.monotonic() + 30
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert stopped.returncode == 0, stopped.stderr
        assert not alive(pid), f"label-studio pid {pid} still running after stop"
