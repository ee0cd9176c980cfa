"""Every table of a local warehouse summarised in one JVM: row count, an order-independent checksum of
the content (lineage columns left out: they name the run that wrote a row, not what it says), and how
many rows share a natural key. The end-to-end tests compare these between runs.

Usage: spark-submit ... table_checksums.py --warehouse DIR  → one JSON line prefixed ``@@CHECKSUMS@@ ``.
"""

from __future__ import annotations

import argparse
import json
import sys

from pyspark.sql import functions as F  # noqa: N812

from aqi_jobs.gold_tables import FACT_KEYS
from aqi_jobs.session import build_session

MARKER = "@@CHECKSUMS@@ "
LINEAGE = {"run_id", "ingested_at", "processed_at", "computed_at", "quarantined_at", "updated_at"}
NATURAL_KEYS: dict[str, tuple[str, ...]] = {
    "aqi.aqi_bronze.measurements": ("source_key", "row_hash"),
    "aqi.aqi_silver.measurements_hourly": ("sensor_id", "hour_end_utc"),
    "aqi.aqi_gold.dim_location": ("location_id",),
    "aqi.aqi_gold.dim_pollutant": ("pollutant",),
    **FACT_KEYS,
}


def summarise(spark, name: str) -> dict[str, object]:
    frame = spark.table(name)
    content = [c for c in frame.columns if c not in LINEAGE]
    # Sum of per-row hashes: independent of row order and file layout, sensitive to any value.
    row = frame.select(F.count(F.lit(1)), F.sum(F.xxhash64(*content).cast("decimal(38,0)"))).first()
    keys = list(NATURAL_KEYS.get(name, content))
    duplicates = frame.groupBy(*keys).count().where(F.col("count") > 1).count()
    return {"rows": row[0], "checksum": str(row[1] or 0), "duplicateKeys": duplicates}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="table_checksums.py")
    parser.add_argument("--warehouse", required=True)
    args = parser.parse_args(argv)
    spark = build_session("aqi-table-checksums", "hadoop", args.warehouse)
    tables: dict[str, object] = {}
    for namespace in ("aqi_bronze", "aqi_silver", "aqi_gold"):
        for table in spark.sql(f"SHOW TABLES IN aqi.{namespace}").collect():
            if table.tableName.endswith("_state"):
                continue  # bookkeeping of the stages (watermarks), not data
            name = f"aqi.{namespace}.{table.tableName}"
            tables[name] = summarise(spark, name)
    print(MARKER + json.dumps(tables, sort_keys=True), flush=True)
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
