"""The Spark AQI expressions (aqi_jobs.aqi_columns) agree with the pure-Python reference (aqi_jobs.aqi)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from pyspark.sql import SparkSession
from pyspark.sql import functions as F  # noqa: N812
from pyspark.sql.types import DecimalType, IntegerType, StringType, StructField, StructType, TimestampType

from aqi_jobs import aqi, aqi_columns

D = Decimal
MICRO = D("0.000001")


def concentration_grid(pollutant: str, averaging: str) -> list[Decimal]:
    """Every breakpoint, values just inside and outside each, sub-step fractions, and far above AQI 500."""
    segments = aqi.table(pollutant, averaging)
    step = aqi.truncation_step(pollutant)
    grid = {D(0)}
    for bp in segments:
        mid = ((bp.conc_lo + bp.conc_hi) / 2).quantize(MICRO)
        grid |= {bp.conc_lo, bp.conc_hi, bp.conc_lo + step / 2, bp.conc_hi + step * D("0.9"), mid}
        if bp.conc_lo >= step:
            grid.add(bp.conc_lo - step)
    top = segments[-1].conc_hi
    grid |= {top + step, top * D("1.5"), top * 3}
    return sorted(c.quantize(MICRO) for c in grid)


GRID = [(p, a, c) for p in aqi.pollutants() for a in aqi.averagings(p) for c in concentration_grid(p, a)]
GRID_SCHEMA = StructType(
    [
        StructField("pollutant", StringType()),
        StructField("averaging", StringType()),
        StructField("concentration", DecimalType(18, 6)),
    ]
)


def test_the_grid_visits_every_table_and_exceeds_aqi_500_for_every_hazardous_table() -> None:
    tables = {(p, a) for p, a, _ in GRID}
    assert tables == {(bp.pollutant, bp.averaging) for bp in aqi.breakpoints()}
    above_500 = {(p, a) for p, a, c in GRID if (aqi.sub_index(p, a, c) or 0) > 500}
    assert above_500 == {
        (bp.pollutant, bp.averaging) for bp in aqi.breakpoints() if bp.category == "Hazardous"
    }


def test_spark_sub_index_equals_the_pure_module_on_the_whole_grid(spark: SparkSession) -> None:
    frame = spark.createDataFrame(GRID, GRID_SCHEMA)
    rows = frame.select(
        "pollutant",
        "averaging",
        "concentration",
        aqi_columns.sub_index_for(F.col("pollutant"), F.col("averaging"), F.col("concentration")).alias(
            "aqi"
        ),
    ).collect()
    actual = sorted((r.pollutant, r.averaging, r.concentration, r.aqi) for r in rows)
    expected = sorted((p, a, c, aqi.sub_index(p, a, c)) for p, a, c in GRID)
    assert actual == expected


def test_spark_sub_index_of_24_hours_of_9_1_ug_m3_is_51_not_the_float_50(spark: SparkSession) -> None:
    hours = spark.createDataFrame([(D("9.1"),)] * 24, "value decimal(18,6)")
    day = hours.agg(F.avg("value").alias("mean"))
    assert day.select(aqi_columns.sub_index("pm25", "24h", F.col("mean")).alias("aqi")).first().aqi == 51


def test_spark_categories_and_colours_equal_the_pure_module_from_0_to_600(spark: SparkSession) -> None:
    rows = (
        spark.range(0, 601)
        .union(spark.range(1844, 1845))
        .select(
            F.col("id").cast("int").alias("aqi"),
            aqi_columns.category_name(F.col("id")).alias("name"),
            aqi_columns.category_color(F.col("id")).alias("color"),
        )
        .collect()
    )
    actual = sorted((r.aqi, r.name, r.color) for r in rows)
    expected = [(i, aqi.category(i).name, aqi.category(i).color) for i in [*range(601), 1844]]
    assert actual == expected


O3_CASES = [
    (a, b)
    for a in (None, "0.000", "0.070", "0.090", "0.200", "0.250")
    for b in (None, "0.100", "0.130", "0.420")
]
SO2_CASES = [
    (a, b) for a in (None, "0", "100", "304", "305", "400", "900") for b in (None, "300", "304", "350", "700")
]


def _pairs(cases: list[tuple[str | None, str | None]]) -> list[tuple[Decimal | None, Decimal | None]]:
    return [(None if a is None else D(a), None if b is None else D(b)) for a, b in cases]


AQI_INPUT_SCHEMA = "pollutant string, concentration decimal(18,6), secondary decimal(18,6)"


def _truncated(pollutant: str, concentration: Decimal | None) -> Decimal | None:
    return None if concentration is None else aqi.truncate(pollutant, concentration)


def test_with_aqi_equals_the_pure_module_on_every_primary_table(spark: SparkSession) -> None:
    """Gold's path: each pollutant's truncated concentration on its primary table, no second value."""
    cases = [(p, c) for p, a, c in GRID if a == aqi.PRIMARY_AVERAGING[p]]
    rows = [(p, _truncated(p, c), None) for p, c in cases]
    result = aqi_columns.with_aqi(spark.createDataFrame(rows, AQI_INPUT_SCHEMA)).collect()
    actual = sorted((r.pollutant, r.concentration, r.aqi) for r in result)
    rules = {"o3": lambda c: aqi.o3_aqi(c, None), "so2": lambda c: aqi.so2_aqi(c, None)}
    expected = sorted(
        (p, c, rules.get(p, lambda c, p=p: aqi.sub_index(p, aqi.PRIMARY_AVERAGING[p], c))(c))
        for p, c in ((p, _truncated(p, c)) for p, c in cases)
    )
    assert actual == expected
    assert {aqi_value is None for *_, aqi_value in expected} == {True, False}


def _rule_rows(spark: SparkSession, pollutant: str, cases: list[tuple[str | None, str | None]]) -> list:
    pairs = _pairs(cases)
    rows = [(pollutant, _truncated(pollutant, a), _truncated(pollutant, b)) for a, b in pairs]
    frame = aqi_columns.with_aqi(spark.createDataFrame(rows, AQI_INPUT_SCHEMA))
    return pairs, [(r.concentration, r.secondary, r.aqi) for r in frame.collect()]


def test_spark_o3_rule_equals_the_pure_module(spark: SparkSession) -> None:
    pairs, actual = _rule_rows(spark, "o3", O3_CASES)
    expected = [(a, b, aqi.o3_aqi(a, b)) for a, b in pairs]
    assert _none_first(actual) == _none_first(expected)


def test_spark_so2_rule_equals_the_pure_module(spark: SparkSession) -> None:
    pairs, actual = _rule_rows(spark, "so2", SO2_CASES)
    expected = [(a, b, aqi.so2_aqi(a, b)) for a, b in pairs]
    assert _none_first(actual) == _none_first(expected)


def test_with_aqi_evaluates_one_formula_per_index(spark: SparkSession) -> None:
    """The breakpoints choose constants and one formula computes each of the two indices. Before, every
    breakpoint of every table carried its own formula and a copy of the truncation: Gold's hourly AQI
    generated a 49,670-byte method, six times the size HotSpot compiles."""
    frame = aqi_columns.with_aqi(spark.createDataFrame([], AQI_INPUT_SCHEMA))
    plan = frame._jdf.queryExecution().optimizedPlan().toString()  # noqa: SLF001
    assert plan.count("round(") == 2


def _none_first(rows: list[tuple]) -> list[tuple]:
    return sorted(rows, key=lambda row: tuple((v is not None, v if v is not None else 0) for v in row))


START = datetime(2024, 7, 1, 0, 0)
NOWCAST_SCHEMA = StructType(
    [
        StructField("series", IntegerType()),
        StructField("hour", TimestampType()),
        StructField("value", DecimalType(18, 6)),
    ]
)


def nowcast_series(seed: int = 20240701) -> list[tuple[int, datetime, Decimal]]:
    """Hourly series with gaps, zero runs, sub-step decimals and spikes, so every NowCast branch is hit."""
    rng = random.Random(seed)
    rows = []
    for series in range(40):
        for h in range(16):
            if rng.random() < 0.25:
                continue
            kind = rng.random()
            if series % 10 == 0:
                value = D(0)
            elif kind < 0.1:
                value = D(rng.randint(200, 900)) / 10
            else:
                value = (D(rng.randint(0, 60_000_000)) / D(1_000_000)).quantize(MICRO)
            rows.append((series, START + timedelta(hours=h), value))
    return rows


def test_spark_nowcast_window_equals_the_pure_module_on_generated_series(spark: SparkSession) -> None:
    rows = nowcast_series()
    frame = spark.createDataFrame(rows, NOWCAST_SCHEMA)
    result = frame.select(
        "series", "hour", aqi_columns.nowcast(F.col("value"), F.col("hour"), ["series"]).alias("nowcast")
    ).collect()
    by_hour = {(s, h): v for s, h, v in rows}
    expected = sorted(
        (s, h, aqi.nowcast([by_hour.get((s, h - timedelta(hours=i))) for i in range(aqi.NOWCAST_HOURS)]))
        for s, h, _ in rows
    )
    actual = sorted((r.series, r.hour, r.nowcast) for r in result)
    assert actual == expected
    assert {v is None for *_, v in expected} == {True, False}
    assert any(v == 0 for *_, v in expected)


def test_spark_nowcast_builds_each_intermediate_once(spark: SparkSession) -> None:
    """Written as nested expressions, Spark evaluated an intermediate at every place it appeared, and
    inside a lambda at every iteration: the weight (from the hours' extremes) and its powers were rebuilt
    for each hour of the weighted sum, about 2 ms a row. Bound once per row, each appears once in the
    expression Spark evaluates: the window's list, its extremes, and the powers, numerator and
    denominator (the three ``aggregate`` calls). Before, the extremes appeared 3 and 2 times, the window's
    list 8 times and ``aggregate`` 4 times."""
    expression = str(aqi_columns.nowcast(F.col("value"), F.col("hour"), ["series"]))
    counts = {name: expression.count(f"{name}(") for name in ("collect_list", "array_min", "array_max")}
    assert counts == {"collect_list": 1, "array_min": 1, "array_max": 1}
    assert expression.count("aggregate(") == 3


@pytest.mark.parametrize(
    ("newest_first", "expected"),
    [
        ([D(40), D(10)], D(30)),  # w* = 0.25 floored to 0.5
        ([D(0), D(0), D(0)], D(0)),  # all zeros
        ([D(10), None, None, D(10)], None),  # fewer than 2 of the 3 newest
        ([D(10)] * 12, D(10)),
    ],
)
def test_spark_nowcast_follows_the_epa_rules_on_explicit_hours(
    spark: SparkSession, newest_first: list[Decimal | None], expected: Decimal | None
) -> None:
    now = START + timedelta(hours=20)
    rows = [(1, now - timedelta(hours=i), c) for i, c in enumerate(newest_first) if c is not None]
    frame = spark.createDataFrame(rows, NOWCAST_SCHEMA)
    result = frame.select("hour", aqi_columns.nowcast(F.col("value"), F.col("hour"), ["series"]).alias("n"))
    assert result.where(F.col("hour") == now).first().n == expected
