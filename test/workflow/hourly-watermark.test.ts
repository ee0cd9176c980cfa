/**
 * The watermark promise, through the synthesized hourly definition and the real plan and finalize cores:
 * no hour is lost after an outage, a manual run or a skipped stage, and a gap beyond the configured limit
 * is handed to a backfill that moves the watermark when it succeeds.
 */
import { FinalizeBackfillEventSchema, finalizeBackfill } from '../../lambdas/backfill-finalize/core';
import { validateBackfillInput } from '../../core/backfill/validate';
import { addHours, formatIsoHour } from '../../core/time';
import type { AslDefinition } from '../../local/definition';
import { stateMachineDefinition } from '../../local/definition';
import { argAfter, definitionValues, EXECUTION_ARN, HourlyWorld, LAKE_BUCKET, OTHER_EXECUTION_ARN } from './hourly-world';
import { execute } from './support/interpreter';
import { MemoryMetrics, TEST_PRICES } from './support/memory-ports';
import { silentLogger } from '../support/silent-logger';
import { synthesize } from './support/synth';

let definition: AslDefinition;
let freshnessThresholdHours: number;

beforeAll(() => {
  const synthesized = synthesize();
  definition = stateMachineDefinition(synthesized.pipelineJson, 'Hourly', { exportingTemplates: [synthesized.dataLakeJson], values: definitionValues });
  const alarms = Object.values(synthesized.pipelineJson.Resources ?? {}).filter(
    (r) => r.Type === 'AWS::CloudWatch::Alarm' && (r.Properties as { MetricName?: string }).MetricName === 'WatermarkAgeHours',
  );
  expect(alarms).toHaveLength(1);
  freshnessThresholdHours = (alarms[0]?.Properties as { Threshold: number }).Threshold;
});

/** Runs the hourly machine as the scheduler would at minute 15 of `hourEnd`'s next hour, at that time. */
async function scheduledRun(world: HourlyWorld, hourEnd: string, extra: Record<string, unknown> = {}) {
  const scheduledTime = new Date(Date.parse(hourEnd) + 15 * 60_000).toISOString().replace('.000Z', 'Z');
  world.now = new Date(Date.parse(hourEnd) + 16 * 60_000);
  return execute(definition, { scheduledTime, ...extra }, world.handlers(), { executionArn: EXECUTION_ARN, startTime: scheduledTime });
}

/** Every hour end in `(start, end]` as ISO hours. */
function hoursIn(start: string, end: string): string[] {
  const hours: string[] = [];
  for (let t = addHours(new Date(start), 1); t <= new Date(end); t = addHours(t, 1)) hours.push(formatIsoHour(t));
  return hours;
}

/** The hours each Bronze step ingested, from the Stage CLI window of the runs that went through Gold too. */
function hoursThroughGold(world: HourlyWorld): Set<string> {
  const hours = new Set<string>();
  const runs = new Map<string, string[]>();
  for (const call of world.stepCalls) runs.set(argAfter(call.args, '--run-id'), [...(runs.get(argAfter(call.args, '--run-id')) ?? []), call.stage]);
  for (const call of world.stepCalls.filter((c) => c.stage === 'bronze')) {
    if (!runs.get(argAfter(call.args, '--run-id'))?.includes('gold')) continue;
    for (const hour of hoursIn(argAfter(call.args, '--start'), argAfter(call.args, '--end'))) hours.add(hour);
  }
  return hours;
}

function bronzeWindows(world: HourlyWorld): [string, string][] {
  return world.stepCalls.filter((c) => c.stage === 'bronze').map((c) => [argAfter(c.args, '--start'), argAfter(c.args, '--end')]);
}

function withWatermark(windowEnd: string): HourlyWorld {
  const world = new HourlyWorld();
  world.watermarks.set('hourly', { windowEnd, runId: 'hourly-20250101T0000Z-00000000', updatedAt: windowEnd });
  return world;
}

describe('the hourly watermark, through the synthesized state machine', () => {
  test('after a 5-day outage the scheduled runs catch up oldest first, and every hour of the 5 days reaches Gold with no operator action', async () => {
    // GIVEN the last processed hour ends 2025-01-01T03:00Z, and no run happens for 5 days
    const world = withWatermark('2025-01-01T03:00:00Z');

    // WHEN the schedule resumes for three hours
    for (const hourEnd of ['2025-01-06T03:00:00Z', '2025-01-06T04:00:00Z', '2025-01-06T05:00:00Z']) {
      expect((await scheduledRun(world, hourEnd)).status).toBe('SUCCEEDED');
    }

    // THEN the first run starts at the watermark (minus the 3 h margin) and covers 72 h; the next one continues
    expect(bronzeWindows(world)).toEqual([
      ['2025-01-01T00:00:00Z', '2025-01-04T00:00:00Z'],
      ['2025-01-03T21:00:00Z', '2025-01-06T04:00:00Z'],
      ['2025-01-06T01:00:00Z', '2025-01-06T05:00:00Z'],
    ]);
    const missing = hoursIn('2025-01-01T03:00:00Z', '2025-01-06T05:00:00Z').filter((h) => !hoursThroughGold(world).has(h));
    expect(missing).toEqual([]);
    expect(world.watermarks.get('hourly')?.windowEnd).toBe('2025-01-06T05:00:00Z');
    expect(world.startedExecutions).toEqual([]);
  });

  test('a manual windowEnd 3 days ahead of the watermark leaves it, and the next scheduled runs still process those 3 days', async () => {
    // GIVEN
    const world = withWatermark('2025-01-01T02:00:00Z');
    world.now = new Date('2025-01-04T02:30:00Z');

    // WHEN an operator re-runs the window ending 2025-01-04T02:00Z, then the schedule runs twice
    const manual = await execute(definition, { windowEnd: '2025-01-04T02:00:00Z' }, world.handlers(), {
      executionArn: EXECUTION_ARN,
      startTime: '2025-01-04T02:30:00Z',
    });
    const watermarkAfterManual = world.watermarks.get('hourly')?.windowEnd;
    world.stepCalls.length = 0;
    await scheduledRun(world, '2025-01-04T03:00:00Z');
    await scheduledRun(world, '2025-01-04T04:00:00Z');

    // THEN
    expect(manual.output).toMatchObject({ window: { start: '2025-01-03T22:00:00Z', end: '2025-01-04T02:00:00Z' }, watermarkAdvanced: false });
    expect(watermarkAfterManual).toBe('2025-01-01T02:00:00Z');
    expect(hoursIn('2025-01-01T02:00:00Z', '2025-01-04T04:00:00Z').filter((h) => !hoursThroughGold(world).has(h))).toEqual([]);
    expect(world.watermarks.get('hourly')?.windowEnd).toBe('2025-01-04T04:00:00Z');
  });

  test.each(['bronze', 'silver', 'gold'])('a run skipping %s leaves the watermark unchanged', async (stage) => {
    const world = withWatermark('2025-01-01T02:00:00Z');

    const outcome = await scheduledRun(world, '2025-01-01T03:00:00Z', { skipStages: [stage] });

    expect(outcome.output).toMatchObject({ status: 'SUCCEEDED', watermarkAdvanced: false });
    expect(world.watermarks.get('hourly')?.windowEnd).toBe('2025-01-01T02:00:00Z');
  });

  test('a gap beyond backfillAfterGapHours starts one backfill execution for exactly the gap, records it, notifies, and takes no lock', async () => {
    // GIVEN the watermark is 12 days old (limit: 7 days)
    const world = withWatermark('2024-12-20T05:00:00Z');

    // WHEN
    const outcome = await scheduledRun(world, '2025-01-01T03:00:00Z');

    // THEN: local days 2024-12-19..31 hold every UTC hour from 2024-12-20T00:00Z (before the watermark less the
    // margin) to 2024-12-31T00:00Z, where the watermark moves when the backfill succeeds
    expect(outcome.status).toBe('SUCCEEDED');
    expect(outcome.entered).toEqual([
      'Plan hourly run',
      'Gap needs a backfill?',
      'Start catch-up backfill',
      'Record catch-up backfill',
      'Notify catch-up backfill',
      'Catch-up backfill started',
    ]);
    expect(world.startedExecutions).toEqual([
      {
        StateMachineArn: expect.stringContaining('Backfill'),
        Name: 'catch-up-hourly-20250101T0300Z-1a2b3c4d',
        Input: { startDate: '2024-12-19', endDate: '2024-12-31' },
      },
    ]);
    const settings = { maxRangeDays: 1096, defaultMaxConcurrency: 4, maxConcurrencyLimit: 16, coreInstanceCount: 2, locations: [] };
    expect(() => validateBackfillInput(world.startedExecutions[0]?.Input, settings, world.now)).not.toThrow();
    const executionArn = `arn:aws:states:us-east-1:123456789012:execution:BackfillStateMachine:catch-up-hourly-20250101T0300Z-1a2b3c4d`;
    expect(world.manifest()).toMatchObject({
      status: 'SUCCEEDED',
      clusterId: null,
      catchUpBackfill: { executionArn, input: { startDate: '2024-12-19', endDate: '2024-12-31' }, watermarkFrom: '2024-12-20T05:00:00Z', watermarkTo: '2024-12-31T00:00:00Z' },
    });
    expect(world.notifications).toEqual([
      {
        TopicArn: expect.stringContaining(':sns:'),
        Subject: 'aqi-pipeline hourly run started a catch-up backfill',
        Message: expect.objectContaining({ backfillExecutionArn: executionArn, backfillInput: { startDate: '2024-12-19', endDate: '2024-12-31' } }),
      },
    ]);
    expect(world.emr.clusters).toEqual([]);
    expect(world.lockRecord()).toBeUndefined();
    expect(world.watermarks.get('hourly')).toMatchObject({ windowEnd: '2024-12-20T05:00:00Z', catchUp: { executionArn, windowEnd: '2024-12-31T00:00:00Z' } });
  });

  test('when the catch-up backfill succeeds the watermark moves to its end, and the next scheduled run covers the rest', async () => {
    // GIVEN a run started the catch-up backfill
    const world = withWatermark('2024-12-20T05:00:00Z');
    await scheduledRun(world, '2025-01-01T03:00:00Z');
    const { ExecutionArn } = { ExecutionArn: (world.manifest()?.catchUpBackfill as { executionArn: string }).executionArn };

    // WHEN that backfill execution finalizes successfully (its own finalize core, on the same table)
    const runId = 'backfill-20250101T0316Z-0badcafe';
    void world.objects.putText(LAKE_BUCKET, `runs/backfill/${runId}/manifest.json`, JSON.stringify(backfillManifest(runId)));
    await finalizeBackfill(
      FinalizeBackfillEventSchema.parse({ pipeline: 'backfill', outcome: 'SUCCEEDED', executionArn: ExecutionArn, executionStartTime: '2025-01-01T03:16:00Z', plan: { runId }, clusterId: 'j-B', steps: {} }),
      { store: world.objects, lakeBucket: LAKE_BUCKET, emrLogUri: 's3://aqi-logs/emr/', now: () => new Date('2025-01-01T05:00:00Z'), state: world.state, usage: world.usage, prices: TEST_PRICES, log: silentLogger,
        metrics: { sink: new MemoryMetrics(), namespace: 'AqiPipeline' } },
    );
    const afterBackfill = world.watermarks.get('hourly');
    await scheduledRun(world, '2025-01-01T05:00:00Z');

    // THEN
    expect(afterBackfill).toEqual({ windowEnd: '2024-12-31T00:00:00Z', runId, updatedAt: '2025-01-01T05:00:00.000Z' });
    expect(bronzeWindows(world)).toEqual([['2024-12-30T21:00:00Z', '2025-01-01T05:00:00Z']]);
    expect(world.watermarks.get('hourly')?.windowEnd).toBe('2025-01-01T05:00:00Z');
    expect(world.startedExecutions).toHaveLength(1);
  });

  test('a held lock drives the freshness metric over its alarm threshold, and each skipped run is counted', async () => {
    // GIVEN another execution holds the lock for hours
    const world = withWatermark('2025-01-01T02:00:00Z');
    world.lockTable.items.set('lock', { pk: { S: 'lock' }, holder: { S: OTHER_EXECUTION_ARN }, runId: { S: 'backfill-20250101T0000Z-deadbeef' }, pipeline: { S: 'backfill' }, acquiredAt: { S: '2025-01-01T00:00:05Z' }, expiresAt: { N: '4102444800' } });

    // WHEN three scheduled runs find it held
    const outcomes = [];
    for (const hourEnd of ['2025-01-01T03:00:00Z', '2025-01-01T04:00:00Z', '2025-01-01T05:00:00Z']) outcomes.push(await scheduledRun(world, hourEnd));

    // THEN
    expect(outcomes.map((o) => (o.output as { status: string }).status)).toEqual(['SKIPPED', 'SKIPPED', 'SKIPPED']);
    expect(freshnessThresholdHours).toBe(3);
    const ages = world.metricValues('WatermarkAgeHours');
    expect(ages.map((a) => Math.round(a * 100) / 100)).toEqual([1.27, 1.27, 2.27, 2.27, 3.27, 3.27]);
    expect(ages.filter((a) => a > freshnessThresholdHours)).toHaveLength(2);
    expect(world.metricValues('RunSkipped')).toEqual([1, 1, 1]);
    expect(world.manifest('hourly-20250101T0500Z-1a2b3c4d')).toMatchObject({ status: 'SKIPPED', heldBy: { holder: OTHER_EXECUTION_ARN } });
  });
});

function backfillManifest(runId: string) {
  return {
    pipeline: 'backfill',
    runId,
    status: 'RUNNING',
    input: { startDate: '2024-12-19', endDate: '2024-12-31' },
    window: { start: '2024-12-19', end: '2024-12-31' },
    clusterId: 'j-B',
    chunks: [],
    failedChunks: [],
    reprocessInput: null,
    stages: { silver: null, gold: null },
    error: null,
    updatedAt: '2025-01-01T04:00:00Z',
  };
}
