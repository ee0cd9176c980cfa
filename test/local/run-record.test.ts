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
