from __future__ import annotations

import pytest

from aqi_jobs import phases
from aqi_jobs.phases import PhaseClock, lap, timed_stage


def test_each_lap_is_the_time_since_the_previous_mark_named_by_what_ran(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    readings = iter([100.0, 101.5, 104.0])
    monkeypatch.setattr(phases.time, "monotonic", lambda: next(readings))
    clock = PhaseClock()

    clock.lap("read", "watermark")
    clock.lap("merge", "merge aqi_silver.measurements_hourly")

    assert clock.as_json() == [
        {"kind": "read", "name": "watermark", "seconds": 1.5},
        {"kind": "merge", "name": "merge aqi_silver.measurements_hourly", "seconds": 2.5},
    ]


def test_a_phase_measured_elsewhere_is_recorded_without_moving_the_clock(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    readings = iter([10.0, 12.0])
    monkeypatch.setattr(phases.time, "monotonic", lambda: next(readings))
    clock = PhaseClock()

    clock.add("start", "JVM and Python start", 3.25)
    clock.lap("start", "SparkSession")

    assert clock.as_json() == [
        {"kind": "start", "name": "JVM and Python start", "seconds": 3.25},
        {"kind": "start", "name": "SparkSession", "seconds": 2.0},
    ]


def test_stage_code_marks_on_the_running_stages_clock_and_on_nothing_outside_one() -> None:
    lap("action", "outside any stage")
    with timed_stage() as clock:
        lap("action", "classify Bronze rows")
    lap("action", "after the stage")

    assert [p.name for p in clock.phases] == ["classify Bronze rows"]


def test_an_unknown_kind_is_refused_naming_the_allowed_kinds() -> None:
    with pytest.raises(ValueError, match="phase kind 'compute' is not one of start, setup, read, action"):
        PhaseClock().lap("compute", "x")
