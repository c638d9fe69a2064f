"""Progress bars for long commands: counts and rates on a terminal, silence elsewhere.

A bar is drawn (on stderr, with ``tqdm``) only when stderr is a terminal and ``--quiet`` was
not given, so logs, pipes and CI output stay clean. ``VISECTALKS_PROGRESS=1`` forces bars on
(for example under a pseudo-terminal that is not detected); ``=0`` forces them off.
"""
from __future__ import annotations

import os
import sys
from typing import Iterable, Iterator, TypeVar

T = TypeVar("T")


def enabled(quiet: bool = False, stream=None) -> bool:
    """Whether bars are drawn: never with ``quiet``, otherwise on a terminal (or when forced)."""
    if quiet:
        return False
    forced = os.environ.get("VISECTALKS_PROGRESS")
    if forced in ("0", "1"):
        return forced == "1"
    stream = stream if stream is not None else sys.stderr
    return bool(getattr(stream, "isatty", lambda: False)())


def progress(items: Iterable[T], total: int | None = None, desc: str = "", unit: str = "doc", quiet: bool = False) -> Iterator[T]:
    """Iterate ``items``, drawing a bar with count and rate when ``enabled(quiet)``."""
    if not enabled(quiet):
        yield from items
        return
    from tqdm import tqdm

    with tqdm(items, total=total, desc=desc, unit=unit, file=sys.stderr, dynamic_ncols=True, mininterval=0.5, smoothing=0.1) as bar:
        yield from bar
