"""Write the known-bad Label Studio exports under tests/fixtures/invalid/VST5xx-*/.

Every fixture holds a small corpus document ``corpus/d900.json`` (with an emoji, a no-break
space and a quotation, so offsets differ between code points and UTF-16) and ``export.json``:
a Label Studio JSON export of that document, as the server writes it, with one tampering. The
tests overlay the document on a copy of the project and run
``visectalks ls import export.json --docs d900`` (plus the options in ``args.json`` if there is
one), expecting exactly the code in the folder name and no file written. Run from the project root: ``python scripts/make_labelstudio_fixtures.py``.
"""
from __future__ import annotations

import copy
import hashlib
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from visectalks.corpus import build_document  # noqa: E402
from visectalks.jsonio import dumps  # noqa: E402
from visectalks.labelstudio import make_task  # noqa: E402

OUT = ROOT / "tests" / "fixtures" / "invalid"
TEXT = "Nga 🇷🇺 và Mỹ\u00a0đàm phán ngày 10/1 tại Geneva. Ông Ryabkov nói: “Không có tiến triển 😐”.\nNATO họp ở Brussels."


def document() -> dict:
    meta = {"id": "d900", "file": "900_0000000000000000.txt", "sha256": hashlib.sha256(TEXT.encode()).hexdigest(), "paragraph_roles": []}
    return build_document(TEXT, meta)


def _span(doc: dict, text: str, nth: int = 0) -> tuple[int, int]:
    start = -1
    for _ in range(nth + 1):
        start = doc["text"].index(text, start + 1)
    return start, start + len(text)


def layers(doc: dict) -> dict[str, list[dict]]:
    def mention(n, text, type_, entity):
        s, e = _span(doc, text)
        return {"id": f"d900-M{n:03d}", "doc": "d900", "start": s, "end": e, "text": text, "type": type_, "entity": entity, "flags": []}

    mentions = [mention(1, "Nga", "GPE", "russia"), mention(2, "Mỹ", "GPE", "united_states"), mention(3, "Geneva", "GPE", "geneva"),
                mention(4, "Ryabkov", "PER", "sergei_ryabkov"), mention(5, "NATO", "ORG", "nato")]
    s, e = _span(doc, "đàm phán")
    event = {"id": "d900-E001", "doc": "d900", "trigger": {"start": s, "end": e, "text": "đàm phán"}, "type": "CONSULT", "realis": "ACTUAL",
             "cluster": None, "arguments": [{"role": "ACTOR", "ref": "d900-M001"}, {"role": "ACTOR", "ref": "d900-M002"}, {"role": "PLACE", "ref": "d900-M003"}]}
    quote = doc["quotes"][0]
    s, e = quote["start"] + 1, quote["end"] - 1
    stance = {"id": "d900-S001", "doc": "d900", "holder": "d900-M004", "target": "continued_dialogue", "polarity": "AGAINST", "source": "direct_quote",
              "evidence": {"start": s, "end": e, "text": doc["text"][s:e]}, "quote": quote["id"], "exceptions": []}
    return {"entities": mentions, "events": [event], "stance": [stance]}


def export(doc: dict, unit: str = "codepoint") -> list[dict]:
    """The document as Label Studio exports it after one annotator submitted it."""
    task = make_task(doc, layers(doc), "annotations", unit=unit)
    task["id"] = 41
    ann = task["annotations"][0]
    ann.update({"id": 7, "completed_by": 3, "created_at": "2026-01-10T09:00:00Z", "updated_at": "2026-01-10T09:30:00Z"})
    regions = {r["id"]: r for r in ann["result"] if r["type"] == "labels"}
    for r in ann["result"]:
        if r["type"] == "choices":      # Label Studio adds the region text to per-region choices
            r["value"]["text"] = regions[r["id"]]["value"]["text"]
    return [task]


def results(data: list) -> list[dict]:
    return data[0]["annotations"][0]["result"]


def find(data: list, rid: str, type_: str = "labels", from_name: str | None = None) -> dict:
    return next(r for r in results(data) if r.get("id") == rid and r["type"] == type_ and (from_name is None or r["from_name"] == from_name))


ARGS = {"VST508-split-surrogate": ["--offsets", "utf16"]}


def cases(doc: dict) -> dict[str, list]:
    base = export(doc)
    out = {}

    def case(name):
        data = copy.deepcopy(base)
        out[name] = data
        return data

    find(case("VST501-unknown-entity-label"), "d900-M004")["value"]["labels"] = ["PERSON"]
    find(case("VST502-offset-past-end"), "d900-M005")["value"]["end"] = 200
    find(case("VST503-region-text-drift"), "d900-M003")["value"]["text"] = "Genève"
    rel = next(r for r in results(case("VST504-dangling-relation")) if r["type"] == "relation")
    rel["to_id"] = "d900-M099"
    for r in results(case("VST505-duplicate-region-id")):      # M002 and everything attached to it becomes M001
        for key in ("id", "from_id", "to_id"):
            if r.get(key) == "d900-M002":
                r[key] = "d900-M001"
    case("VST506-unknown-document")[0]["data"]["doc"] = "d901"
    data = case("VST507-text-differs")
    data[0]["data"]["text"] = data[0]["data"]["text"].replace("Geneva.", "Geneva!")
    # offsets in UTF-16 units (--offsets utf16): the flag is two characters outside the BMP, four
    # units; "Nga" ends at 3 and 3 + 2 falls between the two halves of the first one
    data = out["VST508-split-surrogate"] = export(doc, "utf16")
    find(data, "d900-M001")["value"]["end"] += 2
    data = case("VST509-choice-on-entity")         # a realis given to an entity mention as well
    extra = copy.deepcopy(find(data, "d900-E001", "choices", "realis"))
    extra["id"] = "d900-M002"
    extra["value"].update({k: find(data, "d900-M002")["value"][k] for k in ("start", "end", "text")})
    results(data).append(extra)
    rel = next(r for r in results(case("VST510-relation-between-mentions")) if r["type"] == "relation")
    rel["from_id"] = "d900-M004"
    data = case("VST511-event-without-realis")
    results(data).remove(find(data, "d900-E001", "choices", "realis"))
    case("VST512-annotations-not-a-list")[0]["annotations"] = {"result": []}
    case("VST513-cancelled-only")[0]["annotations"][0]["was_cancelled"] = True
    data = case("VST514-two-tasks-one-document")
    data.append(copy.deepcopy(data[0]))
    data[1]["id"] = 42
    return out


def main() -> None:
    doc = document()
    for name, data in cases(doc).items():
        folder = OUT / name
        if folder.exists():
            shutil.rmtree(folder)
        (folder / "corpus").mkdir(parents=True)
        (folder / "corpus" / "d900.json").write_text(dumps(doc), encoding="utf-8")
        (folder / "export.json").write_text(dumps(data), encoding="utf-8")
        if name in ARGS:
            (folder / "args.json").write_text(dumps(ARGS[name]), encoding="utf-8")
        print(folder.relative_to(ROOT))


if __name__ == "__main__":
    main()
