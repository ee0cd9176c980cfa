import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { STAGE_MODES } from '../../core/layout';

const REPO = join(__dirname, '..', '..');

describe('the stage modes the state machines pass', () => {
  test('are exactly the modes the Stage CLI accepts for each stage (aqi_jobs.stage.MODES)', () => {
    const python = join(REPO, '.venv', 'bin', 'python');
    const printed = execFileSync(python, ['-c', 'import json; from aqi_jobs.stage import MODES; print(json.dumps(MODES))'], {
      cwd: REPO,
      env: { ...process.env, PYTHONPATH: join(REPO, 'spark-jobs') },
      encoding: 'utf8',
    });
    expect(JSON.parse(printed)).toEqual(STAGE_MODES);
  });
});
