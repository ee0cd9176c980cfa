"""Silver's quality gate stops a bad batch before anything is promoted, naming the rule and its figures."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from fixtures import drop_lake_tables
from fixtures.openaq import archive_csv, write_archive_file
from pyspark.sql import SparkSession

from aqi_jobs import bronze, cli, silver
from aqi_jobs.silver_quality import BatchFigures, QualityGate, QualityGateTrippedError, judge
from aqi_jobs.stage import Location, StageContext
from aqi_jobs.tables import QUARANTINE, SILVER_CHANGES, SILVER_HOURLY

DEL_NORTE = Location(2178, "Del Norte", "America/Denver")
SOUTH_VALLEY = Location(2179, "South Valley", "America/Denver")


def raw(when: str, value: str, location: int = 2178, sensor: int = 3917) -> tuple[str, ...]:
    return (str(location), str(sensor), "somewhere", when, "35.1", "-106.5", "pm25", "µg/m³", value)


# ---- the rules, on figures alone ----------------------------------------------------------------------


def test_a_rejected_share_above_the_limit_trips_and_one_at_the_limit_passes() -> None:
    gate = QualityGate(max_rejected_share=0.2)

    above = judge(gate, BatchFigures(rows_read=10, rows_rejected=3))
    at = judge(gate, BatchFigures(rows_read=10, rows_rejected=2))

    assert above.as_json() == {
        "passed": False,
        "checks": [
            {
                "rule": "rejectedShare",
                "passed": False,
                "limit": 0.2,
                "share": 0.3,
                "rowsRejected": 3,
                "rowsRead": 10,
            }
        ],
    }
    assert at.tripped == ()


def test_a_location_that_reported_before_the_batch_and_sends_nothing_in_it_trips_the_silent_rule() -> None:
    figures = BatchFigures(
        rows_read=4,
        rows_rejected=0,
        first_hour="2023-02-23T08:00:00Z",
        reported_before=(2178, 2179, 2180),
        in_batch=(2178, 2180, 9999),
    )

    verdict = judge(QualityGate(silent_location_hours=24), figures)

    assert verdict.as_json()["checks"] == [
        {
            "rule": "silentLocations",
            "passed": False,
            "lookbackHours": 24,
            "batchFirstHour": "2023-02-23T08:00:00Z",
            "reportedBefore": 3,
            "silentLocationIds": [2179],
        }
    ]


def test_a_batch_that_read_nothing_passes_both_rules() -> None:
    verdict = judge(QualityGate(0.2, 24), BatchFigures(rows_read=0, rows_rejected=0))

    assert [(c["rule"], c["passed"]) for c in verdict.checks] == [
        ("rejectedShare", True),
        ("silentLocations", True),
    ]


def test_without_limits_the_gate_checks_nothing() -> None:
    assert not QualityGate().enabled
    assert judge(QualityGate(), BatchFigures(rows_read=5, rows_rejected=5)).checks == ()


# ---- through the tables --------------------------------------------------------------------------------


@pytest.fixture
def empty_lake(spark: SparkSession) -> None:
    drop_lake_tables(spark)


def ingest(spark: SparkSession, archive: Path, run_id: str, day: str) -> None:
    bronze.run(
        spark,
        StageContext(
            stage="bronze",
            run_id=run_id,
            mode="backfill",
            catalog="hadoop",
            warehouse="unused",
            result_uri="unused",
            start=day,
            end=day,
            source="archive",
            archive_uri=str(archive),
            locations=(DEL_NORTE, SOUTH_VALLEY),
        ),
    )


def silver_argv(warehouse: Path, result: Path, run_id: str, *gate: str) -> list[str]:
    return [
        "silver",
        *("--run-id", run_id, "--mode", "incremental", "--catalog", "hadoop"),
        *("--warehouse", str(warehouse), "--result-uri", str(result), *gate),
    ]


def rows_of(spark: SparkSession, name: str, *columns: str) -> list[tuple]:
    return sorted(tuple(r) for r in spark.table(name).select(*columns).collect())


def test_a_bad_batch_fails_silver_promotes_nothing_keeps_its_rejects_in_quarantine_and_is_read_again(
    spark: SparkSession, warehouse: Path, tmp_path: Path, empty_lake: None
) -> None:
    # GIVEN a day of which 3 rows in 5 cannot be used
    rows = [
        raw("2023-02-22T01:00:00-07:00", "6.2"),
        raw("2023-02-22T02:00:00-07:00", "8"),
        raw("2023-02-22T03:00:00-07:00", "-999"),
        raw("2023-02-22T04:00:00-07:00", "n/a"),
        raw("2023-02-22T05:00:00-07:00", "1000.1"),
    ]
    write_archive_file(tmp_path, 2178, date(2023, 2, 22), archive_csv(rows))
    ingest(spark, tmp_path, "backfill-1", "2023-02-22")
    result = tmp_path / "silver.json"

    # WHEN Silver runs with a 20 % limit
    code = cli.main(silver_argv(warehouse, result, "hourly-1", "--max-rejected-share", "0.2"))

    # THEN the stage fails naming the rule and its figures, and only the quarantine was written
    document = json.loads(result.read_text())
    assert (code, document["status"], document["error"]["type"]) == (1, "FAILED", "QualityGateTrippedError")
    assert document["error"]["message"].startswith(
        "silver quality gate tripped: rejectedShare: 3 of 5 rows rejected (60.0%), above the limit 20.0%."
    )
    assert document["qualityGate"] == {
        "passed": False,
        "checks": [
            {
                "rule": "rejectedShare",
                "passed": False,
                "limit": 0.2,
                "share": 0.6,
                "rowsRejected": 3,
                "rowsRead": 5,
            }
        ],
    }
    assert (document["rowsRead"], document["rowsWritten"], document["rowsRejected"]) == (5, 0, 3)
    assert spark.table(SILVER_HOURLY).count() == 0
    assert spark.table(SILVER_CHANGES).count() == 0
    assert rows_of(spark, QUARANTINE, "datetime", "reason", "run_id") == [
        ("2023-02-22T03:00:00-07:00", "value_sentinel_-999", "hourly-1"),
        ("2023-02-22T04:00:00-07:00", "value_not_numeric", "hourly-1"),
        ("2023-02-22T05:00:00-07:00", "value_above_plausible_max", "hourly-1"),
    ]
    # AND the watermark stayed: the next run, with the gate off, reads the same rows and promotes them
    assert cli.main(silver_argv(warehouse, result, "hourly-2")) == 0
    again = json.loads(result.read_text())
    assert (again["rowsRead"], again["rowsWritten"], again["rowsRejected"]) == (5, 2, 3)
    assert rows_of(spark, SILVER_HOURLY, "location_id", "run_id") == [(2178, "hourly-2"), (2178, "hourly-2")]


def test_a_location_gone_silent_fails_silver_naming_it_and_the_earlier_hours_stay_as_they_were(
    spark: SparkSession, tmp_path: Path, empty_lake: None
) -> None:
    # GIVEN two locations that both reported on the 22nd, promoted by a run that passed the gate
    for location, sensor in ((2178, 3917), (2179, 5001)):
        day_1 = [raw("2023-02-22T01:00:00-07:00", "6.2", location, sensor)]
        write_archive_file(tmp_path, location, date(2023, 2, 22), archive_csv(day_1))
    ingest(spark, tmp_path, "backfill-1", "2023-02-22")
    gate = {"max_rejected_share": 0.2, "silent_location_hours": 24}
    first = silver.run(spark, context("hourly-1", **gate))
    assert first.quality_gate is not None and first.quality_gate["passed"]
    before = rows_of(spark, SILVER_HOURLY, "location_id", "hour_end_utc", "run_id")

    # WHEN on the 23rd only 2178 sends data
    day_2 = [raw("2023-02-23T01:00:00-07:00", "7.1")]
    write_archive_file(tmp_path, 2178, date(2023, 2, 23), archive_csv(day_2))
    ingest(spark, tmp_path, "backfill-2", "2023-02-23")
    with pytest.raises(QualityGateTrippedError) as tripped:
        silver.run(spark, context("hourly-2", **gate))

    # THEN the silent rule names 2179 and the share rule passed; Silver is as the first run left it
    assert [(c["rule"], c["passed"]) for c in tripped.value.verdict.checks] == [
        ("rejectedShare", True),
        ("silentLocations", False),
    ]
    assert tripped.value.verdict.tripped[0]["silentLocationIds"] == [2179]
    assert (
        "silentLocations: 1 of 2 locations that reported in the 24 h before 2023-02-23T08:00:00Z "
        "sent no row (location ids 2179)" in str(tripped.value)
    )
    assert rows_of(spark, SILVER_HOURLY, "location_id", "hour_end_utc", "run_id") == before


def context(run_id: str, **gate: float | int) -> StageContext:
    return StageContext(
        stage="silver",
        run_id=run_id,
        mode="incremental",
        catalog="hadoop",
        warehouse="unused",
        result_uri="unused",
        **gate,  # type: ignore[arg-type]
    )
