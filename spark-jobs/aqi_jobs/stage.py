"""What a stage receives from the CLI and what it reports back for its result JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

STAGES = ("bronze", "silver", "gold")

# The pipeline's mode names (the values of --mode), written here only. Bronze reads the archive by local
# days (backfill) or the API by hours (hourly); Silver and Gold take what changed since their watermark
# (incremental) or recompute a range of days (range).
BACKFILL, HOURLY = "backfill", "hourly"
INCREMENTAL, RANGE = "incremental", "range"
MODES: dict[str, tuple[str, ...]] = {
    "bronze": (BACKFILL, HOURLY),
    "silver": (INCREMENTAL, RANGE),
    "gold": (INCREMENTAL, RANGE),
}


@dataclass(frozen=True)
class Location:
    id: int
    name: str
    timezone: str


@dataclass(frozen=True)
class StageContext:
    """Parsed stage arguments (see docs/ARCHITECTURE.md, "Stage CLI")."""

    stage: str
    run_id: str
    mode: str
    catalog: str
    warehouse: str
    result_uri: str
    start: str | None = None
    end: str | None = None
    chunk_id: str | None = None
    source: str | None = None
    archive_uri: str | None = None
    api_base_url: str | None = None
    api_key_secret: str | None = None
    locations: tuple[Location, ...] = ()
    # Silver's quality gate (aqi_jobs.silver_quality); None turns a rule off.
    max_rejected_share: float | None = None
    silent_location_hours: int | None = None


@dataclass
class StageOutcome:
    """What a stage did; the CLI adds timing and status and writes it as the stage result."""

    rows_read: int = 0
    rows_written: int = 0
    rows_rejected: int = 0
    rows_duplicate: int = 0
    window_start: str | None = None
    window_end: str | None = None
    affected_days: list[str] = field(default_factory=list)
    snapshots: dict[str, int | None] = field(default_factory=dict)
    # Bronze hourly only: the OpenAQ requests the window cost (openaq_api.RequestTally.as_json and
    # sensorListsRenewed); None for every other stage and mode.
    api_requests: dict[str, object] | None = None
    # Silver with a quality gate: each rule's figures (the result's ``qualityGate``); None: not checked.
    quality_gate: dict[str, Any] | None = None
    # Bronze backfill only: each archive file that could not be read (key, reason, rejectedLines), the
    # result's ``unreadableSources``; None for every other stage and mode.
    unreadable_sources: list[dict[str, object]] | None = None
