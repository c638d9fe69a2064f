"""Loading a full annotation set (corpus + entity, event and stance layers) from disk.

A ``Tree`` is what the validator, the release and the exporters read. It is loaded from the
gold folders or from a named pass (``annotations/passes/<name>/``); single files can be
overlaid so that ``visectalks validate FILE`` checks one file against the rest of the project.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .errors import Problem
from .jsonio import read_json, read_jsonl
from .paths import Layout

LAYERS = ("entities", "events", "stance")


@dataclass
class Tree:
    layout: Layout
    pass_name: str | None = None
    docs: dict[str, dict] = field(default_factory=dict)
    doc_files: dict[str, str] = field(default_factory=dict)
    layers: dict[str, dict[str, list]] = field(default_factory=lambda: {k: {} for k in LAYERS})
    layer_files: dict[str, dict[str, str]] = field(default_factory=lambda: {k: {} for k in LAYERS})
    registry: list | None = None
    registry_file: str = ""
    not_entities: list = field(default_factory=list)
    not_entities_file: str = ""
    clusters: list | None = None
    clusters_file: str = ""
    problems: list[Problem] = field(default_factory=list)
    unreadable: set[str] = field(default_factory=set)  # files (as shown) that could not be read whole

    def shown(self, path: Path) -> str:
        try:
            return str(Path(path).resolve().relative_to(self.layout.root))
        except ValueError:
            return str(path)

    def load_doc(self, path: Path) -> None:
        doc, problems = read_json(path, self.shown(path))
        self.problems += problems
        if isinstance(doc, dict) and isinstance(doc.get("id"), str):
            self.docs[doc["id"]] = doc
            self.doc_files[doc["id"]] = self.shown(path)
        elif not problems:
            self.problems.append(Problem("VST002", self.shown(path), "", "/id", "document has no string id"))

    def load_layer_file(self, layer: str, path: Path) -> None:
        records, problems = read_jsonl(path, self.shown(path))
        self.problems += problems
        if problems:
            self.unreadable.add(self.shown(path))
        key = Path(path).stem
        self.layers[layer][key] = records
        self.layer_files[layer][key] = self.shown(path)

    def load_side_file(self, kind: str, path: Path) -> None:
        data, problems = read_json(path, self.shown(path))
        self.problems += problems
        if kind == "registry":
            self.registry, self.registry_file = data if isinstance(data, list) else ([] if problems else data), self.shown(path)
        elif kind == "not_entities":
            self.not_entities, self.not_entities_file = data if isinstance(data, list) else ([] if problems else data), self.shown(path)
        elif kind == "clusters":
            self.clusters, self.clusters_file = data if isinstance(data, list) else ([] if problems else data), self.shown(path)

    def overlay(self, path: Path) -> str:
        """Replace the file that ``path`` stands for (classified by folder and name); return its kind."""
        path = Path(path)
        parent, name = path.parent.name, path.name
        shown = self.shown(path)  # a file of the project itself: forget what its first reading found
        self.problems = [p for p in self.problems if p.file != shown]
        self.unreadable.discard(shown)
        if parent == "corpus" and name.endswith(".json"):
            self.load_doc(path)
            return "document"
        if parent in LAYERS and name.endswith(".jsonl"):
            self.load_layer_file(parent, path)
            return parent
        side = {("entities", "registry.json"): "registry", ("entities", "not_entities.json"): "not_entities", ("events", "clusters.json"): "clusters"}
        if (parent, name) in side:
            self.load_side_file(side[(parent, name)], path)
            return side[(parent, name)]
        raise ValueError(f"{path}: not a corpus or annotation file (expected corpus/*.json, <layer>/*.jsonl, registry.json, not_entities.json or clusters.json)")

    def mentions(self, doc_id: str) -> list:
        return [m for m in self.layers["entities"].get(doc_id, []) if isinstance(m, dict)]


def load_tree(layout: Layout, pass_name: str | None = None) -> Tree:
    """Load the corpus and every annotation layer that exists."""
    tree = Tree(layout, pass_name)
    for path in sorted(layout.corpus.glob("*.json")):
        tree.load_doc(path)
    for layer in LAYERS:
        folder = layout.layer(layer, pass_name)
        for path in sorted(folder.glob("*.jsonl")):
            tree.load_layer_file(layer, path)
    ent = layout.layer("entities", pass_name)
    if (ent / "registry.json").exists():
        tree.load_side_file("registry", ent / "registry.json")
    if (ent / "not_entities.json").exists():
        tree.load_side_file("not_entities", ent / "not_entities.json")
    clusters = layout.layer("events", pass_name) / "clusters.json"
    if clusters.exists():
        tree.load_side_file("clusters", clusters)
    return tree
