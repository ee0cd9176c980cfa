"""Gold dimensions: locations (with their standard UTC offset) and pollutants (from the breakpoint table)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from pyspark.sql import DataFrame, SparkSession

from aqi_jobs import aqi
from aqi_jobs.inline import inline_frame
from aqi_jobs.stage import Location

DIM_LOCATION_SCHEMA = (
    "location_id bigint, name string, timezone string, standard_utc_offset_minutes int, "
    "computed_at timestamp, run_id string"
)
DIM_POLLUTANT_SCHEMA = (
    "pollutant string, units string, truncate_to decimal(18,6), averagings string, primary_averaging string, "
    "dominance_rank int, computed_at timestamp, run_id string"
)


def standard_utc_offset_minutes(timezone: str, at: datetime) -> int:
    """The zone's offset from UTC without daylight saving (``utcoffset − dst``) in effect at ``at``.

    EPA daily windows run in Local Standard Time all year, so a DST zone's summer days still start at
    00:00 standard time. ``at`` is explicit because zones do change their standard offset over the years.
    """
    local = at.astimezone(ZoneInfo(timezone))
    offset, dst = local.utcoffset(), local.dst()
    if offset is None or dst is None:  # pragma: no cover - ZoneInfo always answers both
        raise ValueError(f"timezone {timezone!r} gives no UTC offset at {at.isoformat()}")
    return int((offset - dst).total_seconds() // 60)


def dim_location_rows(locations: Sequence[Location], at: datetime, run_id: str) -> list[tuple]:
    """The rows of ``dim_location`` for the configured locations, in ``DIM_LOCATION_SCHEMA``'s order."""
    return [
        (loc.id, loc.name, loc.timezone, standard_utc_offset_minutes(loc.timezone, at), at, run_id)
        for loc in locations
    ]


def dim_pollutant_rows(at: datetime, run_id: str) -> list[tuple]:
    """The rows of ``dim_pollutant``, one per pollutant of the breakpoint table, in schema order."""
    return [
        (
            p,
            aqi.units(p),
            Decimal(aqi.truncation_step(p)),
            ",".join(aqi.averagings(p)),
            aqi.PRIMARY_AVERAGING[p],
            aqi.DOMINANCE_ORDER.index(p) + 1,
            at,
            run_id,
        )
        for p in aqi.pollutants()
    ]


def dim_location(spark: SparkSession, locations: Sequence[Location], at: datetime, run_id: str) -> DataFrame:
    return inline_frame(spark, dim_location_rows(locations, at, run_id), DIM_LOCATION_SCHEMA)


def dim_pollutant(spark: SparkSession, at: datetime, run_id: str) -> DataFrame:
    return inline_frame(spark, dim_pollutant_rows(at, run_id), DIM_POLLUTANT_SCHEMA)
