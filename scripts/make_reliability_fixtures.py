"""Write the known-bad fixtures of the reading limits and strict JSON checks (VST600-VST606).

Each fixture is one file laid out as in the project and derived from the gold by one named
change, like those of ``make_invalid_fixtures.py``. Run from the project root:
``python scripts/make_reliability_fixtures.py``.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from visectalks.jsonio import dumps_lines  # noqa: E402
from visectalks.limits import LIMITS  # noqa: E402

OUT = ROOT / "tests" / "fixtures" / "invalid"
GOLD = ROOT / "annotations"


def put(name: str, rel: str, content: str) -> None:
    path = OUT / name / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode("utf-8", "surrogatepass"))


def gold_lines(rel: str) -> list[dict]:
    return [json.loads(line) for line in (GOLD / rel).read_text(encoding="utf-8").splitlines() if line.strip()]


def main() -> None:
    ann = LIMITS["annotation"]
    mentions = gold_lines("entities/d000.jsonl")
    body = dumps_lines(mentions)
    put("VST600-oversized-annotation-file", "annotations/entities/d000.jsonl", body * (ann.max_bytes // len(body.encode()) + 1))

    long = dict(mentions[0], text=mentions[0]["text"] * (ann.max_string // len(mentions[0]["text"].encode()) + 1))
    put("VST601-long-string", "annotations/entities/d000.jsonl", dumps_lines([long] + mentions[1:]))

    deep: object = []
    for _ in range(ann.max_depth + 4):
        deep = [deep]
    put("VST602-deep-nesting", "annotations/entities/d000.jsonl", dumps_lines([dict(mentions[0], flags=deep)] + mentions[1:]))

    stance = gold_lines("stance/d000.jsonl")
    first = json.dumps(stance[0], ensure_ascii=False)
    twice = first.replace('"polarity": ', f'"polarity": "AGAINST", "polarity": ', 1)
    put("VST603-duplicate-key", "annotations/stance/d000.jsonl", twice + "\n" + dumps_lines(stance[1:]))

    registry = json.loads((GOLD / "entities" / "registry.json").read_text(encoding="utf-8"))
    text = json.dumps(registry, ensure_ascii=False, indent=2)
    name = registry[0]["name_en"]
    put("VST604-lone-surrogate", "annotations/entities/registry.json", text.replace(json.dumps(name), json.dumps(name)[:-1] + '\\ud800"', 1) + "\n")

    events = gold_lines("events/d001.jsonl")
    line = json.dumps(events[0], ensure_ascii=False)
    start = f'"start": {events[0]["trigger"]["start"]}'
    put("VST605-huge-number", "annotations/events/d001.jsonl", line.replace(start, '"start": ' + "9" * 5000, 1) + "\n" + dumps_lines(events[1:]))

    put("VST606-unknown-file", "notes/comments.json", "[]\n")


if __name__ == "__main__":
    main()
