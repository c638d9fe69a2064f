"""Optional modules of the package: commands and build stages that exist only when installed."""
from __future__ import annotations

import importlib
from types import ModuleType


def load(name: str) -> ModuleType | None:
    """Import ``visectalks.<name>``, or return None if that module is absent.

    A module that exists but fails to import (a missing dependency inside it) still raises, so
    a broken install is never mistaken for an absent feature.
    """
    try:
        return importlib.import_module(f"visectalks.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"visectalks.{name}":
            raise
        return None
