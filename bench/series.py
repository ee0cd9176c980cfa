"""The benchmark series (issue 8): a step floor, b hourly, c phases, d one JVM per stage vs one session,
e backfill scaling, f Lambda bundles. Each returns a JSON-ready record of raw samples plus a summary;
comparisons are measured in one invocation, alternating A and B, and summarised as medians and ratios.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
from datetime import date, timedelta
from pathlib import Path

from bench.lab import (
    ENTRY,
    PROBES,
    REPO,
    BenchError,
    StepCommand,
    build_jobs_zip,
    generate_archive,
    log,
    run_pipeline,
    stage_argv,
    step_command,
    warehouse_of,
)

SILVER_TABLE = "aqi.aqi_silver.measurements_hourly"
# The demo's data set and runs (local/demo.ts): 4 stations over March 2024; hourly runs follow the backfill.
DEMO_ARCHIVE = ("2024-03-01", "2024-03-31", 4)
HOURLY_AT = ("2024-03-15T12:15:00Z", "2024-03-15T13:15:00Z", "2024-03-15T14:15:00Z")
TEN_LOCATIONS = 10


def median(values: list[float]) -> float | None:
    return round(statistics.median(values), 3) if values else None


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a is not None and b else None


# --- a, b, c: step floor and hourly run, alternating ------------------------------------------------


def _floor(command: StepCommand, warehouse: Path, probe: list[str]) -> dict:
    watched = command.run(PROBES / "floor.py", [str(warehouse), *probe])
    if watched.returncode != 0:
        raise BenchError(f"step floor {probe} failed: {watched.stderr.strip()[-1500:]}")
    return {
        "probe": " ".join(probe),
        "wallSeconds": round(watched.wall_seconds, 3),
        "peakRssMiB": round(watched.peak_rss_mib, 1),
    }


def floors_and_hourly(scratch: Path, rounds: int, backfill_days: tuple[str, str]) -> dict:
    """Series a, b and c on the demo's data: floors and hourly runs interleaved, ``rounds`` of each."""
    archive = generate_archive(scratch / "archive-demo", *DEMO_ARCHIVE[:2], DEMO_ARCHIVE[2])
    workspace = scratch / "hourly-workspace"
    shutil.rmtree(workspace, ignore_errors=True)
    log(f"backfill {backfill_days[0]}..{backfill_days[1]} (week chunks) to give the hourly runs a lake")
    backfill = run_pipeline(
        "backfill",
        workspace,
        archive,
        {"startDate": backfill_days[0], "endDate": backfill_days[1], "chunk": "week"},
    )
    command = step_command(workspace, archive, build_jobs_zip(scratch / "aqi_jobs.zip"))
    warehouse = warehouse_of(workspace)
    floors: list[dict] = []
    hourly: list[dict] = []
    for i in range(rounds):
        for probe in (["select1"], ["count", SILVER_TABLE]):
            log(f"step floor {' '.join(probe)} ({i + 1}/{rounds})")
            floors.append(_floor(command, warehouse, probe))
        log(f"hourly run at {HOURLY_AT[i]} ({i + 1}/{rounds})")
        run = run_pipeline("hourly", workspace, archive, {"scheduledTime": HOURLY_AT[i]})
        step_sum = sum(s["wallSeconds"] for s in run.steps)
        hourly.append(
            {
                "scheduledTime": HOURLY_AT[i],
                "executionSeconds": round(run.execution_seconds, 3),
                "stepSecondsSum": round(step_sum, 3),
                "steps": run.steps,
            }
        )
    select1 = [f for f in floors if f["probe"] == "select1"]
    count = [f for f in floors if f["probe"] != "select1"]
    floor_wall = median([f["wallSeconds"] for f in count])
    run_wall = median([h["executionSeconds"] for h in hourly])
    summary = {
        "floorSelect1WallSeconds": median([f["wallSeconds"] for f in select1]),
        "floorSelect1PeakRssMiB": median([f["peakRssMiB"] for f in select1]),
        "floorCountWallSeconds": floor_wall,
        "floorCountPeakRssMiB": median([f["peakRssMiB"] for f in count]),
        "hourlyWallSeconds": run_wall,
        "hourlyToThreeFloors": ratio(run_wall, 3 * floor_wall if floor_wall else None),
        "orchestrationOverhead": median([h["executionSeconds"] / h["stepSecondsSum"] for h in hourly]),
        "stageWallSeconds": {
            stage: median([s["wallSeconds"] for h in hourly for s in h["steps"] if s["stage"] == stage])
            for stage in ("bronze", "silver", "gold")
        },
    }
    return {
        "a": {"samples": floors, "summary": {k: v for k, v in summary.items() if k.startswith("floor")}},
        "b": {"samples": [{k: v for k, v in h.items() if k != "steps"} for h in hourly], "summary": summary},
        "c": {
            "hourly": [{"scheduledTime": h["scheduledTime"], "steps": h["steps"]} for h in hourly],
            "backfill": {"executionSeconds": round(backfill.execution_seconds, 3), "steps": backfill.steps},
        },
    }


# --- d: one JVM per stage vs one SparkSession ---------------------------------------------------------


def _weeks(first: date, k: int) -> list[tuple[str, str]]:
    return [
        ((first + timedelta(days=7 * i)).isoformat(), (first + timedelta(days=7 * i + 6)).isoformat())
        for i in range(k)
    ]


def _stage_argvs(
    weeks: list[tuple[str, str]], warehouse: Path, results: Path, archive: Path
) -> list[list[str]]:
    """The Stage CLI arguments of the backfill: a Bronze chunk per week, then Silver and Gold ranges."""
    run_id = "backfill-20240101T0000Z-be0c4a1d"
    argvs = [
        stage_argv("bronze", run_id, "backfill", week, warehouse, results / f"bronze-{week[0]}.json", archive)
        for week in weeks
    ]
    span = (weeks[0][0], weeks[-1][1])
    for stage in ("silver", "gold"):
        argvs.append(stage_argv(stage, run_id, "range", span, warehouse, results / f"{stage}.json", archive))
    return argvs


def _rows(results: Path) -> dict[str, int]:
    """rowsWritten per result file: the two designs must have done the same work."""
    return {p.name: json.loads(p.read_text())["rowsWritten"] for p in sorted(results.glob("*.json"))}


def _per_stage(command: StepCommand, argvs: list[list[str]]) -> dict:
    steps = []
    for argv in argvs:
        watched = command.run(ENTRY, argv)
        if watched.returncode != 0:
            raise BenchError(f"{argv[0]} step failed: {watched.stderr.strip()[-1500:]}")
        steps.append(
            {
                "stage": argv[0],
                "wallSeconds": round(watched.wall_seconds, 3),
                "peakRssMiB": round(watched.peak_rss_mib, 1),
            }
        )
    return {
        "wallSeconds": round(sum(s["wallSeconds"] for s in steps), 3),
        "peakRssMiB": max(s["peakRssMiB"] for s in steps),
        "steps": steps,
    }


def _one_session(command: StepCommand, argvs: list[list[str]], plan_file: Path) -> dict:
    plan_file.parent.mkdir(parents=True, exist_ok=True)
    plan_file.write_text(json.dumps(argvs))
    watched = command.run(PROBES / "one_session.py", [str(plan_file)])
    if watched.returncode != 0:
        raise BenchError(f"one-session run failed: {watched.stderr.strip()[-1500:]}")
    stages = [json.loads(line) for line in watched.stdout.splitlines() if line.startswith("{")]
    return {
        "wallSeconds": round(watched.wall_seconds, 3),
        "peakRssMiB": round(watched.peak_rss_mib, 1),
        "stages": stages,
        "timeline": [(round(t, 2), round(m, 1)) for t, m in watched.timeline[::5]],
    }


def jvm_per_stage_vs_one_session(scratch: Path, ks: tuple[int, ...]) -> dict:
    """Series d: the same backfill of K weekly chunks, as separate JVMs and in one session, alternating."""
    first = date(2024, 1, 1)
    last = first + timedelta(days=7 * max(ks) - 1)
    archive = generate_archive(
        scratch / f"archive-10-{max(ks)}w", first.isoformat(), last.isoformat(), TEN_LOCATIONS
    )
    zip_path = build_jobs_zip(scratch / "aqi_jobs.zip")
    command = step_command(scratch / "d-workspace", archive, zip_path)
    samples = []
    for index, k in enumerate(ks):
        order = ("perStage", "oneSession") if index % 2 == 0 else ("oneSession", "perStage")
        sample: dict = {"k": k, "order": list(order)}
        for design in order:
            root = scratch / f"d-{design}-{k}"
            shutil.rmtree(root, ignore_errors=True)
            argvs = _stage_argvs(_weeks(first, k), root / "warehouse", root / "results", archive)
            log(f"series d: K={k} {design}")
            if design == "perStage":
                sample[design] = _per_stage(command, argvs)
            else:
                sample[design] = _one_session(command, argvs, root / "plan.json")
            sample[design]["rowsWritten"] = _rows(root / "results")
        if sample["perStage"]["rowsWritten"] != sample["oneSession"]["rowsWritten"]:
            raise BenchError(f"K={k}: the two designs wrote different rows: {sample}")
        samples.append(sample)
    per_jvm = [s["perStage"]["peakRssMiB"] for s in samples]
    session = [s["oneSession"]["peakRssMiB"] for s in samples]
    return {
        "samples": samples,
        "summary": {
            "ks": list(ks),
            "perJvmPeakRssMiB": per_jvm,
            "oneSessionPeakRssMiB": session,
            "perJvmPeakMaxOverMin": ratio(max(per_jvm), min(per_jvm)),
            "oneSessionPeakMaxOverMin": ratio(max(session), min(session)),
            "wallPerStageOverOneSession": [
                ratio(s["perStage"]["wallSeconds"], s["oneSession"]["wallSeconds"]) for s in samples
            ],
        },
    }


# --- e: backfill scaling --------------------------------------------------------------------------------


def backfill_scaling(scratch: Path, months: tuple[int, ...]) -> dict:
    """Series e: the backfill state machine over 10 locations, monthly chunks, 1…N months."""
    archive = generate_archive(scratch / "archive-10-2024", "2024-01-01", "2024-12-31", TEN_LOCATIONS)
    samples = []
    for m in months:
        workspace = scratch / f"e-workspace-{m}"
        shutil.rmtree(workspace, ignore_errors=True)
        end = date(2024, m, 1) + timedelta(days=31)
        last = (end.replace(day=1) - timedelta(days=1)).isoformat()
        log(f"series e: backfill 2024-01-01..{last} ({m} months, month chunks)")
        run = run_pipeline(
            "backfill", workspace, archive, {"startDate": "2024-01-01", "endDate": last, "chunk": "month"}
        )
        stages = {}
        for stage in ("bronze", "silver", "gold"):
            steps = [s for s in run.steps if s["stage"] == stage]
            seconds = sum(s["wallSeconds"] for s in steps)
            rows = sum(s["rowsRead"] or 0 for s in steps)
            stages[stage] = {
                "steps": len(steps),
                "stepSeconds": round(seconds, 3),
                "rowsRead": rows,
                "rowsPerSecond": round(rows / seconds, 1) if seconds else None,
                "peakRssMiB": max((s["peakRssMiB"] for s in steps), default=None),
            }
        samples.append(
            {
                "months": m,
                "executionSeconds": round(run.execution_seconds, 3),
                "stages": stages,
                "steps": run.steps,
            }
        )
        shutil.rmtree(workspace, ignore_errors=True)
    walls = {s["months"]: s["executionSeconds"] for s in samples}
    return {
        "samples": samples,
        "summary": {
            "wallSeconds": walls,
            "wallLargestOverSmallestTimesMonths": ratio(
                walls[max(months)], walls[min(months)] * max(months) / min(months)
            )
            if len(months) > 1
            else None,
        },
    }


# --- f: Lambda bundles ----------------------------------------------------------------------------------

_LOAD = (
    "const t = process.hrtime.bigint(); require(process.argv[1]); "
    "process.stdout.write(String(Number(process.hrtime.bigint() - t) / 1e6));"
)


def _stand_in(variable: str) -> str:
    """A well-formed value for an environment variable the template gives as a token (an import or a join):
    the handlers validate their environment at load, as they do on AWS, so a placeholder must pass it."""
    name = f"bench-{variable.lower().replace('_', '-')}"
    return f"s3://{name}/prefix/" if variable.endswith("_URI") else name


def _function_name(construct_path: str) -> str:
    """``AqiPipeline/Backfill/FanIn/Resource`` → ``FanIn``; an inner ``Handler`` is named by its owner."""
    parts = construct_path.split("/")[:-1]
    return "/".join(parts[-2:]) if parts[-1] == "Handler" else parts[-1]


def synth(scratch: Path) -> Path:
    """A real ``cdk synth`` into ``<scratch>/cdk.out``; returns that directory."""
    out = scratch / "cdk.out"
    shutil.rmtree(out, ignore_errors=True)
    log("cdk synth for the Lambda bundles")
    subprocess.run(
        ["npx", "cdk", "synth", "--quiet", "-o", str(out)], cwd=REPO, check=True, capture_output=True
    )
    return out


def function_bundles(out: Path) -> list[tuple[str, Path, dict[str, str]]]:
    """The project's functions in a synthesized ``cdk.out``: name, ``index.js`` and its environment."""
    bundles = []
    for template in sorted(out.glob("*.template.json")):
        resources = json.loads(template.read_text()).get("Resources", {})
        for resource in resources.values():
            metadata = resource.get("Metadata", {})
            if resource.get("Type") != "AWS::Lambda::Function" or "aws:asset:path" not in metadata:
                continue
            # The project's functions (NodejsFunction bundles); CDK's own custom-resource providers
            # (handler __entrypoint__.handler) lean on the runtime's SDK and are not ours to size.
            if resource["Properties"].get("Handler") != "index.handler":
                continue
            bundle = out / metadata["aws:asset:path"] / "index.js"
            if not bundle.exists():
                continue
            environment = resource["Properties"].get("Environment", {}).get("Variables", {})
            env = {k: v if isinstance(v, str) else _stand_in(k) for k, v in environment.items()}
            bundles.append((_function_name(metadata["aws:cdk:path"]), bundle, env))
    return bundles


def load_ms(bundle: Path, env: dict[str, str]) -> float:
    """One cold module load of ``bundle`` in a fresh ``node``, with the function's environment."""
    done = subprocess.run(
        ["node", "-e", _LOAD, str(bundle)],
        # Every function bundles what it imports, the SDK included (`externalModules: []`).
        env={"PATH": os.environ.get("PATH", ""), **env},
        capture_output=True,
        text=True,
        cwd=bundle.parent,
    )
    if done.returncode != 0:
        raise BenchError(f"loading {bundle} failed: {done.stderr.strip()[-800:]}")
    return float(done.stdout)


def lambda_bundles(scratch: Path, loads: int) -> dict:
    """Series f: each deployed Lambda's bundle (from a real ``cdk synth``): minified size and module load."""
    samples = []
    for name, bundle, env in function_bundles(synth(scratch)):
        times = [load_ms(bundle, env) for _ in range(loads)]
        samples.append(
            {
                "function": name,
                "bundleBytes": bundle.stat().st_size,
                "moduleLoadMs": [round(t, 1) for t in times],
                "moduleLoadMedianMs": median(times),
            }
        )
    return {
        "samples": samples,
        "summary": {
            "largestBundleBytes": max((s["bundleBytes"] for s in samples), default=None),
            "slowestModuleLoadMedianMs": max((s["moduleLoadMedianMs"] for s in samples), default=None),
        },
    }


def bare_floor(scratch: Path) -> dict:
    """The self-check's series a: one ``SELECT 1`` step floor on an empty warehouse."""
    command = step_command(
        scratch / "self-check-workspace", scratch / "no-archive", build_jobs_zip(scratch / "aqi_jobs.zip")
    )
    sample = _floor(command, scratch / "self-check-warehouse", ["select1"])
    return {
        "samples": [sample],
        "summary": {
            "floorSelect1WallSeconds": sample["wallSeconds"],
            "floorSelect1PeakRssMiB": sample["peakRssMiB"],
        },
    }
