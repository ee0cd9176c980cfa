"""Silver: Bronze's raw rows parsed, validated, converted to AQI units and aggregated to the hour.

The stage is split as Gold is: pure transforms in ``silver_rows`` (classification, hourly means,
quarantine rows) and ``silver_changes`` (the change log); I/O in ``silver_selection`` (which Bronze rows
a run reads, where the watermark may move: ``incremental`` or ``range``) and ``silver_writes`` (the
MERGEs). This module runs them in order. A range run moves the watermark too when it has covered
everything Bronze received since it (``silver_selection.next_watermark``).

Change log. Before merging, the recomputed hours are compared with ``measurements_hourly``
(``silver_changes``); the changes are appended to ``hour_changes`` with this run's ``processed_at`` and
``run_id``. A run with no change writes nothing at all (no empty snapshot).

Quality gate (``silver_quality``, when the run is given its limits): after classifying and before any
write. A tripped rule merges the batch's rejected rows into the quarantine and fails the stage with the
rule and its figures; nothing else is written, so the watermark stays and Gold sees nothing.

Writes, in this order: the change log (append), one MERGE into ``measurements_hourly`` (insert, update
only when something changed, delete an hour none of whose rows is valid any more), one MERGE into
``quarantine`` keyed on ``row_hash``, then the watermark. Each is an atomic Iceberg commit. The log goes
first so a run stopped after it has at worst announced a change not yet merged: Gold recomputes a day
that turns out unchanged, and the next Silver run, reading the same Bronze rows again (the watermark has
not moved), logs and merges the same change. The reverse order could lose a change for Gold. Stages run
one at a time under the lake-wide lock, so Gold never reads between the two commits.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F  # noqa: N812 - the PySpark convention

from aqi_jobs import cancellation
from aqi_jobs.phases import lap
from aqi_jobs.session import unpersisted_at_exit
from aqi_jobs.silver_changes import hour_changes, recomputed
from aqi_jobs.silver_quality import BatchFigures, QualityGate, QualityGateTrippedError, Verdict, judge
from aqi_jobs.silver_rows import DUPLICATE, REJECTED, VALID, classify, hourly, quarantine_rows
from aqi_jobs.silver_selection import (
    HOUR_TEXT,
    locations_reported_before,
    next_watermark,
    rows_to_read,
    triggers,
)
from aqi_jobs.silver_writes import in_bounds, merge_hourly, merge_quarantine
from aqi_jobs.stage import StageContext, StageOutcome
from aqi_jobs.state import read_watermark, write_watermark
from aqi_jobs.tables import QUARANTINE, SILVER_CHANGES, SILVER_HOURLY, current_snapshot, ensure_tables


def run(spark: SparkSession, ctx: StageContext) -> StageOutcome:
    ensure_tables(spark)
    lap("setup", "ensure tables")
    with unpersisted_at_exit() as cached:
        return _process(spark, ctx, cached)


def _process(spark: SparkSession, ctx: StageContext, cached: list[DataFrame]) -> StageOutcome:
    now = datetime.now(UTC)
    watermark = read_watermark(spark, "silver")
    lap("read", "watermark")
    rows, touched, bounds = rows_to_read(spark, triggers(spark, ctx, watermark))
    lap("read", "bounds of the Bronze rows to process")
    classified = classify(rows).cache()
    hours = hourly(classified.where(F.col("outcome") == VALID), ctx.run_id, now).cache()
    touched = touched.cache()
    cached += [classified, hours, touched]
    # One job for the outcome counts and the locations in the batch (the quality gate's silent check).
    counted = (
        classified.groupBy("outcome")
        .agg(F.count(F.lit(1)).alias("rows"), F.collect_set("obs_location_id").alias("locations"))
        .collect()
    )
    by_outcome = {r.outcome: r.rows for r in counted}
    in_batch = tuple(sorted({location for r in counted for location in r.locations}))
    lap("action", "classify Bronze rows")
    written = hours.count()
    lap("action", "hourly means")
    rejected = quarantine_rows(classified, ctx.run_id, now)
    span = touched.agg(
        F.collect_set(F.to_date("hour_end_utc")).alias("days"),
        F.date_format(F.min("hour_end_utc"), HOUR_TEXT).alias("first_hour"),
    ).first()
    days = sorted(day.isoformat() for day in span.days)
    lap("action", "affected days")
    verdict = _quality_verdict(
        spark,
        ctx,
        BatchFigures(sum(by_outcome.values()), by_outcome.get(REJECTED, 0)),
        span.first_hour,
        in_batch,
    )
    if verdict is not None and verdict.tripped:
        _merge_rejected(spark, rejected, by_outcome)
        # Nothing promoted: no row written, no day changed; the accounting of what was read stays.
        outcome = replace(
            _outcome(spark, by_outcome, written, days=[]), rows_written=0, quality_gate=verdict.as_json()
        )
        raise QualityGateTrippedError(verdict, outcome, ctx.run_id)
    if bounds["low"] is not None:
        current = spark.table(SILVER_HOURLY).where(in_bounds(bounds))
        changes = hour_changes(recomputed(hours, touched), current, ctx.run_id, now).cache()
        cached.append(changes)
        # No change means the MERGE would rewrite nothing: skip it and its empty snapshot.
        unchanged = changes.isEmpty()
        lap("action", "compare with current hours")
        if not unchanged:
            cancellation.raise_if_cancelled()
            changes.writeTo(SILVER_CHANGES).append()
            lap("write", "append aqi_silver.hour_changes")
            cancellation.raise_if_cancelled()
            merge_hourly(spark, hours, touched, bounds)
            lap("merge", "merge aqi_silver.measurements_hourly")
    _merge_rejected(spark, rejected, by_outcome)
    moved_to = next_watermark(spark, ctx, watermark, bounds["ingested_through"])
    lap("read", "pending Bronze rows outside the range")
    if moved_to is not None and (watermark is None or moved_to > watermark):
        cancellation.raise_if_cancelled()
        write_watermark(spark, "silver", moved_to, ctx.run_id)
        lap("merge", "merge aqi_silver.stage_state")
    outcome = _outcome(spark, by_outcome, written, days)
    outcome.quality_gate = None if verdict is None else verdict.as_json()
    return outcome


def _merge_rejected(spark: SparkSession, rejected: DataFrame, by_outcome: dict[str, int]) -> None:
    if by_outcome.get(REJECTED, 0):
        cancellation.raise_if_cancelled()
        merge_quarantine(spark, rejected)
        lap("merge", "merge aqi_silver.quarantine")


def _quality_verdict(
    spark: SparkSession,
    ctx: StageContext,
    figures: BatchFigures,
    first_hour: str | None,
    in_batch: tuple[int, ...],
) -> Verdict | None:
    """The quality gate's verdict on this batch, or None when the run has no gate configured.

    ``first_hour`` is the batch's earliest touched hour (``HOUR_TEXT``), ``in_batch`` the locations its
    rows name.
    """
    gate = QualityGate(ctx.max_rejected_share, ctx.silent_location_hours)
    if not gate.enabled:
        return None
    if gate.silent_location_hours is not None and first_hour is not None:
        figures = replace(
            figures,
            first_hour=first_hour,
            reported_before=locations_reported_before(spark, first_hour, gate.silent_location_hours),
            in_batch=in_batch,
        )
    lap("action", "quality gate")
    return judge(gate, figures)


def _outcome(spark: SparkSession, by_outcome: dict[str, int], written: int, days: list[str]) -> StageOutcome:
    valid = by_outcome.get(VALID, 0)
    return StageOutcome(
        rows_read=sum(by_outcome.values()),
        rows_written=written,
        rows_rejected=by_outcome.get(REJECTED, 0),
        # A valid row that is not written was folded into its hour's row (see silver_rows).
        rows_duplicate=by_outcome.get(DUPLICATE, 0) + valid - written,
        affected_days=days,
        snapshots={t.split(".", 1)[1]: current_snapshot(spark, t) for t in (SILVER_HOURLY, QUARANTINE)},
    )
