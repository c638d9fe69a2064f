"""Where the project's folders are, relative to one root.

Every command takes ``--root`` so that tests can build a copy of the project in a temporary
folder; the default root is the current directory.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Layout:
    root: Path

    @property
    def seeds(self) -> Path:
        return self.root / "seeds"

    @property
    def corpus(self) -> Path:
        return self.root / "corpus"

    @property
    def schema(self) -> Path:
        return self.root / "schema"

    @property
    def annotations(self) -> Path:
        return self.root / "annotations"

    @property
    def docs(self) -> Path:
        return self.root / "docs"

    @property
    def release(self) -> Path:
        return self.root / "release"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    def layer(self, name: str, pass_name: str | None = None) -> Path:
        """Folder of one annotation layer: the gold (None or "gold"), a named pass, or a folder path."""
        if pass_name in (None, "gold"):
            base = self.annotations
        elif "/" in pass_name or pass_name.startswith("."):
            base = Path(pass_name).resolve()
        else:
            base = self.annotations / "passes" / pass_name
        return base / name


def layout(root: str | Path | None = None) -> Layout:
    return Layout(Path(root or ".").resolve())
