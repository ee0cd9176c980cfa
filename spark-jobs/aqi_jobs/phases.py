"""Where a stage's time goes: the ``phases`` of its result (contract: lambdas/shared/stage-result.ts).

Spark is lazy, so time lands where an action runs, not where a frame is defined. A stage therefore marks
the end of each action with ``lap(kind, name)``: the phase is the time since the previous mark, named by
what that action did (``merge aqi_silver.measurements_hourly``). One call per action keeps the stage code
readable and the timing honest: everything between two marks is attributed, nothing is double-counted.

Kinds, so phases can be grouped across stages: ``start`` (JVM, SparkSession), ``setup`` (tables,
configuration), ``read`` (source files, API, watermarks), ``action`` (a transform's count or collect),
``write`` (an append), ``merge`` (a MERGE INTO), ``upkeep`` (snapshot expiry, change-log pruning) and
``result`` (snapshot ids, the result file). The CLI owns the clock; a stage run outside it (unit tests)
marks into nothing.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

KINDS = ("start", "setup", "read", "action", "write", "merge", "upkeep", "result")


@dataclass(frozen=True)
class Phase:
    kind: str
    name: str
    seconds: float

    def as_json(self) -> dict[str, object]:
        return {"kind": self.kind, "name": self.name, "seconds": round(self.seconds, 3)}


@dataclass
class PhaseClock:
    """Laps since the last mark; ``started`` is a ``time.monotonic()`` reading."""

    started: float = field(default_factory=lambda: time.monotonic())
    phases: list[Phase] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._last = self.started

    def lap(self, kind: str, name: str) -> None:
        if kind not in KINDS:
            raise ValueError(f"phase kind {kind!r} is not one of {', '.join(KINDS)}")
        now = time.monotonic()
        self.phases.append(Phase(kind, name, now - self._last))
        self._last = now

    def add(self, kind: str, name: str, seconds: float) -> None:
        """A phase measured elsewhere (the JVM's start, before Python ran); the clock does not move."""
        if kind not in KINDS:
            raise ValueError(f"phase kind {kind!r} is not one of {', '.join(KINDS)}")
        self.phases.append(Phase(kind, name, max(seconds, 0.0)))

    def as_json(self) -> list[dict[str, object]]:
        return [phase.as_json() for phase in self.phases]


_clock: ContextVar[PhaseClock | None] = ContextVar("aqi_jobs_phase_clock", default=None)


def lap(kind: str, name: str) -> None:
    """Mark the end of a phase on the running stage's clock (a no-op outside the CLI)."""
    clock = _clock.get()
    if clock is not None:
        clock.lap(kind, name)


@contextmanager
def timed_stage() -> Iterator[PhaseClock]:
    """A clock that ``lap`` marks on for the duration of the block."""
    clock = PhaseClock()
    token = _clock.set(clock)
    try:
        yield clock
    finally:
        _clock.reset(token)
