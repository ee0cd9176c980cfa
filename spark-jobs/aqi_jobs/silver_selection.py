"""Which Bronze rows a Silver run reads, and where its watermark may move afterwards.

``incremental`` takes the Bronze rows ingested after Silver's watermark (``stage_state``); ``range``
takes the rows observed from the day before ``start`` to the day after ``end`` (UTC), a margin that
covers the local days [start, end] in every time zone, plus archive rows of those days whose datetime
does not parse. Either way the (sensor, hour) pairs they touch are *recomputed from every Bronze row of
those pairs*, so late data, re-exports and re-runs all converge on the same table.
"""

from __future__ import annotations

from datetime import date, timedelta

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F  # noqa: N812 - the PySpark convention

from aqi_jobs import observations
from aqi_jobs.stage import INCREMENTAL, StageContext
from aqi_jobs.tables import BRONZE_MEASUREMENTS, SILVER_HOURLY

# An hour as the quality gate reports it (the session's time zone is UTC: aqi_jobs.session).
HOUR_TEXT = "yyyy-MM-dd'T'HH:mm:ss'Z'"


def _newer_than(watermark: str | None) -> Column:
    return F.lit(True) if watermark is None else F.col("ingested_at") > F.lit(watermark).cast("timestamp")


def _in_range(ctx: StageContext) -> Column:
    """Bronze rows a range run recomputes (see the module docstring)."""
    if ctx.start is None or ctx.end is None:
        raise ValueError("silver range needs --start and --end")
    start, end = date.fromisoformat(ctx.start), date.fromisoformat(ctx.end)
    low, high = (start - timedelta(days=1)).isoformat(), (end + timedelta(days=2)).isoformat()
    observed = F.col("observed_at_utc")
    file_day = F.to_date(F.regexp_extract("source_key", r"location-\d+-(\d{8})\.csv\.gz$", 1), "yyyyMMdd")
    return ((observed >= F.lit(low).cast("timestamp")) & (observed < F.lit(high).cast("timestamp"))) | (
        observed.isNull() & (F.col("source") == "archive") & file_day.between(F.lit(start), F.lit(end))
    )


def triggers(spark: SparkSession, ctx: StageContext, watermark: str | None) -> DataFrame:
    """The Bronze rows that make this run: new since the watermark, or in the range's window."""
    bronze = spark.table(BRONZE_MEASUREMENTS)
    return bronze.where(_newer_than(watermark) if ctx.mode == INCREMENTAL else _in_range(ctx))


def next_watermark(
    spark: SparkSession, ctx: StageContext, watermark: str | None, ingested_through: str | None
) -> str | None:
    """Where the watermark may move after this run, or None to leave it.

    Incremental: to the latest ``ingested_at`` it read. Range: to the latest it read only if every Bronze
    row ingested since the watermark up to then lies in the range, i.e. the range has processed all of it;
    otherwise (an hourly run's rows still waiting) the watermark stays and the next incremental run reads
    them. Without this, the first hourly run after a backfill would recompute the whole backfill.
    """
    if ingested_through is None:
        return None
    if ctx.mode == INCREMENTAL:
        return ingested_through
    through = F.col("ingested_at") <= F.lit(ingested_through).cast("timestamp")
    pending = spark.table(BRONZE_MEASUREMENTS).where(_newer_than(watermark) & through & ~_in_range(ctx))
    return ingested_through if pending.limit(1).count() == 0 else None


def rows_to_read(
    spark: SparkSession, triggers: DataFrame
) -> tuple[DataFrame, DataFrame, dict[str, str | None]]:
    """Every Bronze row of the (sensor, hour) pairs the triggers touch, plus the triggers without a key.

    Returns (rows, touched pairs, bounds): bounds hold the observed range and the triggers' latest
    ``ingested_at`` as UTC text.
    """
    sensor = observations.bigint_id(F.col("sensors_id"))
    hour = observations.hour_ending(F.col("observed_at_utc"))
    keyed = F.col("observed_at_utc").isNotNull() & sensor.isNotNull()
    bounds = triggers.agg(
        F.date_format(F.min("observed_at_utc") - F.expr("INTERVAL 1 HOUR"), observations.UTC_TEXT).alias(
            "low"
        ),
        F.date_format(F.max("observed_at_utc") + F.expr("INTERVAL 1 HOUR"), observations.UTC_TEXT).alias(
            "high"
        ),
        F.date_format(F.max("ingested_at"), observations.UTC_TEXT).alias("ingested_through"),
    ).first()
    assert bounds is not None
    touched = triggers.where(keyed).select(sensor.alias("sensor_id"), hour.alias("hour_end_utc")).distinct()
    unkeyed = triggers.where(~keyed)
    if bounds.low is None:
        return unkeyed, touched, bounds.asDict()
    observed = F.col("observed_at_utc")
    nearby = spark.table(BRONZE_MEASUREMENTS).where(
        observed.between(F.lit(bounds.low).cast("timestamp"), F.lit(bounds.high).cast("timestamp"))
    )
    of_touched = nearby.join(
        touched.withColumnRenamed("sensor_id", "t_sensor").withColumnRenamed("hour_end_utc", "t_hour"),
        on=(sensor == F.col("t_sensor")) & (hour == F.col("t_hour")),
        how="left_semi",
    )
    return of_touched.unionByName(unkeyed), touched, bounds.asDict()


def locations_reported_before(spark: SparkSession, first_hour: str, hours: int) -> tuple[int, ...]:
    """Locations with Silver hours in the ``hours`` before ``first_hour`` (``HOUR_TEXT``), for the quality
    gate."""
    until = F.to_timestamp(F.lit(first_hour), HOUR_TEXT)
    since = until - F.expr(f"INTERVAL {int(hours)} HOURS")
    hour = F.col("hour_end_utc")
    rows = spark.table(SILVER_HOURLY).where((hour >= since) & (hour < until)).select("location_id").distinct()
    return tuple(sorted(r.location_id for r in rows.collect()))
