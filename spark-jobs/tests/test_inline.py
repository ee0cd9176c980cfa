from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from pyspark.sql import SparkSession

from aqi_jobs.inline import inline_frame

SCHEMA = "id bigint, name string, step decimal(18,6), day date, at timestamp, ok boolean"


def test_inline_rows_keep_every_value_and_type_and_stay_in_the_jvm(spark: SparkSession) -> None:
    kolkata = timezone(timedelta(hours=5, minutes=30))
    noon, utc_midnight_in_ist = (
        datetime(2024, 3, 15, 12, tzinfo=UTC),
        datetime(2024, 3, 15, 5, 30, tzinfo=kolkata),
    )
    rows = [
        (1, "O'Brien \\ Station", Decimal("0.1"), date(2024, 3, 15), noon, True),
        (2, "Kolkata — Ballygunge", Decimal("12.345678"), date(2024, 2, 29), utc_midnight_in_ist, False),
        (3, None, None, None, None, None),
    ]
    frame = inline_frame(spark, rows, SCHEMA)
    assert [(f.name, f.dataType.simpleString()) for f in frame.schema.fields] == [
        ("id", "bigint"),
        ("name", "string"),
        ("step", "decimal(18,6)"),
        ("day", "date"),
        ("at", "timestamp"),
        ("ok", "boolean"),
    ]
    got = sorted(frame.collect(), key=lambda r: r.id)
    assert [r.name for r in got] == ["O'Brien \\ Station", "Kolkata — Ballygunge", None]
    assert [r.step for r in got] == [Decimal("0.100000"), Decimal("12.345678"), None]
    assert [r.day for r in got] == [date(2024, 3, 15), date(2024, 2, 29), None]
    assert [r.ok for r in got] == [True, False, None]
    # Both instants are 2024-03-15T00:00/12:00 UTC, whatever zone the literal was written in.
    epoch = frame.selectExpr("id", "unix_timestamp(at) AS s").orderBy("id").collect()
    assert [r.s for r in epoch] == [1710504000, 1710460800, None]
    # A local relation: no Python worker reads it, unlike createDataFrame of a list.
    assert "LocalTableScan" in frame._jdf.queryExecution().executedPlan().toString()


def test_no_rows_give_an_empty_frame_of_the_schema(spark: SparkSession) -> None:
    frame = inline_frame(spark, [], SCHEMA)
    assert frame.count() == 0
    assert frame.columns == ["id", "name", "step", "day", "at", "ok"]


def test_bad_rows_are_refused_with_what_was_wrong(spark: SparkSession) -> None:
    with pytest.raises(ValueError, match=r"has 2 values; the schema has 6 columns"):
        inline_frame(spark, [(1, "a")], SCHEMA)
    with pytest.raises(ValueError, match="aware datetimes; got naive 2024-03-15T00:00:00"):
        inline_frame(spark, [(1, "a", None, None, datetime(2024, 3, 15), None)], SCHEMA)
    with pytest.raises(TypeError, match="got float"):
        inline_frame(spark, [(1, "a", 0.1, None, None, None)], SCHEMA)
