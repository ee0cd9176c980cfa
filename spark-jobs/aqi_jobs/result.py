"""The stage result JSON (contract: lambdas/shared/stage-result.ts), written to ``--result-uri``."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pyspark.sql import SparkSession

from aqi_jobs.stage import StageContext, StageOutcome
from aqi_jobs.storage import write_text

SUCCEEDED = "SUCCEEDED"
FAILED = "FAILED"


def iso_utc(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def stage_result(
    ctx: StageContext,
    outcome: StageOutcome,
    started_at: datetime,
    finished_at: datetime,
    error: BaseException | None = None,
) -> dict[str, Any]:
    """The result document; ``error`` set means FAILED. The CLI fills ``phases`` from its clock."""
    document = {
        "stage": ctx.stage,
        "runId": ctx.run_id,
        "chunkId": ctx.chunk_id,
        "status": FAILED if error is not None else SUCCEEDED,
        "mode": ctx.mode,
        "startedAt": iso_utc(started_at),
        "finishedAt": iso_utc(finished_at),
        "durationSeconds": round((finished_at - started_at).total_seconds(), 3),
        "phases": [],
        "rowsRead": outcome.rows_read,
        "rowsWritten": outcome.rows_written,
        "rowsRejected": outcome.rows_rejected,
        "rowsDuplicate": outcome.rows_duplicate,
        "window": {
            "start": outcome.window_start if outcome.window_start is not None else ctx.start,
            "end": outcome.window_end if outcome.window_end is not None else ctx.end,
        },
        "affectedDays": sorted(outcome.affected_days),
        "snapshots": dict(sorted(outcome.snapshots.items())),
        "apiRequests": outcome.api_requests,
        "error": None if error is None else {"type": type(error).__name__, "message": one_line(error)},
    }
    if outcome.quality_gate is not None:
        document["qualityGate"] = outcome.quality_gate
    if outcome.unreadable_sources is not None:
        document["unreadableSources"] = outcome.unreadable_sources
    return document


def one_line(error: BaseException) -> str:
    """The first line of an error's message (Py4J errors carry a whole Java stack trace after it)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def write_result(spark: SparkSession | None, uri: str, document: dict[str, Any]) -> None:
    write_text(spark, uri, json.dumps(document, indent=2) + "\n")
