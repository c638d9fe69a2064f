"""Shared test set-up: offline Hugging Face settings, a temporary datasets cache, project paths."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
_cache = tempfile.mkdtemp(prefix="visectalks-hf-cache-")
os.environ["HF_DATASETS_CACHE"] = _cache
os.environ["HF_HOME"] = _cache


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def layout():
    from visectalks.paths import layout as make

    return make(ROOT)


@pytest.fixture(scope="session")
def corpus(layout):
    from visectalks.corpus import load_corpus

    return load_corpus(layout.corpus)


@pytest.fixture(scope="session")
def tree(layout):
    from visectalks.layers import load_tree

    return load_tree(layout)


@pytest.fixture()
def project_copy(tmp_path) -> Path:
    """A copy of the project's data folders, for tests that write."""
    for name in ("seeds", "corpus", "schema", "annotations", "docs", "tests/fixtures"):
        src = ROOT / name
        if src.exists():
            shutil.copytree(src, tmp_path / name)
    for name in ("GUIDELINES.md", "README.md", "CHANGELOG.md", "CITATION.cff", "DATASHEET.md"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, tmp_path / name)
    return tmp_path
