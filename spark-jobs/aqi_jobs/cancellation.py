"""SIGTERM handling: an EMR step cancel stops the stage before its next commit.

Iceberg commits are atomic, so a table is never half-written; what matters is that a cancelled stage does
not go on to make its *next* commit (e.g. Silver's watermark after its MERGE). The handler raises
``StageCancelledError`` in the main thread at once, and stages call ``raise_if_cancelled`` before each
commit in case the signal arrived while Python was not running (inside a JVM call that swallowed it).
"""

from __future__ import annotations

import signal
import threading
from types import FrameType

_received = threading.Event()


class StageCancelledError(Exception):
    """The stage received SIGTERM and stopped."""


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    already = _received.is_set()
    _received.set()
    if not already:
        raise StageCancelledError("received SIGTERM (EMR step cancel); stopped before the next commit")


def install() -> None:
    """Route SIGTERM to ``StageCancelledError``. Call once, from the main thread, before the stage starts."""
    _received.clear()
    signal.signal(signal.SIGTERM, _on_sigterm)


def raise_if_cancelled() -> None:
    if _received.is_set():
        raise StageCancelledError("received SIGTERM (EMR step cancel); stopped before the next commit")
