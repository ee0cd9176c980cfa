"""Silver: Bronze's raw rows parsed, validated, converted to AQI units and aggregated to the hour.

Selection. ``incremental`` takes the Bronze rows ingested after Silver's watermark (``stage_state``);
``range`` takes the rows observed from the day before ``start`` to the day after ``end`` (UTC), a margin
that covers the local days [start, end] in every time zone, plus archive rows of those days whose datetime
does not parse. Either way the (sensor, hour) pairs they touch are *recomputed from every Bronze row of
those pairs*, so late data, re-exports and re-runs all converge on the same table. A range run moves the
watermark too when it has covered everything Bronze received since it (``_next_watermark``).

Each row read is classified, in this order, into exactly one outcome:

1. **rejected**: location id, sensor id or datetime unreadable (no key to deduplicate on);
2. **duplicate**: another row of the same (sensor, instant) was ingested later (ties: higher row hash)
   — OpenAQ keeps one row per (sensors_id, datetime), and a re-export supersedes the earlier file;
3. **rejected**: the surviving row's value is missing, not a number, −999, of a parameter that is not an
   AQI pollutant, in a unit that is unknown or not convertible for it, below the noise floor or above
   the plausible maximum (``aqi_jobs.units``); the first failing check is its ``reason``;
4. **valid**: aggregated into its hour-ending hour. An hour built from n valid rows is **one row written
   and n − 1 duplicates removed** (``sample_count`` = n): sub-hourly samples collapse into one row.

So ``rowsRead = rowsWritten + rowsRejected + rowsDuplicate`` holds exactly. Negative readings at or
above the noise floor are kept so the mean stays unbiased, and a negative hourly mean becomes zero.

Change log. Before merging, the recomputed hours are compared with ``measurements_hourly``: each touched
(sensor, hour) is an ``insert`` (new), an ``update`` (a compared column differs), a ``delete`` (no valid
row left) or no change. The changes are appended to ``hour_changes`` with this run's ``processed_at`` and
``run_id``; a deleted hour leaves no row in ``measurements_hourly`` whose ``processed_at`` could tell
Gold, so this log is how Gold's incremental mode finds every day to recompute. A run with no change
writes nothing at all (no empty snapshot).

Writes, in this order: the change log (append), one MERGE into ``measurements_hourly`` (insert, update
only when something changed, delete an hour none of whose rows is valid any more), one MERGE into
``quarantine`` keyed on ``row_hash``, then the watermark. Each is an atomic Iceberg commit. The log goes
first so a run stopped after it has at worst announced a change not yet merged: Gold recomputes a day
that turns out unchanged, and the next Silver run, reading the same Bronze rows again (the watermark has
not moved), logs and merges the same change. The reverse order could lose a change for Gold. Stages run
one at a time under the lake-wide lock, so Gold never reads between the two commits.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F  # noqa: N812 - the PySpark convention

from aqi_jobs import cancellation, observations, units
from aqi_jobs.phases import lap
from aqi_jobs.session import unpersisted_at_exit
from aqi_jobs.stage import StageContext, StageOutcome
from aqi_jobs.state import read_watermark, write_watermark
from aqi_jobs.tables import (
    BRONZE_MEASUREMENTS,
    QUARANTINE,
    RAW_COLUMNS,
    SILVER_CHANGES,
    SILVER_HOURLY,
    current_snapshot,
    ensure_tables,
)

INCREMENTAL, RANGE = "incremental", "range"
REJECTED, DUPLICATE, VALID = "rejected", "duplicate", "valid"
INSERT, UPDATE, DELETE = "insert", "update", "delete"
# The columns whose difference makes a recomputed hour an update; lineage columns alone do not.
COMPARED_COLUMNS = ("location_id", "pollutant", "units", "value", "sample_count", "ingested_at")

HOURLY_COLUMNS = (
    "location_id",
    "sensor_id",
    "pollutant",
    "units",
    "hour_end_utc",
    "value",
    "sample_count",
    "ingested_at",
    "processed_at",
    "run_id",
)


def parse_observations(bronze: DataFrame) -> DataFrame:
    """Bronze rows plus their parsed fields (``obs_*``); raw columns are kept for the quarantine."""
    pollutant = observations.pollutant(F.col("parameter"))
    unit = observations.canonical_unit(F.col("units"))
    value = observations.decimal_value(F.col("value"))
    observed = observations.observed_at_utc(F.col("datetime"))
    return bronze.select(
        "*",
        observations.bigint_id(F.col("location_id")).alias("obs_location_id"),
        observations.bigint_id(F.col("sensors_id")).alias("obs_sensor_id"),
        observed.alias("obs_observed_at"),
        observations.hour_ending(observed).alias("obs_hour_end"),
        pollutant.alias("obs_pollutant"),
        unit.alias("obs_unit"),
        value.alias("obs_raw_value"),
        observations.in_aqi_units(value, pollutant, unit).alias("obs_value"),
    )


def key_rejection(parsed: DataFrame) -> DataFrame:
    """Adds ``reason`` for rows without a usable (location, sensor, instant) key, else NULL."""
    reason = (
        F.when(F.col("obs_location_id").isNull(), F.lit("location_id_invalid"))
        .when(F.col("obs_sensor_id").isNull(), F.lit("sensor_id_invalid"))
        .when(F.col("obs_observed_at").isNull(), F.lit("datetime_invalid"))
    )
    return parsed.withColumn("reason", reason)


def value_rejection(parsed: DataFrame) -> DataFrame:
    """Sets ``reason`` (where still NULL) for rows whose value cannot enter the hourly mean."""
    value, raw = F.col("obs_value"), F.col("obs_raw_value")
    pollutant = F.col("obs_pollutant")
    reason = (
        F.when(F.trim(F.col("value")).eqNullSafe("") | F.col("value").isNull(), F.lit("value_missing"))
        .when(raw.isNull(), F.lit("value_not_numeric"))
        .when(raw == F.lit(units.MISSING_SENTINEL), F.lit("value_sentinel_-999"))
        .when(pollutant.isNull(), F.lit("parameter_not_aqi"))
        .when(F.col("obs_unit").isNull(), F.lit("units_unknown"))
        .when(~observations.is_convertible(pollutant, F.col("obs_unit")), F.lit("units_not_convertible"))
        .when(value < observations.per_pollutant(units.NOISE_FLOOR, pollutant), F.lit("value_negative"))
        .when(
            value > observations.per_pollutant(units.PLAUSIBLE_MAX, pollutant),
            F.lit("value_above_plausible_max"),
        )
    )
    return parsed.withColumn("reason", F.coalesce(F.col("reason"), reason))


def classify(bronze: DataFrame) -> DataFrame:
    """Every row read with its ``outcome`` (rejected, duplicate, valid) and, for rejected rows, ``reason``."""
    keyed = bronze.transform(parse_observations).transform(key_rejection)
    latest_first = Window.partitionBy("obs_sensor_id", "obs_observed_at").orderBy(
        F.col("ingested_at").desc(), F.col("row_hash").desc()
    )
    ranked = keyed.withColumn(
        "obs_rank", F.when(F.col("reason").isNull(), F.row_number().over(latest_first))
    ).transform(value_rejection_of_survivors)
    outcome = (
        F.when(F.col("obs_rank") > 1, F.lit(DUPLICATE))
        .when(F.col("reason").isNotNull(), F.lit(REJECTED))
        .otherwise(F.lit(VALID))
    )
    return ranked.withColumn("outcome", outcome).drop("obs_rank")


def value_rejection_of_survivors(ranked: DataFrame) -> DataFrame:
    """Value checks apply to the surviving copy of each observation only (a superseded row is a duplicate)."""
    checked = value_rejection(ranked)
    return checked.withColumn(
        "reason", F.when(F.col("obs_rank") > 1, F.lit(None).cast("string")).otherwise(F.col("reason"))
    )


def hourly(valid: DataFrame, run_id: str, processed_at: datetime) -> DataFrame:
    """One row per (sensor, hour-ending hour): the mean of its valid samples in AQI units."""
    mean = F.avg("obs_value")
    clamped = F.when(mean < 0, F.lit(0)).otherwise(mean)
    return (
        valid.groupBy(F.col("obs_sensor_id").alias("sensor_id"), F.col("obs_hour_end").alias("hour_end_utc"))
        .agg(
            F.max("obs_location_id").alias("location_id"),
            F.max("obs_pollutant").alias("pollutant"),
            clamped.cast(observations.VALUE_DECIMAL).alias("value"),
            F.count(F.lit(1)).cast("int").alias("sample_count"),
            F.max("ingested_at").alias("ingested_at"),
        )
        .select(
            "location_id",
            "sensor_id",
            "pollutant",
            observations.per_pollutant(units.AQI_UNITS, F.col("pollutant")).alias("units"),
            "hour_end_utc",
            "value",
            "sample_count",
            "ingested_at",
            observations.utc_timestamp(processed_at).alias("processed_at"),
            F.lit(run_id).alias("run_id"),
        )
    )


def quarantine_rows(classified: DataFrame, run_id: str, quarantined_at: datetime) -> DataFrame:
    return classified.where(F.col("outcome") == REJECTED).select(
        *RAW_COLUMNS,
        "source",
        "source_key",
        "row_hash",
        "ingested_at",
        "reason",
        observations.utc_timestamp(quarantined_at).alias("quarantined_at"),
        F.lit(run_id).alias("run_id"),
    )


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


def _triggers(spark: SparkSession, ctx: StageContext, watermark: str | None) -> DataFrame:
    """The Bronze rows that make this run: new since the watermark, or in the range's window."""
    bronze = spark.table(BRONZE_MEASUREMENTS)
    return bronze.where(_newer_than(watermark) if ctx.mode == INCREMENTAL else _in_range(ctx))


def _next_watermark(
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


def _rows_to_read(
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


def _differs(target: str, source: str) -> str:
    """SQL: the two aliased rows differ in a compared column (the MERGE and the change log share it)."""
    return " OR ".join(f"NOT ({target}.{c} <=> {source}.{c})" for c in COMPARED_COLUMNS)


def _recomputed(rows: DataFrame, touched: DataFrame) -> DataFrame:
    """Every touched (sensor, hour) with its recomputed row; all NULL but the key when none is valid."""
    return touched.join(rows, on=["sensor_id", "hour_end_utc"], how="left").select(*HOURLY_COLUMNS)


def hour_changes(recomputed: DataFrame, current: DataFrame, run_id: str, processed_at: datetime) -> DataFrame:
    """What merging ``recomputed`` into ``current`` does to each hour: (location_id, sensor_id,
    hour_end_utc, change_kind, processed_at, run_id), unchanged hours left out.

    A deleted hour takes its location from the row it removes. An update that moves a sensor to another
    location (a corrected location id) is logged under both, since the days of both change.
    """
    s, t = recomputed.alias("s"), current.alias("t")
    matched = F.col("t.sensor_id").isNotNull()
    kind = (
        F.when(~matched & F.col("s.value").isNotNull(), F.lit(INSERT))
        .when(matched & F.col("s.value").isNull(), F.lit(DELETE))
        .when(matched & F.expr(_differs("t", "s")), F.lit(UPDATE))
    )
    locations = F.filter(
        F.array_distinct(F.array(F.col("s.location_id"), F.col("t.location_id"))), lambda x: x.isNotNull()
    )
    joined = s.join(
        t,
        on=(F.col("s.sensor_id") == F.col("t.sensor_id"))
        & (F.col("s.hour_end_utc") == F.col("t.hour_end_utc")),
        how="left",
    )
    return joined.select(
        F.explode(locations).alias("location_id"),
        F.col("s.sensor_id").alias("sensor_id"),
        F.col("s.hour_end_utc").alias("hour_end_utc"),
        kind.alias("change_kind"),
        observations.utc_timestamp(processed_at).alias("processed_at"),
        F.lit(run_id).alias("run_id"),
    ).where(F.col("change_kind").isNotNull())


def _in_bounds(bounds: dict[str, str | None]) -> str:
    return f"hour_end_utc BETWEEN TIMESTAMP '{bounds['low']}' AND TIMESTAMP '{bounds['high']}'"


def _merge_hourly(
    spark: SparkSession, rows: DataFrame, touched: DataFrame, bounds: dict[str, str | None]
) -> None:
    """Upsert the recomputed hours; delete touched hours that no longer have a valid row."""
    _recomputed(rows, touched).createOrReplaceTempView("aqi_silver_hourly_update")
    spark.sql(
        f"""
        MERGE INTO {SILVER_HOURLY} t
        USING aqi_silver_hourly_update s
        ON t.sensor_id = s.sensor_id AND t.hour_end_utc = s.hour_end_utc AND t.{_in_bounds(bounds)}
        WHEN MATCHED AND s.value IS NULL THEN DELETE
        WHEN MATCHED AND ({_differs("t", "s")}) THEN UPDATE SET *
        WHEN NOT MATCHED AND s.value IS NOT NULL THEN INSERT *
        """
    )


def _merge_quarantine(spark: SparkSession, rejected: DataFrame) -> None:
    rejected.createOrReplaceTempView("aqi_silver_quarantine_update")
    spark.sql(
        f"""
        MERGE INTO {QUARANTINE} t
        USING aqi_silver_quarantine_update s
        ON t.row_hash = s.row_hash
        WHEN MATCHED AND t.reason <> s.reason THEN UPDATE SET *
        WHEN NOT MATCHED THEN INSERT *
        """
    )


def run(spark: SparkSession, ctx: StageContext) -> StageOutcome:
    ensure_tables(spark)
    lap("setup", "ensure tables")
    with unpersisted_at_exit() as cached:
        return _process(spark, ctx, cached)


def _process(spark: SparkSession, ctx: StageContext, cached: list[DataFrame]) -> StageOutcome:
    now = datetime.now(UTC)
    watermark = read_watermark(spark, "silver")
    lap("read", "watermark")
    rows, touched, bounds = _rows_to_read(spark, _triggers(spark, ctx, watermark))
    lap("read", "bounds of the Bronze rows to process")
    classified = classify(rows).cache()
    hours = hourly(classified.where(F.col("outcome") == VALID), ctx.run_id, now).cache()
    touched = touched.cache()
    cached += [classified, hours, touched]
    by_outcome = {r.outcome: r["count"] for r in classified.groupBy("outcome").count().collect()}
    lap("action", "classify Bronze rows")
    written = hours.count()
    lap("action", "hourly means")
    rejected = quarantine_rows(classified, ctx.run_id, now)
    days = sorted(
        r.day.isoformat() for r in touched.select(F.to_date("hour_end_utc").alias("day")).distinct().collect()
    )
    lap("action", "affected days")
    if bounds["low"] is not None:
        current = spark.table(SILVER_HOURLY).where(_in_bounds(bounds))
        changes = hour_changes(_recomputed(hours, touched), current, ctx.run_id, now).cache()
        cached.append(changes)
        # No change means the MERGE would rewrite nothing: skip it and its empty snapshot.
        unchanged = changes.isEmpty()
        lap("action", "compare with current hours")
        if not unchanged:
            cancellation.raise_if_cancelled()
            changes.writeTo(SILVER_CHANGES).append()
            lap("write", "append aqi_silver.hour_changes")
            cancellation.raise_if_cancelled()
            _merge_hourly(spark, hours, touched, bounds)
            lap("merge", "merge aqi_silver.measurements_hourly")
    if by_outcome.get(REJECTED, 0):
        cancellation.raise_if_cancelled()
        _merge_quarantine(spark, rejected)
        lap("merge", "merge aqi_silver.quarantine")
    next_watermark = _next_watermark(spark, ctx, watermark, bounds["ingested_through"])
    lap("read", "pending Bronze rows outside the range")
    if next_watermark is not None and (watermark is None or next_watermark > watermark):
        cancellation.raise_if_cancelled()
        write_watermark(spark, "silver", next_watermark, ctx.run_id)
        lap("merge", "merge aqi_silver.stage_state")
    valid = by_outcome.get(VALID, 0)
    return StageOutcome(
        rows_read=sum(by_outcome.values()),
        rows_written=written,
        rows_rejected=by_outcome.get(REJECTED, 0),
        rows_duplicate=by_outcome.get(DUPLICATE, 0) + valid - written,
        affected_days=days,
        snapshots={t.split(".", 1)[1]: current_snapshot(spark, t) for t in (SILVER_HOURLY, QUARANTINE)},
    )
