"""Gold daily: the EPA daily value and AQI per location, pollutant and Local Standard Time day.

Windows are in Local Standard Time (``lst_date``, from ``gold_hourly.with_lst``) on hour-beginning stamps.
Every daily value needs 75 % coverage, the EPA's completeness rule, applied the same way to each kind:

* PM2.5, PM10 — midnight-to-midnight mean, ≥ 18 of 24 hours, truncated, 24-hour table.
* O3 — the 17 eight-hour means beginning 07:00…23:00 LST (the 23:00 window runs into the next day's
  first 7 hours); a mean is valid with ≥ 6 of its 8 hours; the day needs ≥ 13 of 17 valid means; the
  daily value is the highest valid mean, truncated. The AQI is the higher of that on the 8-hour table
  and the day's highest hour on the 1-hour table (from 0.125 ppm), as ``aqi.o3_aqi``.
* CO — the highest of the 24 eight-hour means beginning 00:00…23:00 LST, each valid with ≥ 6 of 8 hours;
  the day needs ≥ 18 of 24 valid means (the EPA says "daily max of 8-hour means"; we apply its 75 %
  rule to the windows as for O3).
* NO2 — the day's highest hour, ≥ 18 of 24 hours, 1-hour table.
* SO2 — the day's highest hour on the 1-hour table up to AQI 200; from 305 ppb the day's 24-hour mean
  (≥ 18 of 24 hours) on the 24-hour rows, else 200 (``aqi.so2_aqi``); ≥ 18 of 24 hours.

A day with too little data keeps its row with ``aqi`` NULL, so "no AQI" is visible rather than silent.
The overall daily AQI is the highest pollutant AQI of the day; ties go to ``aqi.DOMINANCE_ORDER``.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F  # noqa: N812

from aqi_jobs import aqi, aqi_columns
from aqi_jobs.aqi_columns import SECONDS_PER_HOUR, cast, category_color, category_name, truncated
from aqi_jobs.gold_hourly import (
    MIN_HOURS_8H,
    MIN_HOURS_24H,
    VALUE_TYPE,
    by_pollutant,
    lst_date,
    lst_hour,
    lst_seconds,
)

EIGHT_HOURS = 8
# Which 8-hour windows belong to a day (by their LST begin hour) and how many must be valid.
EIGHT_HOUR_WINDOWS = {"o3": (range(7, 24), 13), "co": (range(0, 24), 18)}
DAY_KEY = ["location_id", "pollutant", "lst_date"]

AQI_DAILY_POLLUTANT_COLUMNS = (
    "location_id",
    "pollutant",
    "lst_date",
    "averaging",
    "hours_observed",
    "windows_valid",
    "max_1h",
    "concentration",
    "aqi",
    "category",
    "color",
)
AQI_DAILY_COLUMNS = (
    "location_id",
    "lst_date",
    "aqi",
    "dominant_pollutant",
    "category",
    "color",
    "pollutants_reporting",
)


def day_summaries(hours: DataFrame) -> DataFrame:
    """Per location, pollutant and LST day: hours observed, their mean and their maximum."""
    return hours.groupBy(*DAY_KEY).agg(
        F.count("value").cast("int").alias("hours_observed"),
        F.avg("value").alias("mean_24h"),
        F.max("value").alias("max_1h"),
    )


def eight_hour_windows(hours: DataFrame) -> DataFrame:
    """Every 8-hour O3 and CO window that holds at least one hour, keyed by its LST begin day and hour.

    Each hour is counted in the 8 windows that contain it (begins 0–7 hours earlier), so a window
    beginning at a missing hour still exists when later hours of it are present.
    """
    gases = hours.where(F.col("pollutant").isin(*EIGHT_HOUR_WINDOWS))
    begins = F.explode(F.sequence(F.lit(0), F.lit(EIGHT_HOURS - 1))).alias("back")
    spread = gases.select(
        "location_id", "pollutant", "standard_utc_offset_minutes", "hour_begin_utc", "value", begins
    )
    begin_utc = F.timestamp_seconds(F.unix_timestamp("hour_begin_utc") - F.col("back") * SECONDS_PER_HOUR)
    windows = spread.groupBy(
        "location_id", "pollutant", "standard_utc_offset_minutes", begin_utc.alias("begin_utc")
    ).agg(F.count("value").alias("hours"), F.avg("value").alias("mean"))
    seconds = lst_seconds(F.col("begin_utc"), F.col("standard_utc_offset_minutes"))
    return windows.select(
        "location_id",
        "pollutant",
        lst_date(seconds).alias("lst_date"),
        lst_hour(seconds).alias("lst_hour"),
        "hours",
        "mean",
    )


def daily_eight_hour(windows: DataFrame) -> DataFrame:
    """Per day: how many of its windows are valid, and the highest valid mean."""
    belongs = F.lit(False)
    for pollutant, (begin_hours, _) in EIGHT_HOUR_WINDOWS.items():
        belongs = belongs | ((F.col("pollutant") == pollutant) & F.col("lst_hour").isin(*begin_hours))
    valid = F.col("hours") >= MIN_HOURS_8H
    return (
        windows.where(belongs)
        .groupBy(*DAY_KEY)
        .agg(
            F.count(F.when(valid, True)).cast("int").alias("windows_valid"),
            F.max(F.when(valid, F.col("mean"))).alias("max_8h"),
        )
    )


def aqi_daily_pollutant(hours: DataFrame) -> DataFrame:
    """Daily value and AQI per location, pollutant and LST day, from location hours with LST columns."""
    days = day_summaries(hours).join(daily_eight_hour(eight_hour_windows(hours)), on=DAY_KEY, how="left")
    complete = F.col("hours_observed") >= MIN_HOURS_24H
    mean_24h = F.when(complete, F.col("mean_24h"))
    max_1h = F.when(complete, F.col("max_1h"))
    windows_needed = by_pollutant({p: F.lit(n) for p, (_, n) in EIGHT_HOUR_WINDOWS.items()})
    max_8h = F.when(F.col("windows_valid") >= windows_needed, F.col("max_8h"))
    required = {"pm25": mean_24h, "pm10": mean_24h, "o3": max_8h, "co": max_8h, "no2": max_1h, "so2": max_1h}
    # As in gold_hourly.aqi_hourly: the truncated concentrations are bound to columns before the index
    # reads them at every breakpoint.
    truncated_ = days.select(
        *DAY_KEY,
        by_pollutant({p: F.lit(a) for p, a in aqi.PRIMARY_AVERAGING.items()}).alias("averaging"),
        "hours_observed",
        F.when(F.col("pollutant").isin(*EIGHT_HOUR_WINDOWS), F.coalesce(F.col("windows_valid"), F.lit(0)))
        .cast("int")
        .alias("windows_valid"),
        cast(F.col("max_1h"), VALUE_TYPE).alias("max_1h"),
        by_pollutant({p: cast(truncated(p, c), VALUE_TYPE) for p, c in required.items()}).alias(
            "concentration"
        ),
        # The second table of O3 (the day's highest hour, on the 1-hour table) and of SO2 (the 24-hour mean).
        by_pollutant({"o3": truncated("o3", F.col("max_1h")), "so2": truncated("so2", mean_24h)}).alias(
            "secondary"
        ),
    )
    return (
        aqi_columns.with_aqi(truncated_)
        .withColumn("category", category_name(F.col("aqi")))
        .withColumn("color", category_color(F.col("aqi")))
        .select(*AQI_DAILY_POLLUTANT_COLUMNS)
    )


def aqi_daily(daily_pollutant: DataFrame) -> DataFrame:
    """Overall AQI per location and LST day: the highest pollutant AQI; ties by ``aqi.DOMINANCE_ORDER``."""
    rank = by_pollutant({p: F.lit(i) for i, p in enumerate(aqi.DOMINANCE_ORDER)})
    # max() over structs compares field by field: the highest AQI first, then the lowest rank.
    top = F.max(
        F.when(F.col("aqi").isNotNull(), F.struct(F.col("aqi"), (-rank).alias("neg_rank"), "pollutant"))
    )
    return (
        daily_pollutant.groupBy("location_id", "lst_date")
        .agg(top.alias("top"), F.count("aqi").cast("int").alias("pollutants_reporting"))
        .select(
            "location_id",
            "lst_date",
            F.col("top.aqi").alias("aqi"),
            F.col("top.pollutant").alias("dominant_pollutant"),
            category_name(F.col("top.aqi")).alias("category"),
            category_color(F.col("top.aqi")).alias("color"),
            "pollutants_reporting",
        )
    )
