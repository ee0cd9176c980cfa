"""``python -m bench.ab --a REV [--b REV] [--rounds N]``: one stage's code, before and after, side by side.

What each change to the Spark jobs bought (issue 8, item 3) is measured here: the same Silver and Gold
steps of an hourly-sized increment (one new day of the demo's 4 stations on a lake holding the week
before it) run with the ``aqi_jobs`` of two commits (``--stages bronze,silver,gold`` puts a Bronze
backfill chunk of the day after it, from the archive, before them), alternating A and B on fresh copies
of the same warehouse, with the exact spark-submit command line of a local step. ``--b`` defaults to the
working tree. It prints each stage's median wall and B ÷ A, and refuses the comparison unless both wrote
the same table contents (every column but ``computed_at``, ``run_id``, ``processed_at`` and
``updated_at``, which name the run). Writes ``<scratch>/ab.json`` (and ``ab-<UTC time>.json``) with
every sample and its phases.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench.lab import (
    ENTRY,
    REPO,
    BenchError,
    StepCommand,
    build_jobs_zip,
    generate_archive,
    log,
    stage_argv,
    step_command,
)
from bench.record import commit
from bench.series import DEMO_ARCHIVE, median, ratio

BASE = ("2024-03-08", "2024-03-14")
NEW_DAY = "2024-03-15"
RUN_ID = "ab-20240315T0000Z-0000abcd"
STAGES = ("silver", "gold")
ALL_STAGES = ("bronze", "silver", "gold")
# ``--stages bronze,...``: a one-day archive chunk the lake does not hold yet.
BRONZE_DAY = "2024-03-16"
JAVA_OPTIONS = "spark.driver.extraJavaOptions="
# The end-to-end tests' own table summary, so "same tables" means what it means there.
CHECKSUMS = REPO / "test" / "local" / "support" / "table_checksums.py"
MARKER = "@@CHECKSUMS@@ "


def _variant(rev: str | None, out: Path) -> tuple[Path, Path]:
    """``entry.py`` and ``aqi_jobs.zip`` of a commit (``git archive``), or of the working tree (None).

    The entry script is copied beside the zip: Python puts a script's own directory first on
    ``sys.path``, so an ``entry.py`` run from a checkout would import that checkout's ``aqi_jobs``
    instead of the zip's.
    """
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    if rev is None:
        shutil.copy(ENTRY, out / "entry.py")
        return out / "entry.py", build_jobs_zip(out / "aqi_jobs.zip")
    archive = subprocess.run(
        ["git", "archive", rev, "spark-jobs"], cwd=REPO, capture_output=True, check=False
    )
    if archive.returncode != 0:
        raise BenchError(f"--a/--b {rev!r} is not a commit here: {archive.stderr.decode().strip()}")
    tree = out / "tree"
    tree.mkdir()
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    zipped = out / "aqi_jobs.zip"
    subprocess.run([sys.executable, str(tree / "spark-jobs" / "build_zip.py"), str(zipped)], check=True)
    shutil.copy(tree / "spark-jobs" / "entry.py", out / "entry.py")
    return out / "entry.py", zipped


def _argv(
    stage: str, mode: str, days: tuple[str, str] | None, warehouse: Path, result: Path, archive: Path
) -> list[str]:
    return stage_argv(stage, RUN_ID, mode, days, warehouse, result, archive)


def _step(command: StepCommand, variant: tuple[Path, Path], argv: list[str], java: str = "") -> dict:
    entry, py_files = variant
    options = list(command.options)
    options[options.index("--py-files") + 1] = str(py_files)
    if java:
        at = next(i for i, o in enumerate(options) if o.startswith(JAVA_OPTIONS))
        options[at] = f"{options[at]} {java}"
    watched = StepCommand(command.command, options, command.env).run(entry, argv)
    if watched.returncode != 0:
        raise BenchError(f"{argv[0]} step failed: {watched.stderr.strip()[-1500:]}")
    result = json.loads(Path(argv[argv.index("--result-uri") + 1]).read_text())
    return {
        "stage": argv[0],
        "wallSeconds": round(watched.wall_seconds, 3),
        "peakRssMiB": round(watched.peak_rss_mib, 1),
        "rowsWritten": result["rowsWritten"],
        "phases": result.get("phases", []),
    }


def _prepare(command: StepCommand, variant: tuple[Path, Path], archive: Path, scratch: Path) -> Path:
    """The lake before the increment: Bronze, Silver and Gold of ``BASE``, then Bronze of ``NEW_DAY``."""
    lake = scratch / "before"
    if (lake / ".complete").exists():
        return lake
    shutil.rmtree(lake, ignore_errors=True)
    results = scratch / "prepare-results"
    log(f"preparing the lake: {BASE[0]}..{BASE[1]}, then Bronze of {NEW_DAY}")
    for stage in ("bronze", "silver", "gold"):
        mode = "backfill" if stage == "bronze" else "range"
        _step(command, variant, _argv(stage, mode, BASE, lake, results / f"{stage}.json", archive))
    day = (NEW_DAY, NEW_DAY)
    _step(command, variant, _argv("bronze", "backfill", day, lake, results / "bronze-new.json", archive))
    (lake / ".complete").write_text("")
    return lake


def _checksums(command: StepCommand, lake: Path) -> dict:
    """Every table's rows, checksum and duplicate keys, lineage columns left out (as the end-to-end tests)."""
    watched = command.run(CHECKSUMS, ["--warehouse", str(lake)])
    if watched.returncode != 0:
        raise BenchError(f"table checksums of {lake} failed: {watched.stderr.strip()[-1500:]}")
    line = next(line for line in watched.stdout.splitlines() if line.startswith(MARKER))
    return json.loads(line[len(MARKER) :])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ab", description=__doc__.splitlines()[0])
    parser.add_argument("--a", required=True, help="the commit to compare against, e.g. main or fe3ea04")
    parser.add_argument("--b", help="the commit to measure (default: the working tree)")
    parser.add_argument(
        "--a-java", default="", help="JVM options added to A's driver, e.g. -XX:+UseParallelGC"
    )
    parser.add_argument("--b-java", default="", help="JVM options added to B's driver")
    parser.add_argument("--rounds", type=int, default=3, help="A/B pairs, alternating which goes first")
    parser.add_argument("--scratch", type=Path, default=REPO / ".local" / "bench-ab")
    parser.add_argument(
        "--stages", default=",".join(STAGES), help="which steps, in pipeline order (default: silver,gold)"
    )
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    stages = tuple(s.strip() for s in args.stages.split(",") if s.strip())
    if not stages or any(s not in ALL_STAGES for s in stages):
        parser.error(f"--stages takes some of {','.join(ALL_STAGES)}; got {args.stages!r}")
    stages = tuple(s for s in ALL_STAGES if s in stages)
    scratch: Path = args.scratch
    scratch.mkdir(parents=True, exist_ok=True)
    archive = generate_archive(scratch / "archive-demo", DEMO_ARCHIVE[0], DEMO_ARCHIVE[1], DEMO_ARCHIVE[2])
    variants = {"A": _variant(args.a, scratch / "a"), "B": _variant(args.b, scratch / "b")}
    command = step_command(scratch / "workspace", archive, variants["A"][1])
    java = {"A": args.a_java, "B": args.b_java}
    before = _prepare(command, variants["A"], archive, scratch)
    samples: list[dict] = []
    runs = scratch / "runs"
    shutil.rmtree(runs, ignore_errors=True)
    for round_no in range(args.rounds):
        order = ("A", "B") if round_no % 2 == 0 else ("B", "A")
        for variant in order:
            lake = runs / f"{variant}{round_no}"
            shutil.copytree(before, lake)
            for stage in stages:
                bronze = stage == "bronze"
                mode, days = ("backfill", (BRONZE_DAY, BRONZE_DAY)) if bronze else ("incremental", None)
                step = _step(
                    command,
                    variants[variant],
                    _argv(stage, mode, days, lake, lake / f"{stage}.json", archive),
                    java[variant],
                )
                samples.append({"variant": variant, "round": round_no, "lake": str(lake), **step})
                log(f"round {round_no + 1}/{args.rounds} {variant} {stage}: {step['wallSeconds']:.1f} s")
    lakes = sorted({Path(s["lake"]) for s in samples})
    sums = {str(lake): _checksums(command, lake) for lake in lakes}
    distinct = {json.dumps(s, sort_keys=True) for s in sums.values()}
    summary = {}
    for stage in stages:
        walls = {
            v: [s["wallSeconds"] for s in samples if s["stage"] == stage and s["variant"] == v] for v in "AB"
        }
        summary[stage] = {
            "medianA": median(walls["A"]),
            "medianB": median(walls["B"]),
            "bOverA": ratio(median(walls["B"]), median(walls["A"])),
        }
    record = {
        "a": {"commit": args.a, "java": args.a_java},
        "b": {"commit": args.b or f"working tree at {commit()['sha'][:10]}", "java": args.b_java},
        "samples": samples,
        "summary": summary,
        "tables": sums,
    }
    text = json.dumps(record, indent=1) + "\n"
    (scratch / "ab.json").write_text(text)
    # Each comparison also keeps its own file, so the next run does not overwrite it.
    (scratch / f"ab-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json").write_text(text)
    for stage, figures in summary.items():
        print(f"{stage:<6} A {figures['medianA']} s  B {figures['medianB']} s  B/A {figures['bOverA']}")
    if len(distinct) != 1:
        raise BenchError(f"A and B wrote different tables; see {scratch / 'ab.json'}")
    print(f"tables identical in all {len(lakes)} lakes; record: {scratch / 'ab.json'}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except BenchError as error:
        print(f"bench.ab: {error}", file=sys.stderr)
        sys.exit(1)
