"""An IOB2 check written apart from the package's own tagging code, for the tests."""
from __future__ import annotations


def strictly_iob2(tags: list[str]) -> bool:
    """True if every I- tag continues a B- or I- tag of the same type."""
    prev = "O"
    for tag in tags:
        if tag.startswith("I-") and prev[2:] != tag[2:]:
            return False
        prev = tag
    return True
