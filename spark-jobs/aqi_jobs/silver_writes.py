"""Silver's MERGEs: recomputed hours into ``measurements_hourly``, rejected rows into ``quarantine``."""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession

from aqi_jobs.silver_changes import differs, recomputed
from aqi_jobs.tables import QUARANTINE, SILVER_HOURLY


def in_bounds(bounds: dict[str, str | None]) -> str:
    return f"hour_end_utc BETWEEN TIMESTAMP '{bounds['low']}' AND TIMESTAMP '{bounds['high']}'"


def merge_hourly(
    spark: SparkSession, rows: DataFrame, touched: DataFrame, bounds: dict[str, str | None]
) -> None:
    """Upsert the recomputed hours; delete touched hours that no longer have a valid row."""
    recomputed(rows, touched).createOrReplaceTempView("aqi_silver_hourly_update")
    spark.sql(
        f"""
        MERGE INTO {SILVER_HOURLY} t
        USING aqi_silver_hourly_update s
        ON t.sensor_id = s.sensor_id AND t.hour_end_utc = s.hour_end_utc AND t.{in_bounds(bounds)}
        WHEN MATCHED AND s.value IS NULL THEN DELETE
        WHEN MATCHED AND ({differs("t", "s")}) THEN UPDATE SET *
        WHEN NOT MATCHED AND s.value IS NOT NULL THEN INSERT *
        """
    )


def merge_quarantine(spark: SparkSession, rejected: DataFrame) -> None:
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
