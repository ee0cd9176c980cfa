"""Silver's batch data-quality gate: the rules that stop a bad batch before anything is promoted.

Two rules, each off unless the run is given its limit (``--max-rejected-share``,
``--silent-location-hours``; the CDK config passes both per pipeline, docs/OPERATIONS.md says how to turn
them off):

* **rejected share**: the batch's rejected rows over the rows it read exceeds the limit (the default
  config: 0.2). A broken export or a changed unit shows as a jump in rejections.
* **silent locations**: a location that has Silver hours in the ``hours`` before the batch's first hour
  and no row at all (valid, duplicate or rejected) in the batch. A source that stopped sending a
  location shows here. A batch without any keyed row has no first hour, so the rule has nothing to
  compare and passes; a batch that reads nothing promotes nothing either.

A tripped rule fails the stage after the batch's rejected rows are merged into the quarantine (they are
what the operator inspects) and before the change log, the hourly MERGE and the watermark: Gold sees
nothing, and the next Silver run reads the same Bronze rows again. Pure: figures in, a verdict out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aqi_jobs.stage import StageOutcome

REJECTED_SHARE, SILENT_LOCATIONS = "rejectedShare", "silentLocations"


@dataclass(frozen=True)
class QualityGate:
    """The configured limits; None turns a rule off."""

    max_rejected_share: float | None = None
    silent_location_hours: int | None = None

    @property
    def enabled(self) -> bool:
        return self.max_rejected_share is not None or self.silent_location_hours is not None


@dataclass(frozen=True)
class BatchFigures:
    """What the gate looks at, gathered by the stage before it writes anything."""

    rows_read: int
    rows_rejected: int
    # The earliest hour (hour-ending, UTC text) the batch touches; None when no row has a key.
    first_hour: str | None = None
    # Locations with Silver hours in the look-back before ``first_hour``, and locations in the batch.
    reported_before: tuple[int, ...] = ()
    in_batch: tuple[int, ...] = ()


@dataclass(frozen=True)
class Verdict:
    """Each configured rule's figures and whether it passed (the stage result's ``qualityGate``)."""

    checks: tuple[dict[str, Any], ...]

    @property
    def tripped(self) -> tuple[dict[str, Any], ...]:
        return tuple(check for check in self.checks if not check["passed"])

    def as_json(self) -> dict[str, Any]:
        return {"passed": not self.tripped, "checks": [dict(check) for check in self.checks]}


class QualityGateTrippedError(ValueError):
    """The batch broke a quality rule; nothing was promoted. Carries what the stage did for its result."""

    def __init__(self, verdict: Verdict, outcome: StageOutcome, run_id: str) -> None:
        self.verdict = verdict
        self.outcome = outcome
        rules = "; ".join(describe(check) for check in verdict.tripped)
        super().__init__(
            f"silver quality gate tripped: {rules}. Nothing was promoted to aqi_silver.measurements_hourly "
            f"or Gold; the batch's rejected rows are in aqi_silver.quarantine (run_id {run_id}) and the "
            "next run reads the same Bronze rows again. Inspect them, then re-run, or change the "
            "pipeline's silverQualityGate (docs/OPERATIONS.md)"
        )


def judge(gate: QualityGate, figures: BatchFigures) -> Verdict:
    """Every configured rule applied to the batch's figures."""
    checks: list[dict[str, Any]] = []
    if gate.max_rejected_share is not None:
        checks.append(rejected_share_check(gate.max_rejected_share, figures))
    if gate.silent_location_hours is not None:
        checks.append(silent_locations_check(gate.silent_location_hours, figures))
    return Verdict(tuple(checks))


def rejected_share_check(limit: float, figures: BatchFigures) -> dict[str, Any]:
    share = figures.rows_rejected / figures.rows_read if figures.rows_read else 0.0
    return {
        "rule": REJECTED_SHARE,
        "passed": share <= limit,
        "limit": limit,
        "share": round(share, 6),
        "rowsRejected": figures.rows_rejected,
        "rowsRead": figures.rows_read,
    }


def silent_locations_check(hours: int, figures: BatchFigures) -> dict[str, Any]:
    silent = sorted(set(figures.reported_before) - set(figures.in_batch))
    return {
        "rule": SILENT_LOCATIONS,
        "passed": not silent,
        "lookbackHours": hours,
        "batchFirstHour": figures.first_hour,
        "reportedBefore": len(set(figures.reported_before)),
        "silentLocationIds": silent,
    }


def describe(check: dict[str, Any]) -> str:
    """One clause naming the rule and its figures."""
    if check["rule"] == REJECTED_SHARE:
        return (
            f"{REJECTED_SHARE}: {check['rowsRejected']} of {check['rowsRead']} rows rejected "
            f"({check['share']:.1%}), above the limit {check['limit']:.1%}"
        )
    ids = ", ".join(str(i) for i in check["silentLocationIds"])
    return (
        f"{SILENT_LOCATIONS}: {len(check['silentLocationIds'])} of {check['reportedBefore']} locations that "
        f"reported in the {check['lookbackHours']} h before {check['batchFirstHour']} sent no row "
        f"(location ids {ids})"
    )
