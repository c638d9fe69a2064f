"""cProfile of one benchmark stage on one process: where the time of a stage goes.

    python scripts/profile_stage.py STAGE ROOT OUT.txt      (STAGE: build, validate, release, labelstudio)

ROOT is a synthetic project (``visectalks synth``); the build runs on a copy of its seeds.
"""
from __future__ import annotations

import cProfile
import io
import pstats
import shutil
import sys
import tempfile
from pathlib import Path


def run(stage: str, root: Path) -> None:
    from visectalks.paths import layout

    lay = layout(root)
    if stage == "release":
        from visectalks.shards import hash_split, write_shards

        out = Path(tempfile.mkdtemp())
        write_shards(lay, out / "release", split=hash_split, jobs=1)
        shutil.rmtree(out)
    elif stage == "labelstudio":
        from visectalks import bench_stages

        bench_stages._ls_init(lay)
        for doc_id in bench_stages.document_ids(lay):
            bench_stages.ls_round_trip(doc_id)
    elif stage == "validate":
        from visectalks.validate_stream import check_layout

        check_layout(lay, jobs=1)
    elif stage == "build":
        from visectalks.corpus_stream import build_corpus

        copy = Path(tempfile.mkdtemp()) / "p"
        shutil.copytree(root / "seeds", copy / "seeds")
        (copy / "corpus").mkdir()
        build_corpus(layout(copy), jobs=1)
        shutil.rmtree(copy.parent)


def main(argv: list[str]) -> int:
    stage, root, out = argv[0], Path(argv[1]), Path(argv[2])
    from visectalks.bench_stages import warm_up

    warm_up(stage)  # imports and compiled schemas, outside the profile as outside the benchmark's clock
    profile = cProfile.Profile()
    profile.enable()
    run(stage, root)
    profile.disable()
    text = io.StringIO()
    text.write(f"# cProfile of the {stage} stage on one process ({root.name})\n")
    pstats.Stats(profile, stream=text).sort_stats("tottime").print_stats(30)
    pstats.Stats(profile, stream=text).sort_stats("cumulative").print_stats(30)
    out.write_text(text.getvalue(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
