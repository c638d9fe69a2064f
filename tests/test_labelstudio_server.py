"""The Label Studio round trip against a real server started by scripts/labelstudio_server.sh.

The server package is installed into its own virtual environment and started on 127.0.0.1 with a
temporary data directory and a user and token created non-interactively; it is stopped at the
end by its own pid. In CI (CI=true) a server that cannot be installed or started fails the
tests. Elsewhere they skip, with the reason, only when the package cannot be installed (no
access to PyPI); a server that installs but does not start is a failure everywhere.
"""
from __future__ import annotations

import contextlib
import importlib.util
import io
import json
from pathlib import Path

import pytest
from ls_server import IN_CI, VERSION, running_server

from visectalks import inventory
from visectalks.cli import main
from visectalks.labelstudio import ID_LETTER, label_config, make_task
from visectalks.labelstudio_import import Options, read_export
from visectalks.layers import Tree
from visectalks.paths import Layout

ROOT = Path(__file__).resolve().parent.parent
USER = "annotator@visectalks.local"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]




@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("labelstudio-state"), USER) as started:
        yield started


@pytest.fixture()
def client(server):
    from label_studio_sdk import LabelStudio

    return LabelStudio(base_url=server["url"], api_key=server["token"])


def run_cli(*argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()


def read_layer(root: Path, layer: str, doc: str) -> list[dict]:
    return [json.loads(x) for x in (root / "annotations" / layer / f"{doc}.jsonl").read_text(encoding="utf-8").splitlines()]


def test_server_is_the_version_tested(client):
    version = client.versions.get()
    assert version.release == VERSION, version.release


def _edit_d004(result: list[dict], tree: Tree) -> dict:
    """What an annotator does to d004: redraws a mention, changes a realis, removes an argument."""
    doc_id = "d004"
    mentions = tree.layers["entities"][doc_id]
    events = tree.layers["events"][doc_id]
    referenced = {a["ref"] for e in events for a in e["arguments"]} | {s["holder"] for s in tree.layers["stance"].get(doc_id, [])}
    starts = [m["start"] for m in mentions]
    redrawn = next(m for m in mentions if m["type"] in ("DATE", "QUANTITY") and m["id"] not in referenced and starts.count(m["start"]) == 1)
    for r in result:
        if r.get("id") == redrawn["id"]:
            r["id"] = "Qw7-rT2zYx"
    event = events[0]
    realis = next(v for v in inventory.names("realis") if v != event["realis"])
    next(r for r in result if r.get("id") == event["id"] and r["from_name"] == "realis")["value"]["choices"] = [realis]
    pruned = next(e for e in events if e["arguments"])
    arg = pruned["arguments"][0]
    result.remove(next(r for r in result if r["type"] == "relation" and r["from_id"] == pruned["id"] and r["to_id"] == arg["ref"]))
    new_id = f"{doc_id}-M{max(int(m['id'].split('-M')[1]) for m in mentions) + 1:03d}"
    expected_events = []
    for e in events:
        if e is event:
            e = dict(e, realis=realis)
        if e["id"] == pruned["id"]:
            e = dict(e, arguments=e["arguments"][1:])
        expected_events.append(e)
    return {"entities": [dict(m, id=new_id) if m is redrawn else m for m in mentions], "events": expected_events}


def test_push_annotate_pull_import(server, client, project_copy, tree, monkeypatch):
    """Project from the generated config, tasks imported, annotations submitted through the API
    (one of them with changes, one cancelled), export pulled and imported: the files hold exactly
    the annotations submitted; the token is never printed nor written."""
    monkeypatch.setenv("LABEL_STUDIO_URL", server["url"])
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", server["token"])
    code, out, err = run_cli("ls", "push", "--root", project_copy, "--title", "ViSecTalks-2022 round trip")
    assert code == 0, err
    project_id = int(out.split("project ")[1].split()[0])
    project = client.projects.get(id=project_id)
    assert project.label_config.strip() == label_config().strip()
    tasks = list(client.tasks.list(project=project_id))
    assert sorted(t.data["doc"] for t in tasks) == sorted(tree.docs)
    expected = None
    for t in tasks:
        [prediction] = client.predictions.list(task=t.id)
        result = json.loads(json.dumps(prediction.result))
        if t.data["doc"] == "d004":
            expected = _edit_d004(result, tree)
        if t.data["doc"] == "d000":
            client.annotations.create(id=t.id, result=[], was_cancelled=True)
        client.annotations.create(id=t.id, result=result, was_cancelled=False, lead_time=42.0)
    saved = project_copy / "pulled.json"
    code, out, err = run_cli("ls", "pull", project_id, "--root", project_copy, "--save", saved)
    assert code == 0, out + err
    export = json.loads(saved.read_text(encoding="utf-8"))
    assert len(export) == len(tree.docs) and all(t["annotations"] for t in export)
    assert any(a["was_cancelled"] for t in export for a in t["annotations"]), "the cancelled annotation is in the export and ignored"
    for layer, records in expected.items():
        assert read_layer(project_copy, layer, "d004") == records, layer
    for d in sorted(tree.docs):
        for layer in ID_LETTER:
            path = project_copy / "annotations" / layer / f"{d}.jsonl"
            if path.exists() and not (d == "d004" and layer in expected):
                assert path.read_bytes() == (ROOT / "annotations" / layer / f"{d}.jsonl").read_bytes(), (d, layer)
    assert server["token"] not in out + err
    for p in project_copy.rglob("*"):
        if p.is_file():
            assert server["token"].encode() not in p.read_bytes(), p


def _fixture_module():
    spec = importlib.util.spec_from_file_location("make_labelstudio_fixtures", ROOT / "scripts" / "make_labelstudio_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_editor_counts_code_points(server, client):
    """Label Studio's own editor, in headless Chromium, on a text with emoji: it shows the
    exported regions, keeps their ids on submit, and saves a newly selected span at its code
    point offset (not at its UTF-16 offset), which is why the default unit is codepoint."""
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is not installed (scripts/setup_system.sh installs it)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    gen = _fixture_module()
    doc, layers = gen.document(), gen.layers(gen.document())
    project = client.projects.create(title="offsets", label_config=label_config())
    client.projects.import_tasks(id=project.id, request=[make_task(doc, layers)])
    [task] = list(client.tasks.list(project=project.id))
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.set_default_timeout(60_000)
            page.goto(server["url"] + "/user/login/")
            page.fill("input[name=email]", USER)
            page.fill("input[name=password]", server["password"])
            page.click("button[type=submit]")
            page.wait_for_load_state("networkidle")
            page.goto(f"{server['url']}/projects/{project.id}/data?task={task.id}")
            page.wait_for_selector("text=Paragraphs and their roles")
            page.get_by_text("MISC", exact=True).first.click()
            selected = page.evaluate(SELECT_JS, "Brussels")
            assert selected, "the word is in the editor's text"
            page.locator(".lsf-outliner-item", has_text="Brussels").last.click()
            box = page.locator("[name=entity_id]:visible").first
            box.fill("brussels")
            box.press("Enter")
            page.get_by_role("button", name="Submit").click()
            page.wait_for_selector("text=Annotation saved successfully")
        finally:
            browser.close()
    data = json.loads(b"".join(client.projects.exports.download_sync(project.id, export_type="JSON", download_all_tasks=True)))
    [annotation] = data[0]["annotations"]
    [new] = [r for r in annotation["result"] if r["type"] == "labels" and not r["id"].startswith("d900-")]
    start = doc["text"].index("Brussels")
    assert len(doc["text"][:start].encode("utf-16-le")) // 2 != start, "the text before the word has astral-plane characters"
    assert (new["value"]["start"], new["value"]["end"]) == (start, start + len("Brussels"))
    read = read_export(data, Tree(Layout(ROOT), docs={"d900": doc}), "export", Options(docs=["d900"]))
    assert read.problems == []
    [name] = read.sets
    got = {layer: read.sets[name][layer]["d900"] for layer in ID_LETTER}
    brussels = {"id": "d900-M006", "doc": "d900", "start": start, "end": start + 8, "text": "Brussels", "type": "MISC", "entity": "brussels", "flags": []}
    assert got == {**layers, "entities": layers["entities"] + [brussels]}


# Selects the first occurrence of a word in the editor's text and releases the mouse there, as a
# drag selection does; the editor then creates a region with the chosen label.
SELECT_JS = """(word) => {
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  let node;
  while ((node = walker.nextNode())) {
    const i = node.textContent.indexOf(word);
    if (i < 0 || node.parentElement.closest('.vst-outline, .lsf-outliner-item, .lsf-table__cell')) continue;
    const range = document.createRange();
    range.setStart(node, i);
    range.setEnd(node, i + word.length);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    node.parentElement.dispatchEvent(new MouseEvent('mouseup', {bubbles: true}));
    return true;
  }
  return false;
}"""
