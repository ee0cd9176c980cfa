#!/usr/bin/env bash
# Makes the JVM class-data archive (AppCDS) that local spark-submit steps start from: the classes a
# stage's driver loads from Spark's own jars are dumped once, mapped into every later JVM instead of
# being parsed and verified again. Measured by `npm run bench` (docs/BENCHMARKS.md). The archive is
# tied to this JDK and this venv's Spark jars; a mismatched one is ignored by the JVM (-Xshare:auto), and
# any failure here only means steps start without it. Called by scripts/python-env.sh.
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
link="$venv/spark-classes.jsa"
spark_home="$(echo "$venv"/lib/python3*/site-packages/pyspark)"
key="$( { java -version 2>&1; ls -l "$spark_home/jars"; } | sha256sum | cut -c1-16)"
archive="$venv/spark-classes-$key.jsa"
[[ -f "$archive" ]] && { ln -sfn "$archive" "$link"; exit 0; }

echo "python-env: dumping the Spark driver's classes into $(basename "$archive") (once, ~20 s)..." >&2
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cat > "$work/warm_up.py" <<'PY'
from pyspark.sql import SparkSession, functions as F
spark = SparkSession.builder.appName("aqi-class-archive").getOrCreate()
frame = spark.range(1000).select((F.col("id") % 7).alias("k"), F.col("id").cast("decimal(18,6)").alias("v"))
frame.groupBy("k").agg(F.avg("v"), F.count("*")).write.mode("overwrite").parquet(__import__("sys").argv[1])
spark.read.parquet(__import__("sys").argv[1]).where("k > 2").collect()
spark.stop()
PY
if PYSPARK_PYTHON="$venv/bin/python" PYSPARK_DRIVER_PYTHON="$venv/bin/python" "$venv/bin/spark-submit" \
  --master 'local[1]' --conf spark.ui.enabled=false \
  --conf "spark.driver.extraJavaOptions=-XX:ArchiveClassesAtExit=$work/classes.jsa -Xlog:cds=off -Xlog:cds+dynamic=off" \
  "$work/warm_up.py" "$work/out.parquet" >"$work/log" 2>&1 && [[ -s "$work/classes.jsa" ]]; then
  rm -f "$venv"/spark-classes-*.jsa
  mv "$work/classes.jsa" "$archive"
  ln -sfn "$archive" "$link"
else
  echo "python-env: no class archive (steps start without it): $(tail -n 3 "$work/log")" >&2
  rm -f "$link"
fi
exit 0
