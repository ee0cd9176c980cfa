"""Silver's watermark: the latest Bronze ``ingested_at`` it has processed (table ``stage_state``).

Kept in the lake, beside the data it describes, so a restored or copied warehouse carries its own
progress. The watermark crosses into Python as UTC text (``observations.UTC_TEXT``).
"""

from __future__ import annotations

from pyspark.sql import SparkSession

from aqi_jobs.inline import inline_frame
from aqi_jobs.observations import UTC_TEXT
from aqi_jobs.tables import SILVER_STATE


def read_watermark(spark: SparkSession, stage: str) -> str | None:
    """The stage's watermark as UTC text (``yyyy-MM-dd HH:mm:ss.SSSSSS``), None before its first run."""
    rows = spark.sql(
        f"SELECT date_format(bronze_ingested_through, '{UTC_TEXT}') AS through "
        f"FROM {SILVER_STATE} WHERE stage = '{stage}'"
    ).collect()
    return rows[0].through if rows else None


def write_watermark(spark: SparkSession, stage: str, through: str, run_id: str) -> None:
    inline_frame(
        spark, [(stage, through, run_id)], "stage string, through string, run_id string"
    ).createOrReplaceTempView("aqi_stage_state_update")
    spark.sql(
        f"""
        MERGE INTO {SILVER_STATE} t
        USING (SELECT stage, CAST(through AS TIMESTAMP) AS bronze_ingested_through, run_id,
                      current_timestamp() AS updated_at
               FROM aqi_stage_state_update) s
        ON t.stage = s.stage
        WHEN MATCHED THEN UPDATE SET *
        WHEN NOT MATCHED THEN INSERT *
        """
    )
