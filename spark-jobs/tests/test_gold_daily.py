"""Gold daily transforms on tiny explicit frames: EPA daily rules in Local Standard Time, overall AQI."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from fixtures import assert_rows
from pyspark.sql import DataFrame, SparkSession

from aqi_jobs import gold_daily, gold_dims, gold_hourly
from aqi_jobs.stage import Location

D = Decimal
DEL_NORTE = Location(2178, "Del Norte", "America/Denver")  # Local Standard Time = UTC−7 all year
HOURS_SCHEMA = (
    "location_id bigint, pollutant string, hour_begin_utc timestamp, value decimal(18,6), sensor_count int"
)
COLUMNS = list(gold_daily.AQI_DAILY_POLLUTANT_COLUMNS)
JULY_1, JULY_2 = date(2024, 7, 1), date(2024, 7, 2)
MODERATE = ("Moderate", "#FFFF00")
USG = ("Unhealthy for Sensitive Groups", "#FF7E00")


def lst(day: int, hour: int) -> datetime:
    """The UTC instant of ``hour``:00 Mountain Standard Time on July ``day`` 2024 (July is MDT: ignored)."""
    return datetime(2024, 7, day, tzinfo=UTC) + timedelta(hours=hour + 7)


def daily(spark: SparkSession, pollutant: str, values: dict[tuple[int, int], str]) -> DataFrame:
    """Daily rows from hourly ``values`` keyed by (July day, LST hour-beginning)."""
    rows = [(2178, pollutant, lst(day, hour), D(value), 1) for (day, hour), value in values.items()]
    dim = gold_dims.dim_location(spark, [DEL_NORTE], datetime(2024, 7, 1, tzinfo=UTC), "test")
    hours = spark.createDataFrame(rows, HOURS_SCHEMA).transform(gold_hourly.with_lst(dim))
    return gold_daily.aqi_daily_pollutant(hours)


def test_pm25_daily_mean_covers_the_lst_day_and_needs_18_of_24_hours(spark: SparkSession) -> None:
    values = {(1, h): "9.1" for h in range(18)} | {(2, h): "9.1" for h in range(17)}
    values[(1, -1)] = "500"  # 23:00 MST on June 30: the previous LST day, not July 1
    assert_rows(
        daily(spark, "pm25", values),
        COLUMNS,
        [
            (2178, "pm25", date(2024, 6, 30), "24h", 1, None, D("500.000000"), None, None, None, None),
            (2178, "pm25", JULY_1, "24h", 18, None, D("9.100000"), D("9.100000"), 51, *MODERATE),
            (2178, "pm25", JULY_2, "24h", 17, None, D("9.100000"), None, None, None, None),
        ],
    )


def test_a_daylight_saving_switch_day_is_still_24_standard_time_hours(spark: SparkSession) -> None:
    # Denver springs forward at 02:00 MST on 2024-03-10; the LST day runs 07:00 UTC to 07:00 UTC anyway.
    start = datetime(2024, 3, 10, 7, tzinfo=UTC)
    rows = [(2178, "pm25", start + timedelta(hours=h), D("9.1"), 1) for h in range(-1, 25)]
    dim = gold_dims.dim_location(spark, [DEL_NORTE], start, "test")
    hours = spark.createDataFrame(rows, HOURS_SCHEMA).transform(gold_hourly.with_lst(dim))
    assert_rows(
        gold_daily.aqi_daily_pollutant(hours).select("lst_date", "hours_observed", "aqi"),
        ["lst_date", "hours_observed", "aqi"],
        [(date(2024, 3, 9), 1, None), (date(2024, 3, 10), 24, 51), (date(2024, 3, 11), 1, None)],
    )


def test_the_o3_window_beginning_at_23_lst_reaches_into_the_next_days_first_hours(
    spark: SparkSession,
) -> None:
    values = {(1, h): "0.040" for h in range(24)} | {(2, h): "0.100" for h in range(7)}
    # The 23:00 window: (0.040 + 7 × 0.100) / 8 = 0.0925 → 0.092 ppm → AQI 166; the 22:00 one is 0.085.
    assert_rows(
        daily(spark, "o3", values),
        COLUMNS,
        [
            (2178, "o3", JULY_1, "8h", 24, 17, D("0.040000"), D("0.092000"), 166, "Unhealthy", "#FF0000"),
            (2178, "o3", JULY_2, "8h", 7, 0, D("0.100000"), None, None, None, None),
        ],
    )


def test_o3_needs_13_of_the_17_eight_hour_windows_valid(spark: SparkSession) -> None:
    # Hours 07–22 only: windows beginning 07–17 have ≥ 6 of 8 hours (11 valid), 18–23 do not.
    values = {(1, h): "0.060" for h in range(7, 23)}
    assert_rows(
        daily(spark, "o3", values),
        COLUMNS,
        [(2178, "o3", JULY_1, "8h", 16, 11, D("0.060000"), None, None, None, None)],
    )


def test_o3_reports_the_1h_index_when_it_is_higher_than_the_8h_index(spark: SparkSession) -> None:
    values = {(1, h): "0.050" for h in range(24)} | {(2, h): "0.050" for h in range(7)}
    values[(1, 14)] = "0.130"  # 1-hour index 107; the 8-hour means stay below 0.065 (≤ 84)
    rows = daily(spark, "o3", values).where("lst_date = DATE'2024-07-01'")
    assert_rows(
        rows,
        COLUMNS,
        [(2178, "o3", JULY_1, "8h", 24, 17, D("0.130000"), D("0.060000"), 107, *USG)],
    )


def test_co_takes_the_highest_valid_8h_mean_of_the_day(spark: SparkSession) -> None:
    values = {(1, h): "1.0" for h in range(24)} | {(1, h): "9.5" for h in range(8, 16)}
    # Windows beginning 00–18 have ≥ 6 of 8 hours without the next day: 19 valid of 24 (18 needed).
    assert_rows(
        daily(spark, "co", values),
        COLUMNS,
        [(2178, "co", JULY_1, "8h", 24, 19, D("9.500000"), D("9.500000"), 101, *USG)],
    )


def test_no2_takes_the_highest_hour_of_a_day_with_18_hours(spark: SparkSession) -> None:
    values = {(1, h): "20" for h in range(18)} | {(1, 9): "101.7"}
    assert_rows(
        daily(spark, "no2", values),
        COLUMNS,
        [(2178, "no2", JULY_1, "1h", 18, None, D("101.700000"), D("101.000000"), 101, *USG)],
    )


def test_so2_at_or_above_305_ppb_uses_the_24h_mean_on_the_24h_rows(spark: SparkSession) -> None:
    values = {(1, h): "310" for h in range(24)} | {(2, h): "100" for h in range(23)} | {(2, 23): "400"}
    assert_rows(
        daily(spark, "so2", values),
        COLUMNS,
        [
            # 24-hour mean 310 ppb: 201 + 99 × 5 / 299 = 202.7 → 203
            (
                2178,
                "so2",
                JULY_1,
                "1h",
                24,
                None,
                D("310.000000"),
                D("310.000000"),
                203,
                "Very Unhealthy",
                "#8F3F97",
            ),
            # one hour at 400 but a 24-hour mean of 112.5: 200
            (
                2178,
                "so2",
                JULY_2,
                "1h",
                24,
                None,
                D("400.000000"),
                D("400.000000"),
                200,
                "Unhealthy",
                "#FF0000",
            ),
        ],
    )


DAILY_POLLUTANT_SCHEMA = (
    "location_id bigint, pollutant string, lst_date date, averaging string, hours_observed int, "
    "windows_valid int, max_1h decimal(18,6), concentration decimal(18,6), aqi int, category string, "
    "color string"
)


def test_the_daily_aqi_is_the_highest_pollutant_with_ties_going_to_pm25_first(spark: SparkSession) -> None:
    def row(day: date, pollutant: str, index: int | None) -> tuple:
        return (2178, pollutant, day, "x", 24, None, D(1), D(1), index, None, None)

    july_3 = date(2024, 7, 3)
    pollutant_days = spark.createDataFrame(
        [
            row(JULY_1, "o3", 80),
            row(JULY_1, "pm25", 80),
            row(JULY_1, "no2", None),
            row(JULY_2, "o3", 120),
            row(JULY_2, "pm25", 80),
            row(july_3, "pm10", None),
        ],
        DAILY_POLLUTANT_SCHEMA,
    )
    assert_rows(
        gold_daily.aqi_daily(pollutant_days),
        list(gold_daily.AQI_DAILY_COLUMNS),
        [
            (2178, JULY_1, 80, "pm25", *MODERATE, 2),
            (2178, JULY_2, 120, "o3", *USG, 2),
            (2178, july_3, None, None, None, None, 0),
        ],
    )
