"""Compare the two offline Vietnamese word segmenters on the seed sentences.

Prints, per segmenter: version, time per document, the share of word boundaries it shares with
the other, and how it splits multi-syllable names and terms that the gold annotations mark
(entity mentions of two or more syllables): a segmenter that keeps a name's syllables inside
one word, or splits it only at the name's edges, is preferred. Run from the project root:
``python scripts/compare_segmenters.py``.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from visectalks import segment  # noqa: E402


def pyvi_words(sentence: str) -> list[str]:
    from pyvi import ViTokenizer

    return [w.replace("_", " ") for w in ViTokenizer.tokenize(sentence).split()]


def underthesea_words(sentence: str) -> list[str]:
    from underthesea import word_tokenize

    return word_tokenize(sentence)


def boundaries(doc: dict, words_of) -> tuple[set, float]:
    out, t0 = set(), time.perf_counter()
    for s in doc["sentences"]:
        toks = [(t["start"], t["end"]) for t in doc["tokens"] if s["start"] <= t["start"] < s["end"]]
        for group in segment.align_words(doc["text"], toks, words_of(s["text"])):
            out.add(toks[group[0]][0])
    return out, time.perf_counter() - t0


def main() -> None:
    import pyvi
    import underthesea

    docs = [json.loads(p.read_text(encoding="utf-8")) for p in sorted((ROOT / "corpus").glob("*.json"))]
    names = [json.loads(line) for p in sorted((ROOT / "annotations" / "entities").glob("d*.jsonl")) for line in p.read_text(encoding="utf-8").splitlines()]
    names = [m for m in names if " " in m["text"] and m["type"] in ("PER", "ORG", "GPE", "LOC", "EVENT")]
    underthesea_words("khởi động")  # load the model outside the timing
    pyvi_words("khởi động")
    results = {}
    for label, fn, version in (("underthesea", underthesea_words, underthesea.__version__), ("pyvi", pyvi_words, getattr(pyvi, "__version__", "0.1.1"))):
        starts, seconds = {}, 0.0
        for doc in docs:
            starts[doc["id"]], dt = boundaries(doc, fn)
            seconds += dt
        crossing = 0
        for m in names:
            inner = {t["start"] for t in next(d for d in docs if d["id"] == m["doc"])["tokens"] if m["start"] < t["start"] < m["end"]}
            crossing += bool(inner & starts[m["doc"]])
        results[label] = (version, starts, seconds, crossing)
    a, b = results["underthesea"][1], results["pyvi"][1]
    shared = sum(len(a[d] & b[d]) for d in a) / max(1, sum(len(a[d] | b[d]) for d in a))
    print(f"multi-syllable names in the gold: {len(names)}; word starts shared by both segmenters: {shared:.3f}")
    for label, (version, starts, seconds, crossing) in results.items():
        words = sum(len(v) for v in starts.values())
        print(f"{label} {version}: {words} words, {seconds / len(docs) * 1000:.0f} ms per document, "
              f"{crossing} of {len(names)} multi-syllable names split inside")


if __name__ == "__main__":
    main()
