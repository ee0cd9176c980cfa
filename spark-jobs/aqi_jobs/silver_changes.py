"""Silver's change log, computed: what merging the recomputed hours does to each (sensor, hour).

Each touched (sensor, hour) is an ``insert`` (new), an ``update`` (a compared column differs), a
``delete`` (no valid row left) or no change. A deleted hour leaves no row in ``measurements_hourly``
whose ``processed_at`` could tell Gold, so this log is how Gold's incremental mode finds every day to
recompute. Pure: DataFrames in, DataFrames (or the SQL condition the MERGE shares) out.
"""

from __future__ import annotations

from datetime import datetime

from pyspark.sql import DataFrame
from pyspark.sql import functions as F  # noqa: N812 - the PySpark convention

from aqi_jobs import observations
from aqi_jobs.silver_rows import HOURLY_COLUMNS

INSERT, UPDATE, DELETE = "insert", "update", "delete"
# The columns whose difference makes a recomputed hour an update; lineage columns alone do not.
COMPARED_COLUMNS = ("location_id", "pollutant", "units", "value", "sample_count", "ingested_at")


def differs(target: str, source: str) -> str:
    """SQL: the two aliased rows differ in a compared column (the MERGE and the change log share it)."""
    return " OR ".join(f"NOT ({target}.{c} <=> {source}.{c})" for c in COMPARED_COLUMNS)


def recomputed(rows: DataFrame, touched: DataFrame) -> DataFrame:
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
        .when(matched & F.expr(differs("t", "s")), F.lit(UPDATE))
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
