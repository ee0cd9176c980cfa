# The one-off probe behind benchmarks/gc-probe-2101e1a.jsonl (docs/BENCHMARKS.md, item 12), kept as run:
# PYTHONPATH=. .venv/bin/python docs/benchmarks/gc-probe-2101e1a.py G1,Serial 2 (from the repository root).
import sys, json, shutil
from pathlib import Path
from datetime import date
from bench.lab import step_command, generate_archive, stage_argv, build_jobs_zip, StepCommand, ENTRY
from bench.series import _weeks
root = Path("/tmp/nc/d"); root.mkdir(exist_ok=True)
archive = generate_archive(root / "archive-10-12w", "2024-01-01", "2024-03-24", 10)
zp = build_jobs_zip(root / "aqi_jobs.zip")
base = step_command(root / "ws", archive, zp)
weeks = _weeks(date(2024, 1, 1), 12)
def cmd(java):
    opts = list(base.options)
    at = next(i for i, o in enumerate(opts) if o.startswith("spark.driver.extraJavaOptions="))
    if java: opts[at] = opts[at] + " " + java
    return StepCommand(base.command, opts, base.env)
def run(c, argv):
    w = c.run(ENTRY, argv)
    if w.returncode != 0: raise SystemExit(w.stderr[-1500:])
    return round(w.wall_seconds, 1), round(w.peak_rss_mib)
bronze = root / "bronze12"
if not (bronze / ".done").exists():
    shutil.rmtree(bronze, ignore_errors=True)
    for wk in weeks:
        print("prep bronze", wk, run(cmd(""), stage_argv("bronze", "bf-x", "backfill", wk, bronze, root / "r" / "b.json", archive)), flush=True)
    (bronze / ".done").write_text("")
variants = {"G1": "", "Serial": "-XX:+UseSerialGC", "Parallel": "-XX:+UseParallelGC"}
names = sys.argv[1].split(",")
rounds = int(sys.argv[2])
for r in range(rounds):
    order = names if r % 2 == 0 else names[::-1]
    for name in order:
        c = cmd(variants[name])
        for k in (12, 1):
            lake = root / f"lake-{name}-{k}"
            shutil.rmtree(lake, ignore_errors=True); shutil.copytree(bronze, lake)
            span = (weeks[0][0], weeks[k - 1][1])
            out = {}
            for stage in ("silver", "gold"):
                out[stage] = run(c, stage_argv(stage, "bf-x", "range", span, lake, lake / f"{stage}.json", archive))
            print(json.dumps({"round": r, "gc": name, "k": k, **out}), flush=True)
        wk = weeks[0]
        lake = root / f"lake-{name}-b"
        shutil.rmtree(lake, ignore_errors=True)
        print(json.dumps({"round": r, "gc": name, "bronze1": run(c, stage_argv("bronze", "bf-y", "backfill", wk, lake, lake / "b.json", archive))}), flush=True)
