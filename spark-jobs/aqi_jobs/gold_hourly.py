"""Gold hourly: Silver's sensor hours → one value per location, pollutant and hour → hourly AQI.

**Hour-ending → hour-beginning.** Silver (like OpenAQ) stamps an hour by its end: ``hour_end_utc``
03:00 covers 02:00–02:59. EPA windows are defined on hour-beginning stamps, so Gold works on
``hour_begin_utc = hour_end_utc − 1 hour`` everywhere and never mixes the two.

**Several sensors, one pollutant, one location.** The location's hourly value is the arithmetic mean of
its sensors' hourly values for that hour (Silver has already converted each to the AQI unit, so the mean
never mixes units), rounded half up to 6 decimals, Silver's ``DECIMAL(18,6)``. ``sensor_count`` says how
many sensors contributed. A sensor missing an hour simply does not contribute to that hour.

**Local Standard Time.** ``lst_date``/``lst_hour`` are the hour-beginning in the location's standard time
(UTC + ``standard_utc_offset_minutes``, never DST), computed with integer arithmetic on epoch seconds so
they do not depend on the session time zone.

**Hourly AQI** (a row for every location-pollutant hour that has a value):

* PM2.5, PM10: NowCast over the 12 hours ending at this hour, truncated, on the 24-hour table.
* O3: the mean of the 8 hours ending at this hour (valid with ≥ 6 of 8) on the 8-hour table, and this
  hour's value on the 1-hour table from 0.125 ppm; the higher (``aqi.o3_aqi``).
* CO: the 8-hour mean ending at this hour (≥ 6 of 8) on the 8-hour table.
* NO2: this hour's value on the 1-hour table.
* SO2: this hour's value on the 1-hour table; from 305 ppb the 24-hour mean ending at this hour (≥ 18 of
  24) on the 24-hour rows, else 200 (``aqi.so2_aqi``).

``concentration`` is the truncated value the required index used (NowCast, 8-hour mean or the hour).
An hour without a value has no row, even where NowCast could fill it from 2 of the 3 newest hours.
"""

from __future__ import annotations

from collections.abc import Callable

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F  # noqa: N812
from pyspark.sql.types import DecimalType

from aqi_jobs import aqi, aqi_columns
from aqi_jobs.aqi_columns import SECONDS_PER_HOUR, cast, category_color, category_name, truncated

VALUE_TYPE = DecimalType(18, 6)
SECONDS_PER_DAY = 24 * SECONDS_PER_HOUR
SERIES = ["location_id", "pollutant"]

MIN_HOURS_8H = 6
MIN_HOURS_24H = 18

HOURLY_AVERAGING = {
    p: "nowcast" if p in aqi.NOWCAST_POLLUTANTS else a for p, a in aqi.PRIMARY_AVERAGING.items()
}

LOCATION_HOURS_COLUMNS = ("location_id", "pollutant", "hour_begin_utc", "value", "sensor_count")
AQI_HOURLY_COLUMNS = (
    "location_id",
    "pollutant",
    "hour_begin_utc",
    "lst_date",
    "lst_hour",
    "value",
    "sensor_count",
    "averaging",
    "concentration",
    "aqi",
    "category",
    "color",
)


def location_hours(silver: DataFrame) -> DataFrame:
    """One row per (location, pollutant, hour-beginning): the mean over the location's sensors."""
    hour_begin = F.col("hour_end_utc") - F.expr(f"INTERVAL {SECONDS_PER_HOUR} SECONDS")
    return silver.groupBy("location_id", "pollutant", hour_begin.alias("hour_begin_utc")).agg(
        cast(F.avg("value"), VALUE_TYPE).alias("value"),
        F.countDistinct("sensor_id").cast("int").alias("sensor_count"),
    )


def lst_seconds(utc: Column, offset_minutes: Column) -> Column:
    return F.unix_timestamp(utc) + offset_minutes.cast("long") * 60


def lst_date(seconds: Column) -> Column:
    """The calendar date of local epoch seconds (floor, so it also holds before 1970)."""
    return F.date_add(F.lit("1970-01-01").cast("date"), F.floor(seconds / SECONDS_PER_DAY).cast("int"))


def lst_hour(seconds: Column) -> Column:
    return F.floor(F.pmod(seconds, F.lit(SECONDS_PER_DAY)) / SECONDS_PER_HOUR).cast("int")


def with_lst(dim_location: DataFrame) -> Callable[[DataFrame], DataFrame]:
    """Add ``standard_utc_offset_minutes``, ``lst_date`` and ``lst_hour`` of ``hour_begin_utc``.

    Hours of a location missing from ``dim_location`` are dropped; the stage checks for them first.
    """

    def transform(hours: DataFrame) -> DataFrame:
        offsets = dim_location.select("location_id", "standard_utc_offset_minutes")
        joined = hours.join(offsets, on="location_id", how="inner")
        seconds = lst_seconds(F.col("hour_begin_utc"), F.col("standard_utc_offset_minutes"))
        return joined.select(
            *hours.columns,
            "standard_utc_offset_minutes",
            lst_date(seconds).alias("lst_date"),
            lst_hour(seconds).alias("lst_hour"),
        )

    return transform


def _trailing(hours: int) -> Window:
    at = F.unix_timestamp("hour_begin_utc")
    return Window.partitionBy(*SERIES).orderBy(at).rangeBetween(-(hours - 1) * SECONDS_PER_HOUR, 0)


def _trailing_mean(hours: int, minimum: int) -> Column:
    window = _trailing(hours)
    return F.when(F.count("value").over(window) >= minimum, F.avg("value").over(window))


def by_pollutant(choices: dict[str, Column]) -> Column:
    """A column that takes ``choices[pollutant]`` for each row's ``pollutant`` (NULL for others)."""
    items = list(choices.items())
    expr = F.when(F.col("pollutant") == items[0][0], items[0][1])
    for pollutant, column in items[1:]:
        expr = expr.when(F.col("pollutant") == pollutant, column)
    return expr


def aqi_hourly(hours: DataFrame) -> DataFrame:
    """Hourly AQI per location and pollutant from ``location_hours`` with LST columns (see module doc).

    The trailing averages, then the truncated concentrations, are projections of their own, bound before
    ``aqi_columns.with_aqi`` reads them at every breakpoint.
    """
    averages = hours.select(
        *hours.columns,
        aqi_columns.nowcast(F.col("value"), F.col("hour_begin_utc"), SERIES).alias("nowcast"),
        _trailing_mean(8, MIN_HOURS_8H).alias("mean_8h"),
        _trailing_mean(24, MIN_HOURS_24H).alias("mean_24h"),
    )
    nowcast, mean_8h, mean_24h, value = (F.col(c) for c in ("nowcast", "mean_8h", "mean_24h", "value"))
    required = {"pm25": nowcast, "pm10": nowcast, "o3": mean_8h, "co": mean_8h, "no2": value, "so2": value}
    truncated_ = averages.select(
        *hours.columns,
        by_pollutant({p: F.lit(a) for p, a in HOURLY_AVERAGING.items()}).alias("averaging"),
        by_pollutant({p: cast(truncated(p, c), VALUE_TYPE) for p, c in required.items()}).alias(
            "concentration"
        ),
        # The second table of O3 (this hour on the 1-hour table) and of SO2 (the 24-hour mean).
        by_pollutant({"o3": truncated("o3", value), "so2": truncated("so2", mean_24h)}).alias("secondary"),
    )
    return (
        aqi_columns.with_aqi(truncated_)
        .withColumn("category", category_name(F.col("aqi")))
        .withColumn("color", category_color(F.col("aqi")))
        .select(*AQI_HOURLY_COLUMNS)
    )
