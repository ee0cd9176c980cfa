"""The stage CLI: arguments validated with precise messages (exit 2), failures reported (exit 1), SIGTERM."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from fixtures import drop_lake_tables
from pyspark.sql import SparkSession

from aqi_jobs import cancellation, cli
from aqi_jobs.cancellation import StageCancelledError
from aqi_jobs.stage import MODES, StageContext

BASE = [
    "--run-id",
    "backfill-20250101T0300Z-1a2b3c4d",
    "--warehouse",
    "/tmp/wh",
    "--catalog",
    "hadoop",
    "--result-uri",
    "/tmp/result.json",
]
BRONZE_BACKFILL = [
    "bronze",
    *BASE,
    "--mode",
    "backfill",
    "--start",
    "2024-01-01",
    "--end",
    "2024-01-31",
    "--source",
    "archive",
    "--archive-uri",
    "s3://openaq-data-archive",
    "--locations-uri",
    "s3://artifacts/config/locations.json",
]
BRONZE_HOURLY = [
    "bronze",
    *BASE,
    "--mode",
    "hourly",
    "--start",
    "2025-01-01T02:00:00Z",
    "--end",
    "2025-01-01T03:00:00Z",
    "--api-base-url",
    "https://api.openaq.org",
    "--locations-uri",
    "/tmp/locations.json",
]


def with_arg(argv: list[str], name: str, value: str | None) -> list[str]:
    """argv with ``name`` set to ``value`` (None removes it)."""
    out = list(argv)
    if name in out:
        at = out.index(name)
        del out[at : at + 2]
    return out if value is None else [*out, name, value]


@pytest.fixture(autouse=True)
def restore_sigterm() -> Iterator[None]:
    previous = signal.getsignal(signal.SIGTERM)
    yield
    signal.signal(signal.SIGTERM, previous)


def test_a_bronze_backfill_command_line_parses_into_its_context() -> None:
    assert cli.parse_context(BRONZE_BACKFILL) == StageContext(
        stage="bronze",
        run_id="backfill-20250101T0300Z-1a2b3c4d",
        mode="backfill",
        catalog="hadoop",
        warehouse="/tmp/wh",
        result_uri="/tmp/result.json",
        start="2024-01-01",
        end="2024-01-31",
        source="archive",
        archive_uri="s3://openaq-data-archive",
    )


def test_the_source_defaults_from_the_mode() -> None:
    assert cli.parse_context(BRONZE_HOURLY).source == "api"


def test_the_command_line_knows_exactly_the_modes_of_each_stage() -> None:
    assert {name: tuple(modes) for name, modes in cli.COMMAND_LINES.items()} == MODES


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            with_arg(BRONZE_BACKFILL, "--start", "2024-13-01"),
            "argument --start: '2024-13-01' is not a date; bronze backfill needs YYYY-MM-DD, e.g. 2024-01-31",
        ),
        (
            with_arg(BRONZE_BACKFILL, "--end", "2024-01-31T00:00:00Z"),
            "argument --end: '2024-01-31T00:00:00Z' is not a date; "
            "bronze backfill needs YYYY-MM-DD, e.g. 2024-01-31",
        ),
        (
            with_arg(BRONZE_BACKFILL, "--end", "2023-12-31"),
            "arguments --start 2024-01-01 and --end 2023-12-31: start must not be after end",
        ),
        (
            with_arg(BRONZE_HOURLY, "--start", "2025-01-01T02:30:00Z"),
            "argument --start: '2025-01-01T02:30:00Z' is not a UTC hour; "
            "bronze hourly needs YYYY-MM-DDTHH:00:00Z, e.g. 2025-01-01T03:00:00Z",
        ),
        (
            with_arg(BRONZE_HOURLY, "--start", "2025-01-01T03:00:00Z"),
            "arguments --start 2025-01-01T03:00:00Z and --end 2025-01-01T03:00:00Z: "
            "start is exclusive, so it must be before end",
        ),
        (with_arg(BRONZE_HOURLY, "--end", None), "argument --end is required for bronze hourly"),
        (
            with_arg(BRONZE_BACKFILL, "--mode", "range"),
            "argument --mode: 'range' is not a mode of bronze; allowed: backfill, hourly",
        ),
        (
            with_arg(BRONZE_BACKFILL, "--archive-uri", None),
            "argument --archive-uri is required for bronze backfill",
        ),
        (
            with_arg(BRONZE_BACKFILL, "--locations-uri", None),
            "argument --locations-uri is required for bronze backfill",
        ),
        (
            with_arg(BRONZE_BACKFILL, "--source", "api"),
            "argument --source: 'api' does not fit bronze backfill; allowed: archive",
        ),
        (
            ["silver", *BASE, "--mode", "incremental", "--start", "2024-01-01"],
            "argument --start: silver incremental takes no window (it processes what is new); remove it",
        ),
        (
            with_arg(BRONZE_BACKFILL, "--run-id", "run id with spaces"),
            "argument --run-id: 'run id with spaces' is not allowed; "
            "use 1-128 letters, digits, '.', '_' or '-' "
            "starting with a letter or digit (it becomes part of S3 keys and EMR tags)",
        ),
        (
            with_arg(BRONZE_BACKFILL, "--catalog", "hive"),
            "argument --catalog: invalid choice: 'hive' (choose from 'glue', 'hadoop')",
        ),
        (
            ["silver", *BASE, "--mode", "incremental", "--max-rejected-share", "1.5"],
            "argument --max-rejected-share: '1.5' is not a share; use a number from 0 to 1, e.g. 0.2",
        ),
        (
            ["silver", *BASE, "--mode", "incremental", "--silent-location-hours", "0"],
            "argument --silent-location-hours: '0' is not a number of hours; "
            "use a whole number from 1 to 168",
        ),
        (
            ["gold", *BASE, "--mode", "incremental", "--max-rejected-share", "0.2"],
            "argument --max-rejected-share: only silver has a quality gate; remove it from gold",
        ),
        (["platinum", *BASE, "--mode", "range"], "argument stage: invalid choice: 'platinum'"),
        ([*BRONZE_BACKFILL, "--bogus", "1"], "unrecognized arguments: --bogus 1"),
    ],
)
def test_bad_arguments_exit_2_with_usage_and_a_message_naming_argument_value_and_what_is_allowed(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(argv)
    err = capsys.readouterr().err
    assert exited.value.code == 2
    assert err.startswith("usage: entry.py [-h] --run-id RUN_ID --mode MODE")
    assert message in err
    assert "Traceback" not in err


def read_result(path: Path) -> dict:
    document = json.loads(path.read_text())
    for volatile in ("startedAt", "finishedAt", "durationSeconds", "snapshots", "phases"):
        assert volatile in document
        del document[volatile]
    return document


def test_an_invalid_locations_file_fails_with_exit_1_one_line_and_a_failed_result(
    spark: SparkSession, warehouse: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    locations = tmp_path / "locations.json"
    locations.write_text('[{"id": 2178, "name": "Del Norte", "timezone": "Mars/Olympus"}]')
    result = tmp_path / "out" / "bronze.json"
    argv = with_arg(
        with_arg(
            with_arg(
                with_arg(BRONZE_BACKFILL, "--locations-uri", str(locations)),
                "--result-uri",
                f"file://{result}",
            ),
            "--warehouse",
            str(warehouse),
        ),
        "--chunk-id",
        "chunk-0003",
    )

    assert cli.main(argv) == 1

    message = (
        f"--locations-uri {locations}[0].timezone: 'Mars/Olympus' is not an IANA time zone "
        f"(e.g. 'America/Denver')"
    )
    assert capsys.readouterr().err == f"aqi-jobs bronze failed: InvalidLocationsError: {message}\n"
    assert read_result(result) == {
        "stage": "bronze",
        "runId": "backfill-20250101T0300Z-1a2b3c4d",
        "chunkId": "chunk-0003",
        "status": "FAILED",
        "mode": "backfill",
        "rowsRead": 0,
        "rowsWritten": 0,
        "rowsRejected": 0,
        "rowsDuplicate": 0,
        "window": {"start": "2024-01-01", "end": "2024-01-31"},
        "affectedDays": [],
        "apiRequests": None,
        "error": {"type": "InvalidLocationsError", "message": message},
    }


def test_a_successful_stage_exits_0_and_writes_a_succeeded_result(
    spark: SparkSession, warehouse: Path, tmp_path: Path
) -> None:
    drop_lake_tables(spark)
    result = tmp_path / "silver.json"
    argv = [
        "silver",
        *with_arg(with_arg(BASE, "--result-uri", str(result)), "--warehouse", str(warehouse)),
        "--mode",
        "incremental",
    ]

    assert cli.main(argv) == 0

    document = json.loads(result.read_text())
    assert set(document["snapshots"]) == {"aqi_silver.measurements_hourly", "aqi_silver.quarantine"}
    # Nothing new in Bronze: no MERGE, no watermark; the upkeep still looks at every table.
    assert [(p["kind"], p["name"]) for p in document["phases"]] == [
        ("start", "JVM and Python start"),
        ("start", "SparkSession"),
        ("read", "locations"),
        ("setup", "ensure tables"),
        ("read", "watermark"),
        ("read", "bounds of the Bronze rows to process"),
        ("action", "classify Bronze rows"),
        ("action", "hourly means"),
        ("action", "affected days"),
        ("read", "pending Bronze rows outside the range"),
        ("result", "snapshot ids"),
        ("upkeep", "expire snapshots of aqi_bronze.measurements"),
        ("upkeep", "expire snapshots of aqi_bronze.api_sensor_lists"),
        ("upkeep", "expire snapshots of aqi_silver.measurements_hourly"),
        ("upkeep", "expire snapshots of aqi_silver.quarantine"),
        ("upkeep", "expire snapshots of aqi_silver.hour_changes"),
        ("upkeep", "expire snapshots of aqi_silver.stage_state"),
        ("result", "result file"),
    ]
    assert read_result(result) == {
        "stage": "silver",
        "runId": "backfill-20250101T0300Z-1a2b3c4d",
        "chunkId": None,
        "status": "SUCCEEDED",
        "mode": "incremental",
        "rowsRead": 0,
        "rowsWritten": 0,
        "rowsRejected": 0,
        "rowsDuplicate": 0,
        "window": {"start": None, "end": None},
        "affectedDays": [],
        "apiRequests": None,
        "error": None,
    }


def test_sigterm_raises_stage_cancelled_at_once_and_before_any_later_commit() -> None:
    cancellation.install()
    with pytest.raises(StageCancelledError, match="received SIGTERM"):
        os.kill(os.getpid(), signal.SIGTERM)
    with pytest.raises(StageCancelledError, match="stopped before the next commit"):
        cancellation.raise_if_cancelled()


def test_installing_for_a_new_stage_forgets_an_earlier_sigterm() -> None:
    cancellation.install()
    with pytest.raises(StageCancelledError):
        os.kill(os.getpid(), signal.SIGTERM)
    cancellation.install()
    cancellation.raise_if_cancelled()
