import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { timelineSvg } from '../../core/timeline/timeline-svg';
import { LocalRunRecord, localRunTimeline, readRunRecord, writeRunRecord } from '../../local/runtime/run-record';
import { workspaceAt } from '../../local/runtime/workspace';

const record = JSON.parse(readFileSync(join(__dirname, 'recorded', 'aborted-backfill-run-record.json'), 'utf8')) as LocalRunRecord;

describe('a local run timeline', () => {
  test('has a row per top-level state that takes time, per stage step and per Bronze chunk step, in the AWS chart groups', () => {
    const timeline = localRunTimeline(record);

    expect(timeline.bars.map((b) => [b.group, b.label, b.status])).toEqual([
      ['state', 'Plan backfill', 'SUCCEEDED'],
      ['state', 'Create cluster', 'SUCCEEDED'],
      ['state', 'Bronze chunks', 'SUCCEEDED'],
      ['state', 'Silver step', 'FAILED'],
      ['state', 'Terminate cluster', 'SUCCEEDED'],
      ['chunk', '2024-01', 'SUCCEEDED'],
      ['chunk', '2024-02', 'SUCCEEDED'],
      ['chunk', '2024-03', 'FAILED'],
      ['step', 'SILVER', 'FAILED'],
      ['step', 'GOLD', 'FAILED'],
    ]);
    expect(timeline.bars.find((b) => b.label === '2024-02')).toMatchObject({ start: new Date('2026-11-30T07:00:02.200Z'), end: new Date('2026-11-30T07:01:02.200Z') });
    expect(timeline.start).toEqual(new Date('2026-11-30T07:00:00.000Z'));
    expect(timeline.end).toEqual(new Date('2026-11-30T07:03:10.000Z'));
  });

  test('names the failed chunk, the failed stage, the cancelled steps and the run error under the chart', () => {
    expect(localRunTimeline(record).notes).toEqual([
      'FAILED chunk 2024-03: InvalidLocationsError: location 99 has no timezone',
      'FAILED silver: spark-submit exited with code 1',
      '1 step cancelled',
      'FAILED: States.TaskFailed — Silver step failed: spark-submit exited with code 1',
    ]);
  });

  test('is drawn by the AWS CLI renderer, failed bars marked', () => {
    const svg = timelineSvg(localRunTimeline(record));

    expect(svg).toMatch(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).toContain('backfill backfill-20240101T0000Z-3c0ffee1 — FAILED (local)');
    expect(svg).toContain('<title>2024-03: FAILED, 2026-11-30T07:01:00.000Z → 2026-11-30T07:01:30.000Z (30 s)</title>');
    expect(svg.match(/ FAILED</g)).toHaveLength(4);
  });

  test('is kept per run id in the workspace and read back unchanged', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aqi-record-'));
    try {
      const workspace = workspaceAt(dir);
      writeRunRecord(workspace, record);
      expect(readRunRecord(workspace, record.runId)).toEqual(record);
      expect(readRunRecord(workspace, 'backfill-unknown')).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * Written by a real local run, not by hand: the clean three-day backfill of test/local/pipeline-runs
 * (real Spark steps, on Node 22.23.5, 2026-11-30), its run record copied as it was written.
 */
const realRecord = JSON.parse(readFileSync(join(__dirname, 'recorded', 'clean-backfill-run-record.json'), 'utf8')) as LocalRunRecord;

describe('the timeline of a real local backfill', () => {
  test('shows the three daily chunks, then Silver and Gold, all succeeded, with nothing to note', () => {
    const timeline = localRunTimeline(realRecord);
    const rows = (group: string) => timeline.bars.filter((b) => b.group === group).map((b) => [b.label, b.status]);

    expect(rows('chunk')).toEqual([
      ['2024-03-06_2024-03-06', 'SUCCEEDED'],
      ['2024-03-07_2024-03-07', 'SUCCEEDED'],
      ['2024-03-08_2024-03-08', 'SUCCEEDED'],
    ]);
    expect(rows('step')).toEqual([
      ['SILVER', 'SUCCEEDED'],
      ['GOLD', 'SUCCEEDED'],
    ]);
    expect(rows('state').map(([label]) => label)).toEqual(expect.arrayContaining(['Plan backfill', 'Create cluster', 'Bronze chunks', 'Silver range', 'Gold range', 'Terminate cluster']));
    expect(rows('state').every(([, status]) => status === 'SUCCEEDED')).toBe(true);
    expect(timeline.notes).toEqual([]);
  });

  test('keeps every bar inside the run and in pipeline order: chunks end before Silver starts, Silver before Gold', () => {
    const timeline = localRunTimeline(realRecord);
    for (const bar of timeline.bars) {
      expect(bar.start.getTime()).toBeLessThanOrEqual(bar.end.getTime());
      expect(bar.start.getTime()).toBeGreaterThanOrEqual(timeline.start.getTime());
      expect(bar.end.getTime()).toBeLessThanOrEqual(timeline.end.getTime());
    }
    const of = (label: string) => timeline.bars.find((b) => b.label === label)!;
    const chunksEnd = Math.max(...timeline.bars.filter((b) => b.group === 'chunk').map((b) => b.end.getTime()));
    expect(of('SILVER').start.getTime()).toBeGreaterThanOrEqual(chunksEnd);
    expect(of('GOLD').start.getTime()).toBeGreaterThanOrEqual(of('SILVER').end.getTime());
  });

  test('is drawn by the renderer `status --timeline` uses, with the run id and each chunk', () => {
    const svg = timelineSvg(localRunTimeline(realRecord));

    expect(svg).toContain(`backfill ${realRecord.runId} — SUCCEEDED (local)`);
    expect(svg).toContain('<title>2024-03-07_2024-03-07: SUCCEEDED');
    expect(svg).not.toContain(' FAILED<');
  });
});
