"""The stage CLI every EMR step runs (contract: docs/ARCHITECTURE.md, "Stage CLI").

Exit codes: 0 success; 2 bad arguments (usage and a message naming the argument, the value and what is
allowed); 1 any other failure (one line on stderr, and a FAILED result written when possible).
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import NoReturn

from pyspark.sql import SparkSession

from aqi_jobs import cancellation, maintenance
from aqi_jobs.locations import InvalidLocationsError, parse_locations
from aqi_jobs.phases import PhaseClock, timed_stage
from aqi_jobs.result import one_line, stage_result, write_result
from aqi_jobs.session import CATALOG_KINDS, build_session
from aqi_jobs.sources.openaq_api import OpenAQApiError
from aqi_jobs.stage import BACKFILL, HOURLY, INCREMENTAL, MODES, RANGE, STAGES, StageContext, StageOutcome
from aqi_jobs.storage import read_text

DATE = "date"  # YYYY-MM-DD, inclusive on both ends
HOUR = "hour"  # YYYY-MM-DDTHH:00:00Z, start exclusive, end inclusive (period-end stamps)


class Mode:
    """What one (stage, mode) pair needs on the command line."""

    def __init__(self, window: str | None, source: str | None = None, requires: tuple[str, ...] = ()) -> None:
        self.window = window
        self.source = source
        self.requires = requires


COMMAND_LINES: dict[str, dict[str, Mode]] = {
    "bronze": {
        BACKFILL: Mode(DATE, source="archive", requires=("archive_uri", "locations_uri")),
        HOURLY: Mode(HOUR, source="api", requires=("api_base_url", "locations_uri")),
    },
    "silver": {INCREMENTAL: Mode(None), RANGE: Mode(DATE)},
    "gold": {INCREMENTAL: Mode(None), RANGE: Mode(DATE)},
}
SOURCES = ("archive", "api")
MAX_LOOKBACK_HOURS = 168  # the quality gate's silent-location look-back: at most a week
_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_HOUR = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:00:00Z$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class UsageError(ValueError):
    """A command-line value that is well-formed for argparse but not allowed."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="entry.py",
        description="Run one aqi-pipeline stage (an EMR step) and write its result JSON.",
    )
    parser.add_argument("stage", choices=STAGES)
    parser.add_argument(
        "--run-id", required=True, help="pipeline run id, e.g. hourly-20250101T0300Z-1a2b3c4d"
    )
    parser.add_argument(
        "--mode",
        required=True,
        help="; ".join(f"{stage}: {'|'.join(modes)}" for stage, modes in MODES.items()),
    )
    parser.add_argument(
        "--start", help="window start: YYYY-MM-DD (backfill, range) or YYYY-MM-DDTHH:00:00Z (hourly)"
    )
    parser.add_argument("--end", help="window end, inclusive, same format as --start")
    parser.add_argument("--chunk-id", help="backfill chunk id (names the result file)")
    parser.add_argument("--warehouse", required=True, help="Iceberg warehouse URI")
    parser.add_argument("--catalog", required=True, choices=CATALOG_KINDS)
    parser.add_argument("--result-uri", required=True, help="where the stage result JSON goes")
    parser.add_argument("--source", choices=SOURCES, help="bronze: archive (backfill) or api (hourly)")
    parser.add_argument("--archive-uri", help="OpenAQ archive root: s3://openaq-data-archive or a directory")
    parser.add_argument("--api-base-url", help="OpenAQ API base, e.g. https://api.openaq.org")
    parser.add_argument("--api-key-secret", help="Secrets Manager secret holding the OpenAQ API key")
    parser.add_argument("--locations-uri", help="JSON list of locations: id, name, timezone")
    parser.add_argument(
        "--max-rejected-share",
        help="silver quality gate: fail when rejected rows / rows read exceeds this share (0-1, e.g. 0.2)",
    )
    parser.add_argument(
        "--silent-location-hours",
        help="silver quality gate: fail when a location with Silver hours in this many hours before the "
        "batch sends no row in it (1-168, e.g. 24)",
    )
    return parser


def parse_context(argv: Sequence[str]) -> StageContext:
    """Parse and validate the arguments; exits 2 with usage and a precise message when they are wrong."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        _validate(args)
    except UsageError as error:
        _usage_error(parser, str(error))
    return StageContext(
        stage=args.stage,
        run_id=args.run_id,
        mode=args.mode,
        catalog=args.catalog,
        warehouse=args.warehouse,
        result_uri=args.result_uri,
        start=args.start,
        end=args.end,
        chunk_id=args.chunk_id,
        source=args.source or COMMAND_LINES[args.stage][args.mode].source,
        archive_uri=args.archive_uri,
        api_base_url=args.api_base_url,
        api_key_secret=args.api_key_secret,
        max_rejected_share=None if args.max_rejected_share is None else float(args.max_rejected_share),
        silent_location_hours=None if args.silent_location_hours is None else int(args.silent_location_hours),
    )


def _usage_error(parser: argparse.ArgumentParser, message: str) -> NoReturn:
    parser.error(message)


def _validate(args: argparse.Namespace) -> None:
    if not _RUN_ID.match(args.run_id):
        raise UsageError(
            f"argument --run-id: {args.run_id!r} is not allowed; use 1-128 letters, digits, '.', '_' or '-' "
            f"starting with a letter or digit (it becomes part of S3 keys and EMR tags)"
        )
    modes = COMMAND_LINES[args.stage]
    if args.mode not in modes:
        raise UsageError(
            f"argument --mode: {args.mode!r} is not a mode of {args.stage}; allowed: {', '.join(modes)}"
        )
    mode = modes[args.mode]
    _validate_window(args, mode)
    if args.source is not None and args.source != mode.source:
        allowed = mode.source or "none (do not pass --source)"
        raise UsageError(
            f"argument --source: {args.source!r} does not fit {args.stage} {args.mode}; allowed: {allowed}"
        )
    for name in mode.requires:
        if not getattr(args, name):
            raise UsageError(f"argument --{name.replace('_', '-')} is required for {args.stage} {args.mode}")
    _validate_quality_gate(args)


def _validate_quality_gate(args: argparse.Namespace) -> None:
    limits = {
        "max_rejected_share": args.max_rejected_share,
        "silent_location_hours": args.silent_location_hours,
    }
    for name, value in limits.items():
        if value is None:
            continue
        flag = f"--{name.replace('_', '-')}"
        if args.stage != "silver":
            raise UsageError(f"argument {flag}: only silver has a quality gate; remove it from {args.stage}")
        if name == "max_rejected_share" and not _is_share(value):
            raise UsageError(f"argument {flag}: {value!r} is not a share; use a number from 0 to 1, e.g. 0.2")
        if name == "silent_location_hours" and not (
            value.isdigit() and 1 <= int(value) <= MAX_LOOKBACK_HOURS
        ):
            raise UsageError(
                f"argument {flag}: {value!r} is not a number of hours; use a whole number from 1 to "
                f"{MAX_LOOKBACK_HOURS}, e.g. 24"
            )


def _is_share(value: str) -> bool:
    try:
        share = float(value)
    except ValueError:
        return False
    return 0 <= share <= 1


def _validate_window(args: argparse.Namespace, mode: Mode) -> None:
    where = f"{args.stage} {args.mode}"
    if mode.window is None:
        for name in ("start", "end"):
            if getattr(args, name) is not None:
                raise UsageError(
                    f"argument --{name}: {where} takes no window (it processes what is new); remove it"
                )
        return
    bounds = {name: getattr(args, name) for name in ("start", "end")}
    for name, value in bounds.items():
        if value is None:
            raise UsageError(f"argument --{name} is required for {where}")
    if mode.window == DATE:
        start, end = (_parse_date(name, value, where) for name, value in bounds.items())
        if start > end:
            raise UsageError(
                f"arguments --start {args.start} and --end {args.end}: start must not be after end"
            )
    else:
        start_hour, end_hour = (_parse_hour(name, value, where) for name, value in bounds.items())
        if start_hour >= end_hour:
            raise UsageError(
                f"arguments --start {args.start} and --end {args.end}: "
                "start is exclusive, so it must be before end"
            )


def _parse_date(name: str, value: str, where: str) -> date:
    try:
        if _DATE.match(value):
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise UsageError(f"argument --{name}: {value!r} is not a date; {where} needs YYYY-MM-DD, e.g. 2024-01-31")


def _parse_hour(name: str, value: str, where: str) -> datetime:
    try:
        if _HOUR.match(value):
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        pass
    raise UsageError(
        f"argument --{name}: {value!r} is not a UTC hour; "
        f"{where} needs YYYY-MM-DDTHH:00:00Z, e.g. 2025-01-01T03:00:00Z"
    )


def stage_runner(stage: str) -> Callable[[SparkSession, StageContext], StageOutcome]:
    """The ``run`` function of a stage module, imported only when that stage runs."""
    return importlib.import_module(f"aqi_jobs.{stage}").run


def _load_locations(spark: SparkSession, ctx: StageContext, uri: str | None) -> StageContext:
    if uri is None:
        return ctx
    try:
        text = read_text(spark, uri)
    except Exception as error:  # noqa: BLE001 - any I/O failure is reported as the same clear message
        raise InvalidLocationsError(f"--locations-uri {uri}: cannot be read ({one_line(error)})") from None
    return replace(ctx, locations=parse_locations(text, f"--locations-uri {uri}"))


def main(argv: Sequence[str]) -> int:
    ctx = parse_context(argv)
    locations_uri = _locations_uri(argv)
    cancellation.install()
    started_at = datetime.now(UTC)
    spark: SparkSession | None = None
    with timed_stage() as clock:
        try:
            spark = build_session(f"aqi-{ctx.stage}-{ctx.run_id}", ctx.catalog, ctx.warehouse)
            clock.add("start", "JVM and Python start", _seconds_since_jvm_start(spark, started_at))
            clock.lap("start", "SparkSession")
            ctx = _load_locations(spark, ctx, locations_uri)
            clock.lap("read", "locations")
            outcome = stage_runner(ctx.stage)(spark, ctx)
            # A stage marks its last action before returning; what follows is its snapshot-id lookups.
            clock.lap("result", "snapshot ids")
            maintenance.after_stage(spark, ctx.stage, datetime.now(UTC))
            cancellation.raise_if_cancelled()
            finished_at = datetime.now(UTC)
            _write_timed(spark, ctx, clock, lambda: stage_result(ctx, outcome, started_at, finished_at))
            return 0
        except Exception as error:  # noqa: BLE001 - the stage boundary: every failure becomes exit 1 + FAILED
            return _fail(spark, ctx, started_at, error, clock)


def _seconds_since_jvm_start(spark: SparkSession, started_at: datetime) -> float:
    """From the driver JVM's start (spark-submit launched it; it launched this Python) to ``main``."""
    runtime = spark.sparkContext._jvm.java.lang.management.ManagementFactory.getRuntimeMXBean()
    return started_at.timestamp() - runtime.getStartTime() / 1000


def _write_timed(
    spark: SparkSession | None, ctx: StageContext, clock: PhaseClock, document: Callable[[], dict]
) -> None:
    """Write the result, then once more with the time the first write took (a file cannot time itself).

    A reader sees either complete document: each write replaces the object whole.
    """
    result = document()
    result["phases"] = clock.as_json()
    started = time.monotonic()
    write_result(spark, ctx.result_uri, result)
    clock.add("result", "result file", time.monotonic() - started)
    result["phases"] = clock.as_json()
    write_result(spark, ctx.result_uri, result)


def _locations_uri(argv: Sequence[str]) -> str | None:
    return build_parser().parse_args(argv).locations_uri


def _fail(
    spark: SparkSession | None, ctx: StageContext, started_at: datetime, error: Exception, clock: PhaseClock
) -> int:
    if spark is not None:
        try:
            spark.sparkContext.cancelAllJobs()
        except Exception:  # noqa: BLE001 - the context may already be stopping (SIGTERM)
            pass
    if not _is_expected(error):
        # A bug, not bad input: the operator needs the trace in the step's stderr.
        traceback.print_exception(error, file=sys.stderr)
    try:
        failed_at = datetime.now(UTC)
        # A stage that stopped on purpose (Silver's quality gate) reports what it did before it stopped.
        outcome = getattr(error, "outcome", None)
        if not isinstance(outcome, StageOutcome):
            outcome = StageOutcome()
        _write_timed(spark, ctx, clock, lambda: stage_result(ctx, outcome, started_at, failed_at, error))
    except Exception as write_error:  # noqa: BLE001 - the result is best effort once the stage failed
        print(
            f"aqi-jobs: could not write the FAILED result to {ctx.result_uri}: {one_line(write_error)}",
            file=sys.stderr,
        )
    print(f"aqi-jobs {ctx.stage} failed: {type(error).__name__}: {one_line(error)}", file=sys.stderr)
    return 1


def _is_expected(error: Exception) -> bool:
    """Failures whose message says everything (bad data or config, a cancel, an unreachable source)."""
    return isinstance(error, ValueError | OSError | OpenAQApiError | cancellation.StageCancelledError)
