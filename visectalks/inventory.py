"""Access to ``schema/inventory.json``, the single source of every label inventory."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

INVENTORY_PATH = Path(__file__).resolve().parent.parent / "schema" / "inventory.json"


@lru_cache(maxsize=4)
def load(path: str | None = None) -> dict:
    return json.loads(Path(path or INVENTORY_PATH).read_text(encoding="utf-8"))


def names(kind: str, path: str | None = None) -> list[str]:
    """Label names of one inventory, in file order (this order is the ClassLabel order)."""
    return [item["name"] for item in load(path)[kind]]


def vlsp_map(path: str | None = None) -> dict[str, str | None]:
    """Full entity type -> VLSP 2016/2018 type (None means the VLSP tag is O)."""
    return {item["name"]: item["vlsp"] for item in load(path)["entity_types"]}
