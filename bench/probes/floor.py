"""The step floor: what any local step pays before doing work (spark-submit it like a stage's entry.py).

``floor.py <warehouse> select1`` opens the ``aqi`` catalog as a stage does and runs ``SELECT 1``;
``floor.py <warehouse> count <table>`` counts one table. It prints ``{"seconds": ...}`` for the query
alone; the harness measures the whole process from outside.
"""

from __future__ import annotations

import json
import sys
import time

from aqi_jobs.session import build_session


def main(argv: list[str]) -> int:
    warehouse, probe, *rest = argv
    spark = build_session("aqi-bench-floor", "hadoop", warehouse)
    started = time.monotonic()
    if probe == "select1":
        spark.sql("SELECT 1").collect()
    elif probe == "count" and len(rest) == 1:
        spark.table(rest[0]).count()
    else:
        print(f"usage: floor.py <warehouse> select1 | count <table>; got {argv!r}", file=sys.stderr)
        return 2
    print(json.dumps({"seconds": round(time.monotonic() - started, 3)}))
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
