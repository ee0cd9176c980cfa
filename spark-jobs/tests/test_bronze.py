"""Bronze ingests archive files and API windows as raw text, once: re-ingesting adds nothing."""

from __future__ import annotations

import fcntl
import gzip
import os
import signal
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fixtures import drop_lake_tables
from fixtures.openaq import FakeOpenAQ, archive_csv, hour_record, serve, write_archive_file
from pyspark.sql import SparkSession

from aqi_jobs import bronze, cancellation, commit_lock
from aqi_jobs.stage import Location, StageContext, StageOutcome
from aqi_jobs.tables import API_SENSOR_LISTS, BRONZE_MEASUREMENTS, RAW_COLUMNS

DEL_NORTE = Location(2178, "Del Norte", "America/Denver")
COLUMNS = ["source_key", *RAW_COLUMNS]


@pytest.fixture
def empty_lake(spark: SparkSession) -> None:
    drop_lake_tables(spark)


def backfill(tmp_path: Path, start: str, end: str, run_id: str = "backfill-1") -> StageContext:
    return StageContext(
        stage="bronze",
        run_id=run_id,
        mode="backfill",
        catalog="hadoop",
        warehouse="unused",
        result_uri="unused",
        start=start,
        end=end,
        source="archive",
        archive_uri=str(tmp_path),
        locations=(DEL_NORTE,),
    )


def row(hour: int, value: str, parameter: str = "pm25", units: str = "µg/m³") -> tuple[str, ...]:
    return (
        "2178",
        "3917",
        "Del Norte",
        f"2023-02-22T{hour:02d}:00:00-07:00",
        "35.1",
        "-106.5",
        parameter,
        units,
        value,
    )


def bronze_rows(spark: SparkSession) -> list[tuple]:
    return sorted(tuple(r) for r in spark.table(BRONZE_MEASUREMENTS).drop("ingested_at", "run_id").collect())


def test_with_lineage_adds_source_hash_instant_and_run_in_the_table_order(spark: SparkSession) -> None:
    raw = spark.createDataFrame(
        [("k1", *row(1, "6.2")), ("k1", *row(1, None)), ("k2", *row(1, ""))],
        ", ".join(f"{c} string" for c in COLUMNS),
    )
    at = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
    out = bronze.with_lineage(raw, "archive", "run-7", at)
    assert out.columns == [
        *RAW_COLUMNS,
        "source",
        "source_key",
        "row_hash",
        "observed_at_utc",
        "ingested_at",
        "run_id",
    ]
    rows = out.collect()
    assert [(r.source, r.source_key, str(r.observed_at_utc), str(r.ingested_at), r.run_id) for r in rows] == [
        ("archive", "k1", "2023-02-22 08:00:00", "2024-05-01 12:30:00", "run-7"),
        ("archive", "k1", "2023-02-22 08:00:00", "2024-05-01 12:30:00", "run-7"),
        ("archive", "k2", "2023-02-22 08:00:00", "2024-05-01 12:30:00", "run-7"),
    ]
    # a missing value and an empty one are different rows
    assert len({r.row_hash for r in rows}) == 3


def test_the_row_hash_ignores_the_file_a_row_came_from_but_not_its_source(spark: SparkSession) -> None:
    raw = spark.createDataFrame(
        [("k1", *row(1, "6.2")), ("k2", *row(1, "6.2"))], ", ".join(f"{c} string" for c in COLUMNS)
    )
    at = datetime(2024, 5, 1, tzinfo=UTC)
    archive_hashes = {r.row_hash for r in bronze.with_lineage(raw, "archive", "r", at).collect()}
    api_hashes = {r.row_hash for r in bronze.with_lineage(raw, "api", "r", at).collect()}
    assert len(archive_hashes) == 1 and len(api_hashes) == 1 and archive_hashes != api_hashes


def test_backfill_ingests_each_file_once_and_a_second_run_changes_nothing(
    spark: SparkSession, tmp_path: Path, empty_lake: None
) -> None:
    write_archive_file(tmp_path, 2178, date(2023, 2, 22), archive_csv([row(1, "6.2"), row(2, "-999")]))
    write_archive_file(tmp_path, 2178, date(2023, 2, 23), archive_csv([row(3, "7.0")]))
    write_archive_file(tmp_path, 2178, date(2023, 2, 25), archive_csv([row(4, "8.0")]))  # outside the window

    first = bronze.run(spark, backfill(tmp_path, "2023-02-21", "2023-02-24"))
    after_first = bronze_rows(spark)
    second = bronze.run(spark, backfill(tmp_path, "2023-02-21", "2023-02-24", run_id="backfill-2"))

    assert first == StageOutcome(
        rows_read=3,
        rows_written=3,
        rows_rejected=0,
        rows_duplicate=0,
        affected_days=["2023-02-22"],
        snapshots=first.snapshots,
        unreadable_sources=[],
    )
    assert (second.rows_read, second.rows_written, second.rows_duplicate) == (3, 0, 3)
    assert second.snapshots == first.snapshots  # no commit at all
    assert bronze_rows(spark) == after_first
    assert [(r[8], r[10]) for r in after_first] == [
        ("6.2", "records/csv.gz/locationid=2178/year=2023/month=02/location-2178-20230222.csv.gz"),
        ("-999", "records/csv.gz/locationid=2178/year=2023/month=02/location-2178-20230222.csv.gz"),
        ("7.0", "records/csv.gz/locationid=2178/year=2023/month=02/location-2178-20230223.csv.gz"),
    ]


def test_a_row_whose_instant_does_not_parse_is_kept_once_and_names_no_day(
    spark: SparkSession, tmp_path: Path, empty_lake: None
) -> None:
    # Bronze keeps the source's text: Silver quarantines the row. Its NULL instant must still count as
    # written, stay out of the affected days, and be found again by the next run's duplicate check.
    garbled = (*row(1, "6.2")[:3], "22/02/2023 01h", *row(1, "6.2")[4:])
    write_archive_file(tmp_path, 2178, date(2023, 2, 22), archive_csv([garbled, row(2, "6.4")]))

    first = bronze.run(spark, backfill(tmp_path, "2023-02-22", "2023-02-22"))
    second = bronze.run(spark, backfill(tmp_path, "2023-02-22", "2023-02-22", run_id="backfill-2"))

    assert (first.rows_read, first.rows_written, first.rows_duplicate) == (2, 2, 0)
    assert first.affected_days == ["2023-02-22"]
    assert (second.rows_read, second.rows_written, second.rows_duplicate) == (2, 0, 2)
    held = sorted((r.datetime, r.observed_at_utc is None) for r in spark.table(BRONZE_MEASUREMENTS).collect())
    assert held == [("2023-02-22T02:00:00-07:00", False), ("22/02/2023 01h", True)]


def test_a_re_exported_file_adds_only_its_changed_rows(
    spark: SparkSession, tmp_path: Path, empty_lake: None
) -> None:
    write_archive_file(tmp_path, 2178, date(2023, 2, 22), archive_csv([row(1, "6.2"), row(2, "6.4")]))
    bronze.run(spark, backfill(tmp_path, "2023-02-22", "2023-02-22"))
    write_archive_file(tmp_path, 2178, date(2023, 2, 22), archive_csv([row(1, "6.2"), row(2, "6.5")]))

    outcome = bronze.run(spark, backfill(tmp_path, "2023-02-22", "2023-02-22", run_id="backfill-2"))

    assert (outcome.rows_read, outcome.rows_written, outcome.rows_duplicate) == (2, 1, 1)
    values = sorted((r.datetime, r.value, r.run_id) for r in spark.table(BRONZE_MEASUREMENTS).collect())
    assert values == [
        ("2023-02-22T01:00:00-07:00", "6.2", "backfill-1"),
        ("2023-02-22T02:00:00-07:00", "6.4", "backfill-1"),
        ("2023-02-22T02:00:00-07:00", "6.5", "backfill-2"),
    ]


def test_a_damaged_file_is_reported_and_skipped_while_the_others_are_ingested(
    spark: SparkSession, tmp_path: Path, empty_lake: None, capsys: pytest.CaptureFixture[str]
) -> None:
    write_archive_file(tmp_path, 2178, date(2023, 2, 22), archive_csv([row(1, "6.2")]))
    truncated = gzip.compress(archive_csv([row(h, f"{h}.5") for h in range(1, 24)] * 40))
    key = write_archive_file(tmp_path, 2178, date(2023, 2, 23), b"")
    (tmp_path / key).write_bytes(truncated[: len(truncated) - 40])
    empty_key = write_archive_file(tmp_path, 2178, date(2023, 2, 24), b"", compress=False)

    outcome = bronze.run(spark, backfill(tmp_path, "2023-02-22", "2023-02-24"))

    # never counted as zero rows: each unreadable file is listed with its key and reason
    assert [(f["key"], f["reason"]) for f in outcome.unreadable_sources or []] == [
        (key, "truncated gzip: the compressed stream ends early"),
        (empty_key, "empty file: 0 bytes, not even a gzip header"),
    ]
    assert sum(int(f["rejectedLines"]) for f in outcome.unreadable_sources or []) == outcome.rows_rejected

    assert outcome.rows_written == 1
    assert outcome.rows_read == outcome.rows_written + outcome.rows_rejected + outcome.rows_duplicate
    assert outcome.rows_rejected > 0
    assert (
        f"aqi-jobs bronze: rejected {key}: truncated gzip: the compressed stream ends early"
        in capsys.readouterr().err
    )
    assert [r.value for r in spark.table(BRONZE_MEASUREMENTS).collect()] == ["6.2"]


def hourly_context(api_base_url: str, run_id: str) -> StageContext:
    return StageContext(
        stage="bronze",
        run_id=run_id,
        mode="hourly",
        catalog="hadoop",
        warehouse="unused",
        result_uri="unused",
        start="2024-01-01T00:00:00Z",
        end="2024-01-01T02:00:00Z",
        source="api",
        api_base_url=api_base_url,
        locations=(DEL_NORTE,),
    )


def test_hourly_ingests_the_api_window_through_a_500_and_a_429_and_a_second_run_changes_nothing(
    spark: SparkSession, empty_lake: None
) -> None:
    api = FakeOpenAQ(
        sensors={2178: [{"id": 3917, "parameter": {"id": 2, "name": "pm25", "units": "µg/m³"}}]},
        hours={
            3917: [
                hour_record("2024-01-01T01:00:00Z", 6, "pm25", "µg/m³", 6.04),
                hour_record("2024-01-01T02:00:00Z", 7, "pm25", "µg/m³", None),
                hour_record("2024-01-01T03:00:00Z", 9, "pm25", "µg/m³", 9.1),  # after the window
            ]
        },
        failures=[(500, {}), (429, {"x-ratelimit-reset": "1"})],  # both retried, nothing lost
    )
    with serve(api) as base:
        ctx = hourly_context(base, "hourly-1")
        first = bronze.run(spark, ctx)
        after_first = bronze_rows(spark)
        second = bronze.run(spark, ctx)

    assert (first.rows_read, first.rows_written, first.affected_days) == (2, 2, ["2024-01-01"])
    assert (second.rows_read, second.rows_written, second.rows_duplicate) == (2, 0, 2)
    assert bronze_rows(spark) == after_first
    # The first run asks for the sensor list (500 and 429 first) and keeps it in the lake; the second
    # reuses it: one request, for the sensor's hours.
    assert first.api_requests == {
        "requests": 4,
        "byEndpoint": {"/v3/locations/{id}/sensors": 3, "/v3/sensors/{id}/hours": 1},
        "rateLimited": 1,
        "retried": 1,
        "waitedSeconds": 1.0,
        "sensorListsRenewed": 1,
    }
    assert second.api_requests == {
        "requests": 1,
        "byEndpoint": {"/v3/sensors/{id}/hours": 1},
        "rateLimited": 0,
        "retried": 0,
        "waitedSeconds": 0.0,
        "sensorListsRenewed": 0,
    }
    kept = spark.table(API_SENSOR_LISTS).collect()
    assert [(r.location_id, [s.id for s in r.sensors], r.run_id) for r in kept] == [
        (2178, [3917], "hourly-1")
    ]
    request = (
        "/v3/sensors/3917/hours?datetime_from=2024-01-01T00%3A00%3A00Z&datetime_to=2024-01-01T02%3A00%3A00Z"
        "&limit=1000&page=1"
    )
    assert [(r[3], r[8], r[9], r[10]) for r in after_first] == [
        ("2024-01-01T01:00:00Z", "6.04", "api", request),
        ("2024-01-01T02:00:00Z", "7", "api", request),
    ]


@pytest.fixture
def sigterm_received() -> Iterator[None]:
    """The process has had SIGTERM (an EMR step cancel) while a stage was running."""
    previous = signal.getsignal(signal.SIGTERM)
    cancellation.install()
    with pytest.raises(cancellation.StageCancelledError):
        os.kill(os.getpid(), signal.SIGTERM)
    yield
    cancellation.install()  # forget it, so later tests start uncancelled
    signal.signal(signal.SIGTERM, previous)


def test_a_cancelled_stage_stops_before_its_commit_and_leaves_the_table_untouched(
    spark: SparkSession, tmp_path: Path, empty_lake: None, sigterm_received: None
) -> None:
    write_archive_file(tmp_path, 2178, date(2023, 2, 22), archive_csv([row(1, "6.2")]))
    with pytest.raises(cancellation.StageCancelledError):
        bronze.run(spark, backfill(tmp_path, "2023-02-22", "2023-02-22"))
    assert spark.table(BRONZE_MEASUREMENTS).count() == 0


def test_a_cancelled_hourly_run_keeps_no_sensor_list_so_the_next_run_fetches_what_it_fetched_again(
    spark: SparkSession, empty_lake: None, sigterm_received: None
) -> None:
    api = FakeOpenAQ(
        sensors={2178: [{"id": 3917, "parameter": {"id": 2, "name": "pm25", "units": "µg/m³"}}]},
        hours={3917: [hour_record("2024-01-01T01:00:00Z", 6, "pm25", "µg/m³", 6.04)]},
    )
    with serve(api) as base, pytest.raises(cancellation.StageCancelledError):
        bronze.run(spark, hourly_context(base, "hourly-1"))
    assert len(api.requests) == 2  # the list and the hours were fetched, then the stage stopped
    assert spark.table(BRONZE_MEASUREMENTS).count() == 0
    assert spark.table(API_SENSOR_LISTS).count() == 0


def test_a_local_bronze_step_commits_only_while_it_holds_the_warehouse_commit_lock(
    spark: SparkSession, tmp_path: Path, warehouse: Path, empty_lake: None, capsys: pytest.CaptureFixture[str]
) -> None:
    # Another local step (here: this test) holds the lock; flock conflicts between open files even in one
    # process, so Bronze in a thread waits exactly as a second spark-submit would.
    write_archive_file(tmp_path, 2178, date(2023, 2, 22), archive_csv([row(1, "6.2"), row(2, "7.4")]))
    outcome: list[StageOutcome] = []
    with open(warehouse / commit_lock.LOCK_FILE, "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        worker = threading.Thread(
            target=lambda: outcome.append(bronze.run(spark, backfill(tmp_path, "2023-02-22", "2023-02-22")))
        )
        worker.start()
        waited = ""
        deadline = time.monotonic() + 120
        while commit_lock.WAITING_MESSAGE not in waited and worker.is_alive() and time.monotonic() < deadline:
            time.sleep(0.1)
            waited += capsys.readouterr().err
        assert commit_lock.WAITING_MESSAGE in waited
        assert not spark.catalog.tableExists(BRONZE_MEASUREMENTS)  # not even created while the lock is held
        fcntl.flock(held, fcntl.LOCK_UN)
    worker.join(timeout=300)

    assert [o.rows_written for o in outcome] == [2]
    assert [r[8] for r in bronze_rows(spark)] == ["6.2", "7.4"]


@pytest.mark.parametrize(
    ("catalog_type", "warehouse", "locked"),
    [
        ("hadoop", "/srv/lake/warehouse", "/srv/lake/warehouse"),
        ("hadoop", "file:///srv/lake/warehouse", "/srv/lake/warehouse"),
        ("hadoop", "s3://lake/warehouse", None),
        (None, "s3://lake/warehouse", None),  # Glue (catalog-impl, no type) commits atomically
    ],
)
def test_only_a_hadoop_catalog_on_the_local_filesystem_takes_the_commit_lock(
    catalog_type: str | None, warehouse: str, locked: str | None
) -> None:
    assert commit_lock.local_warehouse(catalog_type, warehouse) == locked
