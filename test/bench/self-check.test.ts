import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const REPO = join(__dirname, '..', '..');

/**
 * The benchmark is not a test (no timed assertions): this only checks that `npm run bench` still runs
 * against the current code and writes a record that meets its own schema. About 15 s idle; the generous
 * limit is for a loaded machine (one spark-submit took over 3 minutes at load average 20).
 */
describe('npm run bench -- --self-check', () => {
  test('runs a step floor through the local step command and writes a schema-valid record', () => {
    const done = spawnSync(join(REPO, '.venv', 'bin', 'python'), ['-m', 'bench', '--self-check'], { cwd: REPO, encoding: 'utf8', timeout: 590_000 });

    expect(done.stderr).toMatch(/bench: self-check: record valid; \{"floorSelect1WallSeconds": [0-9.]+, "floorSelect1PeakRssMiB": [0-9.]+\}/);
    expect(done.status).toBe(0);
  }, 600_000);
});

describe('npm run bench options', () => {
  const bench = (...args: string[]) => spawnSync(join(REPO, '.venv', 'bin', 'python'), ['-m', 'bench', ...args], { cwd: REPO, encoding: 'utf8' });

  test.each([
    ['--months', '0,12', "--months: '0,12' is not a comma-separated list of whole numbers from 1 to 12"],
    ['--months', 'twelve', "--months: 'twelve' is not a comma-separated list of whole numbers from 1 to 12"],
    ['--ks', '1,13', "--ks: '1,13' is not a comma-separated list of whole numbers from 1 to 12"],
    ['--series', 'a,z', '--series: z not a series; allowed: a, b, c, d, e, f'],
  ])('%s %s stops before measuring anything, naming the flag and what is allowed', (flag, value, message) => {
    const done = bench(flag, value);

    expect(done.stderr).toContain(message);
    expect(done.stderr).not.toContain('Traceback');
    expect(done.status).toBe(2);
  });
});
