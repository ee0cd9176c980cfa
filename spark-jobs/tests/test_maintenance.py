"""Upkeep after a stage: old snapshots expire on the table's own horizon; Gold's consumed change log goes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fixtures import assert_rows
from pyspark.sql import SparkSession

from aqi_jobs import maintenance
from aqi_jobs.gold_tables import GOLD_STATE, ensure_gold_tables
from aqi_jobs.tables import SILVER_CHANGES, ensure_tables

TABLE = "aqi.aqi_upkeep_test.readings"


@pytest.fixture
def three_commits(spark: SparkSession) -> Iterator[str]:
    """A table with three snapshots, all committed just now."""
    spark.sql("CREATE NAMESPACE IF NOT EXISTS aqi.aqi_upkeep_test")
    spark.sql(f"DROP TABLE IF EXISTS {TABLE} PURGE")
    spark.sql(f"CREATE TABLE {TABLE} (id BIGINT, value STRING) USING iceberg")
    for i in range(3):
        spark.sql(f"INSERT INTO {TABLE} VALUES ({i}, 'v{i}')")
    yield TABLE
    spark.sql(f"DROP TABLE IF EXISTS {TABLE} PURGE")


def snapshot_count(spark: SparkSession, table: str) -> int:
    return spark.sql(f"SELECT count(*) AS n FROM {table}.snapshots").first().n


def test_snapshots_within_the_horizon_are_kept_and_no_expiry_runs(
    spark: SparkSession, three_commits: str
) -> None:
    assert maintenance.expire_snapshots(spark, three_commits, datetime.now(UTC)) == 0
    assert snapshot_count(spark, three_commits) == 3


def test_a_day_past_the_default_five_day_horizon_all_but_the_current_snapshot_expire(
    spark: SparkSession, three_commits: str
) -> None:
    six_days_on = datetime.now(UTC) + timedelta(days=6, minutes=1)

    assert maintenance.expire_snapshots(spark, three_commits, six_days_on) == 2

    assert snapshot_count(spark, three_commits) == 1
    assert_rows(spark.table(three_commits), ["id", "value"], [(0, "v0"), (1, "v1"), (2, "v2")])


def test_not_yet_a_day_past_the_horizon_nothing_expires(spark: SparkSession, three_commits: str) -> None:
    five_and_a_half_days_on = datetime.now(UTC) + timedelta(days=5, hours=12)
    assert maintenance.expire_snapshots(spark, three_commits, five_and_a_half_days_on) == 0
    assert snapshot_count(spark, three_commits) == 3


def test_the_table_properties_set_the_horizon_and_how_many_snapshots_stay(
    spark: SparkSession, three_commits: str
) -> None:
    thirty_days = f"'{maintenance.MAX_AGE_PROPERTY}' = '{30 * 24 * 3600 * 1000}'"
    spark.sql(f"ALTER TABLE {three_commits} SET TBLPROPERTIES ({thirty_days})")
    # The ALTER is a metadata commit, not a snapshot: still three.
    assert maintenance.expire_snapshots(spark, three_commits, datetime.now(UTC) + timedelta(days=10)) == 0
    assert snapshot_count(spark, three_commits) == 3

    spark.sql(f"ALTER TABLE {three_commits} SET TBLPROPERTIES ('{maintenance.MIN_KEEP_PROPERTY}' = '2')")
    assert maintenance.expire_snapshots(spark, three_commits, datetime.now(UTC) + timedelta(days=32)) == 1
    assert snapshot_count(spark, three_commits) == 2


def test_a_missing_table_needs_no_upkeep(spark: SparkSession) -> None:
    assert maintenance.expire_snapshots(spark, "aqi.aqi_upkeep_test.absent", datetime.now(UTC)) == 0


@pytest.fixture
def change_log(spark: SparkSession) -> Iterator[None]:
    """An empty change log and Gold state."""
    for table in (SILVER_CHANGES, GOLD_STATE):
        spark.sql(f"DROP TABLE IF EXISTS {table} PURGE")
    ensure_tables(spark, SILVER_CHANGES)
    ensure_gold_tables(spark)
    yield
    for table in (SILVER_CHANGES, GOLD_STATE):
        spark.sql(f"DROP TABLE IF EXISTS {table} PURGE")


def log_entries(spark: SparkSession, *processed_at: str) -> None:
    values = ", ".join(
        f"(2178, 3917, TIMESTAMP '2024-01-01 01:00:00', 'inserted', TIMESTAMP '{at}', 'silver-{i}')"
        for i, at in enumerate(processed_at)
    )
    spark.sql(f"INSERT INTO {SILVER_CHANGES} VALUES {values}")


def test_without_a_gold_watermark_the_change_log_is_kept_whole(spark: SparkSession, change_log: None) -> None:
    log_entries(spark, "2024-01-01 00:00:00", "2024-06-01 00:00:00")
    assert maintenance.prune_change_log(spark) == 0
    assert spark.table(SILVER_CHANGES).count() == 2


def test_entries_consumed_by_gold_more_than_30_days_before_its_watermark_are_deleted(
    spark: SparkSession, change_log: None
) -> None:
    log_entries(
        spark,
        "2024-04-30 23:59:59",  # 31 days before the watermark: goes
        "2024-05-01 00:00:01",  # just inside 30 days: stays
        "2024-05-30 00:00:00",  # consumed recently: stays
        "2024-06-02 00:00:00",  # not yet consumed: stays
    )
    spark.sql(
        f"INSERT INTO {GOLD_STATE} VALUES "
        "('gold', TIMESTAMP '2024-05-31 00:00:00', 'gold-1', TIMESTAMP '2024-05-31 00:05:00')"
    )

    assert maintenance.prune_change_log(spark) == 1

    assert_rows(
        spark.table(SILVER_CHANGES).selectExpr("date_format(processed_at, 'yyyy-MM-dd HH:mm:ss') AS at"),
        ["at"],
        [("2024-05-01 00:00:01",), ("2024-05-30 00:00:00",), ("2024-06-02 00:00:00",)],
    )
    assert maintenance.prune_change_log(spark) == 0  # a second run has nothing left to do


def test_a_failing_upkeep_is_reported_and_does_not_fail_the_stage(
    spark: SparkSession, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object) -> int:
        raise RuntimeError("S3 said no")

    monkeypatch.setattr(maintenance, "prune_change_log", broken)
    monkeypatch.setattr(maintenance, "expire_snapshots", lambda *_: 0)

    maintenance.after_stage(spark, "gold", datetime.now(UTC))

    reported = "aqi-jobs upkeep: entries pruned from aqi.aqi_silver.hour_changes failed, the next run retries"
    assert f"{reported}: S3 said no" in capsys.readouterr().err
