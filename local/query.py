"""``npm run local -- query "<Spark SQL>"``: runs one statement against the local warehouse and prints the
rows as JSON lines on stdout (the CLI draws the table). Uses the same catalog setup as the stages, so
tables read as ``aqi.aqi_gold.aqi_daily`` here exactly as in the jobs."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime
from decimal import Decimal

from aqi_jobs.session import CATALOG_KINDS, build_session

MARKER = "@@ROW@@ "


def _plain(value: object) -> object:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="query.py")
    parser.add_argument("--warehouse", required=True)
    parser.add_argument("--catalog", choices=CATALOG_KINDS, default="hadoop")
    parser.add_argument("--sql", required=True)
    parser.add_argument("--limit", type=int, default=200)
    args = parser.parse_args(argv)
    spark = build_session("aqi-local-query", args.catalog, args.warehouse)
    try:
        frame = spark.sql(args.sql)
        print(MARKER + json.dumps({"columns": frame.columns}), flush=True)
        for row in frame.limit(args.limit).collect():
            print(MARKER + json.dumps([_plain(v) for v in row]), flush=True)
    except Exception as error:  # noqa: BLE001 - the CLI shows Spark's own message, not a traceback
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        print(f"query failed: {message}", file=sys.stderr)
        return 1
    finally:
        spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
