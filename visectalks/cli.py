"""Command line: ``visectalks <command> --help`` describes each command."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import __version__

# Modules that add their own subcommands through ``register(subparsers, add)``; ``add`` is the
# helper below that gives every command --root and --quiet.
PLUGIN_MODULES = ("agreement", "adjudicate", "release", "datasheet", "labelstudio", "exports", "viewer", "baseline", "synth", "bench", "selftest")
from .errors import ProblemsError, render
from .paths import layout
from .plugins import load


def _cmd_build(args) -> int:
    from .build import build

    build(layout(args.root), jobs=args.jobs, quiet=args.quiet)
    return 0


def _cmd_validate(args) -> int:
    from .validate import validate

    problems = validate(layout(args.root), [Path(p) for p in args.paths], args.pass_name)
    if problems:
        print(render(problems, args.format))
        if args.format == "text":
            print(f"validate: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    if args.format == "json":
        print("[]")
    elif not args.quiet:
        print("validate: no problems", file=sys.stderr)
    return 0


def _cmd_import_markup(args) -> int:
    from .annotate import import_markup

    import_markup(layout(args.root), entities_dir=args.entities, events_dir=args.events, pass_name=args.pass_name)
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="visectalks", description="Build, validate and release the ViSecTalks-2022 corpus.")
    top.add_argument("--version", action="version", version=f"visectalks {__version__}")
    sub = top.add_subparsers(dest="command", required=True)

    def add(name: str, func, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--root", default=".", help="project folder (default: current folder)")
        p.add_argument("--quiet", action="store_true", help="print nothing but errors")
        p.set_defaults(func=func)
        return p

    p = add("build", _cmd_build, "Verify seed checksums, build corpus/ and every generated file.")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes (default: number of cores)")

    p = add("validate", _cmd_validate, "Validate the corpus and annotations (default: everything) against schemas and semantic checks.")
    p.add_argument("paths", nargs="*", help="files to validate against the rest of the project (default: all)")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument("--pass", dest="pass_name", default=None, help="validate annotations/passes/<name>/ instead of the gold")

    p = add("import-markup", _cmd_import_markup, "Convert inline-markup annotation files into standoff layers (offsets computed from the corpus text).")
    p.add_argument("--entities", type=Path, help="folder with dNNN.ent.txt and registry.json")
    p.add_argument("--events", type=Path, help="folder with dNNN.evt.txt, clusters.json and stance.jsonl")
    p.add_argument("--pass", dest="pass_name", default=None, help="write to annotations/passes/<name>/ instead of the gold")
    for name in PLUGIN_MODULES:
        module = load(name)
        if module is not None:
            module.register(sub, add)
    # Every command becomes a transaction: one lock per project, and all its writes kept or
    # undone together (see transaction.py).
    from .transaction import guard_commands

    guard_commands(sub)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except ProblemsError as exc:
        print(render(exc.problems, getattr(args, "format", "text")))
        print(f"{args.command}: stopped on {len(exc.problems)} problem(s); nothing was written", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
