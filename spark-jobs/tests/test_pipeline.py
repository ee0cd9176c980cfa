"""The EMR step command line works: ``spark-submit --py-files aqi_jobs.zip entry.py`` runs a stage.

The Python workers run with ``-S`` (no site-packages), so ``aqi_jobs`` can only come from the zip shipped
with ``--py-files`` (pyspark and py4j come from Spark's own lib zips, as on EMR): this proves the package
that the CDK app deploys is complete. One stage is enough for that (Silver and Gold run the same way and
are tested in process): every extra spark-submit costs a JVM start on a 2-core CI machine.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import threading
from datetime import date
from pathlib import Path

import pyspark
from fixtures.openaq import FakeOpenAQ, archive_csv, serve, write_archive_file

ROOT = Path(__file__).resolve().parents[2]
SPARK_JOBS = ROOT / "spark-jobs"
VENV = ROOT / ".venv"
sys.path.insert(0, str(SPARK_JOBS))

from build_zip import build_zip  # noqa: E402 - the builder lives beside the package, not in it


def spark_submit_command(tmp_path: Path, zip_path: Path, args: list[str]) -> tuple[list[str], dict[str, str]]:
    python = tmp_path / "python-no-site"
    python.write_text(f'#!/bin/sh\nexec "{VENV / "bin" / "python"}" -S "$@"\n')
    python.chmod(python.stat().st_mode | stat.S_IEXEC)
    spark_home = Path(pyspark.__file__).resolve().parent
    env = {
        **os.environ,
        "SPARK_HOME": str(spark_home),
        "PYSPARK_PYTHON": str(python),
        "PYSPARK_DRIVER_PYTHON": str(python),
    }
    env.pop("PYTHONPATH", None)
    command = [
        str(VENV / "bin" / "spark-submit"),
        "--master",
        "local[2]",
        "--jars",
        str((VENV / "iceberg-spark-runtime.jar").resolve()),
        "--conf",
        "spark.ui.enabled=false",
        "--conf",
        "spark.sql.shuffle.partitions=2",
        "--py-files",
        str(zip_path),
        str(SPARK_JOBS / "entry.py"),
        *args,
    ]
    return command, env


def spark_submit(tmp_path: Path, zip_path: Path, args: list[str]) -> subprocess.CompletedProcess[str]:
    command, env = spark_submit_command(tmp_path, zip_path, args)
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path)


def spark_submit_process(tmp_path: Path, zip_path: Path, args: list[str]) -> subprocess.Popen[str]:
    """spark-submit in its own process group, as an EMR step runs: a cancel signals the whole group."""
    command, env = spark_submit_command(tmp_path, zip_path, args)
    return subprocess.Popen(
        command,
        env=env,
        cwd=tmp_path,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


VOLATILE = ("startedAt", "finishedAt", "durationSeconds", "phases")


def without_volatile(document: dict) -> dict:
    for key in VOLATILE:
        assert key in document
    return {k: v for k, v in document.items() if k not in VOLATILE}


def test_a_bronze_backfill_runs_through_spark_submit_and_writes_its_result(
    tmp_path: Path,
) -> None:
    archive, warehouse, results = tmp_path / "archive", tmp_path / "warehouse", tmp_path / "results"
    rows = [
        ("2178", "3917", "Del Norte", f"2023-02-22T{h:02d}:00:00-07:00", "35.1", "-106.5", "pm25", "µg/m³", v)
        for h, v in ((1, "6.2"), (2, "-999"), (3, "8.1"))
    ]
    write_archive_file(archive, 2178, date(2023, 2, 22), archive_csv(rows))
    locations = tmp_path / "locations.json"
    locations.write_text(json.dumps([{"id": 2178, "name": "Del Norte", "timezone": "America/Denver"}]))
    zip_path = build_zip(tmp_path / "aqi_jobs.zip")
    common = [
        "--run-id",
        "backfill-20250101T0300Z-1a2b3c4d",
        "--warehouse",
        str(warehouse),
        "--catalog",
        "hadoop",
    ]

    bronze = spark_submit(
        tmp_path,
        zip_path,
        [
            "bronze",
            *common,
            "--mode",
            "backfill",
            "--start",
            "2023-02-22",
            "--end",
            "2023-02-22",
            "--chunk-id",
            "chunk-0000",
            "--source",
            "archive",
            "--archive-uri",
            str(archive),
            "--locations-uri",
            str(locations),
            "--result-uri",
            str(results / "bronze" / "chunk-0000.json"),
        ],
    )
    assert bronze.returncode == 0, bronze.stderr[-3000:]
    bronze_result = json.loads((results / "bronze" / "chunk-0000.json").read_text())
    assert isinstance(bronze_result["snapshots"]["aqi_bronze.measurements"], int)
    phases = bronze_result["phases"]
    assert [p["name"] for p in phases] == [
        "JVM and Python start",
        "SparkSession",
        "locations",
        "ensure tables",
        "list archive files",
        "decode archive files",
        "hash rows read",
        "find rows not yet held",
        "affected days",
        "append aqi_bronze.measurements",
        "snapshot ids",
        "result file",
    ]
    # Between the JVM's start and the result file, the phases account for the stage's whole duration.
    timed = sum(p["seconds"] for p in phases[1:-1])
    assert abs(timed - bronze_result["durationSeconds"]) < 0.5, phases
    assert all(p["seconds"] >= 0 for p in phases)
    assert without_volatile(bronze_result) == {
        "stage": "bronze",
        "runId": "backfill-20250101T0300Z-1a2b3c4d",
        "chunkId": "chunk-0000",
        "status": "SUCCEEDED",
        "mode": "backfill",
        "rowsRead": 3,
        "rowsWritten": 3,
        "rowsRejected": 0,
        "rowsDuplicate": 0,
        "window": {"start": "2023-02-22", "end": "2023-02-22"},
        "affectedDays": ["2023-02-22"],
        "snapshots": bronze_result["snapshots"],
        "apiRequests": None,
        "unreadableSources": [],
        "error": None,
    }


def test_bad_arguments_through_spark_submit_exit_2_with_the_message(tmp_path: Path) -> None:
    zip_path = build_zip(tmp_path / "aqi_jobs.zip")
    done = spark_submit(
        tmp_path,
        zip_path,
        [
            "silver",
            "--run-id",
            "r1",
            "--warehouse",
            str(tmp_path),
            "--catalog",
            "hadoop",
            "--result-uri",
            str(tmp_path / "r.json"),
            "--mode",
            "range",
            "--start",
            "2024-02-30",
            "--end",
            "2024-03-01",
        ],
    )
    assert done.returncode == 2
    # spark-submit's PythonRunner merges the Python process's stderr into its own stdout
    assert (
        "argument --start: '2024-02-30' is not a date; silver range needs YYYY-MM-DD, e.g. 2024-01-31"
        in done.stdout
    )
    assert not (tmp_path / "r.json").exists()


def test_sigterm_during_a_stage_stops_it_with_a_failed_result_and_no_commit(tmp_path: Path) -> None:
    """An EMR step cancel: SIGTERM to the step's process group while Bronze waits on the API."""
    api = FakeOpenAQ(sensors={2178: [{"id": 3917, "parameter": {"name": "pm25", "units": "µg/m³"}}]})
    api.release = threading.Event()
    locations = tmp_path / "locations.json"
    locations.write_text(json.dumps([{"id": 2178, "name": "Del Norte", "timezone": "America/Denver"}]))
    warehouse, result = tmp_path / "warehouse", tmp_path / "bronze.json"
    zip_path = build_zip(tmp_path / "aqi_jobs.zip")
    with serve(api) as base:
        step = spark_submit_process(
            tmp_path,
            zip_path,
            ["bronze", "--run-id", "hourly-20250101T0300Z-1a2b3c4d", "--warehouse", str(warehouse)]
            + ["--catalog", "hadoop", "--result-uri", str(result), "--mode", "hourly"]
            + ["--start", "2025-01-01T02:00:00Z", "--end", "2025-01-01T03:00:00Z", "--api-base-url", base]
            + ["--locations-uri", str(locations)],
        )
        try:
            assert api.arrived.wait(timeout=240), "the stage never called the API"
            os.killpg(step.pid, signal.SIGTERM)
            step.communicate(timeout=120)
        finally:
            api.release.set()
            if step.poll() is None:
                os.killpg(step.pid, signal.SIGKILL)

    assert step.returncode != 0
    document = json.loads(result.read_text())
    assert (document["status"], document["rowsWritten"], document["error"]) == (
        "FAILED",
        0,
        {
            "type": "StageCancelledError",
            "message": "received SIGTERM (EMR step cancel); stopped before the next commit",
        },
    )
    assert list(warehouse.rglob("*.parquet")) == []
