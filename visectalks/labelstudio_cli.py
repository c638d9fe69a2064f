"""``visectalks ls config|export|import|push|pull``: the Label Studio commands.

``push`` and ``pull`` talk to a real deployment; its address and API token come only from the
environment (``LABEL_STUDIO_URL``, ``LABEL_STUDIO_API_KEY``). The token is passed to the SDK and
nowhere else: it is never written to disk and never printed, also not in error messages.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from .errors import Problem, ProblemsError, render
from .jsonio import dumps, parse_chunks, read_json, write_bytes_atomic, write_text_atomic
from .labelstudio import DEFAULT_UNIT, ID_LETTER, UNITS, label_config, make_task
from .labelstudio_import import Options, UsageError, run_import
from .paths import layout as make_layout


# ---------------------------------------------------------------- local commands

def export_tasks(root, pass_name: str | None, docs: list[str] | None, as_: str, unit: str = DEFAULT_UNIT) -> list[dict]:
    """Tasks for the selected documents; refuses to export annotations that do not validate."""
    from .layers import load_tree
    from .validate import check_tree

    tree = load_tree(make_layout(root), pass_name)
    problems = check_tree(tree)
    if problems:
        raise ProblemsError(problems)
    unknown = sorted(set(docs or []) - set(tree.docs))
    if unknown:
        raise UsageError(f"unknown document(s): {', '.join(unknown)}")
    version = f"visectalks-{pass_name or 'gold'}"
    return [make_task(tree.docs[d], {layer: tree.layers[layer].get(d, []) for layer in ID_LETTER}, as_, version, unit)
            for d in (docs or sorted(tree.docs))]


def _out(text: str, output: str | None) -> None:
    if output:
        write_text_atomic(Path(output), text)
    else:
        sys.stdout.write(text)


def _cmd_config(args) -> int:
    _out(label_config(), args.output)
    return 0


def _cmd_export(args) -> int:
    tasks = export_tasks(args.root, args.pass_name, args.docs, args.as_, args.offsets)
    _out(dumps(tasks), args.output)
    if not args.quiet:
        print(f"ls export: {len(tasks)} task(s), one per document, annotations as {args.as_}", file=sys.stderr)
    return 0


def _options(args) -> Options:
    return Options(pass_name=args.pass_name, prefer=args.prefer, skip_unannotated=args.skip_unannotated,
                   use_predictions=args.predictions, docs=args.docs, report=Path(args.report) if args.report else None,
                   unit=args.offsets)


def _import_data(args, data, shown: str) -> int:
    changed, report = run_import(make_layout(args.root), data, shown, _options(args))
    if not args.quiet:
        who = f"; annotators {', '.join(report['annotators'])} merged ({report['prefer']} breaks ties), {len(report['disagreements'])} disagreement(s)" if report else ""
        print(f"ls import: {len(changed)} file(s) written{who}", file=sys.stderr)
    return 0


def _cmd_import(args) -> int:
    data, problems = read_json(Path(args.export), args.export)
    if problems:
        raise ProblemsError(problems)
    return _import_data(args, data, args.export)


# ---------------------------------------------------------------- remote commands

class RemoteError(Exception):
    pass


def _credentials() -> tuple[str, str]:
    url, key = os.environ.get("LABEL_STUDIO_URL", "").rstrip("/"), os.environ.get("LABEL_STUDIO_API_KEY", "")
    if not url or not key:
        raise RemoteError("set LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY in the environment")
    return url, key


def _client(url: str, key: str):
    from label_studio_sdk import LabelStudio

    return LabelStudio(base_url=url, api_key=key)


def _remote(action, what: str):
    """Run ``action(client, url)``; failures become RemoteError with the token masked out."""
    url, key = _credentials()
    try:
        return action(_client(url, key), url)
    except RemoteError:
        raise
    except Exception as exc:  # the SDK raises many kinds; report them without the token
        status = getattr(exc, "status_code", None)
        message = f"HTTP {status}: {getattr(exc, 'body', '')}" if status else f"{type(exc).__name__}: {exc}"
        message = message.replace(key, "***")
        raise RemoteError(f"{what} failed: {message[:500]}") from None


def _cmd_push(args) -> int:
    tasks = export_tasks(args.root, args.pass_name, args.docs, args.as_, args.offsets)

    def push(client, url):
        project = client.projects.create(title=args.title, label_config=label_config(),
                                         description="ViSecTalks-2022: entities, events and stance (generated config, see docs/annotators.md).")
        client.projects.import_tasks(id=project.id, request=tasks)
        return project.id, url

    project_id, url = _remote(push, "creating the project")
    print(f"ls push: project {project_id} with {len(tasks)} task(s): {url}/projects/{project_id}/")
    return 0


def download_export(client, project_id: int) -> tuple[Any, list[Problem]]:
    """The project's JSON export, read under the same limits as an export file (VST600–605)."""
    chunks = client.projects.exports.download_sync(project_id, export_type="JSON", download_all_tasks=True)
    return parse_chunks(chunks, f"label-studio project {project_id} export")


def _cmd_pull(args) -> int:
    data, problems = _remote(lambda client, _url: download_export(client, args.project), "downloading the export")
    if problems:
        raise ProblemsError(problems)
    if args.save:
        write_bytes_atomic(Path(args.save), dumps(data).encode("utf-8"))
    return _import_data(args, data, args.save or f"label-studio project {args.project}")


# ---------------------------------------------------------------- parser

def _docs(value: str) -> list[str]:
    return [d.strip() for d in value.split(",") if d.strip()]


def _common(p: argparse.ArgumentParser) -> None:
    # given after the subcommand; SUPPRESS keeps the value given before it (visectalks ls --root X export)
    p.add_argument("--root", default=argparse.SUPPRESS, help="project folder (default: current folder)")
    p.add_argument("--quiet", action="store_true", default=argparse.SUPPRESS, help="print nothing but errors")


def _offsets_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--offsets", choices=UNITS, default=DEFAULT_UNIT,
                   help="offset unit on the Label Studio side: codepoint (Label Studio 1.23, default) or utf16 (older versions, other tools)")


def _export_args(p: argparse.ArgumentParser) -> None:
    _offsets_arg(p)
    p.add_argument("--pass", dest="pass_name", default=None, help="export annotations/passes/<name>/ instead of the gold")
    p.add_argument("--docs", type=_docs, default=None, help="comma-separated document ids (default: all)")
    p.add_argument("--as", dest="as_", choices=["predictions", "annotations"], default="predictions",
                   help="put the annotations in as pre-annotations to correct (default) or as submitted annotations")


def _import_args(p: argparse.ArgumentParser) -> None:
    _offsets_arg(p)
    p.add_argument("--pass", dest="pass_name", default=None, help="write to annotations/passes/<name>/ instead of the gold")
    p.add_argument("--docs", type=_docs, default=None, help="documents the export holds (default: every corpus document)")
    p.add_argument("--prefer", default=None, help="annotator (u<user id>) who breaks ties when several annotated (default: the first)")
    p.add_argument("--skip-unannotated", action="store_true", help="leave documents without a submitted annotation unchanged")
    p.add_argument("--predictions", action="store_true", help="read the tasks' predictions instead of their annotations")
    p.add_argument("--report", default=None, help="agreement and disagreement report (default: reports/labelstudio/import.json)")
    p.add_argument("--format", choices=["text", "json"], default="text", help="format of error reports")


def register(sub, add) -> None:
    top = add("ls", _dispatch, "Label Studio: generated labeling config, export of tasks, import of exports, push/pull to a server.")
    inner = top.add_subparsers(dest="ls_command", required=True)

    def cmd(name, func, help_text):
        p = inner.add_parser(name, help=help_text, description=help_text)
        _common(p)
        p.set_defaults(ls_func=func)
        return p

    p = cmd("config", _cmd_config, "Print (or write) the labeling config generated from schema/inventory.json.")
    p.add_argument("--output", help="file to write (default: standard output)")
    p = cmd("export", _cmd_export, "Write Label Studio tasks, one per document, with the annotations as pre-annotations.")
    p.add_argument("--output", help="file to write (default: standard output)")
    _export_args(p)
    p = cmd("import", _cmd_import, "Read a Label Studio JSON export back into the standoff files (nothing is written on any problem).")
    p.add_argument("export", help="the JSON export file")
    _import_args(p)
    p = cmd("push", _cmd_push, "Create a project on LABEL_STUDIO_URL (token from LABEL_STUDIO_API_KEY) and import the tasks.")
    p.add_argument("--title", default="ViSecTalks-2022", help="project title")
    _export_args(p)
    p = cmd("pull", _cmd_pull, "Download a project's JSON export from LABEL_STUDIO_URL and import it.")
    p.add_argument("project", type=int, help="project id")
    p.add_argument("--save", help="keep the downloaded export in this file (also when the import stops on problems)")
    _import_args(p)


def _dispatch(args) -> int:
    try:
        return args.ls_func(args)
    except (RemoteError, UsageError) as exc:
        print(f"ls {args.ls_command}: {exc}", file=sys.stderr)
        return 2
    except ProblemsError as exc:
        print(render(exc.problems, getattr(args, "format", "text")))
        print(f"ls {args.ls_command}: stopped on {len(exc.problems)} problem(s); nothing was written", file=sys.stderr)
        return 2
