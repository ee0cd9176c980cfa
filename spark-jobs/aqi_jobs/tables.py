"""Names and DDL of the Bronze and Silver Iceberg tables (the contract in docs/ARCHITECTURE.md).

Tables are created on first use with ``IF NOT EXISTS``, so a stage works on an empty warehouse (local) and
on the Glue databases the CDK app creates (EMR) alike.
"""

from __future__ import annotations

from pyspark.sql import SparkSession

from aqi_jobs.commit_lock import exclusive_commit
from aqi_jobs.observations import RAW_COLUMNS
from aqi_jobs.session import CATALOG

BRONZE_NAMESPACE = "aqi_bronze"
SILVER_NAMESPACE = "aqi_silver"

BRONZE_MEASUREMENTS = f"{CATALOG}.{BRONZE_NAMESPACE}.measurements"
API_SENSOR_LISTS = f"{CATALOG}.{BRONZE_NAMESPACE}.api_sensor_lists"
SILVER_HOURLY = f"{CATALOG}.{SILVER_NAMESPACE}.measurements_hourly"
QUARANTINE = f"{CATALOG}.{SILVER_NAMESPACE}.quarantine"
SILVER_STATE = f"{CATALOG}.{SILVER_NAMESPACE}.stage_state"
SILVER_CHANGES = f"{CATALOG}.{SILVER_NAMESPACE}.hour_changes"

# Backfill chunks run as concurrent EMR steps that all append to Bronze; appends never conflict, but each
# losing writer must retry its commit, and Iceberg's default of 4 retries is too few for a wide Map.
CONCURRENT_COMMIT_RETRIES = 20

_RAW_DDL = ",\n  ".join(f"{name} STRING" for name in RAW_COLUMNS)

_DDL: dict[str, str] = {
    # observed_at_utc is the parsed datetime (NULL when unparseable): it partitions Bronze by month so
    # Silver's range mode prunes files; everything else stays the text the source sent.
    BRONZE_MEASUREMENTS: f"""
        CREATE TABLE IF NOT EXISTS {BRONZE_MEASUREMENTS} (
          {_RAW_DDL},
          source STRING NOT NULL,
          source_key STRING NOT NULL,
          row_hash STRING NOT NULL,
          observed_at_utc TIMESTAMP,
          ingested_at TIMESTAMP NOT NULL,
          run_id STRING NOT NULL
        ) USING iceberg
        PARTITIONED BY (months(observed_at_utc))
        TBLPROPERTIES ('format-version' = '2', 'commit.retry.num-retries' = '{CONCURRENT_COMMIT_RETRIES}')""",
    # Each location's OpenAQ sensor list as the hourly Bronze last asked for it (sources/sensor_lists.py):
    # one row per location, rewritten whole when a run renews any list; a few KB for 1,000 locations.
    API_SENSOR_LISTS: f"""
        CREATE TABLE IF NOT EXISTS {API_SENSOR_LISTS} (
          location_id BIGINT NOT NULL,
          sensors ARRAY<STRUCT<id: BIGINT, parameter: STRING, units: STRING>> NOT NULL,
          listed_at TIMESTAMP NOT NULL,
          window_start TIMESTAMP NOT NULL,
          renew_after TIMESTAMP NOT NULL,
          run_id STRING NOT NULL
        ) USING iceberg
        TBLPROPERTIES ('format-version' = '2')""",
    SILVER_HOURLY: f"""
        CREATE TABLE IF NOT EXISTS {SILVER_HOURLY} (
          location_id BIGINT NOT NULL,
          sensor_id BIGINT NOT NULL,
          pollutant STRING NOT NULL,
          units STRING NOT NULL,
          hour_end_utc TIMESTAMP NOT NULL,
          value DECIMAL(18,6) NOT NULL,
          sample_count INT NOT NULL,
          ingested_at TIMESTAMP NOT NULL,
          processed_at TIMESTAMP NOT NULL,
          run_id STRING NOT NULL
        ) USING iceberg
        PARTITIONED BY (months(hour_end_utc))
        TBLPROPERTIES ('format-version' = '2')""",
    QUARANTINE: f"""
        CREATE TABLE IF NOT EXISTS {QUARANTINE} (
          {_RAW_DDL},
          source STRING NOT NULL,
          source_key STRING NOT NULL,
          row_hash STRING NOT NULL,
          ingested_at TIMESTAMP NOT NULL,
          reason STRING NOT NULL,
          quarantined_at TIMESTAMP NOT NULL,
          run_id STRING NOT NULL
        ) USING iceberg
        PARTITIONED BY (months(ingested_at))
        TBLPROPERTIES ('format-version' = '2')""",
    # Silver's change log: what each run did to which (sensor, hour) of measurements_hourly, deletions
    # included, so Gold can find every day to recompute (the table itself keeps no trace of a deleted
    # hour). Partitioned by month of processed_at: Gold reads only what is newer than its watermark.
    SILVER_CHANGES: f"""
        CREATE TABLE IF NOT EXISTS {SILVER_CHANGES} (
          location_id BIGINT NOT NULL,
          sensor_id BIGINT NOT NULL,
          hour_end_utc TIMESTAMP NOT NULL,
          change_kind STRING NOT NULL,
          processed_at TIMESTAMP NOT NULL,
          run_id STRING NOT NULL
        ) USING iceberg
        PARTITIONED BY (months(processed_at))
        TBLPROPERTIES ('format-version' = '2')""",
    SILVER_STATE: f"""
        CREATE TABLE IF NOT EXISTS {SILVER_STATE} (
          stage STRING NOT NULL,
          bronze_ingested_through TIMESTAMP NOT NULL,
          run_id STRING NOT NULL,
          updated_at TIMESTAMP NOT NULL
        ) USING iceberg
        TBLPROPERTIES ('format-version' = '2')""",
}


def ensure_tables(spark: SparkSession, *tables: str) -> None:
    """Create the namespaces and the named tables (all of Bronze and Silver by default) if missing."""
    # Every run after the first finds its tables: it then need not queue for the commit lock behind
    # concurrent chunks just to learn that.
    missing = [table for table in tables or tuple(_DDL) if not spark.catalog.tableExists(table)]
    if not missing:
        return
    with exclusive_commit(spark):
        for table in missing:
            namespace = table.rsplit(".", 1)[0]
            try:
                spark.sql(f"CREATE NAMESPACE IF NOT EXISTS {namespace}")
                spark.sql(_DDL[table])
            except Exception:
                # Concurrent chunks race to create a table on EMR: losing is fine, anything else is not.
                if not spark.catalog.tableExists(table):
                    raise


def iceberg_table(spark: SparkSession, table: str):  # noqa: ANN201 - a py4j proxy of org.apache.iceberg.Table
    """The Iceberg ``Table`` behind a catalog name, loaded as Spark loads it (the same cached instance).

    Its metadata answers in the driver what a metadata-table query (``<table>.refs``, ``.snapshots``)
    would answer with a Spark job: a job costs a second or more on a small local step.
    """
    spark_util = spark.sparkContext._jvm.org.apache.iceberg.spark.Spark3Util
    return spark_util.loadIcebergTable(spark._jsparkSession, table)


def current_snapshot(spark: SparkSession, table: str) -> int | None:
    """The snapshot id of the table's main branch, or None for a table with no commit yet."""
    snapshot = iceberg_table(spark, table).currentSnapshot()
    return None if snapshot is None else int(snapshot.snapshotId())
