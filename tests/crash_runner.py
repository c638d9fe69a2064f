"""Helper process for ``test_crash.py``: runs visectalks commands in forked children and kills them.

The runner imports the package once and runs each command once in its own process (``warm``),
which also fills the in-process caches (the baseline NER of a given corpus); every ``trial``
then forks a child that runs the command from the start of ``cli.main`` and kills it with
SIGKILL after a delay, or after a delay counted from the moment the child starts writing
(its journal appears). A trial thus costs the command's own work, not the interpreter's
start-up and the tagger, and the kill moments can be aimed at the writes.

Protocol: one JSON command per line on standard input, one JSON answer per line on standard
output. ``{"op": "warm", "argv": [...]}`` -> ``{"rc": int}``;
``{"op": "trial", "argv": [...], "root": path, "delay": seconds, "after_writes": bool}`` ->
``{"killed": bool, "rc": int|null, "writing": bool, "writing_at": float|null, "seconds": float}``
(``writing``: the kill came while the child had files journaled; ``writing_at``: when its first
write began).
"""
from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import time
import traceback
from pathlib import Path


def _run(argv: list[str]) -> int:
    from visectalks.cli import main

    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    except Exception:  # reported, so that the test shows the command's own traceback
        traceback.print_exc(file=sys.stderr)
        return 98
    return code if isinstance(code, int) else (0 if code is None else 1)


def _child(argv: list[str]) -> int:
    pid = os.fork()
    if pid == 0:  # the child: quiet, run, leave without running the parent's clean-up
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.dup2(null, 2)
        code = 99
        try:
            code = _run(argv)
        finally:
            os._exit(code)
    return pid


def _reap(pid: int, block: bool) -> int | None:
    done, status = os.waitpid(pid, 0 if block else os.WNOHANG)
    if done == 0:
        return None
    return os.waitstatus_to_exitcode(status)


def trial(argv: list[str], root: str, delay: float, after_writes: bool) -> dict:
    journal = Path(root) / ".visectalks" / "journal"
    started = time.monotonic()
    pid = _child(argv)
    rc = None
    writing = False
    writing_at = None
    if after_writes:
        while rc is None and not journal.exists():
            rc = _reap(pid, False)
            time.sleep(0.0005)
        writing = rc is None
        writing_at = time.monotonic() - started
    deadline = time.monotonic() + delay
    while rc is None and time.monotonic() < deadline:
        rc = _reap(pid, False)
        time.sleep(0.0005)
    killed = rc is None
    if killed:
        writing = writing or journal.exists()
        os.kill(pid, signal.SIGKILL)
        _reap(pid, True)
    return {"killed": killed, "rc": rc, "writing": writing, "writing_at": writing_at, "seconds": time.monotonic() - started}


def main() -> None:
    for line in sys.stdin:
        cmd = json.loads(line)
        if cmd["op"] == "warm":
            with contextlib.redirect_stdout(sys.stderr):
                answer = {"rc": _run(cmd["argv"])}
        else:
            answer = trial(cmd["argv"], cmd["root"], cmd["delay"], cmd["after_writes"])
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
