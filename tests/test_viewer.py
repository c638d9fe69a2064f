"""The static viewer: markup checks in Python, behaviour checks in headless Chromium.

The browser tests use Debian's ``chromium`` (scripts/setup_system.sh installs it) through
Playwright; nothing is downloaded. They are required in CI (``CI`` set): there a missing
browser fails the run. Elsewhere they are skipped, with the reason, when Chromium is absent.
"""
from __future__ import annotations

import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from visectalks import viewer
from visectalks.cli import main
from visectalks.corpus import build_document
from visectalks.paths import layout as layout_of

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
KIND_LAYER = {"ent": "entities", "evt": "events", "stn": "stance"}

HOSTILE = ('Nga nói <script>window.__pwned = 1</script> & "NATO" <b>đậm</b>.\n'
           'Ảnh: <img src=x onerror="window.__pwned=2"> Mỹ.')


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def records(root: Path, layer: str, doc_id: str) -> list[dict]:
    path = root / "annotations" / layer / f"{doc_id}.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def add_hostile_document(root: Path) -> dict:
    """A document whose text is markup, with one annotation of each layer, in a project copy."""
    meta = {"id": "d005", "file": "005_0000000000000000.txt", "sha256": "0" * 64,
            "paragraph_roles": [{"paragraph": 2, "role": "caption", "starts_with": "Ảnh", "reason": "test"}]}
    doc = build_document(HOSTILE, meta)
    (root / "corpus" / "d005.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")

    def at(s: str) -> dict:
        i = HOSTILE.index(s)
        return {"start": i, "end": i + len(s), "text": s}

    layers = {
        "entities": [{"id": "d005-M001", "doc": "d005", **at("Nga"), "type": "GPE", "entity": "russia", "flags": []},
                     {"id": "d005-M002", "doc": "d005", **at("NATO"), "type": "ORG", "entity": "nato", "flags": []}],
        "events": [{"id": "d005-E001", "doc": "d005", "trigger": at("nói"), "type": "CONSULT", "realis": "ACTUAL", "cluster": None,
                    "arguments": [{"role": "ACTOR", "ref": "d005-M001"}]}],
        "stance": [{"id": "d005-S001", "doc": "d005", "holder": "d005-M001", "target": "continued_dialogue", "polarity": "AGAINST",
                    "source": "reported", "evidence": at('<script>window.__pwned = 1</script> & "NATO" <b>đậm</b>'), "quote": None, "exceptions": []}],
    }
    for layer, recs in layers.items():
        path = root / "annotations" / layer / "d005.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs), encoding="utf-8")
    return doc


@pytest.fixture(scope="module")
def site_dir(tmp_path_factory, root):
    """The site built by the command from a project copy that holds the hostile document."""
    import shutil

    base = tmp_path_factory.mktemp("viewer")
    copy = base / "project"
    for name in ("seeds", "corpus", "schema", "annotations"):
        shutil.copytree(root / name, copy / name)
    add_hostile_document(copy)
    out = base / "site"
    assert main(["view", "--root", str(copy), "--out", str(out), "--quiet"]) == 0
    return out, copy


# ---------------------------------------------------------------- markup (no browser)

class Tags(HTMLParser):
    """Checks that tags nest and collects the text of every element carrying data-id."""

    VOID = {"meta", "link", "input", "br", "img"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str | None]] = []
        self.texts: dict[str, str] = {}
        self.heads: dict[str, int] = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in self.VOID:
            return
        self.stack.append((tag, a.get("data-id")))
        if a.get("data-id") and a.get("id") == a.get("data-id"):
            self.heads[a["data-id"]] = self.heads.get(a["data-id"], 0) + 1

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1][0] == tag, f"</{tag}> does not close {self.stack[-1:]}"
        self.stack.pop()

    def handle_data(self, data):
        for ident in {i for _, i in self.stack if i}:
            self.texts[ident] = self.texts.get(ident, "") + data


def test_render_text_nests_crossing_marks_and_keeps_the_text():
    text = "abcdefghij"
    marks = [viewer.Mark(0, 6, "stn", "S1", "s"), viewer.Mark(4, 9, "ent", "M1", "m", link="registry.html#entity-x"),
             viewer.Mark(5, 7, "evt", "E1", "e"), viewer.Mark(2, 3, "ent", "M2", "m2")]
    out = viewer.render_text(text, 0, 10, marks, set())
    parser = Tags()
    parser.feed(f"<p>{out}</p>")
    assert parser.stack == []
    assert re.sub(r"<[^>]+>", "", out) == text
    assert parser.texts == {"S1": "abcdef", "M1": "efghi", "E1": "fg", "M2": "c"}
    assert parser.heads == {"S1": 1, "M1": 1, "E1": 1, "M2": 1}
    assert out.count('class="reglink"') == 1 and 'i<a class="reglink" href="registry.html#entity-x"' in out


def test_every_page_nests_and_every_annotation_has_one_head_with_its_text(site_dir):
    out, copy = site_dir
    for page in sorted(out.glob("d*.html")):
        doc_id = page.stem
        parser = Tags()
        parser.feed(page.read_text(encoding="utf-8"))
        assert parser.stack == []
        expected = {}
        for layer, key in (("entities", None), ("events", "trigger"), ("stance", "evidence")):
            for r in records(copy, layer, doc_id):
                expected[r["id"]] = (r[key] if key else r)["text"]
        assert {i: parser.texts.get(i) for i in expected} == expected
        assert parser.heads == {i: 1 for i in expected}


def test_hostile_text_is_escaped_in_the_markup(site_dir):
    out, _ = site_dir
    page = (out / "d005.html").read_text(encoding="utf-8")
    assert "<script>window" not in page and "<img" not in page and "<b>" not in page
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in page
    assert page.count("<script") == 1  # viewer.js only


def test_links_resolve_within_the_site(site_dir):
    out, _ = site_dir
    ids = {p.name: set(re.findall(r'\bid="([^"]+)"', p.read_text(encoding="utf-8"))) for p in out.glob("*.html")}
    links = 0
    for page in out.glob("*.html"):
        for target in re.findall(r'href="([^"#:]+\.html)(?:#([^"]*))?"', page.read_text(encoding="utf-8")):
            name, frag = target
            assert name in ids, f"{page.name} links to missing {name}"
            assert not frag or frag in ids[name], f"{page.name} links to missing #{frag} in {name}"
            links += 1
    assert links > 0


def test_site_is_deterministic(site_dir):
    out, copy = site_dir
    again = viewer.site(layout_of(copy))
    assert again == {p.name: p.read_text(encoding="utf-8") for p in out.iterdir()}


# ---------------------------------------------------------------- browser

@pytest.fixture(scope="module")
def browser():
    reason = None
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing (install Debian's chromium: scripts/setup_system.sh)"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        reason = "the playwright Python package is not installed (pip install -e '.[test]')"
    if reason:
        if in_ci():
            pytest.fail(f"browser test required in CI: {reason}")
        pytest.skip(f"browser test needs Chromium: {reason}")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture()
def open_page(browser):
    """Open a site page; after the test, fail on any console error, page error or failed request."""
    problems: list[str] = []
    pages = []

    def _open(path: Path):
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        pages.append(page)
        return page

    yield _open
    for page in pages:
        page.close()
    assert problems == []


COUNT_JS = """() => {
  const out = {};
  for (const kind of ['ent', 'evt', 'stn']) {
    out[kind] = document.querySelectorAll(`main [data-kind=${kind}]:not(.cont)`).length;
  }
  const texts = {};
  document.querySelectorAll('main [data-id]').forEach(el => {
    texts[el.dataset.id] = (texts[el.dataset.id] || '') + el.textContent;
  });
  out.texts = texts;
  return out;
}"""


def test_highlight_counts_equal_annotation_counts(site_dir, open_page):
    out, copy = site_dir
    docs = sorted(p.stem for p in (copy / "corpus").glob("d*.json"))
    seen = {kind: 0 for kind in KIND_LAYER}
    for doc_id in docs:
        page = open_page(out / f"{doc_id}.html")
        got = page.evaluate(COUNT_JS)
        for kind, layer in KIND_LAYER.items():
            recs = records(copy, layer, doc_id)
            assert got[kind] == len(recs), (doc_id, kind)
            seen[kind] += len(recs)
            for r in recs:
                span = r.get("trigger") or r.get("evidence") or r
                assert got["texts"][r["id"]] == span["text"], r["id"]
    assert all(seen.values()), f"a layer has no annotations to show: {seen}"


def test_index_counts_equal_the_annotation_files(site_dir, open_page):
    out, copy = site_dir
    page = open_page(out / "index.html")
    rows = page.evaluate("""() => Array.from(document.querySelectorAll('tbody tr')).filter(r => r.querySelector('a')).map(r =>
        [r.querySelector('a').textContent, Object.fromEntries(Array.from(r.querySelectorAll('[data-count]')).map(c => [c.dataset.count, +c.textContent]))])""")
    assert [d for d, _ in rows] == sorted(p.stem for p in (copy / "corpus").glob("d*.json"))
    for doc_id, counts in rows:
        doc = json.loads((copy / "corpus" / f"{doc_id}.json").read_text(encoding="utf-8"))
        assert counts["paragraphs"] == len(doc["paragraphs"]) and counts["tokens"] == len(doc["tokens"])
        for layer in KIND_LAYER.values():
            assert counts[layer] == len(records(copy, layer, doc_id)), (doc_id, layer)


STYLE_JS = """(kind) => Array.from(document.querySelectorAll(`main [data-kind=${kind}]`)).map(el => {
  const s = getComputedStyle(el);
  return {ent: s.backgroundColor, evt: s.outlineStyle, stn: s.borderBottomStyle}[kind];
})"""
HIDDEN = {"ent": "rgba(0, 0, 0, 0)", "evt": "none", "stn": "none"}


def test_toggles_hide_and_show_each_layer_only(site_dir, open_page):
    out, _ = site_dir
    page = open_page(out / "d002.html")
    shown = {kind: page.evaluate(STYLE_JS, kind) for kind in HIDDEN}
    for kind in HIDDEN:
        assert shown[kind] and HIDDEN[kind] not in shown[kind], kind
    for kind in HIDDEN:
        page.uncheck(f"input.toggle[data-layer={kind}]")
        assert set(page.evaluate(STYLE_JS, kind)) == {HIDDEN[kind]}
        for other in set(HIDDEN) - {kind}:
            assert page.evaluate(STYLE_JS, other) == shown[other]
        assert page.evaluate("() => document.querySelectorAll('main [data-kind=ent]').length") > 0  # text stays
        page.check(f"input.toggle[data-layer={kind}]")
        assert page.evaluate(STYLE_JS, kind) == shown[kind]
    page.uncheck("input.toggle[data-layer=ent]")
    assert page.evaluate("() => Array.from(document.querySelectorAll('.reglink')).every(a => getComputedStyle(a).display === 'none')")


def test_hover_shows_details_and_links_arguments_and_holder(site_dir, open_page):
    out, copy = site_dir
    page = open_page(out / "d005.html")
    page.hover("#d005-M002")
    details = page.inner_text("#details")
    assert "ORG" in details and "nato" in details and "d005-M002" in details
    page.hover("#d005-E001")
    details = page.inner_text("#details")
    assert "CONSULT" in details and "ACTUAL" in details and "ACTOR: Nga [d005-M001]" in details
    assert page.evaluate("() => Array.from(document.querySelectorAll('.linked')).map(e => e.id)") == ["d005-M001"]
    page.dispatch_event("#d005-S001", "mouseover")
    details = page.inner_text("#details")
    assert "AGAINST" in details and "continued_dialogue" in details and "holder Nga [d005-M001]" in details
    assert page.evaluate("() => Array.from(document.querySelectorAll('.linked')).map(e => e.id)") == ["d005-M001"]


def test_mention_links_to_its_registry_entry(site_dir, open_page):
    out, _ = site_dir
    page = open_page(out / "d001.html")
    first = page.locator("main [data-kind=ent]:not(.cont)").first
    entity = first.get_attribute("data-entity")
    first.locator(".reglink").click()
    page.wait_for_url(re.compile(r"registry\.html#entity-"))
    assert page.evaluate("() => location.hash") == f"#entity-{entity}"
    assert page.locator(f"#entity-{entity}").is_visible()


def test_markup_in_a_document_renders_as_text(site_dir, open_page):
    out, copy = site_dir
    doc = json.loads((copy / "corpus" / "d005.json").read_text(encoding="utf-8"))
    page = open_page(out / "d005.html")
    assert page.evaluate("() => window.__pwned === undefined")
    assert page.evaluate("() => document.scripts.length") == 1
    assert page.evaluate("() => document.querySelectorAll('main img, main b, main script').length") == 0
    shown = page.evaluate("() => Array.from(document.querySelectorAll('main .text')).map(p => p.textContent)")
    assert shown == [p["text"] for p in doc["paragraphs"]]
    assert page.evaluate("() => document.querySelector('#d005-p002').dataset.role") == "caption"
    assert page.inner_text("#d005-p002 .role").lower() == "caption"
