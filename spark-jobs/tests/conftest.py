"""Shared fixtures: one local SparkSession with a real Iceberg Hadoop catalog for the whole suite."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ICEBERG_JAR = ROOT / ".venv" / "iceberg-spark-runtime.jar"


@pytest.fixture(scope="session")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("warehouse")


@pytest.fixture(scope="session")
def spark(warehouse: Path):
    from pyspark.sql import SparkSession

    from aqi_jobs.session import catalog_conf

    if not ICEBERG_JAR.exists():
        pytest.fail(f"{ICEBERG_JAR} is missing: run `bash scripts/python-env.sh` (npm test does it for you)")
    os.environ.setdefault("PYSPARK_PYTHON", str(ROOT / ".venv" / "bin" / "python"))
    builder = (
        SparkSession.builder.master("local[2]")
        .appName("aqi-jobs-tests")
        .config("spark.jars", str(ICEBERG_JAR.resolve()))
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.driver.memory", "2g")
    )
    for key, value in catalog_conf("hadoop", str(warehouse)).items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
