"""Table upkeep after a stage: expire old snapshots, prune the change log Gold has consumed.

**Snapshots.** Every run commits snapshots, and Iceberg keeps each one (with the files only it references)
until it is expired, so an hourly pipeline's metadata and storage would grow without bound. After Silver
(for the Bronze and Silver tables) and after Gold (for the Gold tables), snapshots older than the table's
``history.expire.max-snapshot-age-ms`` are expired, keeping at least ``history.expire.min-snapshots-to-keep``
(Iceberg's defaults: 5 days and 1). Both are ordinary table properties: an operator changes a table's
time-travel horizon with one ``ALTER TABLE … SET TBLPROPERTIES``. A table is expired only once its oldest
snapshot is a day past the horizon, so the work happens about once a day, not on every hourly run; the
check reads the table's metadata in the driver, without a Spark job. Bronze is expired by Silver, not by
itself, because Bronze runs as concurrent chunk steps and Silver runs alone right after them. Snapshot
ids in older run manifests stop resolving once expired; the data they described is still in the current
table.

**Change log.** ``aqi_silver.hour_changes`` exists so Gold sees every Silver change after its watermark
(see ``gold``). Entries older than Gold's watermark have been consumed; after Gold, those more than
``CHANGE_LOG_RETENTION`` older are deleted (the log is partitioned by month of ``processed_at``, so whole
old months go as metadata-only deletes).

Upkeep never fails a stage whose data is committed: a failure is reported on stderr and retried by the
next run. A SIGTERM (step cancel) still stops the stage at once.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from pyspark.sql import SparkSession

from aqi_jobs import cancellation
from aqi_jobs.gold_tables import GOLD_STATE, GOLD_TABLES
from aqi_jobs.phases import lap
from aqi_jobs.result import one_line
from aqi_jobs.session import CATALOG
from aqi_jobs.tables import (
    API_SENSOR_LISTS,
    BRONZE_MEASUREMENTS,
    QUARANTINE,
    SILVER_CHANGES,
    SILVER_HOURLY,
    SILVER_STATE,
    iceberg_table,
)

MAX_AGE_PROPERTY = "history.expire.max-snapshot-age-ms"
MIN_KEEP_PROPERTY = "history.expire.min-snapshots-to-keep"
DEFAULT_MAX_AGE = timedelta(days=5)  # Iceberg's own default for both properties
DEFAULT_MIN_KEEP = 1
EXPIRY_SLACK = timedelta(days=1)
CHANGE_LOG_RETENTION = timedelta(days=30)
TIMESTAMP_SQL = "%Y-%m-%d %H:%M:%S"

SILVER_UPKEEP_TABLES = (
    BRONZE_MEASUREMENTS,
    API_SENSOR_LISTS,
    SILVER_HOURLY,
    QUARANTINE,
    SILVER_CHANGES,
    SILVER_STATE,
)


def _snapshot_times_ms(table) -> list[int]:  # noqa: ANN001 - a py4j proxy of org.apache.iceberg.Table
    """Commit times (epoch ms) of every snapshot the table's metadata lists: read in the driver, no job."""
    times = []
    snapshots = table.snapshots().iterator()
    while snapshots.hasNext():
        times.append(int(snapshots.next().timestampMillis()))
    return times


def _utc_literal(moment: datetime) -> str:
    """A TIMESTAMP literal of an aware datetime; the session time zone is UTC (see ``session``)."""
    return f"TIMESTAMP '{moment.astimezone(UTC).strftime(TIMESTAMP_SQL)}'"


def expire_snapshots(spark: SparkSession, table: str, now: datetime) -> int:
    """Expire the table's snapshots past its horizon when due; returns how many snapshots went."""
    if not spark.catalog.tableExists(table):
        return 0
    iceberg = iceberg_table(spark, table)
    properties = iceberg.properties()
    max_age_ms = properties.get(MAX_AGE_PROPERTY) or str(DEFAULT_MAX_AGE // timedelta(milliseconds=1))
    max_age = timedelta(milliseconds=int(max_age_ms))
    keep = int(properties.get(MIN_KEEP_PROPERTY) or DEFAULT_MIN_KEEP)
    horizon = now - max_age
    times = _snapshot_times_ms(iceberg)
    due_before_ms = (horizon - EXPIRY_SLACK).timestamp() * 1000
    if not any(t < due_before_ms for t in times):
        return 0
    spark.sql(
        f"CALL {CATALOG}.system.expire_snapshots(table => '{table.split('.', 1)[1]}', "
        f"older_than => {_utc_literal(horizon)}, retain_last => {keep})"
    ).collect()
    iceberg.refresh()
    return len(times) - len(_snapshot_times_ms(iceberg))


def prune_change_log(spark: SparkSession) -> int:
    """Delete change-log entries older than Gold's watermark by ``CHANGE_LOG_RETENTION``; returns how many.

    The cut-off follows Gold's watermark, not the clock: while Gold is not running, nothing is pruned.
    """
    if not (spark.catalog.tableExists(SILVER_CHANGES) and spark.catalog.tableExists(GOLD_STATE)):
        return 0
    cutoff = spark.sql(
        f"SELECT date_format(max(silver_processed_through) - INTERVAL {CHANGE_LOG_RETENTION.days} DAYS, "
        f"'yyyy-MM-dd HH:mm:ss.SSSSSS') AS cutoff FROM {GOLD_STATE}"
    ).first()
    if cutoff is None or cutoff.cutoff is None:
        return 0
    consumed = f"processed_at < TIMESTAMP '{cutoff.cutoff}'"
    pruned = spark.sql(f"SELECT count(*) AS n FROM {SILVER_CHANGES} WHERE {consumed}").first().n
    if pruned:
        spark.sql(f"DELETE FROM {SILVER_CHANGES} WHERE {consumed}")
    return pruned


def _guarded(label: str, work: Callable[[], int]) -> None:
    try:
        done = work()
    except cancellation.StageCancelledError:
        raise
    except Exception as error:  # noqa: BLE001 - upkeep must not fail a stage whose data is committed
        print(f"aqi-jobs upkeep: {label} failed, the next run retries: {one_line(error)}", file=sys.stderr)
        return
    if done:
        print(f"aqi-jobs upkeep: {label}: {done:,}", file=sys.stderr)


def after_stage(spark: SparkSession, stage: str, now: datetime) -> None:
    """The upkeep that follows a successful stage (none after Bronze: see the module docstring)."""
    tables = {"silver": SILVER_UPKEEP_TABLES, "gold": GOLD_TABLES}.get(stage, ())
    for table in tables:
        cancellation.raise_if_cancelled()
        _guarded(f"snapshots expired from {table}", lambda t=table: expire_snapshots(spark, t, now))
        lap("upkeep", f"expire snapshots of {table.split('.', 1)[1]}")
    if stage == "gold":
        cancellation.raise_if_cancelled()
        _guarded(f"entries pruned from {SILVER_CHANGES}", lambda: prune_change_log(spark))
        lap("upkeep", "prune aqi_silver.hour_changes")
