"""Commands as transactions: one lock per project, an undo journal, recovery after a kill.

A command that writes several files (``build`` writes the corpus, schemas, docs and the whole
``release/`` folder) must not leave a mixture of old and new files when it is killed half-way.
Each file is already replaced atomically (``jsonio.write_bytes_atomic``); a transaction makes
the whole set atomic:

- the project folder itself is locked with ``fcntl.flock`` for the whole command, so two runs
  on the same project take turns instead of interleaving their writes (no lock file: a
  command that writes nothing leaves no trace);
- before a file is first replaced or removed, a hard link to its old content (a copy where
  links are impossible) and a line naming it are written to ``<root>/.visectalks/journal/``
  and flushed to disk; new files are staged in the journal folder and renamed into place;
- on success the journal is renamed away and deleted: that rename is the commit;
- on failure, and at the start of the next command after a kill, the journal is played
  backwards: every old file comes back, every new file goes, new folders are removed.

So after any interruption the next command (``visectalks selftest --recover`` does nothing
else) finds the complete old set of outputs, and a finished command leaves the complete new
set. Files are written as the command goes, so it reads back what it wrote.
"""
from __future__ import annotations

import functools
import json
import os
import shutil
from pathlib import Path

try:
    import fcntl
except ImportError:  # not POSIX: commands still journal their writes, but do not lock
    fcntl = None

STATE = ".visectalks"
_active: "Transaction | None" = None


def active(path: Path | None = None) -> "Transaction | None":
    """The transaction of the running command, if any (and if it covers ``path``).

    A transaction covers its project folder only: files a command writes elsewhere (``export
    --out``, a benchmark's scratch projects) are written atomically one by one, as outside a
    transaction, and are neither journaled nor locked.
    """
    if _active is None or path is None or _active.covers(path):
        return _active
    return None


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass


def _missing_dirs(folder: Path) -> list[str]:
    """Ancestors of ``folder`` (itself included) that do not exist yet, outermost first."""
    out = []
    while not folder.exists() and folder != folder.parent:
        out.append(str(folder))
        folder = folder.parent
    return out[::-1]


class Transaction:
    """The writes of one command; see the module docstring."""

    def __init__(self, root: Path):
        self.root = Path(root).resolve()
        self.state = self.root / STATE
        self.journal = self.state / "journal"
        self.lock_fd: int | None = None
        self.log = None
        self.touched: set[str] = set()
        self.folders: set[Path] = set()
        self.count = 0
        self.recovered = 0  # files put back from an interrupted run when the lock was taken

    # -- lock
    def acquire(self) -> bool:
        """Take the project lock (waiting for another run) and undo an interrupted one."""
        if not self.root.is_dir():
            return False  # no project here: the command will say so
        try:
            self.lock_fd = os.open(self.root, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0))
        except OSError:
            return False  # a folder that cannot be opened: nothing to lock
        if fcntl is not None:
            fcntl.flock(self.lock_fd, fcntl.LOCK_EX)
        self.recovered = recover(self.root)
        return True

    def release(self) -> None:
        if self.log is not None:
            self.log.close()
            self.log = None
        if self.lock_fd is not None:
            if fcntl is not None:
                fcntl.flock(self.lock_fd, fcntl.LOCK_UN)
            os.close(self.lock_fd)
            self.lock_fd = None

    # -- journal
    def _open(self) -> None:
        if self.log is None:
            self.state.mkdir(exist_ok=True)
            self.journal.mkdir()
            self.log = open(self.journal / "log.jsonl", "a", encoding="utf-8")
            _fsync_dir(self.state)

    def covers(self, path: Path) -> bool:
        return self.lock_fd is not None and Path(path).resolve().is_relative_to(self.root)

    def staging(self) -> Path:
        """Folder for new files before they are renamed into place (removed on recovery)."""
        self._open()
        return self.journal

    def before_change(self, path: Path) -> None:
        """Journal the current state of ``path`` before it is first replaced or removed."""
        path = Path(os.path.abspath(path))
        key = str(path)
        if key in self.touched:
            return
        self._open()
        backup = None
        if path.is_file():
            backup = f"{self.count:05d}.old"
            try:
                os.link(path, self.journal / backup)
            except OSError:
                shutil.copy2(path, self.journal / backup)
        self.count += 1
        entry = {"path": key, "backup": backup, "created_dirs": _missing_dirs(path.parent)}
        self.log.write(json.dumps(entry) + "\n")  # ASCII: any file name, even one that is not UTF-8
        self.log.flush()
        os.fsync(self.log.fileno())
        self.touched.add(key)
        self.folders.add(path.parent)

    # -- end
    def commit(self) -> None:
        if self.log is not None:
            self.log.close()
            self.log = None
            for folder in self.folders:
                _fsync_dir(folder)
            done = self.state / "journal.done"
            os.rename(self.journal, done)
            _fsync_dir(self.state)
            shutil.rmtree(done, ignore_errors=True)
            _remove_empty(self.state)
        self.release()

    def rollback(self) -> None:
        if self.log is not None:
            self.log.close()
            self.log = None
        recover(self.root)
        self.release()

    def __enter__(self) -> "Transaction":
        global _active
        if not self.acquire():
            return self
        _active = self
        return self

    def __exit__(self, kind, exc, tb) -> None:
        global _active
        if _active is self:
            _active = None
        if self.lock_fd is None:
            return
        if kind is None or (kind is SystemExit and exc.code in (0, None)):
            self.commit()
        else:
            self.rollback()


class _Joined:
    """A nested ``transaction()``: part of the outer one."""

    def __enter__(self):
        return _active

    def __exit__(self, *exc):
        return None


def transaction(root: Path):
    """Context manager: the writes inside it happen all or not at all (re-entrant)."""
    return _Joined() if _active is not None else Transaction(root)


def _entries(log: Path) -> list[dict]:
    out = []
    if log.exists():
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                break  # a torn last line: its file was not touched yet
    return out


def recover(root: Path) -> int:
    """Undo an interrupted transaction of ``root``; return the number of files put back.

    Safe to run again if it is itself interrupted: a restored file has no backup any more,
    and removing a file that is already gone does nothing.
    """
    state = Path(root) / STATE
    if (state / "journal.done").exists():
        shutil.rmtree(state / "journal.done", ignore_errors=True)
        _remove_empty(state)
    journal = state / "journal"
    if not journal.is_dir():
        return 0
    entries = _entries(journal / "log.jsonl")
    for entry in reversed(entries):
        target = Path(entry["path"])
        if entry.get("backup"):
            backup = journal / entry["backup"]
            if backup.exists():
                os.replace(backup, target)
        else:
            try:
                target.unlink()
            except (FileNotFoundError, IsADirectoryError):
                pass
        for folder in reversed(entry.get("created_dirs", [])):
            try:
                os.rmdir(folder)
            except OSError:
                pass
    for entry in entries:
        _fsync_dir(Path(entry["path"]).parent)
    shutil.rmtree(journal, ignore_errors=True)
    _remove_empty(state)
    return len(entries)


def guarded(func):
    """Wrap a command function ``func(args)`` in a transaction of ``args.root``."""
    @functools.wraps(func)
    def run(args):
        with transaction(getattr(args, "root", ".") or "."):
            return func(args)
    return run


def guard_commands(sub) -> None:
    """Make every command registered on the subparsers ``sub`` a transaction."""
    for parser in sub.choices.values():
        func = parser.get_default("func")
        if func is not None and not getattr(func, "__wrapped__", None):
            parser.set_defaults(func=guarded(func))
