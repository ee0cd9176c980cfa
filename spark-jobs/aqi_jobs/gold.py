"""Gold stage: EPA AQI tables from ``aqi_silver.measurements_hourly``, recomputing only affected days.

**Which days.** A Silver hour beginning at LST time ``t`` feeds hourly rows up to ``t + 23 h`` (SO2's
trailing 24-hour mean; NowCast needs 12 h, 8-hour means 8 h) and daily rows of ``t``'s day and of the day
of ``t − 7 h`` (O3/CO windows that begin the evening before reach 7 hours into the next day). So the
affected days of an hour are ``{day(t − 7 h), day(t), day(t + 23 h)}``.

* ``incremental``: the Silver hours changed after Gold's watermark (``aqi_gold.stage_state``: the
  latest Silver ``processed_at`` Gold has consumed) give the affected days; Gold recomputes the affected
  locations over the span from the first to the last affected day. A changed hour is either a row of
  ``measurements_hourly`` with a newer ``processed_at`` (inserted or updated) or an entry of Silver's
  change log ``hour_changes`` with a newer ``processed_at`` (inserted, updated *or deleted*: a deleted
  hour leaves no row behind, so only the log can tell). The log alone would do for Silver's own runs;
  reading the rows too keeps hours written before the log existed (a warehouse upgraded in place) from
  being missed. Without a watermark, every Silver row and log entry counts as changed.
* ``range``: ``--start``/``--end`` are the days whose Silver data changed (a backfill passes the same
  range to Silver and Gold), so Gold recomputes them plus one day each side, for every known location.
  When the recomputed days cover every Silver change since the watermark (as after a backfill that
  runs Silver and Gold over the same range), the range run advances the watermark too, so the next
  incremental run does not redo the backfill; otherwise it leaves the watermark alone.

**How.** The recompute reads Silver two days beyond the span on each side (enough for any standard
offset, at most 14 h, plus the 23-hour look-back and 7-hour look-ahead), builds hourly and daily rows
and keeps those of the span. Each fact table then gets one MERGE that inserts new rows, updates only
rows whose values changed and deletes rows of the span that no longer exist: one atomic commit per
table, and a re-run changes no row. Dimensions are merged first; the watermark last, so a run stopped
part-way is simply repeated by the next one.

**Locations.** ``dim_location`` keeps every location ever configured (a location removed from the
config keeps its history). Silver rows of a location that ``dim_location`` lacks stop the stage with an
error naming the ids: without a time zone there is no Local Standard Time day.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from pyspark.sql import DataFrame, Row, SparkSession
from pyspark.sql import functions as F  # noqa: N812

from aqi_jobs import cancellation, gold_dims
from aqi_jobs.gold_daily import aqi_daily, aqi_daily_pollutant
from aqi_jobs.gold_hourly import SECONDS_PER_DAY, SECONDS_PER_HOUR, aqi_hourly, location_hours, with_lst
from aqi_jobs.gold_tables import (
    AQI_DAILY,
    AQI_DAILY_POLLUTANT,
    AQI_HOURLY,
    DIM_LOCATION,
    DIM_POLLUTANT,
    FACT_KEYS,
    GOLD_STATE,
    GOLD_TABLES,
    LINEAGE_COLUMNS,
    days_scope,
    ensure_gold_tables,
    merge_changed,
)
from aqi_jobs.inline import inline_frame
from aqi_jobs.phases import lap
from aqi_jobs.stage import MODES, RANGE, StageContext, StageOutcome
from aqi_jobs.tables import SILVER_CHANGES, SILVER_HOURLY, current_snapshot, ensure_tables

STATE_KEY = "gold"
TIMESTAMP_TEXT = "yyyy-MM-dd HH:mm:ss.SSSSSS"
# Offsets before/after an hour's LST begin whose days it affects (see the module docstring).
AFFECTED_OFFSETS_HOURS = (-7, 0, 23)
READ_MARGIN = timedelta(days=2)
_EPOCH_DAY = date(1970, 1, 1)


class GoldInputError(ValueError):
    """Gold cannot run on what it was given (mode, window or Silver rows)."""


@dataclass(frozen=True)
class Scope:
    """The locations and the inclusive LST day span a run recomputes."""

    location_ids: tuple[int, ...]
    first: date
    last: date

    def covers(self, other: Scope) -> bool:
        return (
            set(other.location_ids) <= set(self.location_ids)
            and self.first <= other.first <= other.last <= self.last
        )

    def days(self) -> list[str]:
        count = (self.last - self.first).days + 1
        return [(self.first + timedelta(days=i)).isoformat() for i in range(count)]


def affected_days(hour_end_epoch: int, offset_minutes: int) -> list[date]:
    """The LST days whose Gold rows depend on the Silver hour ending at ``hour_end_epoch`` (UTC seconds)."""
    local = hour_end_epoch - SECONDS_PER_HOUR + offset_minutes * 60
    shifted = (local + h * SECONDS_PER_HOUR for h in AFFECTED_OFFSETS_HOURS)
    return sorted({_EPOCH_DAY + timedelta(days=seconds // SECONDS_PER_DAY) for seconds in shifted})


def recompute(hours: DataFrame, scope: Scope) -> tuple[DataFrame, DataFrame]:
    """Hourly and daily-per-pollutant rows of ``scope`` from location hours (with LST) around it."""
    in_scope = F.col("location_id").isin(*scope.location_ids) & F.col("lst_date").between(
        F.lit(scope.first), F.lit(scope.last)
    )
    return aqi_hourly(hours).where(in_scope), aqi_daily_pollutant(hours).where(in_scope)


def run(spark: SparkSession, ctx: StageContext) -> StageOutcome:
    if ctx.mode not in MODES["gold"]:
        raise GoldInputError(f"--mode for gold must be one of {', '.join(MODES['gold'])}; got {ctx.mode!r}")
    # Checked before anything is written; None means incremental.
    range_days = _range_days(ctx) if ctx.mode == RANGE else None
    computed_at = datetime.now(UTC).replace(microsecond=0)
    ensure_tables(spark, SILVER_HOURLY, SILVER_CHANGES)
    ensure_gold_tables(spark)
    lap("setup", "ensure tables")
    offsets = _merge_dimensions(spark, ctx, computed_at)
    dim_location = _offsets_frame(spark, offsets)
    silver = spark.table(SILVER_HOURLY)

    through: str | None = None
    if range_days is None:
        changed = _changed_since_watermark(spark, silver)
        lap("read", "watermark")
        scope, through = _incremental_scope(_extents(changed), offsets)
        lap("action", "changed hours, their locations and days")
        if scope is None:
            return _outcome(spark, 0, 0, None)
    else:
        first, last = range_days
        scope = Scope(tuple(sorted(offsets)), first - timedelta(days=1), last + timedelta(days=1))
        in_span = _in_read_span(silver, scope).select("location_id").distinct().collect()
        _check_locations((r.location_id for r in in_span), offsets)
        lap("action", "check locations")
        through = _through_if_covered(spark, silver, offsets, scope)
        lap("action", "pending changes covered")
        if not scope.location_ids:
            return _outcome(spark, 0, 0, None)
    window = _read_window(silver, scope)
    hours = location_hours(window).transform(with_lst(dim_location)).persist()
    try:
        # Silver holds one row per sensor-hour, so the sensors behind each location-hour add up to it.
        rows_read = hours.agg(F.sum("sensor_count")).first()[0] or 0
        lap("read", "Silver hours of the scope")
        rows_written = _write_facts(spark, recompute(hours, scope), scope, computed_at, ctx.run_id)
    finally:
        hours.unpersist()
    if through is not None:
        cancellation.raise_if_cancelled()
        _write_watermark(spark, through, ctx.run_id)
        lap("merge", "merge aqi_gold.stage_state")
    return _outcome(spark, rows_read, rows_written, scope)


def _merge_dimensions(spark: SparkSession, ctx: StageContext, computed_at: datetime) -> dict[int, int]:
    """Merge the dimensions; returns every held location's standard UTC offset (minutes) after the merge."""
    if ctx.locations:
        rows = gold_dims.dim_location_rows(ctx.locations, computed_at, ctx.run_id)
        held = _merge_if_changed(spark, DIM_LOCATION, rows, gold_dims.DIM_LOCATION_SCHEMA, ("location_id",))
        lap("merge", "merge aqi_gold.dim_location if changed")
    else:
        held = spark.table(DIM_LOCATION).select("location_id", "standard_utc_offset_minutes").collect()
        lap("read", "locations")
    rows = gold_dims.dim_pollutant_rows(computed_at, ctx.run_id)
    _merge_if_changed(spark, DIM_POLLUTANT, rows, gold_dims.DIM_POLLUTANT_SCHEMA, ("pollutant",))
    lap("merge", "merge aqi_gold.dim_pollutant if changed")
    return {r["location_id"]: r["standard_utc_offset_minutes"] for r in held}


def _offsets_frame(spark: SparkSession, offsets: dict[int, int]) -> DataFrame:
    """``dim_location``'s offsets as an inline table: small, so every join with it is a broadcast."""
    return inline_frame(spark, sorted(offsets.items()), "location_id bigint, standard_utc_offset_minutes int")


def _changed_since_watermark(spark: SparkSession, silver: DataFrame) -> DataFrame:
    """(location_id, hour_end_utc, processed_at) of every Silver hour changed after the watermark."""
    rows = spark.sql(
        f"SELECT date_format(silver_processed_through, '{TIMESTAMP_TEXT}') AS through "
        f"FROM {GOLD_STATE} WHERE stage = '{STATE_KEY}'"
    ).collect()
    key = ("location_id", "hour_end_utc", "processed_at")
    changed = silver.select(*key).unionByName(spark.table(SILVER_CHANGES).select(*key))
    if not rows:
        return changed
    return changed.where(F.col("processed_at") > F.lit(rows[0].through).cast("timestamp"))


def _extents(changed: DataFrame) -> list[Row]:
    """Per location of ``changed``: its first and last hour end (epoch seconds) and latest ``processed_at``.

    One Spark job. The affected days of a location are those of its first and last hour and the days
    between (LST dates only grow with time), so these extents give a run's scope without one row per hour.
    """
    return (
        changed.groupBy("location_id")
        .agg(
            F.unix_timestamp(F.min("hour_end_utc")).alias("first_end"),
            F.unix_timestamp(F.max("hour_end_utc")).alias("last_end"),
            F.date_format(F.max("processed_at"), TIMESTAMP_TEXT).alias("through"),
        )
        .collect()
    )


def _incremental_scope(extents: list[Row], offsets: dict[int, int]) -> tuple[Scope | None, str | None]:
    """The locations and day span the changed hours affect, and the watermark they take Gold to."""
    _check_locations((e.location_id for e in extents), offsets)
    if not extents:
        return None, None
    days = [
        day
        for e in extents
        for end in (e.first_end, e.last_end)
        for day in affected_days(end, offsets[e.location_id])
    ]
    ids = tuple(sorted(e.location_id for e in extents))
    return Scope(ids, min(days), max(days)), max(e.through for e in extents)


def _range_days(ctx: StageContext) -> tuple[date, date]:
    if ctx.start is None or ctx.end is None:
        raise GoldInputError("gold range needs --start and --end (YYYY-MM-DD, inclusive)")
    try:
        start, end = date.fromisoformat(ctx.start), date.fromisoformat(ctx.end)
    except ValueError:
        raise GoldInputError(
            f"gold range needs --start/--end as YYYY-MM-DD; got {ctx.start!r} and {ctx.end!r}"
        ) from None
    if start > end:
        raise GoldInputError(f"gold range: --start {ctx.start} is after --end {ctx.end}")
    return start, end


def _in_read_span(silver: DataFrame, scope: Scope) -> DataFrame:
    """Silver rows of every location from ``READ_MARGIN`` before the scope's days to as long after."""
    begin = datetime.combine(scope.first, datetime.min.time(), UTC) - READ_MARGIN
    end = datetime.combine(scope.last, datetime.min.time(), UTC) + READ_MARGIN + timedelta(days=1)
    return silver.where(
        (F.col("hour_end_utc") >= F.timestamp_seconds(F.lit(int(begin.timestamp()))))
        & (F.col("hour_end_utc") < F.timestamp_seconds(F.lit(int(end.timestamp()))))
    )


def _read_window(silver: DataFrame, scope: Scope) -> DataFrame:
    return _in_read_span(silver, scope).where(F.col("location_id").isin(*scope.location_ids))


def _through_if_covered(
    spark: SparkSession, silver: DataFrame, offsets: dict[int, int], scope: Scope
) -> str | None:
    """The watermark a range run may advance to: only if it recomputes every day pending changes touch."""
    extents = _extents(_changed_since_watermark(spark, silver))
    if _unknown_locations((e.location_id for e in extents), offsets):
        return None
    pending, through = _incremental_scope(extents, offsets)
    if pending is None or not scope.covers(pending):
        return None
    return through


def _unknown_locations(location_ids: Iterable[int], offsets: dict[int, int]) -> list[int]:
    return sorted({i for i in location_ids if i not in offsets})[:20]


def _check_locations(location_ids: Iterable[int], offsets: dict[int, int]) -> None:
    unknown = _unknown_locations(location_ids, offsets)
    if unknown:
        ids = ", ".join(str(i) for i in unknown)
        raise GoldInputError(
            f"Silver has rows of location ids not in aqi_gold.dim_location: {ids}; add them (with their "
            f"timezone) to the locations config and pass --locations-uri, so their LST days can be computed"
        )


def _write_facts(
    spark: SparkSession,
    frames: tuple[DataFrame, DataFrame],
    scope: Scope,
    computed_at: datetime,
    run_id: str,
) -> int:
    """MERGE hourly, daily-per-pollutant and daily rows; returns how many rows were recomputed."""
    lineage = (F.lit(computed_at).cast("timestamp").alias("computed_at"), F.lit(run_id).alias("run_id"))
    hourly, daily_pollutant = (frame.select("*", *lineage).persist() for frame in frames)
    daily = aqi_daily(daily_pollutant.drop(*LINEAGE_COLUMNS)).select("*", *lineage).persist()
    condition = days_scope(scope.location_ids, scope.first, scope.last)
    written = 0
    try:
        for table, rows in ((AQI_HOURLY, hourly), (AQI_DAILY_POLLUTANT, daily_pollutant), (AQI_DAILY, daily)):
            written += rows.count()
            lap("action", f"compute {table.split('.', 1)[1]}")
            cancellation.raise_if_cancelled()
            merge_changed(spark, table, rows, FACT_KEYS[table], condition)
            lap("merge", f"merge {table.split('.', 1)[1]}")
    finally:
        for rows in (hourly, daily_pollutant, daily):
            rows.unpersist()
    return written


def _merge_if_changed(
    spark: SparkSession, table: str, rows: list[tuple], schema: str, keys: tuple[str, ...]
) -> list[dict]:
    """Dimensions rarely change: skip the MERGE (and an empty snapshot every hour) when nothing did.

    The dimension is a few rows, so the comparison is done here rather than as a Spark job: one scan of
    the table. Returns the table's rows (without lineage) as they are after this call.
    """
    target = spark.table(table)
    columns = target.columns  # a JVM call each time it is read
    compared = [c for c in columns if c not in LINEAGE_COLUMNS]
    at = [columns.index(c) for c in compared]
    wanted = [tuple(row[i] for i in at) for row in rows]
    held = [tuple(r) for r in target.select(*compared).collect()]
    if Counter(wanted) - Counter(held):
        cancellation.raise_if_cancelled()
        merge_changed(spark, table, inline_frame(spark, rows, schema), keys, scope=None)
        key_at = [compared.index(k) for k in keys]
        by_key = {tuple(r[i] for i in key_at): r for r in held}
        by_key.update({tuple(r[i] for i in key_at): r for r in wanted})
        held = list(by_key.values())
    return [dict(zip(compared, r, strict=True)) for r in held]


def _write_watermark(spark: SparkSession, through: str, run_id: str) -> None:
    update = inline_frame(
        spark, [(STATE_KEY, through, run_id)], "stage string, through string, run_id string"
    )
    merge_changed(
        spark,
        GOLD_STATE,
        update.select(
            "stage",
            F.col("through").cast("timestamp").alias("silver_processed_through"),
            "run_id",
            F.current_timestamp().alias("updated_at"),
        ),
        ("stage",),
        scope=None,
    )


def _outcome(spark: SparkSession, rows_read: int, rows_written: int, scope: Scope | None) -> StageOutcome:
    return StageOutcome(
        rows_read=rows_read,
        rows_written=rows_written,
        window_start=None if scope is None else scope.first.isoformat(),
        window_end=None if scope is None else scope.last.isoformat(),
        affected_days=[] if scope is None else scope.days(),
        snapshots={table.split(".", 1)[1]: current_snapshot(spark, table) for table in GOLD_TABLES},
    )
