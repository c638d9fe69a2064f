"""Label Studio round trip: the generated labeling config, tasks with their offsets, and back.

One combined config covers the three layers, because Label Studio relations only link regions
of the same annotation: event arguments and stance holders point at entity mentions, so the
mentions, the triggers and the evidence spans must live in one annotation. One task is one
document (stance holders may sit in the paragraph before the evidence).

Region ids are the annotation ids (``d001-M003``, ``d002-E004``, ``d004-S002``); per-region
choices and text areas share their region's id, as Label Studio does; event arguments and stance
holders are ``relation`` results.

Offsets: the project counts Python code points. Label Studio 1.23 stores and displays Text
offsets in code points too (measured with its own editor on a text with emoji: a span selected
after two astral-plane characters is saved at its code point index, and offsets given in UTF-16
units are drawn shifted), so the default unit at this boundary is ``codepoint``. Older
versions and other tools count UTF-16 code units, where a character outside the Basic
Multilingual Plane counts twice; ``unit="utf16"`` converts both ways. ``Offsets`` is the only
place where a conversion happens.

The import side (``labelstudio_import``) reads a Label Studio JSON export back into the standoff
files; ``parse_result`` below is its pure core, used by the property tests.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from xml.sax.saxutils import quoteattr

from . import inventory, schemas
from .errors import Problem, pointer

TEXT = "text"                     # the Text object tag: the document
OUTLINE = "paragraphs"            # a read-only outline of the paragraphs and their roles
EVIDENCE = "EVIDENCE"             # the one label of the stance control: a stance's evidence span
HOLDER = "HOLDER"                 # relation label: stance evidence -> its holder's mention
MODEL_VERSION = "visectalks-gold"

# Labels controls (``from_name`` of span regions): control -> (layer, inventory or fixed labels)
REGION_CONTROLS: dict[str, tuple[str, str | None]] = {
    "entity": ("entities", "entity_types"),
    "event": ("events", "event_types"),
    "stance": ("stance", None),
}
LAYER_CONTROL = {layer: control for control, (layer, _inv) in REGION_CONTROLS.items()}
ID_LETTER = {"entities": "M", "events": "E", "stance": "S"}


@dataclass(frozen=True)
class PerRegion:
    """A per-region control: a choice or a free text attached to one kind of region."""

    control: str        # from_name in results
    field: str          # the record field it fills
    region: str         # the Labels control whose regions it describes
    kind: str           # "choices" or "textarea"
    inventory: str | None
    multiple: bool
    required: bool
    title: str


PER_REGION: tuple[PerRegion, ...] = (
    PerRegion("entity_id", "entity", "entity", "textarea", None, False, True, "Registry id"),
    PerRegion("flags", "flags", "entity", "choices", "entity_flags", True, False, "Flags"),
    PerRegion("realis", "realis", "event", "choices", "realis", False, True, "Realis"),
    PerRegion("cluster", "cluster", "event", "textarea", None, False, False, "Cluster id (empty: none)"),
    PerRegion("target", "target", "stance", "choices", "stance_targets", False, True, "Target"),
    PerRegion("polarity", "polarity", "stance", "choices", "stance_polarities", False, True, "Polarity"),
    PerRegion("source", "source", "stance", "choices", "stance_sources", False, True, "Source"),
    PerRegion("quote", "quote", "stance", "textarea", None, False, False, "Quote id (empty: the quote around a direct quote)"),
    PerRegion("exceptions", "exceptions", "stance", "choices", "stance_exceptions", True, False, "Exceptions"),
)
PER_REGION_BY_FIELD = {p.field: p for p in PER_REGION}
REQUIRED = {control: tuple(p.field for p in PER_REGION if p.region == control and p.required) for control in REGION_CONTROLS}
PER_REGION_BY_CONTROL = {p.control: p for p in PER_REGION}
PANEL_TITLE = {"entity": "Entity mention", "event": "Event trigger", "stance": "Stance evidence"}

# Colours per control: strong hues for entity types, pale ones for event types (triggers are
# verbs and read better lightly marked), one dark yellow for stance evidence.
SHADES = {"entity": (0.62, 0.48), "event": (0.55, 0.78), "stance": (0.85, 0.40)}


def colour(control: str, k: int, n: int) -> str:
    import colorsys

    saturation, lightness = SHADES[control]
    hue = 0.13 if control == "stance" else (k / max(n, 1) + 0.02) % 1.0
    r, g, b = colorsys.hls_to_rgb(hue, lightness, saturation)
    return "#{:02x}{:02x}{:02x}".format(round(r * 255), round(g * 255), round(b * 255))


def region_labels(control: str) -> list[str]:
    """Label values of one Labels control, from the inventory (the stance control has one)."""
    inv = REGION_CONTROLS[control][1]
    return inventory.names(inv) if inv else [EVIDENCE]


def relation_labels() -> list[str]:
    return inventory.names("argument_roles") + [HOLDER]


def choice_values(p: PerRegion) -> list[str]:
    return inventory.names(p.inventory) if p.inventory else []


_KNOWN: list = [None, {}]     # the inventory the sets below were made from, and the sets


def _known(key: tuple, values) -> frozenset:
    """The values of ``values()`` as a set, made once per inventory (the import asks for them
    for every result)."""
    inv = inventory.load()
    if _KNOWN[0] is not inv:
        _KNOWN[:] = [inv, {}]
    found = _KNOWN[1].get(key)
    if found is None:
        found = _KNOWN[1][key] = frozenset(values())
    return found


def _is_label(value, key: tuple, values) -> bool:
    return isinstance(value, str) and value in _known(key, values)


def _is_region_label(value, control: str) -> bool:
    return _is_label(value, ("region", control), lambda: region_labels(control))


def _is_relation_label(value) -> bool:
    return _is_label(value, ("relation",), relation_labels)


def _is_choice(value, p: PerRegion) -> bool:
    return _is_label(value, ("choice", p.control), lambda: choice_values(p))


# ---------------------------------------------------------------- labeling config

def _definitions(kind: str | None) -> dict[str, str]:
    # "$" would make Label Studio read "$name" in a hint as a task variable: show a look-alike.
    return {item["name"]: item["definition"].replace("$", "\uff04") for item in inventory.load()[kind]} if kind else {}


def _attrs(**kw) -> str:
    return "".join(f" {k.rstrip('_')}={quoteattr(str(v))}" for k, v in kw.items() if v is not None)


def _labels_xml(control: str) -> list[str]:
    inv = REGION_CONTROLS[control][1]
    hints = _definitions(inv) if inv else {EVIDENCE: "The words that express the stance: a quotation or the text's report of a position."}
    out = [f"      <Labels{_attrs(name=control, toName=TEXT, showInline='true')}>"]
    labels = region_labels(control)
    for k, label in enumerate(labels):
        out.append(f"        <Label{_attrs(value=label, hint=hints.get(label), background=colour(control, k, len(labels)))}/>")
    out.append("      </Labels>")
    return out


def _per_region_xml(p: PerRegion) -> list[str]:
    # visibleWhen/whenTagName on the control itself also limits "required" to its own regions
    common = dict(name=p.control, toName=TEXT, perRegion="true", visibleWhen="region-selected", whenTagName=p.region,
                  required="true" if p.required else None,
                  requiredMessage=f"{PANEL_TITLE[p.region]}: {p.title.split(' (')[0]} is required." if p.required else None)
    out = [f"        <Header{_attrs(value=p.title, size='6')}/>"]
    if p.kind == "textarea":
        return out + [f"        <TextArea{_attrs(**common, editable='true', maxSubmissions='1', rows='1')}/>"]
    hints = _definitions(p.inventory)
    out.append(f"        <Choices{_attrs(**common, choice='multiple' if p.multiple else 'single-radio', showInline='true')}>")
    out += [f"          <Choice{_attrs(value=v, hint=hints.get(v))}/>" for v in choice_values(p)]
    out.append("        </Choices>")
    return out


STYLE = (".htx-text { white-space: pre-wrap; line-height: 1.7; } "
         ".vst-outline .htx-text { font-size: 85%; color: #444; }")


def label_config() -> str:
    """The Label Studio labeling config, generated from schema/inventory.json (never typed)."""
    out = ["<View>", f"  <Style>{STYLE}</Style>", f"  <Header{_attrs(value='$title')}/>",
           "  <View style=\"display: grid; grid-template-columns: minmax(0, 3fr) minmax(18em, 1fr); gap: 1em\">",
           "    <View>"]
    for control in REGION_CONTROLS:
        out += _labels_xml(control)
    out += [f"      <Text{_attrs(name=TEXT, value='$' + TEXT)}/>", "    </View>", "    <View>"]
    for control in REGION_CONTROLS:
        out.append(f"      <View{_attrs(visibleWhen='region-selected', whenTagName=control)}>")
        out.append(f"        <Header{_attrs(value=PANEL_TITLE[control], size='5')}/>")
        for p in PER_REGION:
            if p.region == control:
                out += _per_region_xml(p)
        out.append("      </View>")
    out += ["      <View className=\"vst-outline\">", f"        <Header{_attrs(value='Paragraphs and their roles', size='5')}/>",
            f"        <Text{_attrs(name=OUTLINE, value='$' + OUTLINE, selectionEnabled='false')}/>", "      </View>",
            "    </View>", "  </View>", "  <Relations>"]
    out += [f"    <Relation{_attrs(value=v)}/>" for v in relation_labels()]
    out += ["  </Relations>", "</View>", ""]
    return "\n".join(out)


# ---------------------------------------------------------------- offsets

UNITS = ("codepoint", "utf16")
DEFAULT_UNIT = "codepoint"       # what Label Studio 1.23 stores and displays


class Offsets:
    """Project offsets (code points) <-> Label Studio offsets of one text, in ``unit``.

    In UTF-16 a character outside the Basic Multilingual Plane is one code point but two units;
    an offset that falls between those two units splits the character and has no code point.
    """

    def __init__(self, text: str, unit: str = DEFAULT_UNIT):
        if unit not in UNITS:
            raise ValueError(f"unknown offset unit {unit!r}")
        self.text, self.unit = text, unit
        self.identity = unit == "codepoint" or not text or max(text) < "\U00010000"
        if self.identity:
            self.ls_len = len(text)
            return
        self._to_ls = [0]
        for ch in text:
            self._to_ls.append(self._to_ls[-1] + (2 if ord(ch) > 0xFFFF else 1))
        self._from_ls = {u: i for i, u in enumerate(self._to_ls)}
        self.ls_len = self._to_ls[-1]

    def to_ls(self, cp: int) -> int:
        return cp if self.identity else self._to_ls[cp]

    def from_ls(self, u: int) -> int | None:
        """Code point offset of Label Studio offset ``u``, or None if ``u`` splits a surrogate pair."""
        if self.identity:
            return u
        return self._from_ls.get(u)


# ---------------------------------------------------------------- export

def outline(doc: dict) -> str:
    """One line per paragraph: number, role, opening words; shown next to the text."""
    lines = []
    for n, p in enumerate(doc["paragraphs"], start=1):
        role = p["role"] if p["role"] == "body" else p["role"].upper()
        words = p["text"] if len(p["text"]) <= 70 else p["text"][:70].rsplit(" ", 1)[0] + " …"
        lines.append(f"¶{n} {role}: {words}")
    return "\n".join(lines)


def _relation(from_id: str, to_id: str, label: str) -> dict:
    return {"from_id": from_id, "to_id": to_id, "type": "relation", "direction": "right", "labels": [label]}


def task_result(doc: dict, layers: dict[str, list[dict]], unit: str = DEFAULT_UNIT) -> list[dict]:
    """The Label Studio result list of one document's annotations (all layers)."""
    text, off = doc["text"], Offsets(doc["text"], unit)
    to_ls = (lambda x: x) if off.identity else off.to_ls
    out: list[dict] = []
    relations: list[dict] = []

    def region(rid: str, control: str, label: str, s: int, e: int, a: int, b: int) -> None:
        out.append({"id": rid, "from_name": control, "to_name": TEXT, "type": "labels",
                    "value": {"start": a, "end": b, "text": text[s:e], "labels": [label]}})

    def attached(rid: str, p: PerRegion, a: int, b: int, values: list[str]) -> None:
        out.append({"id": rid, "from_name": p.control, "to_name": TEXT, "type": p.kind,
                    "value": {"start": a, "end": b, "text" if p.kind == "textarea" else "choices": list(values)}})

    P = PER_REGION_BY_FIELD

    for m in layers.get("entities", []):
        rid, s, e = m["id"], m["start"], m["end"]
        a, b = to_ls(s), to_ls(e)
        region(rid, "entity", m["type"], s, e, a, b)
        attached(rid, P["entity"], a, b, [m["entity"]])
        if m["flags"]:
            attached(rid, P["flags"], a, b, m["flags"])
    for ev in layers.get("events", []):
        rid, s, e = ev["id"], ev["trigger"]["start"], ev["trigger"]["end"]
        a, b = to_ls(s), to_ls(e)
        region(rid, "event", ev["type"], s, e, a, b)
        attached(rid, P["realis"], a, b, [ev["realis"]])
        if ev["cluster"] is not None:
            attached(rid, P["cluster"], a, b, [ev["cluster"]])
        relations += [_relation(rid, arg["ref"], arg["role"]) for arg in ev["arguments"]]
    for st in layers.get("stance", []):
        rid, s, e = st["id"], st["evidence"]["start"], st["evidence"]["end"]
        a, b = to_ls(s), to_ls(e)
        region(rid, "stance", EVIDENCE, s, e, a, b)
        for name in ("target", "polarity", "source"):
            attached(rid, P[name], a, b, [st[name]])
        if st["quote"] is not None:
            attached(rid, P["quote"], a, b, [st["quote"]])
        if st["exceptions"]:
            attached(rid, P["exceptions"], a, b, st["exceptions"])
        if st["holder"] != "AUTHOR":
            relations.append(_relation(rid, st["holder"], HOLDER))
    return out + relations


def task_data(doc: dict) -> dict:
    n = len(doc["paragraphs"])
    return {"doc": doc["id"], "title": f"{doc['id']} · {n} paragraphs", TEXT: doc["text"], OUTLINE: outline(doc)}


def make_task(doc: dict, layers: dict[str, list[dict]], as_: str = "predictions", model_version: str = MODEL_VERSION,
              unit: str = DEFAULT_UNIT) -> dict:
    """One Label Studio task: the document and its annotations as pre-annotations or annotations."""
    result = task_result(doc, layers, unit)
    if as_ == "annotations":
        return {"data": task_data(doc), "annotations": [{"result": result, "ground_truth": False, "was_cancelled": False}]}
    return {"data": task_data(doc), "predictions": [{"model_version": model_version, "result": result}]}


# ---------------------------------------------------------------- import: one result list

@dataclass
class Where:
    """Where a result list sits in an export, for problems: file, task, JSON pointer prefix."""

    file: str
    task_index: int
    task_id: object
    base: tuple = ()          # e.g. ("annotations", 0) or ("predictions", 0)

    def at(self, code: str, index: int | None, rid: object, message: str, *tail) -> Problem:
        parts = (self.task_index, *self.base) + (("result", index, *tail) if index is not None else tail)
        record = f"task {self.task_id}" + (f" region {rid}" if rid not in (None, "") else "")
        return Problem(code, self.file, record, pointer(*parts), message)


@dataclass
class Parsed:
    """Records of one document read from one result list, with their Label Studio region ids.

    ``records[layer]`` are dicts in schema key order whose ``id`` is still the region id;
    ``index[region id]`` is the position of the region's result, for problems and provenance.
    """

    records: dict[str, list[dict]] = field(default_factory=lambda: {layer: [] for layer in ID_LETTER})
    index: dict[str, int] = field(default_factory=dict)


def _keys(name: str) -> list[str]:
    return list(schemas.ALL[name]()["properties"])


RECORD_KEYS = {"entities": _keys("entity"), "events": _keys("event"), "stance": _keys("stance")}


def _is_int(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _span(item: dict, k: int, off: Offsets, where: Where, rid, need_text: bool) -> tuple[tuple[int, int] | None, list[Problem]]:
    value = item.get("value")
    s_ls, e_ls = value.get("start"), value.get("end")
    if type(s_ls) is int and type(e_ls) is int and off.identity and 0 <= s_ls < e_ls <= off.ls_len:  # the common case
        if need_text and value.get("text") != off.text[s_ls:e_ls]:
            return None, [where.at("VST503", k, rid, f"region text {str(value.get('text'))[:40]!r} differs from the document text {off.text[s_ls:e_ls][:40]!r}", "value", "text")]
        return (s_ls, e_ls), []
    if not (_is_int(s_ls) and _is_int(e_ls) and 0 <= s_ls < e_ls <= off.ls_len):
        return None, [where.at("VST502", k, rid, f"offsets [{s_ls}, {e_ls}) are not inside a text of {off.ls_len} {off.unit} units with start < end", "value")]
    s, e = off.from_ls(s_ls), off.from_ls(e_ls)
    if s is None or e is None:
        bad = s_ls if s is None else e_ls
        return None, [where.at("VST508", k, rid, f"UTF-16 offset {bad} falls between the two halves of a surrogate pair", "value", "start" if s is None else "end")]
    if need_text and value.get("text") != off.text[s:e]:
        return None, [where.at("VST503", k, rid, f"region text {str(value.get('text'))[:40]!r} differs from the document text {off.text[s:e][:40]!r}", "value", "text")]
    return (s, e), []


def _classify(result: list, where: Where) -> tuple[list, list, list, dict, list[Problem]]:
    """Split results into span regions, per-region values and relations; ids of unknown controls
    are returned too, so that what hangs on them is not reported again."""
    regions, attached, relations, unknown, problems = [], [], [], {}, []
    for k, item in enumerate(result):
        if not isinstance(item, dict):
            problems.append(where.at("VST512", k, None, "a result is not an object"))
            continue
        kind = item.get("type")
        if kind == "relation":
            relations.append((k, item))
            continue
        if not isinstance(item.get("value"), dict) or not isinstance(item.get("id"), str) or not item["id"]:
            problems.append(where.at("VST512", k, item.get("id"), "a region result needs a string id and a value object"))
            continue
        name = item.get("from_name")
        if kind == "labels" and name in REGION_CONTROLS:
            regions.append((k, item))
        elif kind in ("choices", "textarea") and name in PER_REGION_BY_CONTROL and PER_REGION_BY_CONTROL[name].kind == kind:
            attached.append((k, item))
        else:
            problems.append(where.at("VST501", k, item["id"], f"control {name!r} of type {kind!r} is not in the labeling config", "from_name"))
            unknown.setdefault(item["id"], k)
    return regions, attached, relations, unknown, problems


def _read_regions(regions: list, off: Offsets, where: Where) -> tuple[dict[str, dict], list[Problem]]:
    """Span regions by id: control, label, code point span, result index.

    A region with a problem stays in the table marked broken, so that its per-region values and
    relations are not reported again as orphans.
    """
    found: dict[str, dict] = {}
    problems: list[Problem] = []
    for k, item in regions:
        rid, control = item["id"], item["from_name"]
        if rid in found:
            problems.append(where.at("VST505", k, rid, f"region id {rid!r} is used by two regions (results {found[rid]['index']} and {k})", "id"))
            found[rid]["broken"] = True     # its choices and relations cannot be told apart
            continue
        found[rid] = {"control": control, "broken": True, "index": k}     # until it proves sound
        labels = item["value"].get("labels")
        if not isinstance(labels, list) or len(labels) != 1:
            problems.append(where.at("VST511", k, rid, "a region needs exactly one label", "value", "labels"))
            continue
        if not _is_region_label(labels[0], control):
            problems.append(where.at("VST501", k, rid, f"label {labels[0]!r} is not in the inventory of {control!r}", "value", "labels", 0))
            continue
        span, found_problems = _span(item, k, off, where, rid, need_text=True)
        problems += found_problems
        if span:
            found[rid] = {"control": control, "label": labels[0], "start": span[0], "end": span[1], "index": k}
    return found, problems


REJECTED = "__rejected__"     # marks a region whose per-region values had a problem (reported once)


def _read_attached(attached: list, regions: dict, off: Offsets, where: Where) -> tuple[dict[str, dict], list[Problem]]:
    """Per-region values by region id and field: (values, result index)."""
    values: dict[str, dict] = {}
    problems: list[Problem] = []
    for k, item in attached:
        rid, p = item["id"], PER_REGION_BY_CONTROL[item["from_name"]]
        region = regions.get(rid)
        if region is not None and region.get("broken"):
            continue
        if region is None or region["control"] != p.region:
            what = "no region" if region is None else f"a {region['control']} region"
            problems.append(where.at("VST509", k, rid, f"{p.field!r} belongs to {p.region} regions but id {rid!r} names {what}", "id"))
            continue
        own = values.setdefault(rid, {})
        got, found = _attached_value(item, k, p, region, off, where)
        if not found and p.field in own:
            found = [where.at("VST511", k, rid, f"{p.field!r} is given twice for one region", "from_name")]
        if found:
            problems += found
            own[REJECTED] = True
            continue
        own[p.field] = (got, k)
    return values, problems


def _attached_value(item: dict, k: int, p: PerRegion, region: dict, off: Offsets, where: Where) -> tuple[list[str], list[Problem]]:
    rid, value = item["id"], item["value"]
    s_ls, e_ls = value.get("start"), value.get("end")
    # the region's own offsets (checked with the region) need no second check
    same = off.identity and type(s_ls) is int and type(e_ls) is int and s_ls == region["start"] and e_ls == region["end"]
    if not same:
        span, found = _span(item, k, off, where, rid, need_text=False)
        if found or span != (region["start"], region["end"]):
            return [], [where.at("VST509", k, rid, f"{p.field!r} offsets differ from its region's", "value")]
    key = "text" if p.kind == "textarea" else "choices"
    got = value.get(key)
    if not isinstance(got, list) or not all(type(v) is str or isinstance(v, str) for v in got):
        return [], [where.at("VST512", k, rid, f"value.{key} must be a list of strings", "value", key)]
    if p.kind == "choices":
        bad = [v for v in got if not _is_choice(v, p)]
        if bad:
            return [], [where.at("VST501", k, rid, f"{bad[0]!r} is not a {p.field} label", "value", "choices", got.index(bad[0]))]
    else:
        got = [v.strip() for v in got if v.strip()]
    if not p.multiple and len(got) > 1:
        return [], [where.at("VST511", k, rid, f"{p.field!r} takes one value, got {len(got)}", "value", key)]
    return got, []


def _read_relations(relations: list, regions: dict, where: Where) -> tuple[dict[str, list], list[Problem]]:
    """Relations grouped by their event or stance region: [(label, entity region id, index)]."""
    links: dict[str, list] = {}
    problems: list[Problem] = []
    for k, item in relations:
        ends = (item.get("from_id"), item.get("to_id"))
        missing = [x for x in ends if x not in regions]
        if missing:
            problems.append(where.at("VST504", k, missing[0], f"relation points at region {missing[0]!r}, which does not exist", "from_id" if missing[0] == ends[0] else "to_id"))
            continue
        if any(regions[x].get("broken") for x in ends):
            continue
        labels = item.get("labels") or []
        if not isinstance(labels, list) or len(labels) > 1:
            problems.append(where.at("VST510", k, ends[0], "a relation takes at most one label", "labels"))
            continue
        if labels and not _is_relation_label(labels[0]):
            problems.append(where.at("VST501", k, ends[0], f"relation label {labels[0]!r} is not in the inventory", "labels", 0))
            continue
        controls = {regions[x]["control"]: x for x in ends}
        head = next((c for c in ("event", "stance") if c in controls), None)
        if len(controls) != 2 or "entity" not in controls or head is None:
            kinds = " and ".join(regions[x]["control"] for x in ends)
            problems.append(where.at("VST510", k, ends[0], f"a relation links an event or a stance to an entity mention, not {kinds}"))
            continue
        label = labels[0] if labels else (HOLDER if head == "stance" else None)
        if label is None:
            problems.append(where.at("VST511", k, controls[head], "an argument relation needs its role as label", "labels"))
            continue
        if (head == "stance") != (label == HOLDER):
            problems.append(where.at("VST510", k, controls[head], f"relation label {label!r} does not fit a {head} region (events take argument roles, stances {HOLDER})", "labels"))
            continue
        links.setdefault(controls[head], []).append((label, controls["entity"], k))
    return links, problems


def _one(values: dict, name: str, default=None):
    got = values.get(name)
    return got[0][0] if got and got[0] else default


def _build(regions: dict, values: dict, links: dict, text: str, doc_id: str, where: Where) -> tuple[Parsed, list[Problem]]:
    parsed = Parsed()
    problems: list[Problem] = []
    for rid, r in regions.items():
        if r.get("broken"):
            continue
        vals, s, e = values.get(rid, {}), r["start"], r["end"]
        if vals.get(REJECTED):
            continue
        missing = [name for name in REQUIRED[r["control"]] if not _one(vals, name)]
        if missing:
            problems.append(where.at("VST511", r["index"], rid, f"{r['control']} region has no {missing[0]!r}"))
            continue
        span = {"start": s, "end": e, "text": text[s:e]}
        if r["control"] == "entity":
            rec = {"id": rid, "doc": doc_id, **span, "type": r["label"], "entity": _one(vals, "entity"), "flags": list(vals.get("flags", ([], 0))[0])}
        elif r["control"] == "event":
            args = [{"role": role, "ref": ref} for role, ref, _k in links.get(rid, [])]
            rec = {"id": rid, "doc": doc_id, "trigger": span, "type": r["label"], "realis": _one(vals, "realis"),
                   "cluster": _one(vals, "cluster"), "arguments": args}
        else:
            holders = links.get(rid, [])
            if len(holders) > 1:
                problems.append(where.at("VST510", holders[1][2], rid, "a stance has more than one holder relation"))
                continue
            rec = {"id": rid, "doc": doc_id, "holder": holders[0][1] if holders else "AUTHOR", "target": _one(vals, "target"),
                   "polarity": _one(vals, "polarity"), "source": _one(vals, "source"), "evidence": span,
                   "quote": _one(vals, "quote"), "exceptions": list(vals.get("exceptions", ([], 0))[0])}
        layer = REGION_CONTROLS[r["control"]][0]
        parsed.records[layer].append({k: rec[k] for k in RECORD_KEYS[layer]})
        parsed.index[rid] = r["index"]
    return parsed, problems


def parse_result(result, doc: dict, where: Where, unit: str = DEFAULT_UNIT) -> tuple[Parsed, list[Problem]]:
    """Read one annotation's result list against its corpus document (ids not yet assigned)."""
    if not isinstance(result, list):
        return Parsed(), [where.at("VST512", None, None, "result must be a list", "result")]
    off = Offsets(doc["text"], unit)
    regions_raw, attached, relations, unknown, problems = _classify(result, where)
    regions, found = _read_regions(regions_raw, off, where)
    problems += found
    for rid, k in unknown.items():
        regions.setdefault(rid, {"control": None, "broken": True, "index": k})
    values, found = _read_attached(attached, regions, off, where)
    problems += found
    links, found = _read_relations(relations, regions, where)
    problems += found
    parsed, found = _build(regions, values, links, doc["text"], doc["id"], where)
    return parsed, problems + found


# ---------------------------------------------------------------- ids

def id_number(rid: str, doc_id: str, letter: str) -> int | None:
    """n of an id ``<doc_id>-<letter><n>`` (ASCII digits), else None."""
    if not isinstance(rid, str):
        m = re.fullmatch(rf"{re.escape(doc_id)}-{letter}([0-9]+)", rid)  # refuses it as it always did
        return int(m.group(1)) if m else None
    prefix = f"{doc_id}-{letter}"
    if not rid.startswith(prefix):
        return None
    digits = rid[len(prefix):]
    return int(digits) if digits and digits.isascii() and digits.isdigit() else None


def assign_ids(parsed: Parsed, doc_id: str, floor: dict[str, int]) -> tuple[dict[str, list[dict]], dict[str, str], set[str]]:
    """Give project ids to regions that do not have one; rewrite references; keep the order.

    A region whose id is already ``<doc>-<letter><n>`` for its layer keeps it (ids survive the
    round trip). Others (drawn in Label Studio) get the next free number after ``floor[layer]``
    and after every id in the import, in text order. Records keep the order of the result list
    (the export writes them in file order); new ones are placed in text order among them.
    Returns the records, the map from region ids to record ids and the set of fresh ids.
    """
    rename: dict[str, str] = {}
    fresh: set[str] = set()
    for layer, letter in ID_LETTER.items():
        recs = parsed.records[layer]
        kept = [id_number(r["id"], doc_id, letter) for r in recs]
        top = max([floor.get(layer, 0)] + [n for n in kept if n is not None])
        new = sorted((r for r, n in zip(recs, kept) if n is None), key=lambda r: (_start(r), _end(r), r["id"]))
        for r in new:
            top += 1
            rename[r["id"]] = f"{doc_id}-{letter}{top:03d}"
            fresh.add(rename[r["id"]])
    out: dict[str, list[dict]] = {}
    for layer in ID_LETTER:
        if not rename:  # every region kept its id: copies, in the file's order
            if layer == "events":
                out[layer] = [dict(r, arguments=[dict(a) for a in r["arguments"]]) for r in parsed.records[layer]]
            else:
                out[layer] = [dict(r) for r in parsed.records[layer]]
            continue
        recs = []
        for r in parsed.records[layer]:
            r = dict(r, id=rename.get(r["id"], r["id"]))
            if layer == "events":
                r["arguments"] = [dict(a, ref=rename.get(a["ref"], a["ref"])) for a in r["arguments"]]
            if layer == "stance" and r["holder"] != "AUTHOR":
                r["holder"] = rename.get(r["holder"], r["holder"])
            recs.append(r)
        out[layer] = place([r for r in recs if r["id"] not in fresh], [r for r in recs if r["id"] in fresh])
    return out, rename, fresh


def place(ordered: list[dict], extra: list[dict]) -> list[dict]:
    """``ordered`` as it is (the file's own order survives), ``extra`` inserted in text order.

    Each extra record goes before the first record that starts after it (or starts with it and
    ends after it), so records drawn in Label Studio land where they are in the text.
    """
    out = list(ordered)
    for r in sorted(extra, key=lambda r: (_start(r), _end(r))):
        at = next((i for i, x in enumerate(out) if (_start(x), _end(x)) > (_start(r), _end(r))), len(out))
        out.insert(at, r)
    return out


def _start(r: dict) -> int:
    return r["start"] if "start" in r else (r.get("trigger") or r.get("evidence"))["start"]


def _end(r: dict) -> int:
    return r["end"] if "end" in r else (r.get("trigger") or r.get("evidence"))["end"]


def fill_quotes(records: dict[str, list[dict]], doc: dict) -> None:
    """A direct-quote stance left without a quote id gets the innermost quote around its evidence."""
    for st in records.get("stance", []):
        if st["quote"] is None and st["source"] == "direct_quote":
            ev = st["evidence"]
            around = [q for q in doc["quotes"] if q["start"] < ev["start"] and ev["end"] < q["end"]]
            if around:
                st["quote"] = min(around, key=lambda q: q["end"] - q["start"])["id"]


# ---------------------------------------------------------------- command line and build

def register(sub, add) -> None:
    from . import labelstudio_cli

    labelstudio_cli.register(sub, add)


def build_outputs(layout) -> dict:
    """release/labelstudio/config.xml and tasks.json (the gold as pre-annotations)."""
    from .jsonio import dumps
    from .layers import load_tree

    tree = load_tree(layout)
    tasks = [make_task(tree.docs[d], {layer: tree.layers[layer].get(d, []) for layer in ID_LETTER}) for d in sorted(tree.docs)]
    base = layout.release / "labelstudio"
    return {base / "config.xml": label_config(), base / "tasks.json": dumps(tasks)}
