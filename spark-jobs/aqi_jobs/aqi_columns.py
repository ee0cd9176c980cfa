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

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F  # noqa: N812
from pyspark.sql.types import DataType, DecimalType, StructField, StructType

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


def cast(column: Column, dtype: DataType) -> Column:
    """``column`` cast to ``dtype``, named by its DDL string.

    ``Column.cast`` with a ``DataType`` has the active session parse the type's JSON: about 17 py4j
    round trips, where a string is one. Gold builds its expressions with thousands of py4j calls, and
    these were the most of them (docs/BENCHMARKS.md, "what each change bought").
    """
    return column.cast(dtype.simpleString())


def _scale(step: Decimal) -> int:
    return max(0, -int(step.as_tuple().exponent))


def truncated(pollutant: str, concentration: Column) -> Column:
    """Truncate to the pollutant's reporting step (non-negative input, so floor is truncation).

    Every step is a power of ten (0.001 ppm O3, 0.1 PM2.5 and CO, 1 the others), so this is SQL's
    ``floor(x, decimals)``: one rounding of the decimal, where ``floor(x / step) * step`` is three
    operations, each with its own precision checks in the generated code.
    """
    step = aqi.truncation_step(pollutant)
    decimals = _scale(step)
    if step != Decimal(1).scaleb(-decimals):
        raise ValueError(
            f"the {pollutant} truncation step {step} is not a power of ten; truncated() needs one"
        )
    return cast(F.call_function("floor", concentration, F.lit(decimals)), DecimalType(18, decimals))


# A segment as three constants, so one formula serves every row: AQI = round((rise·C + offset) / span)
# with rise = I_hi − I_lo, span = C_hi − C_lo and offset = I_lo·span − rise·C_lo. That is the EPA's
# (I_hi − I_lo)(C − C_lo)/(C_hi − C_lo) + I_lo over one denominator: it multiplies before it divides, as
# the pure module does. The widths hold every 2024 table (rise ≤ 199, span < 10⁴ with 3 decimals,
# |offset| < 10⁹) and are checked when a segment is built.
_RISE_TYPE = DecimalType(3, 0)
_SPAN_TYPE = DecimalType(7, 3)
_OFFSET_TYPE = DecimalType(12, 3)
SEGMENT_TYPE = StructType(
    [StructField("rise", _RISE_TYPE), StructField("offset", _OFFSET_TYPE), StructField("span", _SPAN_TYPE)]
)
# The second table O3 and SO2 combine with their primary one (aqi.o3_aqi, aqi.so2_aqi), hourly and daily.
SECONDARY_AVERAGING = {"o3": "1h", "so2": "24h"}


def _constants(bp: aqi.Breakpoint) -> Column:
    """``bp`` as a ``SEGMENT_TYPE`` constant, written as one SQL expression: three py4j calls, where
    building it from ``lit``, ``cast`` and ``struct`` took about twenty-five."""
    rise, span = Decimal(bp.aqi_hi - bp.aqi_lo), bp.conc_hi - bp.conc_lo
    offset = bp.aqi_lo * span - rise * bp.conc_lo
    fields = []
    for name, value, kind in (
        ("rise", rise, _RISE_TYPE),
        ("offset", offset, _OFFSET_TYPE),
        ("span", span, _SPAN_TYPE),
    ):
        if abs(value) >= 10 ** (kind.precision - kind.scale) or value != value.quantize(
            Decimal(1).scaleb(-kind.scale)
        ):
            raise ValueError(
                f"the {bp.pollutant} {bp.averaging} segment from {bp.conc_lo}: {name} {value} does not fit "
                f"{kind.simpleString()}; widen it in aqi_columns"
            )
        fields.append(f"'{name}', CAST({value:f} AS {kind.simpleString()})")
    return F.expr(f"named_struct({', '.join(fields)})")


def segment(pollutant: str, averaging: str, c: Column) -> Column:
    """The segment of one table that ``c``, already truncated, falls in (``SEGMENT_TYPE`` constants);
    NULL where the table defines no AQI, as ``aqi.sub_index``: below the first row, and above the last
    unless it is Hazardous (extended linearly above AQI 500).

    ``c`` appears once per breakpoint, so it should be a column reference rather than an expression.
    The segments of a table are contiguous at the truncation step (checked here), so after the first
    lower bound each breakpoint needs only its upper one.
    """
    segments = aqi.table(pollutant, averaging)
    step = aqi.truncation_step(pollutant)
    for lower, upper in zip(segments, segments[1:], strict=False):
        if upper.conc_lo != lower.conc_hi + step:
            raise ValueError(
                f"the {pollutant} {averaging} breakpoints leave a gap between {lower.conc_hi} and "
                f"{upper.conc_lo} at step {step}; fix {aqi.BREAKPOINTS_RESOURCE}"
            )
    expr = F.when(c < _lit(segments[0].conc_lo), cast(F.lit(None), SEGMENT_TYPE))
    for bp in segments[:-1]:
        expr = expr.when(c <= _lit(bp.conc_hi), _constants(bp))
    top = segments[-1]
    if top.category == "Hazardous":
        return expr.otherwise(_constants(top))
    return expr.when(c <= _lit(top.conc_hi), _constants(top))


def index_in(segment_: Column, c: Column) -> Column:
    """INT AQI of ``c`` (truncated) on ``segment_`` (from :func:`segment`), rounded half up; NULL for NULL.

    Exact: ``c − C_lo`` and ``span`` are whole multiples of the truncation step, so the quotient is
    ``I_lo`` plus a multiple of ``1/k`` with ``k = span / step ≤ 999``; one that is not exactly ``x.5``
    is at least ``1/(2k) ≥ 0.0005`` away from it, and Spark keeps at least 6 decimals of a quotient, so
    its rounding can never create or destroy a ``.5`` before ``F.round`` (half up on decimals).
    """
    numerator = segment_["rise"] * c + segment_["offset"]
    return F.round(numerator / segment_["span"], 0).cast("int")


def sub_index(pollutant: str, averaging: str, concentration: Column) -> Column:
    """INT sub-index of one table (as ``aqi.sub_index``), from the raw concentration.

    Compact to write, not to run: the truncation is copied into every breakpoint and the segment into
    the formula three times. Gold binds the truncated concentration to a column and calls
    :func:`with_aqi`.
    """
    c = truncated(pollutant, concentration)
    return index_in(segment(pollutant, averaging, c), c)


def sub_index_for(pollutant: Column, averaging: Column, concentration: Column) -> Column:
    """The sub-index when pollutant and averaging are columns; NULL for a pair the table lacks."""
    pairs = list(dict.fromkeys((bp.pollutant, bp.averaging) for bp in aqi.breakpoints()))
    p, a = pairs[0]
    expr = F.when((pollutant == p) & (averaging == a), sub_index(p, a, concentration))
    for p, a in pairs[1:]:
        expr = expr.when((pollutant == p) & (averaging == a), sub_index(p, a, concentration))
    return expr


def with_aqi(frame: DataFrame) -> DataFrame:
    """``frame`` with ``aqi``: the index of ``concentration`` on the pollutant's primary table
    (``aqi.PRIMARY_AVERAGING``), combined for O3 and SO2 with the index of ``secondary`` on their second
    table as ``aqi.o3_aqi`` and ``aqi.so2_aqi`` do. Both must already be truncated to the pollutant's step.

    Each step is a projection of its own, binding what the next reads in several places: the segments,
    the two indices, the rule that combines them. Written as one expression, with the truncation and the
    formula copied into every breakpoint of every table, Gold's hourly AQI compiled to a 49,670-byte
    method, six times what HotSpot's JIT compiles.
    """
    pollutant, c, secondary = F.col("pollutant"), F.col("concentration"), F.col("secondary")
    main = cast(F.lit(None), SEGMENT_TYPE)
    for p, a in aqi.PRIMARY_AVERAGING.items():
        main = F.when(pollutant == p, segment(p, a, c)).otherwise(main)
    second = cast(F.lit(None), SEGMENT_TYPE)
    for p, a in SECONDARY_AVERAGING.items():
        second = F.when(pollutant == p, segment(p, a, secondary)).otherwise(second)
    indices = frame.select("*", main.alias("_segment"), second.alias("_secondary_segment")).select(
        "*",
        index_in(F.col("_segment"), c).alias("_index"),
        index_in(F.col("_secondary_segment"), secondary).alias("_secondary_index"),
    )
    index, other = F.col("_index"), F.col("_secondary_index")
    so2_ceiling = F.lit(aqi.table("so2", "1h")[-1].aqi_hi)
    combined = (
        F.when(pollutant == "o3", F.when(c.isNotNull(), F.greatest(index, other)))
        .when(pollutant == "so2", F.when(c.isNotNull(), F.coalesce(index, other, so2_ceiling)))
        .otherwise(index)
    )
    return indices.select(*frame.columns, combined.alias("aqi"))


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
    collected = F.collect_list(F.struct(at.alias("t"), cast(value, DecimalType(18, 6)).alias("c"))).over(
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
        weight = F.greatest(cast(x["lowest"] / x["highest"], _WEIGHT_TYPE), _lit(aqi.NOWCAST_MIN_WEIGHT))
        return (
            F.when(x["recent"] < 2, cast(F.lit(None), NOWCAST_TYPE))
            .when(x["highest"] == 0, cast(F.lit(0), NOWCAST_TYPE))
            .otherwise(_let(weight, lambda w: _let(_powers(w), lambda p: _weighted_mean(hours, p))))
        )

    return _let(extremes, of_extremes)


def _powers(w: Column) -> Column:
    """``[1, w, w², …, w¹¹]``, each product rounded half up to the weight's scale, as the pure module."""
    return F.aggregate(
        F.sequence(F.lit(1), F.lit(aqi.NOWCAST_HOURS - 1)),
        F.array(cast(F.lit(1), _WEIGHT_TYPE)),
        lambda acc, _: F.concat(acc, F.array(cast(F.element_at(acc, -1) * w, _WEIGHT_TYPE))),
    )


def _weighted_mean(hours: Column, powers: Column) -> Column:
    numerator = F.aggregate(
        hours,
        cast(F.lit(0), _PRODUCT_SUM_TYPE),
        lambda acc, e: cast(acc + F.element_at(powers, e["age"] + 1) * e["c"], _PRODUCT_SUM_TYPE),
    )
    denominator = F.aggregate(
        hours,
        cast(F.lit(0), _WEIGHT_SUM_TYPE),
        lambda acc, e: cast(acc + F.element_at(powers, e["age"] + 1), _WEIGHT_SUM_TYPE),
    )
    return cast(cast(numerator, _NUMERATOR_TYPE) / denominator, NOWCAST_TYPE)
