"""Spark column expressions that read OpenAQ's text fields: timestamps, numbers, units, conversions.

Shared by Bronze (which derives the partition column from the timestamp) and Silver. Built from the tables
in ``aqi_jobs.units`` so Spark and the pure-Python reference agree; no Python UDFs.
"""

from __future__ import annotations

from datetime import datetime

from pyspark.sql import Column
from pyspark.sql import functions as F  # noqa: N812 - the PySpark convention

from aqi_jobs import units

# A timestamp without an offset would be read in the session time zone, silently shifting an archive's
# local times by hours: OpenAQ always sends an offset or Z, so anything else is rejected.
_OFFSET_AT_END = r"(Z|[+-]\d{2}(:?\d{2})?)$"

# Wide enough for any reading (18 integer digits) and for µg/m³ → ppm conversions to keep 10 decimals.
# Timestamps cross into Python as UTC text in this format: PySpark would turn a collected TimestampType
# into a naive datetime in the Python process's local zone, shifting it on a machine not set to UTC.
UTC_TEXT = "yyyy-MM-dd HH:mm:ss.SSSSSS"

RAW_DECIMAL = "decimal(28,10)"
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
    """``value`` converted to the AQI units of its pollutant; NULL when the pair has no conversion."""
    converted: Column | None = None
    for (name, unit), (multiplier, divisor) in units.CONVERSIONS.items():
        condition = (pollutant_col == F.lit(name)) & (canonical_unit_col == F.lit(unit))
        expression = value * F.lit(multiplier) / F.lit(divisor)
        converted = (
            F.when(condition, expression) if converted is None else converted.when(condition, expression)
        )
    assert converted is not None
    return converted


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
