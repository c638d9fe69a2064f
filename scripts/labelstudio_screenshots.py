"""Screenshots of the real Label Studio interface for docs/annotators.md (docs/img/labelstudio-*.png).

Needs a running server (scripts/labelstudio_server.sh start) and, in the environment,
LABEL_STUDIO_URL, LABEL_STUDIO_API_KEY, LABEL_STUDIO_USERNAME and LABEL_STUDIO_PASSWORD (the
same values the server was started with), plus Debian's Chromium at /usr/bin/chromium.
Run from the project root: ``python scripts/labelstudio_screenshots.py``.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from visectalks.labelstudio import label_config  # noqa: E402
from visectalks.labelstudio_cli import export_tasks  # noqa: E402

OUT = ROOT / "docs" / "img"
DOC = "d004"          # short, with a heading paragraph, entities, events and stances
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def examples() -> dict[str, str]:
    """Region ids to show: a mention with a flag, an event with arguments, a stance with a holder."""
    from visectalks.layers import load_tree
    from visectalks.paths import layout

    tree = load_tree(layout(ROOT))
    return {"entity": next(m["id"] for m in tree.layers["entities"][DOC] if m["flags"]),
            "event": next(e["id"] for e in tree.layers["events"][DOC] if len(e["arguments"]) >= 2),
            "stance": next(s["id"] for s in tree.layers["stance"][DOC] if s["holder"] != "AUTHOR")}


def project(url: str, key: str) -> tuple[int, int]:
    from label_studio_sdk import LabelStudio

    client = LabelStudio(base_url=url, api_key=key)
    p = client.projects.create(title="ViSecTalks-2022", label_config=label_config())
    client.projects.import_tasks(id=p.id, request=export_tasks(ROOT, None, None, "predictions"))
    task = next(t for t in client.tasks.list(project=p.id) if t.data["doc"] == DOC)
    return p.id, task.id


def select_region(page, region_id: str) -> None:
    """Click the region's highlight in the text (its class names the region id)."""
    page.locator(f'span[class*="htx-highlight-{region_id}-"]').first.click()
    page.mouse.move(5, 500)
    time.sleep(1)


def shoot(page, name: str, clip: dict | None = None) -> None:
    path = OUT / f"labelstudio-{name}.png"
    page.screenshot(path=str(path), clip=clip)
    print(path.relative_to(ROOT))


def main() -> None:
    from playwright.sync_api import sync_playwright

    url, key = os.environ["LABEL_STUDIO_URL"].rstrip("/"), os.environ["LABEL_STUDIO_API_KEY"]
    project_id, task_id = project(url, key)
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1500, "height": 940})
        page.set_default_timeout(60_000)
        page.goto(url + "/user/login/")
        page.fill("input[name=email]", os.environ["LABEL_STUDIO_USERNAME"])
        page.fill("input[name=password]", os.environ["LABEL_STUDIO_PASSWORD"])
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        page.goto(f"{url}/projects/{project_id}/data?task={task_id}")
        page.wait_for_selector("text=Paragraphs and their roles")
        page.mouse.move(5, 500)
        time.sleep(2)
        shoot(page, "overview")
        right = {"x": 860, "y": 80, "width": 640, "height": 620}
        for kind, region_id in examples().items():
            select_region(page, region_id)
            shoot(page, kind, right)
            page.keyboard.press("Escape")
        page.get_by_text("Relations", exact=True).first.click()
        time.sleep(1)
        shoot(page, "relations", {"x": 1100, "y": 480, "width": 400, "height": 460})
        page.goto(f"{url}/projects/{project_id}/data")
        page.get_by_role("button", name="Export").first.click()
        time.sleep(2)
        shoot(page, "export")
        browser.close()


if __name__ == "__main__":
    main()
