"""Names and DDL of the Gold Iceberg tables, and the MERGE that replaces a scope of days in them.

Fact tables are partitioned by month of the Local Standard Time date, so the MERGE of a few days reads
one or two partitions. Each fact row carries ``computed_at`` and ``run_id`` of the run that last
*changed* it: a re-run whose values come out equal leaves the row (and its lineage) untouched.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F  # noqa: N812

from aqi_jobs.session import CATALOG

GOLD_NAMESPACE = "aqi_gold"

DIM_LOCATION = f"{CATALOG}.{GOLD_NAMESPACE}.dim_location"
DIM_POLLUTANT = f"{CATALOG}.{GOLD_NAMESPACE}.dim_pollutant"
AQI_HOURLY = f"{CATALOG}.{GOLD_NAMESPACE}.aqi_hourly"
AQI_DAILY_POLLUTANT = f"{CATALOG}.{GOLD_NAMESPACE}.aqi_daily_pollutant"
AQI_DAILY = f"{CATALOG}.{GOLD_NAMESPACE}.aqi_daily"
GOLD_STATE = f"{CATALOG}.{GOLD_NAMESPACE}.stage_state"

_LINEAGE = "computed_at TIMESTAMP NOT NULL,\n          run_id STRING NOT NULL"
_FACT_PROPERTIES = "PARTITIONED BY (months(lst_date))\n        TBLPROPERTIES ('format-version' = '2')"

_DDL: dict[str, str] = {
    DIM_LOCATION: f"""
        CREATE TABLE IF NOT EXISTS {DIM_LOCATION} (
          location_id BIGINT NOT NULL,
          name STRING NOT NULL,
          timezone STRING NOT NULL,
          standard_utc_offset_minutes INT NOT NULL,
          {_LINEAGE}
        ) USING iceberg
        TBLPROPERTIES ('format-version' = '2')""",
    DIM_POLLUTANT: f"""
        CREATE TABLE IF NOT EXISTS {DIM_POLLUTANT} (
          pollutant STRING NOT NULL,
          units STRING NOT NULL,
          truncate_to DECIMAL(18,6) NOT NULL,
          averagings STRING NOT NULL,
          primary_averaging STRING NOT NULL,
          dominance_rank INT NOT NULL,
          {_LINEAGE}
        ) USING iceberg
        TBLPROPERTIES ('format-version' = '2')""",
    AQI_HOURLY: f"""
        CREATE TABLE IF NOT EXISTS {AQI_HOURLY} (
          location_id BIGINT NOT NULL,
          pollutant STRING NOT NULL,
          hour_begin_utc TIMESTAMP NOT NULL,
          lst_date DATE NOT NULL,
          lst_hour INT NOT NULL,
          value DECIMAL(18,6) NOT NULL,
          sensor_count INT NOT NULL,
          averaging STRING NOT NULL,
          concentration DECIMAL(18,6),
          aqi INT,
          category STRING,
          color STRING,
          {_LINEAGE}
        ) USING iceberg
        {_FACT_PROPERTIES}""",
    AQI_DAILY_POLLUTANT: f"""
        CREATE TABLE IF NOT EXISTS {AQI_DAILY_POLLUTANT} (
          location_id BIGINT NOT NULL,
          pollutant STRING NOT NULL,
          lst_date DATE NOT NULL,
          averaging STRING NOT NULL,
          hours_observed INT NOT NULL,
          windows_valid INT,
          max_1h DECIMAL(18,6) NOT NULL,
          concentration DECIMAL(18,6),
          aqi INT,
          category STRING,
          color STRING,
          {_LINEAGE}
        ) USING iceberg
        {_FACT_PROPERTIES}""",
    AQI_DAILY: f"""
        CREATE TABLE IF NOT EXISTS {AQI_DAILY} (
          location_id BIGINT NOT NULL,
          lst_date DATE NOT NULL,
          aqi INT,
          dominant_pollutant STRING,
          category STRING,
          color STRING,
          pollutants_reporting INT NOT NULL,
          {_LINEAGE}
        ) USING iceberg
        {_FACT_PROPERTIES}""",
    GOLD_STATE: f"""
        CREATE TABLE IF NOT EXISTS {GOLD_STATE} (
          stage STRING NOT NULL,
          silver_processed_through TIMESTAMP NOT NULL,
          run_id STRING NOT NULL,
          updated_at TIMESTAMP NOT NULL
        ) USING iceberg
        TBLPROPERTIES ('format-version' = '2')""",
}

GOLD_TABLES = tuple(_DDL)
FACT_KEYS: dict[str, tuple[str, ...]] = {
    AQI_HOURLY: ("location_id", "pollutant", "hour_begin_utc"),
    AQI_DAILY_POLLUTANT: ("location_id", "pollutant", "lst_date"),
    AQI_DAILY: ("location_id", "lst_date"),
}
LINEAGE_COLUMNS = ("computed_at", "run_id")
_DELETED = "_gold_deleted"


def ensure_gold_tables(spark: SparkSession) -> None:
    spark.sql(f"CREATE NAMESPACE IF NOT EXISTS {CATALOG}.{GOLD_NAMESPACE}")
    for ddl in _DDL.values():
        spark.sql(ddl)


def merge_changed(
    spark: SparkSession, table: str, source: DataFrame, keys: Sequence[str], scope: str | None
) -> None:
    """Upsert ``source`` into ``table`` on ``keys``, touching only rows whose values changed.

    With ``scope`` (a SQL condition on the target alias ``t``), target rows inside it that the source no
    longer has are deleted too, so the scope ends up holding exactly the source, in one atomic commit.
    Those rows arrive as tombstones in the source rather than through ``WHEN NOT MATCHED BY SOURCE``:
    Spark cannot prune target files for that clause, so a copy-on-write table would be rewritten whole
    on every run, while here only the files holding keys of the scope are read and rewritten.
    """
    columns = source.columns
    values = [c for c in columns if c not in keys and c not in LINEAGE_COLUMNS]
    staged = source.withColumn(_DELETED, F.lit(False))
    if scope:
        stale = (
            spark.table(table)
            .alias("t")
            .where(scope)
            .select(*keys)
            .join(source.select(*keys), list(keys), "left_anti")
        )
        staged = staged.unionByName(stale.withColumn(_DELETED, F.lit(True)), allowMissingColumns=True)
    view = f"gold_merge_{table.rsplit('.', 1)[-1]}"
    staged.createOrReplaceTempView(view)
    on = " AND ".join(f"t.{k} = s.{k}" for k in keys) + (f" AND ({scope})" if scope else "")
    unchanged = " AND ".join(f"t.{v} <=> s.{v}" for v in values)
    spark.sql(
        f"""
        MERGE INTO {table} t
        USING {view} s
        ON {on}
        WHEN MATCHED AND s.{_DELETED} THEN DELETE
        WHEN MATCHED AND NOT ({unchanged}) THEN UPDATE SET {", ".join(f"{c} = s.{c}" for c in columns)}
        WHEN NOT MATCHED AND NOT s.{_DELETED} THEN INSERT ({", ".join(columns)})
          VALUES ({", ".join(f"s.{c}" for c in columns)})
        """
    )
    spark.catalog.dropTempView(view)


def days_scope(location_ids: Sequence[int], first: date, last: date) -> str:
    """The SQL condition on target alias ``t`` for the given locations and LST days (inclusive)."""
    ids = ", ".join(str(int(i)) for i in sorted(location_ids))
    days = f"DATE'{first.isoformat()}' AND DATE'{last.isoformat()}'"
    return f"t.location_id IN ({ids}) AND t.lst_date BETWEEN {days}"
