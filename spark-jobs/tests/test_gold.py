"""Gold ``run`` end to end on a small Silver table in the temporary Iceberg warehouse."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from fixtures import assert_rows, drop_lake_tables
from pyspark.sql import SparkSession

from aqi_jobs import gold, gold_dims
from aqi_jobs.gold_tables import (
    AQI_DAILY,
    AQI_DAILY_POLLUTANT,
    AQI_HOURLY,
    DIM_LOCATION,
    DIM_POLLUTANT,
    GOLD_STATE,
    GOLD_TABLES,
)
from aqi_jobs.stage import Location, StageContext, StageOutcome
from aqi_jobs.tables import SILVER_CHANGES, SILVER_HOURLY, current_snapshot, ensure_tables

D = Decimal
DEL_NORTE = Location(2178, "Del Norte", "America/Denver")  # LST = UTC−7
KOLKATA = Location(8118, "Kolkata", "Asia/Kolkata")  # LST = UTC+05:30
SILVER_SCHEMA = (
    "location_id bigint, sensor_id bigint, pollutant string, units string, hour_end_utc timestamp, "
    "value decimal(18,6), sample_count int, ingested_at timestamp, processed_at timestamp, run_id string"
)
PROCESSED_1 = datetime(2024, 7, 5, 1, 0, tzinfo=UTC)
PROCESSED_2 = datetime(2024, 7, 6, 1, 0, tzinfo=UTC)
JULY_1, JULY_2, JULY_3 = date(2024, 7, 1), date(2024, 7, 2), date(2024, 7, 3)


def hour_end(location: Location, day: int, lst_hour: int) -> datetime:
    """Silver's hour-ending UTC stamp of the hour beginning at ``lst_hour`` LST on July ``day``."""
    offset = {DEL_NORTE.id: timedelta(hours=-7), KOLKATA.id: timedelta(hours=5, minutes=30)}[location.id]
    return datetime(2024, 7, day, tzinfo=UTC) + timedelta(hours=lst_hour + 1) - offset


def silver_row(
    location: Location, sensor: int, pollutant: str, day: int, hour: int, value: str, processed: datetime
):
    units = {"pm25": "ug/m3", "o3": "ppm", "no2": "ppb"}[pollutant]
    stamp = hour_end(location, day, hour)
    return (location.id, sensor, pollutant, units, stamp, D(value), 1, stamp, processed, "silver-1")


def first_silver_rows() -> list[tuple]:
    return [
        *[silver_row(DEL_NORTE, 11, "pm25", 1, h, "9.1", PROCESSED_1) for h in range(24)],
        *[silver_row(DEL_NORTE, 12, "pm25", 1, h, "9.1", PROCESSED_1) for h in range(10)],
        *[silver_row(DEL_NORTE, 13, "o3", 1, h, "0.040", PROCESSED_1) for h in range(24)],
        *[silver_row(DEL_NORTE, 13, "o3", 2, h, "0.040", PROCESSED_1) for h in range(7)],
        *[silver_row(KOLKATA, 21, "no2", 1, h, "54", PROCESSED_1) for h in range(18)],
    ]


def context(
    run_id: str, mode: str = "incremental", start: str | None = None, end: str | None = None
) -> StageContext:
    return StageContext(
        stage="gold", run_id=run_id, mode=mode, catalog="hadoop", warehouse="unused", result_uri="unused",
        start=start, end=end, locations=(DEL_NORTE, KOLKATA),
    )  # fmt: skip


def append_silver(spark: SparkSession, rows: list[tuple]) -> None:
    spark.createDataFrame(rows, SILVER_SCHEMA).writeTo(SILVER_HOURLY).append()


def lake(spark: SparkSession) -> dict[str, list[tuple]]:
    """Every row of every Gold table, lineage columns included, in a stable order."""
    return {
        table: sorted((tuple(r) for r in spark.table(table).collect()), key=repr) for table in GOLD_TABLES
    }


def test_an_hour_affects_the_days_of_7_hours_before_and_23_hours_after_its_lst_begin() -> None:
    # Three changed hours at a Denver-time location, beginning at 00:00, 05:00 and 12:00 MST on July 3.
    mst = gold_dims.standard_utc_offset_minutes("America/Denver", PROCESSED_1)
    assert mst == -7 * 60  # standard time, though Denver keeps daylight saving time in July
    july_4 = date(2024, 7, 4)
    expected = {
        0: [JULY_2, JULY_3],  # 00:00: 17:00 the day before; 23:00 the same day
        5: [JULY_2, JULY_3, july_4],  # 05:00: 22:00 the day before; 04:00 the next day
        12: [JULY_3, july_4],  # 12:00: 05:00 the same day; 11:00 the next day
    }
    for lst_hour, days in expected.items():
        end = int(hour_end(DEL_NORTE, 3, lst_hour).timestamp())
        assert gold.affected_days(end, mst) == days, lst_hour
    # Kolkata (UTC+05:30): the hour beginning 18:30 UTC on July 2 begins at 00:00 IST on July 3.
    assert gold.affected_days(int(hour_end(KOLKATA, 3, 0).timestamp()), 330) == [JULY_2, JULY_3]


@dataclass(frozen=True)
class FirstRun:
    outcome: StageOutcome
    snapshots: dict[str, int | None]
    lake: dict[str, list[tuple]]


@pytest.fixture(scope="module")
def first_run(spark: SparkSession) -> Iterator[FirstRun]:
    """Gold's first incremental run over the first Silver rows, done once for the module."""
    drop_lake_tables(spark)
    for table in (SILVER_CHANGES, *GOLD_TABLES):
        spark.sql(f"DROP TABLE IF EXISTS {table} PURGE")
    ensure_tables(spark, SILVER_HOURLY)
    append_silver(spark, first_silver_rows())
    outcome = gold.run(spark, context("gold-1"))
    snapshots = {table: current_snapshot(spark, table) for table in (SILVER_HOURLY, *GOLD_TABLES)}
    yield FirstRun(outcome, snapshots, lake(spark))
    drop_lake_tables(spark)
    for table in (SILVER_CHANGES, *GOLD_TABLES):
        spark.sql(f"DROP TABLE IF EXISTS {table} PURGE")


@pytest.fixture
def after_first_run(spark: SparkSession, first_run: FirstRun) -> FirstRun:
    """Silver and Gold exactly as the first run left them: earlier tests' commits are rolled back."""
    for table, snapshot in first_run.snapshots.items():
        if current_snapshot(spark, table) != snapshot:
            spark.sql(f"CALL aqi.system.set_current_snapshot('{table.split('.', 1)[1]}', {snapshot})")
    return first_run


POLLUTANT_DAY = ["location_id", "pollutant", "lst_date", "hours_observed", "aqi"]


def test_the_first_run_recomputes_the_days_its_silver_hours_affect(after_first_run: FirstRun) -> None:
    outcome = after_first_run.outcome
    # 83 sensor-hours; 73 location-hours, 4 pollutant-days and 3 location-days written.
    assert (outcome.rows_read, outcome.rows_written) == (83, 73 + 4 + 3)
    # LST July 1 00:00 to July 2 06:00 (Denver) and July 1 (Kolkata) affect June 30 … July 3.
    assert outcome.affected_days == ["2024-06-30", "2024-07-01", "2024-07-02", "2024-07-03"]
    assert (outcome.window_start, outcome.window_end) == ("2024-06-30", "2024-07-03")
    assert sorted(outcome.snapshots) == sorted(t.split(".", 1)[1] for t in GOLD_TABLES)
    assert None not in outcome.snapshots.values()


def test_the_first_run_writes_daily_aqi_per_pollutant_and_per_location(
    spark: SparkSession, after_first_run: FirstRun
) -> None:
    assert_rows(
        spark.table(AQI_DAILY).drop("computed_at"),
        [
            "location_id",
            "lst_date",
            "aqi",
            "dominant_pollutant",
            "category",
            "color",
            "pollutants_reporting",
            "run_id",
        ],
        [
            (
                2178,
                JULY_1,
                51,
                "pm25",
                "Moderate",
                "#FFFF00",
                2,
                "gold-1",
            ),  # pm25 9.1 → 51 beats o3 0.040 → 37
            (2178, JULY_2, None, None, None, None, 0, "gold-1"),  # 7 hours of O3: no daily value
            (8118, JULY_1, 51, "no2", "Moderate", "#FFFF00", 1, "gold-1"),
        ],
    )
    assert_rows(
        spark.table(AQI_DAILY_POLLUTANT).select(*POLLUTANT_DAY),
        POLLUTANT_DAY,
        [(2178, "pm25", JULY_1, 24, 51), (2178, "o3", JULY_1, 24, 37), (2178, "o3", JULY_2, 7, None),
         (8118, "no2", JULY_1, 18, 51)],
    )  # fmt: skip


def test_the_first_run_fills_the_location_and_pollutant_dimensions(
    spark: SparkSession, after_first_run: FirstRun
) -> None:
    assert_rows(
        spark.table(DIM_LOCATION).drop("computed_at"),
        ["location_id", "name", "timezone", "standard_utc_offset_minutes", "run_id"],
        [
            (2178, "Del Norte", "America/Denver", -420, "gold-1"),
            (8118, "Kolkata", "Asia/Kolkata", 330, "gold-1"),
        ],
    )
    assert_rows(
        spark.table(DIM_POLLUTANT).drop("computed_at", "run_id"),
        ["pollutant", "units", "truncate_to", "averagings", "primary_averaging", "dominance_rank"],
        [("pm25", "ug/m3", D("0.1"), "24h", "24h", 1), ("pm10", "ug/m3", D("1"), "24h", "24h", 3),
         ("o3", "ppm", D("0.001"), "8h,1h", "8h", 2), ("co", "ppm", D("0.1"), "8h", "8h", 6),
         ("so2", "ppb", D("1"), "1h,24h", "1h", 5), ("no2", "ppb", D("1"), "1h", "1h", 4)],
    )  # fmt: skip


def test_an_incremental_rerun_without_new_silver_rows_changes_nothing(
    spark: SparkSession, after_first_run: FirstRun
) -> None:
    again = gold.run(spark, context("gold-2"))

    assert (again.rows_read, again.rows_written, again.affected_days) == (0, 0, [])
    assert lake(spark) == after_first_run.lake


def test_a_range_rerun_of_the_same_days_leaves_every_table_identical(
    spark: SparkSession, after_first_run: FirstRun
) -> None:
    ranged = gold.run(spark, context("gold-3", "range", "2024-07-01", "2024-07-01"))

    assert (ranged.rows_read, ranged.rows_written) == (83, 73 + 4 + 3)
    assert ranged.affected_days == ["2024-06-30", "2024-07-01", "2024-07-02"]
    assert lake(spark) == after_first_run.lake  # lineage included: unchanged rows keep run gold-1


def test_late_silver_data_recomputes_only_the_days_it_affects(
    spark: SparkSession, after_first_run: FirstRun
) -> None:
    append_silver(spark, [silver_row(DEL_NORTE, 11, "pm25", 3, 5, "20", PROCESSED_2)])

    late = gold.run(spark, context("gold-4"))

    # 05:00 LST July 3 feeds July 2 (O3/CO windows from the evening before), July 3 and July 4 (look-backs).
    assert late.affected_days == ["2024-07-02", "2024-07-03", "2024-07-04"]
    assert_rows(
        spark.table(AQI_DAILY).select("location_id", "lst_date", "aqi", "run_id"),
        ["location_id", "lst_date", "aqi", "run_id"],
        [(2178, JULY_1, 51, "gold-1"), (2178, JULY_2, None, "gold-1"), (2178, JULY_3, None, "gold-4"),
         (8118, JULY_1, 51, "gold-1")],
    )  # fmt: skip
    assert_rows(
        spark.table(AQI_HOURLY)
        .where("run_id = 'gold-4'")
        .select("pollutant", "lst_date", "lst_hour", "value"),
        ["pollutant", "lst_date", "lst_hour", "value"],
        [("pm25", JULY_3, 5, D("20.000000"))],
    )
    assert_rows(spark.table(GOLD_STATE).select("stage", "run_id"), ["stage", "run_id"], [("gold", "gold-4")])


@pytest.mark.parametrize(
    ("start", "end", "state"),
    [
        (
            "2024-07-02",
            "2024-07-04",
            ("2024-07-06 01:00:00", "gold-9"),
        ),  # recomputes July 1–5: covers July 2–4
        ("2024-07-01", "2024-07-01", ("2024-07-05 01:00:00", "gold-1")),  # recomputes June 30–July 2 only
    ],
)
def test_a_range_run_advances_the_watermark_only_when_it_covers_every_pending_silver_change(
    spark: SparkSession, after_first_run: FirstRun, start: str, end: str, state: tuple[str, str]
) -> None:
    append_silver(spark, [silver_row(DEL_NORTE, 11, "pm25", 3, 5, "20", PROCESSED_2)])  # affects July 2–4

    gold.run(spark, context("gold-9", "range", start, end))

    watermark = spark.sql(
        "SELECT date_format(silver_processed_through, 'yyyy-MM-dd HH:mm:ss') AS through, run_id "
        f"FROM {GOLD_STATE}"
    )
    assert_rows(watermark, ["through", "run_id"], [state])


def test_a_day_whose_silver_hours_are_gone_loses_its_gold_rows_on_recompute(
    spark: SparkSession, after_first_run: FirstRun
) -> None:
    spark.sql(f"DELETE FROM {SILVER_HOURLY} WHERE location_id = {KOLKATA.id}")

    gold.run(spark, context("gold-5", "range", "2024-07-01", "2024-07-01"))

    assert_rows(
        spark.table(AQI_DAILY).select("location_id", "lst_date", "aqi"),
        ["location_id", "lst_date", "aqi"],
        [(2178, JULY_1, 51), (2178, JULY_2, None)],
    )
    assert spark.table(AQI_HOURLY).where(f"location_id = {KOLKATA.id}").collect() == []


@pytest.mark.parametrize(
    ("mode", "start", "end"), [("incremental", None, None), ("range", "2024-07-01", "2024-07-01")]
)
def test_silver_rows_of_an_unconfigured_location_stop_gold_with_the_ids_named(
    spark: SparkSession, after_first_run: FirstRun, mode: str, start: str | None, end: str | None
) -> None:
    stamp = hour_end(DEL_NORTE, 1, 0)
    append_silver(spark, [(9999, 99, "pm25", "ug/m3", stamp, D("5"), 1, stamp, PROCESSED_2, "silver-1")])

    with pytest.raises(
        gold.GoldInputError, match=r"location ids not in aqi_gold.dim_location: 9999; add them"
    ):
        gold.run(spark, replace(context("gold-6", mode, start, end), locations=(DEL_NORTE,)))


def test_an_unknown_mode_is_refused_with_the_allowed_ones(spark: SparkSession) -> None:
    with pytest.raises(
        gold.GoldInputError, match=r"--mode for gold must be one of incremental, range; got 'hourly'"
    ):
        gold.run(spark, context("gold-8", "hourly"))


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (None, "2024-07-01", r"gold range needs --start and --end \(YYYY-MM-DD, inclusive\)"),
        ("2024-07-01", "July 2", r"as YYYY-MM-DD; got '2024-07-01' and 'July 2'"),
        ("2024-07-02", "2024-07-01", r"--start 2024-07-02 is after --end 2024-07-01"),
    ],
)
def test_a_bad_range_is_refused_with_the_arguments_named(
    spark: SparkSession, start: str | None, end: str | None, message: str
) -> None:
    with pytest.raises(gold.GoldInputError, match=message):
        gold.run(spark, context("gold-7", "range", start, end))
