"""Session 9's probe (a record): decode one month of the 10-location archive in a cold local step JVM,
each variant of decode_app.py in its own process, alternating. Usage: decode_probe.py <variants> <rounds>
(variants: current, noverify, scan, rdd, load, thr, dirs); expects decode_app.py at /tmp/nc/."""
import sys, re, subprocess, json
from pathlib import Path
sys.path.insert(0, '/work/main')
from bench.lab import step_command, VENV_PYTHON
repo = Path('/work/main')
archive = repo / '.local/bench/archive-10-2024'
ws = repo / '.local/bench/decode-ws'; ws.mkdir(parents=True, exist_ok=True)
zipped = Path('/tmp/nc/aqi_jobs.zip')
subprocess.run([str(VENV_PYTHON), 'spark-jobs/build_zip.py', str(zipped)], check=True, cwd=repo)
cmd = step_command(ws, archive, zipped)
ids = ','.join(p.name.split('=')[1] for p in (archive / 'records/csv.gz').iterdir())
variants = sys.argv[1].split(','); rounds = int(sys.argv[2])
for r in range(rounds):
    for v in (variants if r % 2 == 0 else variants[::-1]):
        w = cmd.run(Path('/tmp/nc/decode_app.py'), [v, str(archive), ids])
        line = [l for l in w.stdout.splitlines() if l.startswith('RESULT')]
        print(r, " ".join(l for l in w.stdout.splitlines() if l[:4] in ("RESU","SCAN","RDD ","LOAD")) if line else w.stderr[-1500:], f"wall={round(w.wall_seconds,2)}", flush=True)
