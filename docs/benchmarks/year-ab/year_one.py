"""One 12-month backfill (10 locations, month chunks) with the code of the repo at argv[1]; prints JSON."""
import json, shutil, sys
from pathlib import Path
root = Path(sys.argv[1]); sys.path.insert(0, str(root))
from bench.lab import run_pipeline
archive = Path('/work/main/.local/bench/archive-10-2024')
ws = root / '.local/bench/year-ws'
shutil.rmtree(ws, ignore_errors=True)
inp = {'startDate': '2024-01-01', 'endDate': '2024-12-31', 'chunk': 'month'}
if len(sys.argv) > 2: inp['maxConcurrency'] = int(sys.argv[2])
run = run_pipeline('backfill', ws, archive, inp)
out = {'root': str(root), 'input': inp, 'executionSeconds': run.execution_seconds,
       'bronzeStepSeconds': round(sum(s['wallSeconds'] for s in run.steps if s['stage'] == 'bronze'), 3),
       'silver': [s['wallSeconds'] for s in run.steps if s['stage'] == 'silver'],
       'gold': [s['wallSeconds'] for s in run.steps if s['stage'] == 'gold'],
       'bronzeDecode': [p['seconds'] for s in run.steps if s['stage'] == 'bronze' for p in s['phases'] if p['name'] == 'decode archive files'],
       'steps': run.steps}
shutil.rmtree(ws, ignore_errors=True)
print('RESULT ' + json.dumps(out))
