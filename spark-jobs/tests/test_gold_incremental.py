"""Incremental Gold follows every Silver change, a deleted hour included, through Silver's change log.

One scenario, run once for the module (the Spark suite must stay fast): Bronze, Silver and Gold take a
Denver day of PM2.5; a re-export turns one hour into −999, so Silver deletes that hour; Silver and Gold
then run incrementally, and once more with nothing new. Gold's tables are then rebuilt from scratch by a
range run over the same Silver data, which incremental Gold must equal.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from fixtures import drop_lake_tables
from fixtures.openaq import archive_csv, write_archive_file
from pyspark.sql import SparkSession

from aqi_jobs import bronze, gold, silver
from aqi_jobs.gold_tables import AQI_DAILY, AQI_DAILY_POLLUTANT, AQI_HOURLY, GOLD_TABLES, LINEAGE_COLUMNS
from aqi_jobs.stage import Location, StageContext, StageOutcome
from aqi_jobs.tables import BRONZE_MEASUREMENTS, QUARANTINE, SILVER_CHANGES, SILVER_HOURLY, current_snapshot

D = Decimal
DEL_NORTE = Location(2178, "Del Norte", "America/Denver")  # LST = UTC−7
DAY = date(2023, 2, 22)
# Hour-ending stamps of the 24 hours of Feb 22 LST; the 24th is midnight, in the file of the 22nd.
STAMPS = [f"2023-02-22T{h:02d}:00:00-07:00" for h in range(1, 24)] + ["2023-02-23T00:00:00-07:00"]
SPIKE = "2023-02-22T13:00:00-07:00"  # the hour 12:00–13:00 LST, hour ending 20:00 UTC
FACTS = (AQI_HOURLY, AQI_DAILY_POLLUTANT, AQI_DAILY)


def archive_day(spike: str) -> bytes:
    """23 hours of 9.0 µg/m³ and the spike hour: mean 10.0 (AQI 53) with it, 9.0 (AQI 50) without."""
    return archive_csv(
        [
            (
                "2178",
                "3917",
                "Del Norte",
                at,
                "35.1",
                "-106.5",
                "pm25",
                "µg/m³",
                spike if at == SPIKE else "9.0",
            )
            for at in STAMPS
        ]
    )


def context(stage: str, run_id: str, mode: str, **kw) -> StageContext:
    return StageContext(
        stage=stage, run_id=run_id, mode=mode, catalog="hadoop", warehouse="unused", result_uri="unused",
        locations=(DEL_NORTE,), **kw,
    )  # fmt: skip


def ingest(spark: SparkSession, archive: Path, run_id: str) -> None:
    day = DAY.isoformat()
    bronze.run(
        spark,
        context("bronze", run_id, "backfill", start=day, end=day, source="archive", archive_uri=str(archive)),
    )


def facts(spark: SparkSession) -> dict[str, list[tuple]]:
    """Gold's fact rows without lineage: what a from-scratch run must reproduce."""
    return {
        table: sorted((tuple(r) for r in spark.table(table).drop(*LINEAGE_COLUMNS).collect()), key=repr)
        for table in FACTS
    }


def snapshots(spark: SparkSession) -> dict[str, int | None]:
    tables = (BRONZE_MEASUREMENTS, SILVER_HOURLY, QUARANTINE, SILVER_CHANGES, *GOLD_TABLES)
    return {table: current_snapshot(spark, table) for table in tables}


def drop_all(spark: SparkSession) -> None:
    drop_lake_tables(spark)
    for table in (SILVER_CHANGES, *GOLD_TABLES):
        spark.sql(f"DROP TABLE IF EXISTS {table} PURGE")


@dataclass(frozen=True)
class Scenario:
    silver_after_reexport: StageOutcome
    gold_after_reexport: StageOutcome
    changes: list[tuple]
    daily_before: list[tuple]
    pm25_days: list[tuple]
    incremental: dict[str, list[tuple]]
    snapshots_before_rerun: dict[str, int | None]
    snapshots_after_rerun: dict[str, int | None]
    rerun: tuple[StageOutcome, StageOutcome]
    from_scratch: dict[str, list[tuple]]


def daily(spark: SparkSession) -> list[tuple]:
    return sorted(
        (tuple(r) for r in spark.table(AQI_DAILY).select("lst_date", "aqi", "category", "run_id").collect()),
        key=repr,
    )


@pytest.fixture(scope="module")
def scenario(spark: SparkSession, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    drop_all(spark)
    archive = tmp_path_factory.mktemp("archive")
    write_archive_file(archive, DEL_NORTE.id, DAY, archive_day(spike="33.0"))
    ingest(spark, archive, "backfill-1")
    silver.run(spark, context("silver", "silver-1", "incremental"))
    gold.run(spark, context("gold", "gold-1", "incremental"))
    daily_before = daily(spark)

    write_archive_file(archive, DEL_NORTE.id, DAY, archive_day(spike="-999"))
    ingest(spark, archive, "backfill-2")
    silver_after = silver.run(spark, context("silver", "silver-2", "incremental"))
    gold_after = gold.run(spark, context("gold", "gold-2", "incremental"))
    changes = sorted((tuple(r) for r in spark.table(SILVER_CHANGES).drop("processed_at").collect()), key=repr)
    pm25_days = sorted(
        tuple(r)
        for r in spark.table(AQI_DAILY_POLLUTANT)
        .where("pollutant = 'pm25'")
        .select("lst_date", "hours_observed", "concentration", "aqi", "run_id")
        .collect()
    )
    incremental = facts(spark)

    before_rerun = snapshots(spark)
    rerun = (
        silver.run(spark, context("silver", "silver-3", "incremental")),
        gold.run(spark, context("gold", "gold-3", "incremental")),
    )
    after_rerun = snapshots(spark)

    for table in GOLD_TABLES:
        spark.sql(f"DROP TABLE IF EXISTS {table} PURGE")
    gold.run(spark, context("gold", "gold-scratch", "range", start=DAY.isoformat(), end=DAY.isoformat()))
    yield Scenario(
        silver_after, gold_after, changes, daily_before, pm25_days, incremental, before_rerun,
        after_rerun, rerun, facts(spark),
    )  # fmt: skip
    drop_all(spark)


def test_silver_logs_each_hour_it_inserts_and_the_hour_a_re_export_makes_it_delete(
    scenario: Scenario,
) -> None:
    first_hour_end = datetime(2023, 2, 22, 8)  # 01:00 LST
    inserted = [(2178, 3917, first_hour_end + timedelta(hours=h), "insert", "silver-1") for h in range(24)]
    assert scenario.changes == sorted(
        [*inserted, (2178, 3917, datetime(2023, 2, 22, 20), "delete", "silver-2")], key=repr
    )
    outcome = scenario.silver_after_reexport
    # the -999 copy supersedes the 33.0 one (duplicate) and is itself rejected: nothing left to write
    assert (outcome.rows_read, outcome.rows_written, outcome.rows_rejected, outcome.rows_duplicate) == (
        2,
        0,
        1,
        1,
    )


def test_incremental_gold_recomputes_the_days_of_the_deleted_hour(scenario: Scenario) -> None:
    assert scenario.daily_before == [(DAY, 53, "Moderate", "gold-1")]
    # 12:00 LST on Feb 22 feeds Feb 22 and, through the 24-hour look-backs, Feb 23
    assert scenario.gold_after_reexport.affected_days == ["2023-02-22", "2023-02-23"]
    assert scenario.pm25_days == [(DAY, 23, D("9.000000"), 50, "gold-2")]
    assert [(r[1], r[2]) for r in scenario.incremental[AQI_DAILY]] == [(DAY, 50)]  # (lst_date, aqi)


def test_incremental_gold_equals_a_from_scratch_range_run_over_the_same_silver(scenario: Scenario) -> None:
    assert scenario.incremental == scenario.from_scratch


def test_a_second_incremental_silver_and_gold_run_changes_no_table(scenario: Scenario) -> None:
    silver_rerun, gold_rerun = scenario.rerun
    assert (silver_rerun.rows_read, silver_rerun.rows_written, silver_rerun.affected_days) == (0, 0, [])
    assert (gold_rerun.rows_read, gold_rerun.rows_written, gold_rerun.affected_days) == (0, 0, [])
    assert scenario.snapshots_after_rerun == scenario.snapshots_before_rerun
