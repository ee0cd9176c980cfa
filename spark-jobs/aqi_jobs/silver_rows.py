"""Silver's pure row transforms: Bronze rows classified, the valid ones averaged to the hour.

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

Nothing here reads or writes a table: each function takes and returns DataFrames (``df.transform``).
"""

from __future__ import annotations

from datetime import datetime

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F  # noqa: N812 - the PySpark convention

from aqi_jobs import observations, units
from aqi_jobs.observations import RAW_COLUMNS

REJECTED, DUPLICATE, VALID = "rejected", "duplicate", "valid"

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
    """Bronze rows plus their parsed fields (``obs_*``); raw columns are kept for the quarantine.

    The pollutant, unit, reading and instant are a projection of their own before anything reads them:
    the unit conversion compares pollutant and unit once per conversion pair, and with them written
    inline Spark copied both parses (``trim``, ``lower``, ``translate``, ``regexp_replace``) into every
    comparison. The classify step's generated method was 27,109 bytes; it is 8,025.
    """
    parsed = bronze.select(
        "*",
        observations.observed_at_utc(F.col("datetime")).alias("obs_observed_at"),
        observations.pollutant(F.col("parameter")).alias("obs_pollutant"),
        observations.canonical_unit(F.col("units")).alias("obs_unit"),
        observations.decimal_value(F.col("value")).alias("obs_raw_value"),
    )
    observed, pollutant, unit, value = (
        F.col(c) for c in ("obs_observed_at", "obs_pollutant", "obs_unit", "obs_raw_value")
    )
    return parsed.select(
        *bronze.columns,
        observations.bigint_id(F.col("location_id")).alias("obs_location_id"),
        observations.bigint_id(F.col("sensors_id")).alias("obs_sensor_id"),
        observed,
        observations.hour_ending(observed).alias("obs_hour_end"),
        pollutant,
        unit,
        value,
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
