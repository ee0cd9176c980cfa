"""The harness's workbench: paths, the local step's spark-submit command, data sets and local runs.

Everything runs what a user runs: data from ``npm run local -- generate``, pipelines through the local
runtime's ``runPipeline`` (``bench/local-driver.ts``), and bare steps with the exact spark-submit command
line the local EMR builds (``localStepCommand``), so the figures describe the product, not a mock-up.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from bench.processes import Watched, watch

REPO = Path(__file__).resolve().parent.parent
VENV_PYTHON = REPO / ".venv" / "bin" / "python"
TSX = REPO / "node_modules" / ".bin" / "tsx"
DRIVER = REPO / "bench" / "local-driver.ts"
ENTRY = REPO / "spark-jobs" / "entry.py"
PROBES = REPO / "bench" / "probes"


class BenchError(RuntimeError):
    """A benchmark step failed; the message says which and where its output is."""


def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def _run(command: list[str], what: str) -> str:
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    if done.returncode != 0:
        raise BenchError(f"{what} failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}")
    return done.stdout


def generate_archive(out: Path, first: str, last: str, locations: int, seed: int = 20240301) -> Path:
    """An OpenAQ-archive-shaped data set (the local CLI's generator), made once per shape."""
    marker = out / ".bench-complete"
    if marker.exists():
        return out
    shutil.rmtree(out, ignore_errors=True)
    log(f"generating {locations} locations × {first}..{last} into {out}")
    _run(
        [
            str(TSX),
            "local/cli.ts",
            "generate",
            "--from",
            first,
            "--to",
            last,
            "--locations",
            str(locations),
            "--seed",
            str(seed),
            "--out",
            str(out),
        ],
        "data generation",
    )
    marker.write_text("")
    return out


@dataclass
class StepCommand:
    """The spark-submit command line of a local step, split around the application file."""

    command: str
    options: list[str]
    env: dict[str, str]

    def run(self, app: Path, args: list[str]) -> Watched:
        return watch([self.command, *self.options, str(app), *args], env=self.env, cwd=REPO)


def step_command(workspace: Path, archive: Path, py_files: Path) -> StepCommand:
    """What the local EMR would run for a step ``spark-submit --py-files <zip> <app> ...`` (no stage args)."""
    printed = _run(
        [
            str(TSX),
            str(DRIVER),
            "step-command",
            str(workspace),
            str(archive),
            "--py-files",
            str(py_files),
            "APP",
        ],
        "local step command",
    )
    document = json.loads(printed.strip().splitlines()[-1])
    args: list[str] = document["args"]
    if args[-1] != "APP":
        raise BenchError(f"the local step command does not end with its application file: {args!r}")
    python = str(VENV_PYTHON)
    env = {**os.environ, "PYSPARK_PYTHON": python, "PYSPARK_DRIVER_PYTHON": python}
    return StepCommand(document["command"], args[:-1], env)


def stage_argv(
    stage: str,
    run_id: str,
    mode: str,
    days: tuple[str, str] | None,
    warehouse: Path,
    result: Path,
    archive: Path,
) -> list[str]:
    """The Stage CLI arguments of one local step on the hadoop catalog; Bronze reads the archive."""
    argv = [stage, "--run-id", run_id, "--mode", mode]
    if days is not None:
        argv += ["--start", days[0], "--end", days[1]]
    argv += ["--warehouse", str(warehouse), "--catalog", "hadoop", "--result-uri", str(result)]
    if stage == "bronze":
        if days is None:
            raise BenchError("a Bronze step of the benchmark needs the days of its archive chunk")
        argv += ["--chunk-id", f"{days[0]}_{days[1]}", "--source", "archive", "--archive-uri", str(archive)]
    return [*argv, "--locations-uri", str(archive / "locations.json")]


def build_jobs_zip(out: Path) -> Path:
    _run([str(VENV_PYTHON), "spark-jobs/build_zip.py", str(out)], "building aqi_jobs.zip")
    return out


@dataclass
class PipelineRun:
    """A local pipeline execution: its status, execution wall, steps (with results) and memory."""

    status: str
    execution_seconds: float
    steps: list[dict]
    watched: Watched


def run_pipeline(pipeline: str, workspace: Path, archive: Path, execution_input: dict) -> PipelineRun:
    """Run the synthesized state machine locally (as ``npm run local``) and collect each step's result."""
    watched = watch(
        [str(TSX), str(DRIVER), "run", pipeline, str(workspace), str(archive), json.dumps(execution_input)],
        cwd=REPO,
    )
    lines = watched.stdout.strip().splitlines()
    if not lines:
        raise BenchError(f"{pipeline} run printed nothing; stderr: {watched.stderr.strip()[-2000:]}")
    document = json.loads(lines[-1])
    if document["status"] != "SUCCEEDED":
        raise BenchError(
            f"{pipeline} run {execution_input} ended {document['status']}: {watched.stderr[-2000:]}"
        )
    steps = []
    for step in document["steps"]:
        result = json.loads(Path(step["resultFile"]).read_text()) if step["resultFile"] else {}
        steps.append(
            {
                "stage": step["stage"],
                "chunkId": step["chunkId"],
                "wallSeconds": round(step["seconds"], 3),
                "peakRssMiB": round(watched.step_peaks_mib.get(step["resultFile"], 0.0), 1),
                "rowsRead": result.get("rowsRead"),
                "rowsWritten": result.get("rowsWritten"),
                "durationSeconds": result.get("durationSeconds"),
                "phases": result.get("phases", []),
            }
        )
    return PipelineRun(document["status"], document["executionSeconds"], steps, watched)


def warehouse_of(workspace: Path) -> Path:
    """The local lake bucket's Iceberg warehouse of a workspace that has run a pipeline."""
    lake = json.loads((workspace / "app.json").read_text())["lakeBucket"]
    return workspace / "s3" / lake / "warehouse"
