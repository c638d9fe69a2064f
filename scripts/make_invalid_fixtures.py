"""Write the known-bad fixtures under tests/fixtures/invalid/, one folder per error case.

Each fixture is a single mutated file (or a small seeds folder) laid out as in the project,
so that ``visectalks validate <file>`` checks it against the rest of the project. Fixtures are
derived from the real data by one named mutation each; the test suite expects exactly the code
in the folder name. Run from the project root: ``python scripts/make_invalid_fixtures.py``.
"""
from __future__ import annotations

import copy
import hashlib
import json
import shutil
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from visectalks.corpus import build_document  # noqa: E402
from visectalks.jsonio import dumps, dumps_lines  # noqa: E402

OUT = ROOT / "tests" / "fixtures" / "invalid"
SMALL_TEXT = "Nga và Mỹ đàm phán ngày 10/1 tại Geneva. Hai bên “chưa đạt thỏa thuận”.\nNATO họp ở ‘Brussels’."


def small_doc(text: str = SMALL_TEXT, doc_id: str = "d900", seed_file: str = "900_0000000000000000.txt") -> dict:
    meta = {"id": doc_id, "file": seed_file, "sha256": hashlib.sha256(text.encode()).hexdigest(), "paragraph_roles": []}
    return build_document(text, meta)


def put(name: str, rel: str, content: str | bytes) -> None:
    path = OUT / name / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))


def corpus_fixtures() -> None:
    doc = small_doc()
    assert len(doc["paragraphs"]) == 2 and len(doc["sentences"]) == 3 and len(doc["quotes"]) == 2
    put("VALID-small-document", "corpus/d900.json", dumps(doc))
    put("VST001-truncated-json", "corpus/d900.json", dumps(doc)[:500])
    put("VST001-byte-order-mark", "corpus/d900.json", b"\xef\xbb\xbf" + dumps(doc).encode())
    d = copy.deepcopy(doc); del d["tokens"]
    put("VST002-missing-key", "corpus/d900.json", dumps(d))
    d = copy.deepcopy(doc); d["tokens"][0]["start"] = "0"
    put("VST002-string-offset", "corpus/d900.json", dumps(d))
    d = copy.deepcopy(doc); d["paragraphs"][0]["role"] = "footer"
    put("VST003-unknown-role", "corpus/d900.json", dumps(d))
    d = copy.deepcopy(doc); t = d["tokens"][-1]; t["end"] = len(d["text"]) + 3
    put("VST101-token-past-end", "corpus/d900.json", dumps(d))
    d = copy.deepcopy(doc); s = d["sentences"][0]; s["text"] = s["text"][:-1] + "!"
    put("VST102-sentence-text-drift", "corpus/d900.json", dumps(d))
    d = copy.deepcopy(doc); d["quotes"][1]["id"] = d["quotes"][0]["id"]
    put("VST103-duplicate-quote-id", "corpus/d900.json", dumps(d))
    d = copy.deepcopy(doc); d["paragraphs"][0]["id"] = "d901-p001"
    for s in d["sentences"]:
        if s["paragraph_id"] == "d900-p001":
            s["paragraph_id"] = "d901-p001"
    put("VST104-wrong-doc-prefix", "corpus/d900.json", dumps(d))
    d = copy.deepcopy(doc); d["tokens"][0], d["tokens"][1] = d["tokens"][1], d["tokens"][0]
    put("VST105-tokens-out-of-order", "corpus/d900.json", dumps(d))
    d = copy.deepcopy(doc); second = d["paragraphs"].pop()
    d["sentences"] = [s for s in d["sentences"] if s["paragraph_id"] != second["id"]]
    d["tokens"] = [t for t in d["tokens"] if t["end"] <= d["paragraphs"][0]["end"]]
    d["words"] = [w for w in d["words"] if w["end"] <= d["paragraphs"][0]["end"]]
    put("VST106-text-outside-paragraphs", "corpus/d900.json", dumps(d))
    d = copy.deepcopy(doc); d["sentences"][0]["paragraph_id"] = d["paragraphs"][1]["id"]
    put("VST107-sentence-in-wrong-paragraph", "corpus/d900.json", dumps(d))
    d = copy.deepcopy(doc); s0, s1 = d["sentences"][0], d["sentences"][1]
    gap = {"id": "d900-t99999", "start": s0["end"], "end": s1["start"], "text": d["text"][s0["end"]:s1["start"]]}
    d["tokens"].append(gap); d["tokens"].sort(key=lambda t: t["start"])
    put("VST108-token-between-sentences", "corpus/d900.json", dumps(d))
    d = copy.deepcopy(doc); w = next(w for w in d["words"] if len(w["token_ids"]) > 1); w["token_ids"] = w["token_ids"][:1]
    put("VST109-word-token-mismatch", "corpus/d900.json", dumps(d))
    put("VST110-text-not-nfc", "corpus/d900.json", dumps(small_doc(unicodedata.normalize("NFD", SMALL_TEXT))))
    put("VST111-control-character", "corpus/d900.json", dumps(small_doc(SMALL_TEXT.replace("tại", "tại\x07"))))
    seed = sorted((ROOT / "seeds").glob("004_*.txt"))[0]
    put("VST112-text-differs-from-seed", "corpus/d900.json", dumps(small_doc(seed_file=seed.name)))
    d = copy.deepcopy(doc); q = d["quotes"][0]; q["open_mark"] = "'"
    put("VST113-quote-mark-mismatch", "corpus/d900.json", dumps(d))


def seed_fixtures() -> None:
    src = ROOT / "seeds"
    meta = json.loads((src / "metadata.json").read_text(encoding="utf-8"))
    one = [m for m in meta["documents"] if m["id"] == "d004"]
    name = one[0]["file"]
    text = (src / name).read_bytes()
    sums = f"{hashlib.sha256(text).hexdigest()}  {name}\n"

    def seeds_dir(fixture: str, body: bytes, sums_text: str, docs: list) -> None:
        put(fixture, f"seeds/{name}", body)
        put(fixture, "seeds/SHA256SUMS", sums_text)
        put(fixture, "seeds/metadata.json", dumps({**meta, "documents": docs}))

    seeds_dir("VST010-tampered-seed", text.replace("Brussels".encode(), "Bruxelles".encode(), 1), sums, one)
    seeds_dir("VST011-seed-missing", text, sums + f"{'0' * 64}  005_0000000000000000.txt\n", one)
    bad_role = copy.deepcopy(one); bad_role[0]["paragraph_roles"][0]["paragraph"] = 3
    seeds_dir("VST012-role-on-wrong-paragraph", text, sums, bad_role)


def read_layer(layer: str, doc: str) -> list[dict]:
    path = ROOT / "annotations" / layer / f"{doc}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def entity_fixtures() -> None:
    ms = read_layer("entities", "d004")
    text = json.loads((ROOT / "corpus" / "d004.json").read_text(encoding="utf-8"))["text"]

    def put_ms(name: str, records: list[dict]) -> None:
        put(name, "annotations/entities/d004.jsonl", dumps_lines(records))

    d = copy.deepcopy(ms); d[0]["type"] = "PERSON"
    put_ms("VST003-unknown-entity-type", d)
    d = copy.deepcopy(ms); m = next(m for m in d if m["type"] == "DATE" and len(m["text"].split()[-1]) > 3)
    m["start"] = m["end"] - 3; m["text"] = text[m["start"]:m["end"]]
    put_ms("VST201-date-off-syllable", d)
    d = copy.deepcopy(ms); d[0]["entity"] = "atlantis"
    put_ms("VST202-unknown-registry-id", d)
    d = copy.deepcopy(ms); dup = dict(d[0], id="d004-M999"); d.append(dup)
    put_ms("VST203-duplicate-mention", d)
    d = copy.deepcopy(ms); per = next(m for m in d if m["type"] == "PER" and " " in m["text"])
    date = next(m for m in d if m["type"] == "DATE")
    start = text.rfind(" ", 0, per["start"] - 1) + 1
    end = per["start"] + per["text"].index(" ")
    d.append({"id": "d004-M998", "doc": "d004", "start": start, "end": end, "text": text[start:end], "type": "DATE", "entity": date["entity"], "flags": []})
    put_ms("VST204-crossing-mentions", d)
    d = copy.deepcopy(ms); g = next(m for m in d if m["type"] == "GPE" and not m["flags"]); g["type"] = "LOC"
    put_ms("VST205-type-differs-from-registry", d)
    d = copy.deepcopy(ms); d[0]["doc"] = "d999"
    put_ms("VST207-unknown-document", d)
    d = copy.deepcopy(ms); gone = next(m for m in d if m["type"] == "GPE" and m["text"] == "Nga"); d.remove(gone)
    put_ms("VST208-unannotated-alias", d)
    d = copy.deepcopy(ms); d[1]["id"] = "d003-M002"
    put_ms("VST104-mention-id-prefix", d)
    registry = json.loads((ROOT / "annotations" / "entities" / "registry.json").read_text(encoding="utf-8"))
    put("VST206-duplicate-registry-id", "annotations/entities/registry.json", dumps(registry + [registry[0]]))


def event_fixtures() -> None:
    evs = read_layer("events", "d004")
    ms = {m["id"]: m for m in read_layer("entities", "d004")}
    doc = json.loads((ROOT / "corpus" / "d004.json").read_text(encoding="utf-8"))

    def put_evs(name: str, records: list[dict]) -> None:
        put(name, "annotations/events/d004.jsonl", dumps_lines(records))

    with_args = next(e for e in evs if e["arguments"])
    d = copy.deepcopy(evs); e = next(x for x in d if x["id"] == with_args["id"]); e["arguments"][0]["ref"] = "d004-M999"
    put_evs("VST301-dangling-argument", d)
    d = copy.deepcopy(evs); e = next(x for x in d if " " in x["trigger"]["text"])
    cut = e["trigger"]["text"].index(" ")
    e["trigger"]["end"] = e["trigger"]["start"] + cut; e["trigger"]["text"] = e["trigger"]["text"][:cut]
    word = next(w for w in doc["words"] if w["start"] == e["trigger"]["start"])
    assert word["end"] != e["trigger"]["end"], "trigger prefix must not be a whole word"
    put_evs("VST302-trigger-inside-word", d)
    d = copy.deepcopy(evs); e = next(x for x in d if x["id"] == with_args["id"])
    sent = next(s for s in doc["sentences"] if s["start"] <= e["trigger"]["start"] < s["end"])
    far = next(m for m in ms.values() if m["start"] >= sent["end"] or m["end"] <= sent["start"])
    e["arguments"][0]["ref"] = far["id"]
    put_evs("VST303-argument-outside-sentence", d)
    d = copy.deepcopy(evs); d[0]["cluster"] = "no_such_cluster"
    put_evs("VST304-unknown-cluster", d)
    d = copy.deepcopy(evs); d.append(dict(copy.deepcopy(d[0]), id="d004-E999"))
    put_evs("VST305-duplicate-event", d)
    d = copy.deepcopy(evs); d[0]["realis"] = "MAYBE"
    put_evs("VST003-unknown-realis", d)


def stance_fixtures() -> None:
    sts = read_layer("stance", "d004")
    doc = json.loads((ROOT / "corpus" / "d004.json").read_text(encoding="utf-8"))
    ms = read_layer("entities", "d004")

    def put_sts(name: str, records: list[dict]) -> None:
        put(name, "annotations/stance/d004.jsonl", dumps_lines(records))

    held = [s for s in sts if s["holder"] != "AUTHOR"]
    d = copy.deepcopy(sts); next(s for s in d if s["id"] == held[0]["id"])["holder"] = "d004-M999"
    put_sts("VST401-dangling-holder", d)
    d = copy.deepcopy(sts); s = next(s for s in d if s["id"] == held[0]["id"])
    para = next(p for p in doc["paragraphs"] if p["start"] <= s["evidence"]["start"] < p["end"])
    other = next(m for m in ms if m["start"] >= para["end"])
    s["holder"] = other["id"]; s["exceptions"] = []
    put_sts("VST402-holder-in-other-paragraph", d)
    quoted = next(s for s in sts if s["source"] == "direct_quote")
    d = copy.deepcopy(sts); next(s for s in d if s["id"] == quoted["id"])["quote"] = None
    put_sts("VST403-quote-missing", d)
    d = copy.deepcopy(sts); s = next(s for s in d if s["id"] == held[0]["id"]); s["source"] = "author"
    put_sts("VST404-author-source-with-holder", d)
    d = copy.deepcopy(sts); d[0]["target"] = "world_peace"
    put_sts("VST003-unknown-stance-target", d)


def main() -> None:
    keep = {p.name for p in OUT.iterdir()} if OUT.exists() else set()
    for name in keep:
        if name.split("-")[0][:4] in {"VST0", "VST1", "VST2", "VST3", "VST4", "VALI"}:
            shutil.rmtree(OUT / name)
    corpus_fixtures()
    seed_fixtures()
    entity_fixtures()
    if (ROOT / "annotations" / "events" / "d004.jsonl").exists():
        event_fixtures()
    if (ROOT / "annotations" / "stance" / "d004.jsonl").exists():
        stance_fixtures()


if __name__ == "__main__":
    main()
