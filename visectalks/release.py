"""``visectalks release``: the Hugging Face dataset folder ``release/`` (Parquet + card + Croissant).

One folder per config, one Parquet file per split (``<config>/<split>-00000-of-00001.parquet``),
declared in the card's YAML ``configs`` with explicit ``dataset_info`` features, so that
``datasets.load_dataset("release", "<config>")`` works offline with no loading script. A config
appears as soon as its annotation layer exists. The same build also writes ``CITATION.cff`` and
``.zenodo.json`` at the project root from the version in ``visectalks/__init__.py``.

Parquet bytes are fixed by explicit writer options. The bytes still carry the writing library's
version (``created_by``), so an existing file whose content (rows, types, metadata) equals the
new table is kept as it is: rebuilding with another pyarrow release does not rewrite unchanged
data, and the checksums in the card and in Croissant stay valid.
"""
from __future__ import annotations

import io
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from . import __version__, features, release_rows
from .errors import ProblemsError
from .jsonio import remove_atomic, write_bytes_atomic
from .layers import Tree, load_tree
from .paths import Layout

PARQUET_OPTIONS = {"compression": "zstd", "compression_level": 9, "version": "2.6", "data_page_version": "1.0",
                   "use_dictionary": True, "write_statistics": True, "store_schema": True, "write_page_index": False,
                   "row_group_size": 1_000_000}
SHARD = "{split}-00000-of-00001.parquet"


@dataclass
class ConfigData:
    """One config: its features and, per split, the encoded table, the Parquet bytes and rows."""

    name: str
    features: object
    tables: dict[str, pa.Table]
    files: dict[str, bytes]
    rows: dict[str, list[dict]]

    def path(self, split: str) -> str:
        return f"{self.name}/{SHARD.format(split=split)}"


def available_configs(tree: Tree) -> list[str]:
    """Configs whose annotation layer has at least one file (documents: always)."""
    return [c for c in features.CONFIGS if features.CONFIG_LAYER[c] is None or tree.layers[features.CONFIG_LAYER[c]]]


def to_table(rows: list[dict], feats) -> pa.Table:
    """Encode label names to ClassLabel ids and build an Arrow table with the declared schema."""
    schema = feats.arrow_schema
    meta = dict(schema.metadata or {})
    meta[b"visectalks"] = json.dumps({"dataset_version": __version__, "parquet_options": PARQUET_OPTIONS}, sort_keys=True).encode()
    schema = schema.with_metadata(meta)
    return pa.Table.from_pylist([feats.encode_example(r) for r in rows], schema=schema)


def parquet_bytes(table: pa.Table, existing: Path | None = None) -> bytes:
    """Serialise ``table``; return the existing file's bytes instead if it holds the same content."""
    if existing is not None and existing.exists():
        try:
            old = pq.read_table(existing)
        except (pa.ArrowException, OSError):
            old = None
        if old is not None and old.schema.metadata == table.schema.metadata and old.num_rows == table.num_rows:
            try:
                if old.cast(table.schema).equals(table):
                    return existing.read_bytes()
            except (pa.ArrowException, ValueError):
                pass
    buf = io.BytesIO()
    pq.write_table(table, buf, **PARQUET_OPTIONS)
    return buf.getvalue()


def config_data(layout: Layout, tree: Tree, metadata: dict) -> list[ConfigData]:
    split_of = release_rows.split_of(sorted(tree.docs))
    out = []
    for name in available_configs(tree):
        feats = features.ALL[name]()
        rows = release_rows.config_rows(tree, metadata, name)
        by_split = {s: [r for r in rows if split_of[r.get("doc_id", r["id"])] == s] for s in release_rows.SPLITS}
        tables = {s: to_table(r, feats) for s, r in by_split.items()}
        cfg = ConfigData(name, feats, tables, {}, by_split)
        cfg.files = {s: parquet_bytes(t, layout.release / cfg.path(s)) for s, t in tables.items()}
        out.append(cfg)
    return out


def load_checked(layout: Layout) -> tuple[Tree, dict]:
    """The gold tree (refusing invalid annotations) and the seed metadata."""
    from .seeds import load_metadata
    from .validate import check_tree

    tree = load_tree(layout)
    problems = check_tree(tree)
    if problems:
        raise ProblemsError(problems)
    return tree, load_metadata(layout.seeds)


def build_outputs(layout: Layout) -> dict[Path, str | bytes]:
    """Every file of ``release/`` plus ``CITATION.cff`` and ``.zenodo.json``."""
    from . import card, croissant

    tree, metadata = load_checked(layout)
    configs = config_data(layout, tree, metadata)
    out: dict[Path, str | bytes] = {}
    for cfg in configs:
        for split, data in cfg.files.items():
            out[layout.release / cfg.path(split)] = data
    out[layout.release / "README.md"] = card.card(layout, tree, metadata, configs)
    out[layout.release / "croissant.json"] = croissant.croissant(layout, metadata, configs)
    licence = layout.root / "LICENSE-annotations"
    if licence.exists():  # the card's license_link; absent only in partial copies of the project
        out[layout.release / "LICENSE.md"] = licence.read_bytes()
    out[layout.root / "CITATION.cff"] = card.citation_cff()
    out[layout.root / ".zenodo.json"] = card.zenodo_json()
    return out


def stale_files(layout: Layout, outputs: dict[Path, str | bytes]) -> list[Path]:
    """Parquet files in the config folders that the build no longer produces (a removed split).

    Only ``release/<config>/*.parquet`` belongs to this command; other folders of release/
    (written by other commands) are never touched.
    """
    found = [p for c in features.CONFIGS for p in (layout.release / c).glob("*.parquet")]
    return sorted(p for p in found if p not in outputs)


def _cmd_release(args) -> int:
    from .paths import layout as make_layout

    lay = make_layout(args.root)
    outputs = build_outputs(lay)
    stale = stale_files(lay, outputs)
    if args.check:
        changed = [p for p, c in outputs.items() if not p.exists() or p.read_bytes() != (c.encode() if isinstance(c, str) else c)]
        for p in changed + stale:
            print(f"stale: {p.relative_to(lay.root)}")
        return 1 if changed or stale else 0
    written = [p for p, c in sorted(outputs.items()) if write_bytes_atomic(p, c.encode() if isinstance(c, str) else c)]
    for p in stale:
        remove_atomic(p)  # journaled: an interrupted release puts it back
    if not args.quiet:
        print(f"release: {len(outputs)} files, {len(written)} written, {len(stale)} stale removed", file=sys.stderr)
    return 0


def register(sub, add) -> None:
    p = add("release", _cmd_release, "Write the Hugging Face dataset folder release/ (Parquet configs, card, Croissant), CITATION.cff and .zenodo.json.")
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 and list the files that are missing or out of date")
