"""Spark column expressions that read OpenAQ's text fields: timestamps, numbers, units, conversions.

Shared by Bronze (which derives the partition column from the timestamp) and Silver. Built from the tables
in ``aqi_jobs.units`` so Spark and the pure-Python reference agree; no Python UDFs.
"""

from __future__ import annotations

from datetime import datetime

from pyspark.sql import Column
from pyspark.sql import functions as F  # noqa: N812 - the PySpark convention

from aqi_jobs import units

# The OpenAQ archive's columns, in file order; API rows are mapped onto the same names.
RAW_COLUMNS: tuple[str, ...] = (
    "location_id",
    "sensors_id",
    "location",
    "datetime",
    "lat",
    "lon",
    "parameter",
    "units",
    "value",
)

# A timestamp without an offset would be read in the session time zone, silently shifting an archive's
# local times by hours: OpenAQ always sends an offset or Z, so anything else is rejected.
_OFFSET_AT_END = r"(Z|[+-]\d{2}(:?\d{2})?)$"

# Timestamps cross into Python as UTC text in this format: PySpark would turn a collected TimestampType
# into a naive datetime in the Python process's local zone, shifting it on a machine not set to UTC.
UTC_TEXT = "yyyy-MM-dd HH:mm:ss.SSSSSS"

# 12 integer digits hold any reading (the plausible maxima have 4); with 10 decimals and this width,
# value × multiplier / divisor keeps 15 decimals under Spark's decimal precision rules, so the final
# rounding to 6 places matches the Decimal reference.
RAW_DECIMAL = "decimal(22,10)"
_FACTOR_DECIMAL = "decimal(10,4)"
VALUE_DECIMAL = f"decimal(18,{units.VALUE_SCALE})"


def observed_at_utc(datetime_text: Column) -> Column:
    """The instant of an OpenAQ ``datetime`` (``T`` or space; ``Z`` or ``±hh:mm``) as a UTC timestamp, or
    NULL when it is not a timestamp with an offset."""
    text = F.trim(datetime_text)
    return F.when(text.rlike(_OFFSET_AT_END), text.cast("timestamp"))


def utc_timestamp(moment: datetime) -> Column:
    """A timestamp literal for an aware datetime. PySpark would read a naive one in the Python process's
    local zone; an ISO string with its offset is exact whatever the machine's zone."""
    if moment.tzinfo is None:
        raise ValueError(f"utc_timestamp needs an aware datetime; got naive {moment.isoformat()}")
    return F.lit(moment.isoformat()).cast("timestamp")


def hour_ending(ts: Column) -> Column:
    """The hour-ending stamp an observation belongs to: 01:15 and 02:00 both fall in the hour ending 02:00."""
    floor = F.date_trunc("hour", ts)
    return F.when(floor == ts, ts).otherwise(floor + F.expr("INTERVAL 1 HOUR"))


def decimal_value(value_text: Column) -> Column:
    """The reading as a decimal; NULL when empty or not a number."""
    return F.trim(value_text).cast(RAW_DECIMAL)


def bigint_id(id_text: Column) -> Column:
    """A location or sensor id; NULL unless the text is a whole number."""
    text = F.trim(id_text)
    return F.when(text.rlike(r"^[0-9]+$"), text.cast("bigint"))


def canonical_unit(units_text: Column) -> Column:
    """The unit spelling folded as ``units.canonical_unit`` folds it (not validated here)."""
    folded = F.lower(
        F.regexp_replace(F.translate(units_text, units.SPELLING_FROM, units.SPELLING_TO), r"\s", "")
    )
    return F.when(folded.isin(*units.CANONICAL_UNITS), folded)


def pollutant(parameter_text: Column) -> Column:
    """The AQI pollutant a parameter names (``pm25``…``so2``), NULL for any other parameter."""
    name = F.lower(F.trim(parameter_text))
    return F.when(name.isin(*units.POLLUTANTS), name)


def in_aqi_units(value: Column, pollutant_col: Column, canonical_unit_col: Column) -> Column:
    """``value`` converted to the AQI units of its pollutant; NULL when the pair has no conversion.

    The lookup yields only literals and the arithmetic appears once: a branch per pair with its own
    decimal arithmetic would make Spark generate (and compile) two dozen copies of it.
    """
    multiplier: Column | None = None
    divisor: Column | None = None
    for (name, unit), (m, d) in units.CONVERSIONS.items():
        pair = (pollutant_col == F.lit(name)) & (canonical_unit_col == F.lit(unit))
        m_lit, d_lit = F.lit(m).cast(_FACTOR_DECIMAL), F.lit(d).cast(_FACTOR_DECIMAL)
        multiplier = F.when(pair, m_lit) if multiplier is None else multiplier.when(pair, m_lit)
        divisor = F.when(pair, d_lit) if divisor is None else divisor.when(pair, d_lit)
    assert multiplier is not None and divisor is not None
    return value * multiplier / divisor


def is_convertible(pollutant_col: Column, canonical_unit_col: Column) -> Column:
    """Whether a (pollutant, unit) pair has a conversion to AQI units."""
    pairs = [f"{name}|{unit}" for name, unit in units.CONVERSIONS]
    return F.concat_ws("|", pollutant_col, canonical_unit_col).isin(*pairs)


def per_pollutant(mapping: dict[str, object], pollutant_col: Column) -> Column:
    """A literal looked up by pollutant (plausible maxima, noise floors)."""
    looked_up: Column | None = None
    for name, literal in mapping.items():
        condition = pollutant_col == F.lit(name)
        looked_up = (
            F.when(condition, F.lit(literal))
            if looked_up is None
            else looked_up.when(condition, F.lit(literal))
        )
    assert looked_up is not None
    return looked_up
