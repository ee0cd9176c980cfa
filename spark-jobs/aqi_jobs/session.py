"""SparkSession construction for both targets: Glue catalog on EMR, Hadoop catalog on the local filesystem.

The Iceberg catalog is always registered as ``aqi`` so table names read the same everywhere:
``aqi.aqi_bronze.measurements``. On EMR the Iceberg runtime is provided by the cluster (the
``iceberg-defaults`` classification); locally spark-submit receives the cached jar with ``--jars``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from pyspark.sql import DataFrame, SparkSession

CATALOG = "aqi"
CATALOG_KINDS = ("glue", "hadoop")


def catalog_conf(kind: str, warehouse: str) -> dict[str, str]:
    """Spark conf that registers the ``aqi`` Iceberg catalog of the given kind at ``warehouse``."""
    if kind not in CATALOG_KINDS:
        raise ValueError(f"--catalog must be one of {', '.join(CATALOG_KINDS)}; got {kind!r}")
    prefix = f"spark.sql.catalog.{CATALOG}"
    conf = {
        "spark.sql.extensions": "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions",
        prefix: "org.apache.iceberg.spark.SparkCatalog",
        f"{prefix}.warehouse": warehouse,
        # Spark 3.5 defaults: keep ANSI off explicitly so a future default flip does not change results.
        "spark.sql.ansi.enabled": "false",
        "spark.sql.session.timeZone": "UTC",
        # Iceberg 1.7.1's vectorized (Arrow) Parquet reader crashed the driver JVM with a SIGSEGV
        # (Dictionary::find, SEGV_MAPERR) on OpenJDK 17.0.15 while Gold read a 4-location Silver table,
        # every time; the row-based reader reads the same files correctly. The tables are hourly
        # aggregates, so the row reader costs little here.
        "spark.sql.iceberg.vectorization.enabled": "false",
    }
    if kind == "glue":
        conf[f"{prefix}.catalog-impl"] = "org.apache.iceberg.aws.glue.GlueCatalog"
        conf[f"{prefix}.io-impl"] = "org.apache.iceberg.aws.s3.S3FileIO"
    else:
        conf[f"{prefix}.type"] = "hadoop"
    return conf


def build_session(app_name: str, kind: str, warehouse: str) -> SparkSession:
    """The session a stage runs in. Master and jars come from spark-submit, never from here."""
    builder = SparkSession.builder.appName(app_name)
    for key, value in catalog_conf(kind, warehouse).items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


@contextmanager
def unpersisted_at_exit() -> Iterator[list[DataFrame]]:
    """A list for the frames a stage caches; each is unpersisted when the block ends, failed or not."""
    cached: list[DataFrame] = []
    try:
        yield cached
    finally:
        for frame in cached:
            frame.unpersist()
