"""Gold hourly transforms on tiny explicit frames: sensors → location hours → LST → hourly AQI."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from fixtures import assert_rows, largest_generated_method
from pyspark.sql import DataFrame, SparkSession

from aqi_jobs import gold_dims, gold_hourly
from aqi_jobs.stage import Location

D = Decimal
DEL_NORTE = Location(2178, "Del Norte", "America/Denver")  # standard time UTC−7 (MST), DST or not
KOLKATA = Location(8118, "Kolkata", "Asia/Kolkata")  # UTC+05:30, a half-hour offset
SILVER_SCHEMA = (
    "location_id bigint, sensor_id bigint, pollutant string, units string, hour_end_utc timestamp, "
    "value decimal(18,6), sample_count int, ingested_at timestamp, processed_at timestamp, run_id string"
)
HOURS_SCHEMA = (
    "location_id bigint, pollutant string, hour_begin_utc timestamp, value decimal(18,6), sensor_count int"
)


def utc(day: int, hour: int, month: int = 7) -> datetime:
    return datetime(2024, month, day, tzinfo=UTC) + timedelta(hours=hour)


def local(moment: datetime) -> datetime:
    """How PySpark hands a TIMESTAMP back to Python: naive, in this process's time zone."""
    return moment.astimezone().replace(tzinfo=None)


def dim(spark: SparkSession, *locations: Location) -> DataFrame:
    return gold_dims.dim_location(spark, locations, utc(1, 0), "test")


def hours_frame(spark: SparkSession, rows: list[tuple], *locations: Location) -> DataFrame:
    frame = spark.createDataFrame(rows, HOURS_SCHEMA)
    return frame.transform(gold_hourly.with_lst(dim(spark, *(locations or (DEL_NORTE,)))))


@pytest.mark.parametrize(
    ("timezone", "at", "minutes"),
    [
        ("America/Denver", datetime(2024, 7, 1, tzinfo=UTC), -420),  # MDT in July, but MST is the standard
        ("America/Denver", datetime(2024, 1, 1, tzinfo=UTC), -420),
        ("Australia/Sydney", datetime(2024, 1, 1, tzinfo=UTC), 600),  # southern summer: AEDT, standard AEST
        ("Asia/Kolkata", datetime(2024, 7, 1, tzinfo=UTC), 330),
        ("UTC", datetime(2024, 7, 1, tzinfo=UTC), 0),
    ],
)
def test_the_standard_utc_offset_leaves_daylight_saving_out(
    timezone: str, at: datetime, minutes: int
) -> None:
    assert gold_dims.standard_utc_offset_minutes(timezone, at) == minutes


def test_location_hours_average_the_sensors_of_a_pollutant_and_convert_hour_ending_to_hour_beginning(
    spark: SparkSession,
) -> None:
    processed = utc(5, 0)
    silver = spark.createDataFrame(
        [
            (2178, 1, "pm25", "ug/m3", utc(1, 8), D("10.000000"), 4, processed, processed, "s"),
            (2178, 2, "pm25", "ug/m3", utc(1, 8), D("11.000001"), 1, processed, processed, "s"),
            (2178, 1, "pm25", "ug/m3", utc(1, 9), D("12.000000"), 4, processed, processed, "s"),
            (2178, 3, "o3", "ppm", utc(1, 9), D("0.041000"), 1, processed, processed, "s"),
        ],
        SILVER_SCHEMA,
    )
    assert_rows(
        gold_hourly.location_hours(silver),
        list(gold_hourly.LOCATION_HOURS_COLUMNS),
        [
            # (10.000000 + 11.000001) / 2 = 10.5000005, rounded half up to Silver's 6 decimals
            (2178, "pm25", local(utc(1, 7)), D("10.500001"), 2),
            (2178, "pm25", local(utc(1, 8)), D("12.000000"), 1),
            (2178, "o3", local(utc(1, 8)), D("0.041000"), 1),
        ],
    )


def test_lst_date_and_hour_use_the_standard_offset_including_half_hours(spark: SparkSession) -> None:
    rows = [
        (2178, "pm25", utc(1, 6), D(1), 1),  # 23:00 MST on June 30 (MDT would say 00:00 July 1)
        (2178, "pm25", utc(1, 7), D(1), 1),  # 00:00 MST on July 1
        (8118, "no2", utc(1, 18), D(1), 1),  # 23:30 IST on July 1
        (8118, "no2", utc(1, 19), D(1), 1),  # 00:30 IST on July 2
    ]
    frame = hours_frame(spark, rows, DEL_NORTE, KOLKATA).select(
        "location_id", "hour_begin_utc", "standard_utc_offset_minutes", "lst_date", "lst_hour"
    )
    assert_rows(
        frame,
        ["location_id", "hour_begin_utc", "standard_utc_offset_minutes", "lst_date", "lst_hour"],
        [
            (2178, local(utc(1, 6)), -420, date(2024, 6, 30), 23),
            (2178, local(utc(1, 7)), -420, date(2024, 7, 1), 0),
            (8118, local(utc(1, 18)), 330, date(2024, 7, 1), 23),
            (8118, local(utc(1, 19)), 330, date(2024, 7, 2), 0),
        ],
    )


def test_hourly_aqi_applies_nowcast_8h_means_and_1h_tables_per_pollutant(spark: SparkSession) -> None:
    rows = [
        (2178, "pm25", utc(1, 10), D("10"), 1),
        (2178, "pm25", utc(1, 11), D("8"), 1),
        (2178, "pm25", utc(1, 12), D("10"), 2),
        *[(2178, "o3", utc(1, h), D("0.072"), 1) for h in range(5, 11)],
        (2178, "co", utc(1, 12), D("4.5"), 1),
        (2178, "no2", utc(1, 12), D("54"), 1),
        (2178, "so2", utc(1, 12), D("400"), 1),
    ]
    day = date(2024, 7, 1)
    usg, moderate, unhealthy, good = (
        ("Unhealthy for Sensitive Groups", "#FF7E00"),
        ("Moderate", "#FFFF00"),
        ("Unhealthy", "#FF0000"),
        ("Good", "#00E400"),
    )
    june_30 = date(2024, 6, 30)
    o3_short = [  # fewer than 6 of 8 hours: no 8-hour mean, and 0.072 ppm is below the 1-hour table
        (2178, "o3", local(utc(1, h)), lst_day, lst_hour, D("0.072000"), 1, "8h", None, None, None, None)
        for h, lst_day, lst_hour in [
            (5, june_30, 22),
            (6, june_30, 23),
            (7, day, 0),
            (8, day, 1),
            (9, day, 2),
        ]
    ]
    assert_rows(
        gold_hourly.aqi_hourly(hours_frame(spark, rows)),
        list(gold_hourly.AQI_HOURLY_COLUMNS),
        [
            # one hour only: NowCast needs 2 of the 3 newest hours
            (2178, "pm25", local(utc(1, 10)), day, 3, D("10.000000"), 1, "nowcast", None, None, None, None),
            # w = 0.8: (8 + 0.8·10) / 1.8 = 8.89 → 8.8 → 49
            (2178, "pm25", local(utc(1, 11)), day, 4, D("8.000000"), 1, "nowcast", D("8.800000"), 49, *good),
            # (10 + 0.8·8 + 0.64·10) / 2.44 = 9.34 → 9.3 → 51
            (
                2178,
                "pm25",
                local(utc(1, 12)),
                day,
                5,
                D("10.000000"),
                2,
                "nowcast",
                D("9.300000"),
                51,
                *moderate,
            ),
            *o3_short,
            (2178, "o3", local(utc(1, 10)), day, 3, D("0.072000"), 1, "8h", D("0.072000"), 105, *usg),
            (2178, "co", local(utc(1, 12)), day, 5, D("4.500000"), 1, "8h", None, None, None, None),
            (2178, "no2", local(utc(1, 12)), day, 5, D("54.000000"), 1, "1h", D("54.000000"), 51, *moderate),
            # 1-hour SO2 ≥ 305 ppb with no 24-hour mean: 200
            (
                2178,
                "so2",
                local(utc(1, 12)),
                day,
                5,
                D("400.000000"),
                1,
                "1h",
                D("400.000000"),
                200,
                *unhealthy,
            ),
        ],
    )


def test_hourly_so2_above_304_ppb_uses_the_trailing_24h_mean_when_18_hours_are_present(
    spark: SparkSession,
) -> None:
    rows = [(2178, "so2", utc(1, 7) + timedelta(hours=h), D("350"), 1) for h in range(18)]
    frame = gold_hourly.aqi_hourly(hours_frame(spark, rows)).where("lst_hour in (16, 17)")
    assert_rows(
        frame.select("lst_hour", "concentration", "aqi", "category"),
        ["lst_hour", "concentration", "aqi", "category"],
        [
            (16, D("350.000000"), 200, "Unhealthy"),  # 17 hours: no 24-hour mean yet
            (17, D("350.000000"), 216, "Very Unhealthy"),  # 18 hours: 350 ppb on the 24-hour rows
        ],
    )


def test_hourly_aqi_generates_code_without_a_copy_per_breakpoint(spark: SparkSession) -> None:
    """Every pollutant's truncation, and a formula per breakpoint, copied into every breakpoint of every
    table made Gold's hourly AQI one generated method of 49,670 bytes (21,348 with the truncation bound
    to a column). With the segments as constants and one formula per index it is under 9,000; copies of
    any kind would take it past this bound again."""
    rows = [(2178, p, utc(1, h), D("10"), 1) for p in ("pm25", "o3", "so2") for h in range(3)]
    assert largest_generated_method(gold_hourly.aqi_hourly(hours_frame(spark, rows))) < 16_000
