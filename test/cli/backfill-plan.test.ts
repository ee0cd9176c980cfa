import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { malformedInputs } from '../core/backfill/corpus';
import { runCli } from './cli-io';

const REPO = path.resolve(__dirname, '..', '..');

describe('aqi-pipeline backfill plan', () => {
  test('prints the chunks, the EMR step count and the cluster size of the console example', async () => {
    const run = await runCli(['backfill', 'plan', '--input', '{"startDate": "2024-01-01", "endDate": "2025-10-16"}']);
    expect(run).toEqual({
      code: 0,
      err: '',
      out: [
        'Window      2024-01-01 .. 2025-10-16',
        'Stages      bronze, silver, gold',
        'Locations   2178 (Del Norte)',
        'Chunks      22 × month',
        '              2024-01-01_2024-01-31',
        '              2024-02-01_2024-02-29',
        '              2024-03-01_2024-03-31',
        '              … 17 more',
        '              2025-09-01_2025-09-30',
        '              2025-10-01_2025-10-16',
        'EMR steps   24 (22 Bronze chunk steps + silver + gold over the window)',
        'Cluster     4 concurrent steps, 1 executor(s) per step, managed scaling 2–4 instances',
        'Archive     about 2.6 MB of csv.gz to read',
      ].join('\n'),
    });
  });

  test('reads the input from @file', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'aqi-cli-')), 'input.json');
    writeFileSync(file, JSON.stringify({ startDate: '2024-03-01', endDate: '2024-03-02', chunk: 'day', skipStages: ['gold'] }));
    const run = await runCli(['backfill', 'plan', '--input', `@${file}`]);
    expect(run.code).toBe(0);
    expect(run.out).toContain('EMR steps   3 (2 Bronze chunk steps + silver over the window)');
  });

  test('input that is not JSON exits 2 naming the option', async () => {
    const run = await runCli(['backfill', 'plan', '--input', "{startDate: '2024-01-01'}"]);
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/^--input is not JSON \(.+\); pass e\.g\. '\{"startDate": "2024-01-01", "endDate": "2024-12-31"\}' or @file\.json$/);
  });

  test('a missing @file exits 2 naming it', async () => {
    const run = await runCli(['backfill', 'plan', '--input', '@/nonexistent/input.json']);
    expect(run).toEqual({ code: 2, out: '', err: '--input @/nonexistent/input.json: cannot read the file (ENOENT)' });
  });

  const corpus = malformedInputs('2025-10-20').filter((c) => c.checkedBy === undefined);
  test.each(corpus.map((c) => [c.file, c] as const))('rejects corpus input %s with exit 2 and its message', async (_file, { input, message }) => {
    const run = await runCli(['backfill', 'plan', '--input', JSON.stringify(input)]);
    expect(run).toEqual({ code: 2, out: '', err: `InvalidBackfillInput: ${message}` });
  });

  test('`npx aqi-pipeline` runs the package bin: help on every command, exit 2 and the message for bad input', () => {
    const npx = (args: string[]) => spawnSync('npx', ['--no-install', 'aqi-pipeline', ...args], { cwd: REPO, encoding: 'utf8', env: { ...process.env, AWS_REGION: '' } });
    for (const command of [[], ['backfill'], ['backfill', 'plan'], ['backfill', 'start'], ['status'], ['logs']]) {
      const help = npx([...command, '--help']);
      expect({ command, status: help.status }).toEqual({ command, status: 0 });
      expect(help.stdout).toMatch(/^Usage: aqi-pipeline/);
    }
    const bad = npx(['backfill', 'plan', '--input', '{"startDate": "2024-01-01"}']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('InvalidBackfillInput: endDate is missing; allowed: YYYY-MM-DD, e.g. "2024-01-01"');
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  });
});
