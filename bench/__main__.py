"""``npm run bench [-- --quick | --self-check] [--series a,b,d]``: measure the pipeline (issue 8).

Writes ``docs/benchmarks/<mode>.json`` (the raw record: machine, date, commit, every sample) and the
plots ``docs/benchmarks/<mode>-*.svg``, and prints the summary. ``--quick`` takes a few minutes,
the full run most of an hour; ``--self-check`` (well under two minutes) checks that the harness runs and
writes a record that meets its schema, into a scratch directory, measuring nothing worth keeping.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from bench.lab import REPO, BenchError, log
from bench.record import SERIES, new_record, validate

# The series and plots (psutil, matplotlib) are imported once the arguments are known to be good, so a
# mistyped option is answered at once.

MODES = {
    # the series run unless --series says otherwise, rounds of (floors, hourly), the backfill before
    # them, K weekly chunks, months, module loads. Quick leaves out series d (one JVM per stage vs one
    # session: at K = 1 alone it says nothing about flatness, and it doubled the quick run) and f (the
    # Lambda bundles: a cdk synth, and they change with the stacks, not the Spark jobs).
    "quick": {
        "series": ("a", "b", "c"),
        "rounds": 1,
        # One day is lake enough for the hourly run (its Gold reads two days either side) and keeps the
        # quick run within its five minutes.
        "backfill": ("2024-03-14", "2024-03-14"),
        "ks": (1,),
        "months": (),
        "loads": 3,
    },
    "full": {
        "series": SERIES,
        "rounds": 3,
        "backfill": ("2024-03-01", "2024-03-14"),
        "ks": (1, 3, 6, 12),
        "months": (1, 3, 6, 12),
        "loads": 7,
    },
}


def _counts(
    parser: argparse.ArgumentParser, flag: str, text: str | None, low: int, high: int
) -> tuple[int, ...] | None:
    """``"1,12"`` → ``(1, 12)``; None when not given; anything else stops, naming the flag and the range."""
    if text is None:
        return None
    try:
        counts = tuple(sorted({int(part) for part in text.split(",")}))
    except ValueError:
        counts = ()
    if not counts or counts[0] < low or counts[-1] > high:
        parser.error(f"{flag}: {text!r} is not a comma-separated list of whole numbers from {low} to {high}")
    return counts


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="npm run bench --", description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="a few minutes: one round, K = 1, no series e")
    mode.add_argument(
        "--self-check", action="store_true", help="run the harness briefly and validate its record"
    )
    parser.add_argument(
        "--series",
        help="which series, e.g. a,b,c (a, b, c run together; default: all, or a,b,c with --quick)",
    )
    parser.add_argument(
        "--out", type=Path, default=REPO / "docs" / "benchmarks", help="where the JSON and plots go"
    )
    parser.add_argument(
        "--scratch", type=Path, default=REPO / ".local" / "bench", help="data sets and workspaces"
    )
    parser.add_argument(
        "--months",
        help="series e: months to backfill, e.g. 1,12 (default: the mode's, 1,3,6,12 in the full run)",
    )
    parser.add_argument(
        "--ks",
        help="series d: numbers of weekly chunks, e.g. 1,3 (default: the mode's, 1,3,6,12 in the full run)",
    )
    args = parser.parse_args(argv)
    args.months = _counts(parser, "--months", args.months, 1, 12)
    args.ks = _counts(parser, "--ks", args.ks, 1, 12)
    if args.series is None:
        args.series = ",".join(MODES["quick" if args.quick else "full"]["series"])
    chosen = [s.strip() for s in args.series.split(",") if s.strip()]
    unknown = [s for s in chosen if s not in SERIES]
    if unknown:
        parser.error(f"--series: {', '.join(unknown)} not a series; allowed: {', '.join(SERIES)}")
    args.series = set(chosen)
    return args


def run_series(record: dict, mode: dict, chosen: set[str], scratch: Path, partial: Path) -> None:
    """Run the chosen series in order, writing the record so far to ``partial`` after each one, so an
    interrupted or failed run (the full run takes most of an hour) keeps what it measured."""
    from bench import series

    def keep() -> None:
        partial.write_text(json.dumps(record, indent=1) + "\n")
        log(f"record so far: {partial}")

    if chosen & {"a", "b", "c"}:
        record["series"].update(series.floors_and_hourly(scratch, mode["rounds"], mode["backfill"]))
        keep()
    if "d" in chosen:
        record["series"]["d"] = series.jvm_per_stage_vs_one_session(scratch, mode["ks"])
        keep()
    if "e" in chosen and mode["months"]:
        record["series"]["e"] = series.backfill_scaling(scratch, mode["months"])
        keep()
    if "f" in chosen:
        record["series"]["f"] = series.lambda_bundles(scratch, mode["loads"])


def summary_lines(record: dict) -> list[str]:
    lines = [
        f"{record['mode']} benchmark, {record['date']}, commit {record['commit']['sha'][:10]}"
        f"{' (dirty)' if record['commit']['dirty'] else ''}, {record['machine']['cpus']} cpus, "
        f"load average at start {record['machine']['loadAverageAtStart']}"
    ]
    for name, data in record["series"].items():
        if name == "c":
            for step in data["hourly"][0]["steps"]:
                top = sorted(step["phases"], key=lambda p: -p["seconds"])[:4]
                lines.append(
                    f"  c  hourly {step['stage']:<6} {step['wallSeconds']:6.1f} s; slowest phases: "
                    + ", ".join(f"{p['name']} {p['seconds']:.1f}" for p in top)
                )
            continue
        for key, value in data["summary"].items():
            lines.append(f"  {name}  {key:<36} {json.dumps(value)}")
    return lines


def main(argv: list[str]) -> int:
    args = parse(argv)
    from bench import plots, series

    mode_name = "self-check" if args.self_check else "quick" if args.quick else "full"
    started = time.monotonic()
    record = new_record(mode_name)
    try:
        if args.self_check:
            with tempfile.TemporaryDirectory(prefix="aqi-bench-") as scratch:
                record["series"]["a"] = series.bare_floor(Path(scratch))
                record["wallSeconds"] = round(time.monotonic() - started, 1)
                validate(record)
                (Path(scratch) / "self-check.json").write_text(json.dumps(record))
                log(f"self-check: record valid; {json.dumps(record['series']['a']['summary'])}")
            return 0
        args.scratch.mkdir(parents=True, exist_ok=True)
        args.out.mkdir(parents=True, exist_ok=True)
        partial = args.out / f"{mode_name}.partial.json"
        mode = dict(MODES[mode_name])
        mode.update({k: v for k, v in (("months", args.months), ("ks", args.ks)) if v is not None})
        record["settings"] = {
            "months": list(mode["months"]),
            "ks": list(mode["ks"]),
            "rounds": mode["rounds"],
        }
        run_series(record, mode, args.series, args.scratch, partial)
    except BenchError as error:
        print(f"bench failed: {error}", file=sys.stderr)
        if record["series"]:
            print(f"the series measured before it are in {partial}", file=sys.stderr)
        return 1
    record["wallSeconds"] = round(time.monotonic() - started, 1)
    validate(record)
    out = args.out / f"{mode_name}.json"
    out.write_text(json.dumps(record, indent=1) + "\n")
    partial.unlink(missing_ok=True)
    drawn = plots.draw_all(record, args.out)
    print("\n".join(summary_lines(record)))
    print(f"record: {out.relative_to(REPO) if out.is_relative_to(REPO) else out}")
    for path in drawn:
        print(f"plot:   {path.relative_to(REPO) if path.is_relative_to(REPO) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
