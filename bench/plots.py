"""The plots docs/BENCHMARKS.md embeds, drawn with matplotlib from a benchmark record (never by hand)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("svg")
import matplotlib.pyplot as plt  # noqa: E402 - the backend must be chosen first

KIND_COLOURS = {
    "start": "#8c8c8c",
    "setup": "#bcbd22",
    "read": "#1f77b4",
    "action": "#ff7f0e",
    "write": "#2ca02c",
    "merge": "#d62728",
    "upkeep": "#9467bd",
    "result": "#17becf",
    "unaccounted": "#e5e5e5",
}


def _save(figure: plt.Figure, path: Path) -> Path:
    figure.tight_layout()
    # A fixed hash salt keeps the SVG's ids stable, so an unchanged plot makes no diff.
    matplotlib.rcParams["svg.hashsalt"] = "aqi-pipeline-bench"
    figure.savefig(path, format="svg", metadata={"Date": None})
    plt.close(figure)
    return path


def hourly_phases(record: dict, path: Path) -> Path | None:
    """Series b/c: each step of the first hourly run as a bar split by phase kind, and the step floor."""
    series = record["series"]
    if "c" not in series or "a" not in series:
        return None
    steps = series["c"]["hourly"][0]["steps"]
    figure, axis = plt.subplots(figsize=(9, 3.2))
    seen: set[str] = set()
    for row, step in enumerate(reversed(steps)):
        left = 0.0
        for phase in step["phases"]:
            kind = phase["kind"]
            axis.barh(
                row,
                phase["seconds"],
                left=left,
                color=KIND_COLOURS[kind],
                label=None if kind in seen else kind,
            )
            seen.add(kind)
            left += phase["seconds"]
        rest = step["wallSeconds"] - left
        if rest > 0:
            axis.barh(
                row,
                rest,
                left=left,
                color=KIND_COLOURS["unaccounted"],
                label=None if "unaccounted" in seen else "unaccounted (JVM exit, spark-submit)",
            )
            seen.add("unaccounted")
    floor = series["a"]["summary"]["floorCountWallSeconds"]
    axis.axvline(floor, color="black", linestyle="--", linewidth=1, label=f"step floor {floor:.1f} s")
    axis.set_yticks(range(len(steps)), [s["stage"] for s in reversed(steps)])
    axis.set_xlabel("seconds (wall of each local step)")
    axis.set_title(f"Hourly run: where each step's time goes ({record['mode']}, {record['date'][:10]})")
    axis.legend(fontsize=7, ncol=5, loc="lower center", bbox_to_anchor=(0.5, -0.62))
    return _save(figure, path)


def rss_against_k(record: dict, path: Path) -> Path | None:
    """Series d: peak RSS per JVM (one JVM per stage) and of the one session, against K weekly chunks."""
    if "d" not in record["series"]:
        return None
    summary = record["series"]["d"]["summary"]
    samples = record["series"]["d"]["samples"]
    figure, (rss, wall) = plt.subplots(1, 2, figsize=(9, 3.2))
    rss.plot(summary["ks"], summary["perJvmPeakRssMiB"], marker="o", label="one JVM per stage (largest step)")
    rss.plot(summary["ks"], summary["oneSessionPeakRssMiB"], marker="s", label="one session (whole run)")
    rss.set_xlabel("K weekly chunks (10 locations)")
    rss.set_ylabel("peak RSS of the process tree, MiB")
    rss.set_ylim(bottom=0)
    rss.legend(fontsize=7)
    wall.plot(
        summary["ks"], [s["perStage"]["wallSeconds"] for s in samples], marker="o", label="one JVM per stage"
    )
    wall.plot(
        summary["ks"], [s["oneSession"]["wallSeconds"] for s in samples], marker="s", label="one session"
    )
    wall.set_xlabel("K weekly chunks (10 locations)")
    wall.set_ylabel("wall seconds (steps in sequence)")
    wall.set_ylim(bottom=0)
    wall.legend(fontsize=7)
    figure.suptitle(
        f"One JVM per stage vs one SparkSession ({record['mode']}, {record['date'][:10]})", fontsize=10
    )
    return _save(figure, path)


def backfill_scaling(record: dict, path: Path) -> Path | None:
    """Series e: backfill wall and rows/s per stage against months."""
    if "e" not in record["series"]:
        return None
    samples = record["series"]["e"]["samples"]
    months = [s["months"] for s in samples]
    figure, (wall, rate) = plt.subplots(1, 2, figsize=(9, 3.2))
    wall.plot(months, [s["executionSeconds"] for s in samples], marker="o", label="measured")
    wall.plot(
        months,
        [samples[0]["executionSeconds"] * m / months[0] for m in months],
        linestyle="--",
        color="grey",
        label="linear from the smallest",
    )
    wall.set_xlabel("months backfilled (10 locations, month chunks)")
    wall.set_ylabel("execution wall, s")
    wall.set_ylim(bottom=0)
    wall.legend(fontsize=7)
    for stage in ("bronze", "silver", "gold"):
        rate.plot(months, [s["stages"][stage]["rowsPerSecond"] for s in samples], marker="o", label=stage)
    rate.set_xlabel("months backfilled")
    rate.set_ylabel("rows read per step-second")
    rate.legend(fontsize=7)
    figure.suptitle(f"Backfill scaling ({record['mode']}, {record['date'][:10]})", fontsize=10)
    return _save(figure, path)


def lambda_bundles(record: dict, path: Path) -> Path | None:
    """Series f: minified bundle size and module-load median of each Lambda."""
    if "f" not in record["series"]:
        return None
    samples = sorted(record["series"]["f"]["samples"], key=lambda s: s["function"])
    names = [s["function"] for s in samples]
    figure, (size, load) = plt.subplots(1, 2, figsize=(9, 3.4))
    size.barh(names, [s["bundleBytes"] / 1e6 for s in samples], color="#1f77b4")
    size.axvline(1.0, color="black", linestyle="--", linewidth=1, label="1 MB target")
    size.set_xlabel("minified bundle, MB")
    size.legend(fontsize=7)
    load.barh(names, [s["moduleLoadMedianMs"] for s in samples], color="#ff7f0e")
    load.axvline(200, color="black", linestyle="--", linewidth=1, label="200 ms target")
    load.set_xlabel("cold module load, ms (median)")
    load.set_yticks([])
    load.legend(fontsize=7)
    figure.suptitle(f"Lambda bundles ({record['mode']}, {record['date'][:10]})", fontsize=10)
    return _save(figure, path)


PLOTS = {
    "hourly-phases": hourly_phases,
    "rss-vs-k": rss_against_k,
    "backfill-scaling": backfill_scaling,
    "lambda-bundles": lambda_bundles,
}


def draw_all(record: dict, directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    drawn = []
    for name, draw in PLOTS.items():
        path = draw(record, directory / f"{record['mode']}-{name}.svg")
        if path is not None:
            drawn.append(path)
    return drawn
