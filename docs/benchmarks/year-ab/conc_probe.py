"""Probe: 12-month backfill over 10 locations, monthly chunks, maxConcurrency A vs B, alternating."""
import json, shutil, sys, time
from pathlib import Path
sys.path.insert(0, '/work/main')
from bench.lab import run_pipeline
from bench.series import generate_archive, TEN_LOCATIONS

scratch = Path('/work/main/.local/bench')
archive = generate_archive(scratch / 'archive-10-2024', '2024-01-01', '2024-12-31', TEN_LOCATIONS)
levels = [int(x) for x in sys.argv[1].split(',')]
rounds = int(sys.argv[2])
out = Path(sys.argv[3])
results = []
for r in range(rounds):
    for c in (levels if r % 2 == 0 else list(reversed(levels))):
        ws = scratch / f'conc-{c}'
        shutil.rmtree(ws, ignore_errors=True)
        t = time.time()
        run = run_pipeline('backfill', ws, archive, {'startDate': '2024-01-01', 'endDate': '2024-12-31', 'chunk': 'month', 'maxConcurrency': c})
        bronze = [s for s in run.steps if s['stage'] == 'bronze']
        row = {'round': r, 'maxConcurrency': c, 'executionSeconds': run.execution_seconds,
               'bronzeStepSeconds': sum(s['wallSeconds'] for s in bronze),
               'silver': [s['wallSeconds'] for s in run.steps if s['stage'] == 'silver'],
               'gold': [s['wallSeconds'] for s in run.steps if s['stage'] == 'gold'],
               'bronzePeakMiB': max(s['peakRssMiB'] for s in bronze), 'steps': run.steps}
        results.append(row)
        print(json.dumps({k: v for k, v in row.items() if k != 'steps'}), flush=True)
        shutil.rmtree(ws, ignore_errors=True)
        out.write_text(json.dumps(results, indent=1))
