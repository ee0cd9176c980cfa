import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../local/cli';

/** Runs the CLI in-process and captures what it prints on stderr. */
async function cli(args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += chunk.toString();
    return true;
  });
  const errorSpy = jest.spyOn(console, 'error').mockImplementation((...parts: unknown[]) => {
    stderr += `${parts.join(' ')}\n`;
  });
  try {
    return { code: await main(args), stderr };
  } finally {
    spy.mockRestore();
    errorSpy.mockRestore();
  }
}

describe('npm run local -- <command>: bad input gets a clear error and no run', () => {
  test('a malformed backfill date names the option, the value and the format', async () => {
    const { code, stderr } = await cli(['backfill', '--from', '2024-3-1', '--to', '2024-03-02']);

    expect(code).toBe(2);
    expect(stderr).toContain("--from must be a date YYYY-MM-DD; got '2024-3-1'");
  });

  test('location ids must be numbers separated by commas', async () => {
    const { code, stderr } = await cli(['backfill', '--from', '2024-03-01', '--to', '2024-03-02', '--locations', '2178;8118']);

    expect(code).toBe(2);
    expect(stderr).toContain("--locations must be location ids separated by commas, e.g. 2178,8118; got '2178;8118'");
  });

  test('an hourly --at that is not an instant is refused', async () => {
    const { code, stderr } = await cli(['hourly', '--at', 'tomorrow']);

    expect(code).toBe(2);
    expect(stderr).toContain("--at must be an ISO instant such as 2024-03-20T06:15:00Z; got 'tomorrow'");
  });

  test('an s3:// archive is refused with how to copy the part needed', async () => {
    const { code, stderr } = await cli(['backfill', '--from', '2024-03-01', '--to', '2024-03-02', '--archive-uri', 's3://openaq-data-archive']);

    expect(code).toBe(2);
    expect(stderr).toContain('--archive-uri s3://openaq-data-archive: a local run reads a directory; copy the part you need first');
  });

  test('a backfill without a generated archive says how to make one', async () => {
    const { code, stderr } = await cli(['--workspace', '/nonexistent/aqi-ws', 'backfill', '--from', '2024-03-01', '--to', '2024-03-02']);

    expect(code).toBe(1);
    expect(stderr).toContain("no archive at /nonexistent/aqi-ws/data/archive: run 'npm run local -- generate' first, or pass --archive-uri <dir>");
  });
});

describe('npm run local -- status <runId>', () => {
  test('prints where each step spent its time, phase by phase, with the total', async () => {
    const workspace = mkdtempSync(join(tmpdir(), 'aqi-status-'));
    const runId = 'hourly-20240315T1215Z-1a2b3c4d';
    const manifestDir = join(workspace, 's3', 'lake', 'runs', 'hourly', runId);
    mkdirSync(manifestDir, { recursive: true });
    const phases = [
      { kind: 'start', name: 'SparkSession', seconds: 4.25 },
      { kind: 'merge', name: 'merge aqi_silver.measurements_hourly', seconds: 3.5 },
    ];
    writeFileSync(join(manifestDir, 'manifest.json'), JSON.stringify({ pipeline: 'hourly', runId, status: 'SUCCEEDED', stages: { silver: { status: 'SUCCEEDED', phases } } }));
    let out = '';
    const logSpy = jest.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => {
      out += `${parts.join(' ')}\n`;
    });
    try {
      expect((await cli(['--workspace', workspace, 'status', runId])).code).toBe(0);
    } finally {
      logSpy.mockRestore();
      rmSync(workspace, { recursive: true, force: true });
    }

    const rows = out.split('\n').filter((line) => line.includes('stages.silver')).map((line) => line.split('│').map((cell) => cell.trim()).filter(Boolean));
    expect(rows).toEqual([
      ['stages.silver.status', 'SUCCEEDED'],
      ['stages.silver', 'start', 'SparkSession', '4.25'],
      ['stages.silver', 'merge', 'merge aqi_silver.measurements_hourly', '3.50'],
      ['stages.silver', 'total', '7.75'],
    ]);
  });
});
