"""Escaping and injection: hostile text is shown as text wherever the project renders it.

In a copy of the project one document's text is replaced by one that holds markup, entities,
both kinds of quotation marks and Label Studio-style ``$variables``, and there are hostile
strings in the seed
metadata, the registry and the clusters. After a full build the tests
parse what was generated (the viewer's HTML, the dataset card and datasheet, the label docs,
the Label Studio config and tasks, the brat files) and check that every hostile string is
there as text, and that none became markup, a table cell boundary or a variable. The label
inventory is read from the package's own ``schema/``, so a hostile label definition is given
to the generators that read it (label docs, Label Studio config) directly.
"""
from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

from visectalks.jsonio import dumps
from visectalks.paths import Layout

ROOT = Path(__file__).resolve().parent.parent
TEXT = ("Bài thử nghiệm <script>alert(\"xss\")</script> cùng &amp; và &lt;b&gt; không phải thẻ.\n"
        "Người viết dùng \"trích dẫn\" với 'nháy đơn' cùng $text và ${doc} lẫn {{text}} ở đây.\n")
NAME = "Al Jazeera <img src=x onerror=alert(1)> \"q\" 'a' $text | cột"
TITLE = "Tiêu đề <script>alert('t')</script> | cột & \"x\" $title"
DEFINITION = "Định nghĩa <b onmouseover=alert(1)>đậm</b> \"q\" 'a' $text ${title}"
CLUSTER = "Cụm sự kiện <iframe src=//x></iframe> \"q\" $text"
MARKUP = re.compile(r"<\s*(script|img|iframe|b)\b", re.I)


def _copy(dest: Path) -> Path:
    for name in ("seeds", "corpus", "schema", "annotations", "docs", "tests/fixtures"):
        if (ROOT / name).exists():
            shutil.copytree(ROOT / name, dest / name)
    for name in ("GUIDELINES.md", "README.md", "CHANGELOG.md", "CITATION.cff", "DATASHEET.md", "LICENSE", "LICENSE-annotations"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, dest / name)
    return dest


def _replace_document(root: Path, doc_id: str = "d004") -> None:
    """Give ``doc_id`` the hostile text (the release splits fix the set of documents) and drop its annotations."""
    data = TEXT.encode("utf-8")
    digest = hashlib.sha256(data).hexdigest()
    meta = json.loads((root / "seeds" / "metadata.json").read_text(encoding="utf-8"))
    record = next(d for d in meta["documents"] if d["id"] == doc_id)
    (root / "seeds" / record["file"]).unlink()
    name = f"{record['file'][:3]}_{digest[:16]}.txt"
    (root / "seeds" / name).write_bytes(data)
    sums = [line for line in (root / "seeds" / "SHA256SUMS").read_text(encoding="utf-8").splitlines() if record["file"] not in line]
    (root / "seeds" / "SHA256SUMS").write_text("\n".join(sums + [f"{digest}  {name}"]) + "\n", encoding="utf-8")
    record.update(file=name, sha256=digest, paragraph_roles=[])
    record["title"] = {"value": TITLE, "status": "stated", "reason": "Hostile " + TITLE}
    record["author"] = {"value": NAME, "status": "stated", "reason": "Hostile " + NAME}
    (root / "seeds" / "metadata.json").write_text(dumps(meta), encoding="utf-8")
    for path in (root / "annotations").rglob(f"{doc_id}.jsonl"):
        path.unlink()


def _hostile_side_files(root: Path) -> None:
    path = root / "annotations" / "entities" / "registry.json"
    registry = json.loads(path.read_text(encoding="utf-8"))
    registry[0]["name_en"] = NAME
    path.write_text(dumps(registry), encoding="utf-8")
    path = root / "annotations" / "events" / "clusters.json"
    clusters = json.loads(path.read_text(encoding="utf-8"))
    clusters[0]["description"] = CLUSTER
    path.write_text(dumps(clusters), encoding="utf-8")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Layout:
    root = _copy(tmp_path_factory.mktemp("hostile"))
    _replace_document(root)
    _hostile_side_files(root)
    run = subprocess.run([sys.executable, "-m", "visectalks.cli", "build", "--root", str(root), "--jobs", "1", "--quiet"],
                         capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return Layout(root)


# ---------------------------------------------------------------- HTML

class Page(HTMLParser):
    """Elements, attributes and text of one HTML page, as a browser would see them."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.in_script = False
        self.script_text = ""
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self.in_script = tag == "script"

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        self.in_script = False

    def handle_data(self, data):
        if self.in_script:
            self.script_text += data
        self.text.append(data)

    def attribute_values(self) -> list[str]:
        return [v or "" for _tag, attrs in self.tags for v in attrs.values()]


def _pages(hostile: Layout) -> dict[str, Page]:
    from visectalks.viewer import site

    return {name: Page(content) for name, content in site(hostile).items() if name.endswith(".html")}


def test_viewer_shows_hostile_text_as_text(hostile):
    pages = _pages(hostile)
    assert "d004.html" in pages
    for name, page in pages.items():
        for tag, attrs in page.tags:
            assert tag not in ("img", "iframe", "b"), (name, tag, attrs)
            assert not any(a.startswith("on") for a in attrs), (name, tag, attrs)
            if tag == "script":
                assert attrs.get("src"), f"{name}: inline script"
        assert not page.script_text.strip(), f"{name}: script element with content"
    shown = "".join(pages["d004.html"].text)
    for line in TEXT.splitlines():
        assert line in shown


def test_viewer_keeps_hostile_names_whole(hostile):
    pages = _pages(hostile)
    everywhere = "".join(t for p in pages.values() for t in p.text) + "".join(v for p in pages.values() for v in p.attribute_values())
    assert NAME in everywhere


# ---------------------------------------------------------------- Markdown

def _table_rows(markdown: str) -> list[list[str]]:
    """Rows of every Markdown table, split at unescaped pipes (outside code spans)."""
    tables, current = [], []
    for line in markdown.splitlines() + [""]:
        if line.startswith("|"):
            current.append(line)
        elif current:
            tables.append(current)
            current = []
    out = []
    for table in tables:
        width = len(re.split(r"(?<!\\)\|", re.sub(r"`[^`]*`", "", table[0])))
        for row in table:
            cells = re.split(r"(?<!\\)\|", re.sub(r"`[^`]*`", "", row))
            out.append([str(width), str(len(cells)), row[:120]])
    return out


def _markdown_problems(name: str, text: str) -> list[str]:
    out = [f"{name}: raw markup <{m}" for m in MARKUP.findall(text)]
    out += [f"{name}: a table row broken by a pipe: {row[2]}" for row in _table_rows(text) if row[0] != row[1]]
    return out


@pytest.mark.parametrize("rel", ["release/README.md", "DATASHEET.md"])
def test_markdown_documents_escape_markup_and_table_pipes(hostile, rel):
    text = (hostile.root / rel).read_text(encoding="utf-8")
    assert "alert(" in text, f"{rel} does not show the hostile metadata at all"
    assert not _markdown_problems(rel, text)


@pytest.fixture()
def hostile_inventory(tmp_path, monkeypatch):
    """The inventory with a hostile label definition, for the generators that read it."""
    from visectalks import inventory

    inv = json.loads(inventory.INVENTORY_PATH.read_text(encoding="utf-8"))
    inv["entity_types"][0]["definition"] = DEFINITION
    path = tmp_path / "inventory.json"
    path.write_text(dumps(inv), encoding="utf-8")
    inventory.load.cache_clear()
    monkeypatch.setattr(inventory, "INVENTORY_PATH", path)
    yield inv
    inventory.load.cache_clear()


def test_label_docs_escape_a_hostile_definition(hostile_inventory):
    from visectalks.docsgen import labels_md

    text = labels_md()
    assert "alert(1)" in text
    assert not _markdown_problems("docs/labels.md", text)


# ---------------------------------------------------------------- Label Studio

def _config_tree():
    pytest.importorskip("visectalks.labelstudio", reason="the Label Studio export is not part of this installation")
    from visectalks import labelstudio

    allowed = {"$title", "$" + labelstudio.TEXT, "$" + labelstudio.OUTLINE}
    return ET.fromstring(labelstudio.label_config()), allowed


def test_label_studio_config_keeps_markup_as_attribute_text(hostile_inventory):
    tree, _allowed = _config_tree()
    hints = [el.get("hint") or "" for el in tree.iter()]
    assert any("<b onmouseover=alert(1)>" in h for h in hints), "the definition is not in the config as attribute text"
    assert not [el for el in tree.iter() if el.tag.lower() in ("b", "script", "img")]


def test_label_studio_config_has_no_variables_but_its_own(hostile_inventory):
    tree, allowed = _config_tree()
    variables = {(el.tag, k, v) for el in tree.iter() for k, v in el.attrib.items() if re.search(r"\$\{?[A-Za-z_]", v)}
    assert {v for _t, _k, v in variables} <= allowed, f"hostile text became a variable: {sorted(variables)[:3]}"


def test_label_studio_config_variables_of_the_gold_inventory():
    """Without hostile input the config refers to the task's own fields only (the check can pass)."""
    tree, allowed = _config_tree()
    assert {v for el in tree.iter() for v in el.attrib.values() if re.search(r"\$\{?[A-Za-z_]", v)} == allowed


def test_label_studio_tasks_hold_the_text_unchanged(hostile):
    pytest.importorskip("visectalks.labelstudio", reason="the Label Studio export is not part of this installation")
    tasks = json.loads((hostile.release / "labelstudio" / "tasks.json").read_text(encoding="utf-8"))
    [task] = [t for t in tasks if t["data"]["doc"] == "d004"]
    assert task["data"]["text"] == TEXT
    assert all(isinstance(v, str) for v in task["data"].values())


# ---------------------------------------------------------------- brat and Croissant

def test_brat_lines_stay_lines(hostile):
    brat = hostile.release / "brat"
    assert (brat / "d004.txt").read_text(encoding="utf-8") == TEXT
    for ann in brat.glob("*.ann"):
        for line in ann.read_text(encoding="utf-8").splitlines():
            assert re.match(r"^[TERAN#][0-9]+\t", line), f"{ann.name}: {line[:80]!r}"


def test_croissant_is_json(hostile):
    json.loads((hostile.release / "croissant.json").read_text(encoding="utf-8"))
