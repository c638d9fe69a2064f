"""Query the released Parquet across all shards with DuckDB: entity mentions per type.

The ``entities`` config stores the type as a ClassLabel id; the names come from
``schema/inventory.json`` (the same order as the ids). Every shard of every split is read
through one glob, so the query does not change when the corpus grows to many shards.

    python scripts/query_release.py RELEASE_FOLDER
"""
from __future__ import annotations

import sys
from pathlib import Path


def entity_counts(release: str | Path) -> dict[str, int]:
    """Mentions per entity type name over every ``entities/*.parquet`` shard."""
    import duckdb

    from visectalks import inventory

    names = inventory.names("entity_types")
    glob = str(Path(release) / "entities" / "*.parquet")
    rows = duckdb.sql(f"SELECT type, count(*) AS n FROM read_parquet('{glob}') GROUP BY type ORDER BY type").fetchall()
    return {names[type_id]: n for type_id, n in rows}


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    for name, n in sorted(entity_counts(args[0]).items(), key=lambda kv: -kv[1]):
        print(f"{name}\t{n}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
