"""entry.py checks its interpreter and imports before any Spark work (aqi_jobs/preflight.py)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from aqi_jobs import preflight
from aqi_jobs.preflight import interpreter_problem

SPARK_JOBS = Path(__file__).resolve().parents[1]
HOURLY_BRONZE = [
    "bronze",
    "--run-id",
    "r1",
    "--mode",
    "hourly",
    "--api-key-secret",
    "aqi-pipeline/openaq-api-key",
]


def _imports_everything(_name: str) -> None:
    return None


def _missing(missing: str):
    def import_module(name: str) -> None:
        if name == missing:
            raise ModuleNotFoundError(f"No module named '{name}'")

    return import_module


def test_python_older_than_3_11_is_named_with_the_interpreter_and_the_fix() -> None:
    problem = interpreter_problem(
        ["gold"], version_info=(3, 9, 16), import_module=_imports_everything, executable="/usr/bin/python3"
    )

    assert problem == (
        "aqi-jobs: /usr/bin/python3 is Python 3.9; the stages need 3.11 or later. "
        "Fix: set spark.pyspark.python and spark.pyspark.driver.python to a Python 3.11 "
        "(on EMR 7.x /usr/bin/python3.11, the cluster configuration in lib/workflow/emr-cluster.ts)"
    )


def test_missing_boto3_is_named_for_the_api_source_with_the_bootstrap_fix() -> None:
    problem = interpreter_problem(HOURLY_BRONZE, (3, 11, 9), _missing("boto3"), "/usr/bin/python3.11")

    assert problem is not None
    assert problem.startswith(
        "aqi-jobs: /usr/bin/python3.11 cannot import boto3 (the stage reads the OpenAQ API key from Secrets "
        "Manager): No module named 'boto3'. Fix: install spark-jobs/emr/requirements-emr.txt"
    )
    assert "\n" not in problem


def test_stages_without_the_api_key_do_not_need_boto3() -> None:
    assert interpreter_problem(["silver", "--mode", "incremental"], (3, 11, 9), _missing("boto3")) is None


def test_missing_pyspark_is_named_for_every_stage() -> None:
    problem = interpreter_problem(["gold"], (3, 12, 1), _missing("pyspark"), "python3")

    assert problem is not None and "cannot import pyspark (the stage Spark's Python API)" in problem


def test_the_check_itself_parses_as_python_3_9_so_it_can_report_an_old_interpreter() -> None:
    for source in (Path(preflight.__file__), SPARK_JOBS / "entry.py"):
        ast.parse(source.read_text(), feature_version=(3, 9))


def test_entry_exits_1_with_one_line_before_any_spark_work_when_boto3_cannot_be_imported(
    tmp_path: Path,
) -> None:
    shadow = tmp_path / "boto3"
    shadow.mkdir()
    (shadow / "__init__.py").write_text("raise ImportError('boto3 is not installed for this interpreter')\n")

    result = subprocess.run(
        [sys.executable, str(SPARK_JOBS / "entry.py"), *HOURLY_BRONZE],
        env={"PYTHONPATH": f"{tmp_path}:{SPARK_JOBS}", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert "cannot import boto3" in lines[0] and "boto3 is not installed for this interpreter" in lines[0]
