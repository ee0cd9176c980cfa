"""The old design, for comparison: one Python process and one SparkSession running every stage in turn.

``one_session.py <plan.json>`` where the plan is a list of Stage CLI argument lists (the same ones the
one-JVM-per-stage run passes to ``entry.py``). Each is run through ``aqi_jobs.cli.main`` in this one
process: ``build_session`` finds the session the first stage created and reuses it, so every stage after
the first inherits the JVM, its heap and whatever the previous stages cached. Prints one JSON line per
stage, ``{"stage", "chunkId", "exitCode", "seconds", "endedAt"}`` (``endedAt``: epoch seconds).
"""

from __future__ import annotations

import json
import sys
import time

from aqi_jobs import cli


def main(argv: list[str]) -> int:
    with open(argv[0], encoding="utf-8") as handle:
        plan: list[list[str]] = json.load(handle)
    for stage_argv in plan:
        started = time.monotonic()
        code = cli.main(stage_argv)
        chunk = stage_argv[stage_argv.index("--chunk-id") + 1] if "--chunk-id" in stage_argv else None
        line = {
            "stage": stage_argv[0],
            "chunkId": chunk,
            "exitCode": code,
            "seconds": round(time.monotonic() - started, 3),
            "endedAt": time.time(),
        }
        print(json.dumps(line), flush=True)
        if code != 0:
            return code
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
