"""Silver parses, validates, deduplicates and aggregates Bronze rows to hourly values in AQI units."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from fixtures import assert_rows, drop_lake_tables, largest_generated_method
from fixtures.openaq import archive_csv, write_archive_file
from pyspark.sql import DataFrame, SparkSession

from aqi_jobs import bronze, silver, silver_rows
from aqi_jobs.stage import Location, StageContext, StageOutcome
from aqi_jobs.tables import BRONZE_MEASUREMENTS, QUARANTINE, RAW_COLUMNS, SILVER_CHANGES, SILVER_HOURLY

D = Decimal
T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
T1 = datetime(2024, 5, 2, 12, 0, tzinfo=UTC)
DEL_NORTE = Location(2178, "Del Norte", "America/Denver")


def raw(
    when: str,
    value: str | None,
    parameter: str = "pm25",
    units: str = "µg/m³",
    sensor: str = "3917",
    location: str = "2178",
) -> tuple[str | None, ...]:
    return (location, sensor, "Del Norte", when, "35.1", "-106.5", parameter, units, value)


def bronze_frame(spark: SparkSession, rows: list[tuple], ingested_at: datetime = T0) -> DataFrame:
    frame = spark.createDataFrame(
        [("key", *r) for r in rows], ", ".join(f"{c} string" for c in ["source_key", *RAW_COLUMNS])
    )
    return bronze.with_lineage(frame, "archive", "bronze-run", ingested_at)


def outcomes(classified: DataFrame) -> list[tuple]:
    return sorted(
        ((r.datetime, r.value, r.outcome, r.reason) for r in classified.collect()),
        key=lambda t: tuple("" if x is None else str(x) for x in t),
    )


def test_each_row_gets_exactly_one_outcome_and_rejected_rows_a_reason(spark: SparkSession) -> None:
    rows = [
        raw("2023-02-22T01:00:00-07:00", "6.2"),
        raw("2023-02-22T02:00:00-07:00", "-999"),
        raw("2023-02-22T03:00:00-07:00", None),
        raw("2023-02-22T04:00:00-07:00", "n/a"),
        raw("2023-02-22T05:00:00-07:00", "21", parameter="temperature", units="c"),
        raw("2023-02-22T06:00:00-07:00", "5", units="ppt"),
        raw("2023-02-22T07:00:00-07:00", "5", units="ppm"),
        raw("2023-02-22T08:00:00-07:00", "-4.9"),  # noise, kept
        raw("2023-02-22T09:00:00-07:00", "-5.1"),
        raw("2023-02-22T10:00:00-07:00", "1000.1"),
        raw("2023-02-22T11:00:00", "6"),  # no offset
        raw("garbage", "6"),
        raw("2023-02-22T12:00:00-07:00", "6", sensor="abc"),
        raw("2023-02-22T13:00:00-07:00", "6", location=""),
    ]
    classified = silver_rows.classify(bronze_frame(spark, rows))
    assert outcomes(classified) == [
        ("2023-02-22T01:00:00-07:00", "6.2", "valid", None),
        ("2023-02-22T02:00:00-07:00", "-999", "rejected", "value_sentinel_-999"),
        ("2023-02-22T03:00:00-07:00", None, "rejected", "value_missing"),
        ("2023-02-22T04:00:00-07:00", "n/a", "rejected", "value_not_numeric"),
        ("2023-02-22T05:00:00-07:00", "21", "rejected", "parameter_not_aqi"),
        ("2023-02-22T06:00:00-07:00", "5", "rejected", "units_unknown"),
        ("2023-02-22T07:00:00-07:00", "5", "rejected", "units_not_convertible"),
        ("2023-02-22T08:00:00-07:00", "-4.9", "valid", None),
        ("2023-02-22T09:00:00-07:00", "-5.1", "rejected", "value_negative"),
        ("2023-02-22T10:00:00-07:00", "1000.1", "rejected", "value_above_plausible_max"),
        ("2023-02-22T11:00:00", "6", "rejected", "datetime_invalid"),
        ("2023-02-22T12:00:00-07:00", "6", "rejected", "sensor_id_invalid"),
        ("2023-02-22T13:00:00-07:00", "6", "rejected", "location_id_invalid"),
        ("garbage", "6", "rejected", "datetime_invalid"),
    ]


def test_the_latest_ingested_copy_of_an_instant_wins_even_when_stamped_in_another_offset(
    spark: SparkSession,
) -> None:
    older = bronze_frame(spark, [raw("2023-02-22T01:00:00-07:00", "6.2")], ingested_at=T0)
    newer = bronze_frame(spark, [raw("2023-02-22T08:00:00Z", "-999")], ingested_at=T1)
    assert outcomes(silver_rows.classify(older.unionByName(newer))) == [
        ("2023-02-22T01:00:00-07:00", "6.2", "duplicate", None),
        ("2023-02-22T08:00:00Z", "-999", "rejected", "value_sentinel_-999"),
    ]


def test_classify_generates_code_without_a_copy_of_the_parses_per_conversion(spark: SparkSession) -> None:
    """The unit conversion compares pollutant and unit once per conversion pair. With both parses
    written inline, every comparison carried its own copy of them and the classify step generated a
    method of 27,109 bytes; parsed once, as columns, it is 8,025."""
    classified = silver_rows.classify(bronze_frame(spark, [raw("2023-02-22T01:15:00-07:00", "10")]))
    assert largest_generated_method(classified.groupBy("outcome").count()) < 16_000


def test_sub_hourly_samples_average_into_their_hour_ending_hour_in_aqi_units(spark: SparkSession) -> None:
    rows = [
        raw("2023-02-22T01:15:00-07:00", "100", parameter="o3", sensor="11"),
        raw("2023-02-22T01:30:00-07:00", "50", parameter="o3", sensor="11"),
        raw("2023-02-22T02:00:00-07:00", "0", parameter="o3", sensor="11"),
        raw("2023-02-22T01:00:00-07:00", "-4", sensor="12"),
        raw("2023-02-22T01:00:00-07:00", "0.035", parameter="no2", units="ppm", sensor="13"),
    ]
    classified = silver_rows.classify(bronze_frame(spark, rows))
    hours = silver_rows.hourly(classified.where("outcome = 'valid'"), "silver-run", T1)
    ingested, processed = datetime(2024, 5, 1, 12), datetime(2024, 5, 2, 12)
    assert_rows(
        hours,
        list(silver_rows.HOURLY_COLUMNS),
        [
            # (100 + 50 + 0) / 3 µg/m³ × 24.45 / 48.00 / 1000 = 0.0254687… ppm
            (
                2178,
                11,
                "o3",
                "ppm",
                datetime(2023, 2, 22, 9),
                D("0.025469"),
                3,
                ingested,
                processed,
                "silver-run",
            ),
            # a negative mean within the noise floor is a true zero
            (
                2178,
                12,
                "pm25",
                "ug/m3",
                datetime(2023, 2, 22, 8),
                D("0.000000"),
                1,
                ingested,
                processed,
                "silver-run",
            ),
            (
                2178,
                13,
                "no2",
                "ppb",
                datetime(2023, 2, 22, 8),
                D("35.000000"),
                1,
                ingested,
                processed,
                "silver-run",
            ),
        ],
    )


# ---- end to end, through the tables ----------------------------------------------------------------


@pytest.fixture
def empty_lake(spark: SparkSession) -> None:
    drop_lake_tables(spark)
    spark.sql(f"DROP TABLE IF EXISTS {SILVER_CHANGES} PURGE")


def ctx(
    mode: str, run_id: str, start: str | None = None, end: str | None = None, stage: str = "silver", **kw
) -> StageContext:
    return StageContext(
        stage=stage,
        run_id=run_id,
        mode=mode,
        catalog="hadoop",
        warehouse="unused",
        result_uri="unused",
        start=start,
        end=end,
        locations=(DEL_NORTE,),
        **kw,
    )


def ingest(
    spark: SparkSession, archive: Path, run_id: str, start: str = "2023-02-22", end: str = "2023-02-23"
) -> None:
    bronze.run(
        spark, ctx("backfill", run_id, start, end, stage="bronze", source="archive", archive_uri=str(archive))
    )


def table(spark: SparkSession, name: str, *drop: str) -> list[tuple]:
    return sorted((tuple(r) for r in spark.table(name).drop(*drop).collect()), key=repr)


DAY_1 = [
    raw("2023-02-22T01:00:00-07:00", "6.2"),
    raw("2023-02-22T01:00:00-07:00", "6.2"),  # an identical line: Bronze keeps one
    raw("2023-02-22T02:15:00-07:00", "8"),
    raw("2023-02-22T02:45:00-07:00", "10"),
    raw("2023-02-22T03:00:00-07:00", "-999"),
    raw("2023-02-22T03:00:00-07:00", "41", parameter="o3", units="ppb", sensor="3918"),
    raw("2023-02-23T00:00:00-07:00", "5.5"),  # hour-ending midnight belongs to the file of the 22nd
]
DAY_2 = [
    raw("2023-02-23T01:00:00-07:00", "garbage"),
    raw("2023-02-23T01:00:00-07:00", "0.0412", "o3", "ppm", "3918"),
]


@pytest.fixture(scope="module")
def two_days_in_range(spark: SparkSession, tmp_path_factory: pytest.TempPathFactory) -> StageOutcome:
    """Bronze holding DAY_1 and DAY_2, and the outcome of one Silver range run over them.

    Shared by the next two tests (one Bronze ingest and Silver run instead of two: the suite must stay fast).
    """
    drop_lake_tables(spark)
    archive = tmp_path_factory.mktemp("archive")
    write_archive_file(archive, 2178, date(2023, 2, 22), archive_csv(DAY_1))
    write_archive_file(archive, 2178, date(2023, 2, 23), archive_csv(DAY_2))
    ingest(spark, archive, "backfill-1")
    return silver.run(spark, ctx("range", "silver-1", "2023-02-22", "2023-02-23"))


def test_range_writes_hourly_rows_and_quarantine_and_the_row_accounting_holds(
    spark: SparkSession, two_days_in_range: StageOutcome
) -> None:
    outcome = two_days_in_range
    assert table(spark, SILVER_HOURLY, "ingested_at", "processed_at") == sorted(
        [
            (2178, 3917, "pm25", "ug/m3", datetime(2023, 2, 22, 8), D("6.200000"), 1, "silver-1"),
            (2178, 3917, "pm25", "ug/m3", datetime(2023, 2, 22, 10), D("9.000000"), 2, "silver-1"),
            (2178, 3918, "o3", "ppm", datetime(2023, 2, 22, 10), D("0.041000"), 1, "silver-1"),
            (2178, 3917, "pm25", "ug/m3", datetime(2023, 2, 23, 7), D("5.500000"), 1, "silver-1"),
            (2178, 3918, "o3", "ppm", datetime(2023, 2, 23, 8), D("0.041200"), 1, "silver-1"),
        ],
        key=repr,
    )
    assert sorted((r.datetime, r.value, r.reason) for r in spark.table(QUARANTINE).collect()) == [
        ("2023-02-22T03:00:00-07:00", "-999", "value_sentinel_-999"),
        ("2023-02-23T01:00:00-07:00", "garbage", "value_not_numeric"),
    ]
    # 8 Bronze rows = 5 hourly rows + 2 quarantined + 1 sub-hourly sample folded into its hour
    counts = (outcome.rows_read, outcome.rows_written, outcome.rows_rejected, outcome.rows_duplicate)
    assert counts == (8, 5, 2, 1)
    assert outcome.affected_days == ["2023-02-22", "2023-02-23"]


def test_running_range_again_leaves_every_table_identical(
    spark: SparkSession, two_days_in_range: StageOutcome
) -> None:
    before = (table(spark, SILVER_HOURLY), table(spark, QUARANTINE), table(spark, SILVER_CHANGES))

    again = silver.run(spark, ctx("range", "silver-2", "2023-02-22", "2023-02-23"))

    # the change log included: a run that changes no hour logs nothing
    assert (table(spark, SILVER_HOURLY), table(spark, QUARANTINE), table(spark, SILVER_CHANGES)) == before
    counts = (again.rows_read, again.rows_written, again.rows_rejected, again.rows_duplicate)
    assert counts == (8, 5, 2, 1)


def test_incremental_takes_only_new_bronze_rows_and_recomputes_just_their_hours(
    spark: SparkSession, tmp_path: Path, empty_lake: None
) -> None:
    write_archive_file(tmp_path, 2178, date(2023, 2, 22), archive_csv(DAY_1))
    ingest(spark, tmp_path, "backfill-1", end="2023-02-22")
    first = silver.run(spark, ctx("incremental", "silver-1"))
    # a re-export changes one sample of the 02:00-03:00 local hour
    changed = [r if r[3] != "2023-02-22T02:45:00-07:00" else raw(r[3], "12") for r in DAY_1]
    write_archive_file(tmp_path, 2178, date(2023, 2, 22), archive_csv(changed))
    ingest(spark, tmp_path, "backfill-2", end="2023-02-22")

    second = silver.run(spark, ctx("incremental", "silver-2"))
    third = silver.run(spark, ctx("incremental", "silver-3"))

    assert (first.rows_read, first.rows_written) == (6, 4)
    # the changed hour's rows only (hour ending 03:00 local): the new 02:45 row (written), the one it
    # supersedes and the 02:15 sample (duplicates), and the 03:00 -999 (rejected)
    assert (second.rows_read, second.rows_written, second.rows_rejected, second.rows_duplicate) == (
        4,
        1,
        1,
        2,
    )
    assert (third.rows_read, third.rows_written) == (0, 0)
    by_hour = {
        (r.sensor_id, r.hour_end_utc): (r.value, r.sample_count, r.run_id)
        for r in spark.table(SILVER_HOURLY).collect()
    }
    assert by_hour[(3917, datetime(2023, 2, 22, 10))] == (D("10.000000"), 2, "silver-2")
    assert by_hour[(3917, datetime(2023, 2, 22, 8))] == (D("6.200000"), 1, "silver-1")
    later_changes = spark.table(SILVER_CHANGES).where("run_id <> 'silver-1'").drop("processed_at")
    assert_rows(
        later_changes,
        ["location_id", "sensor_id", "hour_end_utc", "change_kind", "run_id"],
        [(2178, 3917, datetime(2023, 2, 22, 10), "update", "silver-2")],
    )


def test_an_hour_whose_only_row_is_re_exported_as_invalid_leaves_silver(
    spark: SparkSession, tmp_path: Path, empty_lake: None
) -> None:
    write_archive_file(
        tmp_path, 2178, date(2023, 2, 22), archive_csv([raw("2023-02-22T01:00:00-07:00", "6.2")])
    )
    ingest(spark, tmp_path, "backfill-1", end="2023-02-22")
    silver.run(spark, ctx("incremental", "silver-1"))
    write_archive_file(
        tmp_path, 2178, date(2023, 2, 22), archive_csv([raw("2023-02-22T01:00:00-07:00", "-999")])
    )
    ingest(spark, tmp_path, "backfill-2", end="2023-02-22")

    outcome = silver.run(spark, ctx("incremental", "silver-2"))

    assert spark.table(SILVER_HOURLY).count() == 0
    assert (outcome.rows_read, outcome.rows_written, outcome.rows_rejected, outcome.rows_duplicate) == (
        2,
        0,
        1,
        1,
    )
    assert outcome.affected_days == ["2023-02-22"]
    assert spark.table(BRONZE_MEASUREMENTS).count() == 2  # Bronze keeps both exports


def test_a_range_run_that_covered_all_new_bronze_rows_moves_the_watermark(
    spark: SparkSession, tmp_path: Path, empty_lake: None
) -> None:
    write_archive_file(tmp_path, 2178, date(2023, 2, 22), archive_csv(DAY_1))
    ingest(spark, tmp_path, "backfill-1", end="2023-02-22")
    silver.run(spark, ctx("range", "silver-1", "2023-02-22", "2023-02-22"))

    after = silver.run(spark, ctx("incremental", "hourly-1"))

    assert (after.rows_read, after.rows_written, after.affected_days) == (0, 0, [])


def test_a_range_run_leaves_the_watermark_while_rows_outside_the_range_wait(
    spark: SparkSession, tmp_path: Path, empty_lake: None
) -> None:
    write_archive_file(
        tmp_path, 2178, date(2023, 3, 10), archive_csv([raw("2023-03-10T01:00:00-07:00", "4.4")])
    )
    ingest(spark, tmp_path, "hourly-0", start="2023-03-10", end="2023-03-10")
    write_archive_file(tmp_path, 2178, date(2023, 2, 22), archive_csv(DAY_1))
    ingest(spark, tmp_path, "backfill-1", end="2023-02-22")
    silver.run(spark, ctx("range", "silver-1", "2023-02-22", "2023-02-22"))

    after = silver.run(spark, ctx("incremental", "hourly-1"))

    # everything since the (absent) watermark: the waiting March row and, again, the February day
    assert (after.rows_read, after.rows_written, after.affected_days) == (
        7,
        5,
        ["2023-02-22", "2023-02-23", "2023-03-10"],
    )
