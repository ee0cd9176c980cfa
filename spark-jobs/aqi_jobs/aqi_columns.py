"""The EPA AQI as Spark column expressions, generated from the same breakpoint table as ``aqi_jobs.aqi``.

No Python UDF: every function returns a ``Column`` built from ``when``/``between``/arithmetic on
decimals, so Catalyst plans it and the JVM evaluates it. The pure module is the reference; the tests
check both agree on a grid that steps across every breakpoint and above AQI 500.

Decimal types are chosen so no Spark operation silently drops scale before a truncation: inputs are
``DECIMAL(18,6)`` or wider averages (``avg`` of ``DECIMAL(18,6)`` is ``DECIMAL(22,10)``); dividing by a
truncation step of ``10^-n`` is exact. The segment formula multiplies before it divides, and Spark keeps
at least 6 decimals of the quotient: with ``k = (C_hi − C_lo) / step ≤ 999`` a quotient that is not
exactly ``x.5`` is at least ``1 / (2k) ≥ 0.0005`` away from it, so that rounding can never create or
destroy a ``.5`` before ``F.round`` (half up on decimals; ``bround`` would be half even). NowCast follows
the pure module's fixed point: weights rounded half up to ``NOWCAST_WEIGHT_SCALE`` decimals, the result
to ``NOWCAST_SCALE``.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from pyspark.sql import Column, Window
from pyspark.sql import functions as F  # noqa: N812
from pyspark.sql.types import DecimalType

from aqi_jobs import aqi

SECONDS_PER_HOUR = 3600
NOWCAST_TYPE = DecimalType(38, aqi.NOWCAST_SCALE)
_WEIGHT_TYPE = DecimalType(aqi.NOWCAST_WEIGHT_SCALE + 1, aqi.NOWCAST_WEIGHT_SCALE)
_WEIGHT_SUM_TYPE = DecimalType(aqi.NOWCAST_WEIGHT_SCALE + 2, aqi.NOWCAST_WEIGHT_SCALE)
# 12 integer digits: adding a weight × value product (at most 14) stays within 38 digits, so Spark keeps
# all NOWCAST_SCALE decimals instead of trimming scale to make room.
_PRODUCT_SUM_TYPE = DecimalType(12 + aqi.NOWCAST_SCALE, aqi.NOWCAST_SCALE)
# 8 integer digits bound the NowCast numerator (12 hours × concentrations far above any sensor's range)
# and keep the division's result at NOWCAST_SCALE decimals under Spark's 38-digit limit.
_NUMERATOR_TYPE = DecimalType(8 + aqi.NOWCAST_SCALE, aqi.NOWCAST_SCALE)


def _lit(value: Decimal | int) -> Column:
    return F.lit(Decimal(value))


def _scale(step: Decimal) -> int:
    return max(0, -int(step.as_tuple().exponent))


def truncated(pollutant: str, concentration: Column) -> Column:
    """Truncate to the pollutant's reporting step (non-negative input, so floor is truncation)."""
    step = aqi.truncation_step(pollutant)
    return (F.floor(concentration / _lit(step)) * _lit(step)).cast(DecimalType(18, _scale(step)))


def _segment(bp: aqi.Breakpoint, c: Column) -> Column:
    span = _lit(bp.aqi_hi - bp.aqi_lo) * (c - _lit(bp.conc_lo)) / _lit(bp.conc_hi - bp.conc_lo)
    return F.round(span + _lit(bp.aqi_lo), 0)


def sub_index(pollutant: str, averaging: str, concentration: Column) -> Column:
    """INT sub-index of one table, NULL where that table defines no AQI (as ``aqi.sub_index``)."""
    segments = aqi.table(pollutant, averaging)
    c = truncated(pollutant, concentration)
    expr = F.when(c.between(_lit(segments[0].conc_lo), _lit(segments[0].conc_hi)), _segment(segments[0], c))
    for bp in segments[1:]:
        expr = expr.when(c.between(_lit(bp.conc_lo), _lit(bp.conc_hi)), _segment(bp, c))
    top = segments[-1]
    if top.category == "Hazardous":
        expr = expr.when(c > _lit(top.conc_hi), _segment(top, c))
    return expr.cast("int")


def sub_index_for(pollutant: Column, averaging: Column, concentration: Column) -> Column:
    """The sub-index when pollutant and averaging are columns; NULL for a pair the table lacks."""
    pairs = list(dict.fromkeys((bp.pollutant, bp.averaging) for bp in aqi.breakpoints()))
    p, a = pairs[0]
    expr = F.when((pollutant == p) & (averaging == a), sub_index(p, a, concentration))
    for p, a in pairs[1:]:
        expr = expr.when((pollutant == p) & (averaging == a), sub_index(p, a, concentration))
    return expr


def o3_index(avg_8h: Column, max_1h: Column) -> Column:
    """As ``aqi.o3_aqi``: the higher of the 8-hour and 1-hour indices; NULL without an 8-hour value."""
    both = F.greatest(sub_index("o3", "8h", avg_8h), sub_index("o3", "1h", max_1h))
    return F.when(avg_8h.isNotNull(), both)


def so2_index(max_1h: Column, avg_24h: Column) -> Column:
    """As ``aqi.so2_aqi``: 1-hour up to 200; from 305 ppb the 24-hour rows, or 200 without them."""
    ceiling = F.lit(aqi.table("so2", "1h")[-1].aqi_hi)
    combined = F.coalesce(sub_index("so2", "1h", max_1h), sub_index("so2", "24h", avg_24h), ceiling)
    return F.when(max_1h.isNotNull(), combined)


def category_name(index: Column) -> Column:
    return _by_category(index, lambda cat: cat.name)


def category_color(index: Column) -> Column:
    return _by_category(index, lambda cat: cat.color)


def _by_category(index: Column, attribute: Callable[[aqi.Category], str]) -> Column:
    cats = aqi.categories()
    expr = F.when(index.between(cats[0].aqi_lo, cats[0].aqi_hi), F.lit(attribute(cats[0])))
    for cat in cats[1:]:
        upper = index >= cat.aqi_lo if cat.aqi_hi is None else index.between(cat.aqi_lo, cat.aqi_hi)
        expr = expr.when(upper, F.lit(attribute(cat)))
    return expr


def nowcast(value: Column, hour: Column, partition_by: list[str]) -> Column:
    """NowCast of ``value`` at each ``hour`` over the 12 hours ending at it (gaps are missing hours).

    A window expression: the hours of the same ``partition_by`` group within 11 hours before ``hour``
    are collected and weighted with higher-order functions, exactly as ``aqi.nowcast``. ``value`` must
    be a decimal with at most 6 decimals (Silver's ``DECIMAL(18,6)``). Returns ``DECIMAL(38,18)``.

    Every intermediate (the present hours, their extremes, the weight, its powers) is bound once per row
    with :func:`_let`. Written as plain nested expressions, Spark evaluates an expression again at every
    place it appears, and inside a lambda at every iteration: the powers were rebuilt for each hour of
    the sum and the weight for each power, about 2 ms a row (a year of Gold hours took 12 minutes).
    """
    at = F.unix_timestamp(hour)
    window = (
        Window.partitionBy(*partition_by)
        .orderBy(at)
        .rangeBetween(-(aqi.NOWCAST_HOURS - 1) * SECONDS_PER_HOUR, 0)
    )
    collected = F.collect_list(F.struct(at.alias("t"), value.cast(DecimalType(18, 6)).alias("c"))).over(
        window
    )
    present = F.transform(
        F.filter(collected, lambda e: e["c"].isNotNull()),
        lambda e: F.struct(((at - e["t"]) / SECONDS_PER_HOUR).cast("int").alias("age"), e["c"].alias("c")),
    )
    return _let(present, _nowcast_of)


def _let(value: Column, body: Callable[[Column], Column]) -> Column:
    """``body(v)`` where ``v`` is ``value`` evaluated once per row, however often ``body`` uses it.

    A lambda variable is the one binding Catalyst keeps: ``transform`` over a one-element array.
    """
    return F.element_at(F.transform(F.array(value), body), 1)


def _nowcast_of(hours: Column) -> Column:
    """The NowCast of ``hours``, the present hours as ``struct(age, c)`` (age 0 is the current hour)."""
    values = F.transform(hours, lambda e: e["c"])
    extremes = F.struct(
        F.size(F.filter(hours, lambda e: e["age"] <= 2)).alias("recent"),
        F.array_min(values).alias("lowest"),
        F.array_max(values).alias("highest"),
    )

    def of_extremes(x: Column) -> Column:
        weight = F.greatest((x["lowest"] / x["highest"]).cast(_WEIGHT_TYPE), _lit(aqi.NOWCAST_MIN_WEIGHT))
        return (
            F.when(x["recent"] < 2, F.lit(None).cast(NOWCAST_TYPE))
            .when(x["highest"] == 0, F.lit(0).cast(NOWCAST_TYPE))
            .otherwise(_let(weight, lambda w: _let(_powers(w), lambda p: _weighted_mean(hours, p))))
        )

    return _let(extremes, of_extremes)


def _powers(w: Column) -> Column:
    """``[1, w, w², …, w¹¹]``, each product rounded half up to the weight's scale, as the pure module."""
    return F.aggregate(
        F.sequence(F.lit(1), F.lit(aqi.NOWCAST_HOURS - 1)),
        F.array(F.lit(1).cast(_WEIGHT_TYPE)),
        lambda acc, _: F.concat(acc, F.array((F.element_at(acc, -1) * w).cast(_WEIGHT_TYPE))),
    )


def _weighted_mean(hours: Column, powers: Column) -> Column:
    numerator = F.aggregate(
        hours,
        F.lit(0).cast(_PRODUCT_SUM_TYPE),
        lambda acc, e: (acc + F.element_at(powers, e["age"] + 1) * e["c"]).cast(_PRODUCT_SUM_TYPE),
    )
    denominator = F.aggregate(
        hours,
        F.lit(0).cast(_WEIGHT_SUM_TYPE),
        lambda acc, e: (acc + F.element_at(powers, e["age"] + 1)).cast(_WEIGHT_SUM_TYPE),
    )
    return (numerator.cast(_NUMERATOR_TYPE) / denominator).cast(NOWCAST_TYPE)
