"""The project's own promises: README commands, CI script, version in one place, generated docs."""
from __future__ import annotations

import re

from visectalks import __version__, docsgen


def _readme_commands(root) -> list[str]:
    text = (root / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```sh\n(.+?)\n```", text, flags=re.S)[:2]


def test_readme_starts_with_two_commands(root):
    text = (root / "README.md").read_text(encoding="utf-8")
    install, test = _readme_commands(root)
    assert text.index(install) < text.index(test) < text.index("\n## ")
    assert "pip install -e '.[test]'" in install and "visectalks build" in install
    assert "pytest" in test


def test_ci_runs_readme_commands_verbatim(root):
    ci = (root / ".ci" / "run").read_text(encoding="utf-8")
    install, test = _readme_commands(root)
    assert install in ci
    assert ci.rstrip().splitlines()[-1] == test
    assert "git diff --exit-code" in ci


def test_generated_docs_are_current(root):
    from visectalks.build import fixture_index

    assert (root / "docs" / "labels.md").read_text(encoding="utf-8") == docsgen.labels_md()
    assert (root / "docs" / "validation.md").read_text(encoding="utf-8") == docsgen.validation_md(fixture_index(root))


def test_inventory_examples_occur_in_corpus(corpus):
    from visectalks import inventory

    text = "\n".join(d["text"] for d in corpus.values())
    inv = inventory.load()
    for kind in ("entity_types", "event_types"):
        for item in inv[kind]:
            for example in item.get("examples", []):
                assert example in text, (kind, item["name"], example)


def test_version_is_single_sourced(root):
    pyproject = (root / "pyproject.toml").read_text(encoding="utf-8")
    assert 'dynamic = ["version"]' in pyproject and "visectalks.__version__" in pyproject
    assert re.fullmatch(r"\d+\.\d+\.\d+", __version__)


def test_readme_citation_names_current_version(root):
    text = (root / "README.md").read_text(encoding="utf-8")
    assert f"Version {__version__}." in text
    assert f"version: {__version__}" in (root / "CITATION.cff").read_text(encoding="utf-8").replace('"', "")


def test_readme_loading_example_runs(root, monkeypatch):
    import contextlib
    import io

    code = re.search(r"## Loading the release.*?```python\n(.+?)```", (root / "README.md").read_text(encoding="utf-8"), flags=re.S).group(1)
    monkeypatch.chdir(root)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {})
    assert out.getvalue().strip() == "['O', 'B-PER', 'I-PER', 'B-ORG', 'I-ORG']"
