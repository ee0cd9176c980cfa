import type { BackfillManifest } from '../../core/manifest';
import { SfnExecutionReader } from '../../bin/cli/execution';
import { stateSpans, stepCounts } from '../../bin/cli/history';
import { executionTimeline } from '../../bin/cli/timeline';
import { timelineSvg } from '../../core/timeline/timeline-svg';
import { runCli } from './cli-io';
import { clientsFor, recordedExecution } from './recorded-execution';

const recorded = recordedExecution('backfill-failed-silver.json');
const now = new Date('2025-10-20T13:00:00Z');

async function readRecorded() {
  return new SfnExecutionReader(clientsFor(recorded).sfn).read(recorded.executionArn, { chunkExecutions: true });
}

describe('the states of a recorded backfill whose Silver step failed', () => {
  test('each state spans from its entry to its exit; the failed step and nothing else is FAILED', async () => {
    const spans = stateSpans((await readRecorded()).events ?? []);
    expect(spans.map((s) => `${s.name} ${s.status}`)).toEqual([
      'Plan backfill SUCCEEDED',
      'Acquire lock SUCCEEDED',
      'Create cluster SUCCEEDED',
      'Bronze chunks SUCCEEDED',
      'Run silver? SUCCEEDED',
      'Silver step FAILED',
      'Cancel running steps SUCCEEDED',
      'Terminate cluster SUCCEEDED',
      'Finalize SUCCEEDED',
      'Run failed FAILED',
    ]);
    expect(spans.find((s) => s.name === 'Create cluster')).toMatchObject({ start: new Date('2025-10-20T12:00:02.300Z'), end: new Date('2025-10-20T12:07:11.100Z') });
    expect(stepCounts(spans)).toEqual({ succeeded: 0, failed: 1, running: 0 });
  });
});

describe('the run timeline of the recorded backfill', () => {
  test('has a bar per state that takes time, the EMR step and each chunk by its id, the failed ones marked', async () => {
    const timeline = executionTimeline(await readRecorded(), recorded.manifest as BackfillManifest, now);
    expect(timeline.bars.map((b) => `${b.group} ${b.label} ${b.status}`)).toEqual([
      'state Plan backfill SUCCEEDED',
      'state Acquire lock SUCCEEDED',
      'state Create cluster SUCCEEDED',
      'state Bronze chunks SUCCEEDED',
      'step Silver step FAILED',
      'state Cancel running steps SUCCEEDED',
      'state Terminate cluster SUCCEEDED',
      'state Finalize SUCCEEDED',
      'chunk 2024-01-01_2024-01-31 SUCCEEDED',
      'chunk 2024-02-01_2024-02-29 FAILED',
      'chunk 2024-03-01_2024-03-31 SUCCEEDED',
    ]);
    expect(timeline).toMatchObject({ start: new Date('2025-10-20T12:00:00Z'), end: new Date('2025-10-20T12:38:53.300Z') });
    expect(timeline.notes).toEqual([
      'FAILED chunk 2024-02-01_2024-02-29: States.TaskFailed: EMR step s-B1 FAILED: bronze: archive file is not gzip',
      'FAILED: States.TaskFailed — EMR step s-SILVER1 FAILED: silver: ValueError: hour_changes is empty',
    ]);
  });

  test('draws as an SVG Gantt chart: bars placed by time, failed bars red, hatched and labelled', async () => {
    const svg = timelineSvg(executionTimeline(await readRecorded(), recorded.manifest as BackfillManifest, now));
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    const bars = [...svg.matchAll(/<g class="bar (\w+) (\w+)"><title>([^<]*)<\/title>.*?<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)" height="\d+" fill="(#\w+)"/g)];
    expect(bars).toHaveLength(11);
    const bar = (label: string) => bars.find((b) => b[3].startsWith(`${label}:`))!;
    // 240 px of labels, then 720 px for the 2333.3 s of the run.
    expect(Number(bar('Create cluster')[4])).toBeCloseTo(240 + (2.3 / 2333.3) * 720, 1);
    expect(Number(bar('Create cluster')[5])).toBeCloseTo((428.8 / 2333.3) * 720, 1);
    expect(bar('Silver step').slice(1, 3)).toEqual(['step', 'failed']);
    expect(bar('Silver step')[6]).toBe('#c62828');
    expect(bar('2024-02-01_2024-02-29')[6]).toBe('#c62828');
    expect(bar('2024-01-01_2024-01-31')[6]).toBe('#2e7d32');
    expect(svg).toContain('url(#failed)');
    expect(svg).toContain('>EMR step · Silver step</text>');
    expect(svg).toContain('9m 20s FAILED</text>');
    expect(svg).toContain('FAILED chunk 2024-02-01_2024-02-29: States.TaskFailed');
  });

  test('`status --timeline` writes the chart and exits 1 for the failed run', async () => {
    const clients = clientsFor(recorded);
    const written: Record<string, string> = {};
    const run = await runCli(['status', recorded.executionArn, '--timeline', 'run.svg'], {
      now: () => now,
      aws: () => ({ region: async () => 'eu-west-1', ...clients, emr: undefined as never }),
      executions: (c) => new SfnExecutionReader(c.sfn),
      writeFile: (path, text) => {
        written[path] = text;
      },
    });
    expect(run.code).toBe(1);
    expect(run.out).toContain('Status      FAILED');
    expect(run.out).toContain('Timeline    run.svg');
    expect(written['run.svg']).toContain('<g class="bar chunk failed"><title>2024-02-01_2024-02-29: FAILED');
  });
});
