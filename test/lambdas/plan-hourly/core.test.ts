import { planHourly } from '../../../lambdas/plan-hourly/core';
import { validateBackfillInput } from '../../../core/backfill/validate';
import { PipelineError } from '../../../core/errors';
import { HOURLY_SIZING } from '../../workflow/hourly-world';
import { MemoryMetrics, MemoryStateStore } from '../../workflow/support/memory-ports';

const settings = {
  lateDataMarginHours: 3,
  maxWindowHours: 72,
  lockTtlSeconds: 21_600,
  backfillAfterGapHours: 168,
  maxBackfillRangeDays: 1096,
  metricsNamespace: 'AqiPipeline',
  locationCount: 100,
  sizing: HOURLY_SIZING,
};
const now = new Date('2025-01-01T03:16:30Z');
const backfillSettings = {
  maxRangeDays: 1096,
  defaultMaxConcurrency: 4,
  maxConcurrencyLimit: 16,
  coreInstanceCount: 2,
  locations: [{ id: 2178, name: 'Del Norte', timezone: 'America/Denver' }],
};

function deps(watermark?: string) {
  const state = new MemoryStateStore();
  if (watermark !== undefined) state.watermarks.set('hourly', { windowEnd: watermark, runId: 'hourly-x', updatedAt: watermark });
  return { state, metrics: new MemoryMetrics(), settings, now, randomHex: () => '1a2b3c4d' };
}

async function rejection(input: unknown): Promise<PipelineError> {
  try {
    await planHourly(input, deps('2025-01-01T02:00:00Z'));
  } catch (error) {
    if (error instanceof PipelineError) return error;
    throw error;
  }
  throw new Error('expected planHourly to reject');
}

describe('planHourly', () => {
  test('a scheduled run covers the hours since the watermark plus the late-data margin, up to the hour just ended', async () => {
    const plan = await planHourly({ scheduledTime: '2025-01-01T03:15:00Z' }, deps('2025-01-01T02:00:00Z'));

    expect(plan).toEqual({
      pipeline: 'hourly',
      runId: 'hourly-20250101T0300Z-1a2b3c4d',
      trigger: 'schedule',
      window: { start: '2024-12-31T23:00:00Z', end: '2025-01-01T03:00:00Z' },
      capped: false,
      skip: { bronze: false, silver: false, gold: false },
      watermark: '2025-01-01T02:00:00Z',
      cluster: { primaryOnly: true, coreInstanceCount: 0, locationHours: 400, reason: '100 locations × 4 h = 400 location-hours ≤ 20000: one node' },
      advanceWatermark: true,
      catchUpBackfill: null,
      lock: { acquiredAt: '2025-01-01T03:16:30.000Z', nowEpoch: '1735701390', expiresAtEpoch: '1735722990' },
      input: { scheduledTime: '2025-01-01T03:15:00Z' },
    });
  });

  test('after missed runs the window reaches back to the watermark', async () => {
    const plan = await planHourly({ scheduledTime: '2025-01-01T03:15:00Z' }, deps('2024-12-31T20:00:00Z'));
    expect(plan.window).toEqual({ start: '2024-12-31T17:00:00Z', end: '2025-01-01T03:00:00Z' });
  });

  test('after an outage a run covers maxWindowHours from the watermark, oldest first, and may advance the watermark', async () => {
    const plan = await planHourly({ scheduledTime: '2025-01-01T03:15:00Z' }, deps('2024-12-28T00:00:00Z'));
    expect(plan.window).toEqual({ start: '2024-12-27T21:00:00Z', end: '2024-12-30T21:00:00Z' });
    expect(plan).toMatchObject({ capped: true, advanceWatermark: true, catchUpBackfill: null });
  });

  test('a gap longer than backfillAfterGapHours plans a backfill of the gap, padded by a day for time zones, and no watermark move', async () => {
    const plan = await planHourly({ scheduledTime: '2025-01-01T03:15:00Z' }, deps('2024-12-20T05:00:00Z'));
    expect(plan.catchUpBackfill).toEqual({
      input: { startDate: '2024-12-19', endDate: '2024-12-31' },
      watermarkTo: '2024-12-31T00:00:00Z',
      gapHours: 286,
    });
    expect(plan.advanceWatermark).toBe(false);
  });

  test('the catch-up backfill input passes the backfill validation an operator input gets', async () => {
    const plan = await planHourly({ scheduledTime: '2025-01-01T03:15:00Z' }, deps('2024-12-20T05:00:00Z'));
    const request = validateBackfillInput(plan.catchUpBackfill?.input, backfillSettings, now);
    expect([request.startDate, request.endDate]).toEqual(['2024-12-19', '2024-12-31']);
  });

  test('a catch-up backfill never spans more than backfill.maxRangeDays; the watermark then moves only to its last day', async () => {
    const d = deps('2024-11-01T05:00:00Z');
    const plan = await planHourly({ scheduledTime: '2025-01-01T03:15:00Z' }, { ...d, settings: { ...settings, maxBackfillRangeDays: 10 } });
    expect(plan.catchUpBackfill).toMatchObject({ input: { startDate: '2024-10-31', endDate: '2024-11-09' }, watermarkTo: '2024-11-09T00:00:00Z' });
  });

  test('no second backfill starts while one is pending, nor while the lock is held: the run catches up hourly instead', async () => {
    const pending = deps('2024-12-20T05:00:00Z');
    pending.state.watermarks.set('hourly', {
      windowEnd: '2024-12-20T05:00:00Z',
      runId: 'hourly-x',
      updatedAt: 'x',
      catchUp: { executionArn: 'arn:aws:states:us-east-1:1:execution:B:catch-up', windowEnd: '2024-12-31T00:00:00Z' },
    });
    const held = deps('2024-12-20T05:00:00Z');
    held.state.lock = { holder: 'arn:other', runId: 'r', pipeline: 'backfill', acquiredAt: 'x', expiresAt: now.getTime() / 1000 + 60 };

    for (const d of [pending, held]) {
      const plan = await planHourly({ scheduledTime: '2025-01-01T03:15:00Z' }, d);
      expect(plan).toMatchObject({ catchUpBackfill: null, capped: true, window: { start: '2024-12-20T02:00:00Z', end: '2024-12-23T02:00:00Z' } });
    }
  });

  test('a run that skips a stage never advances the watermark', async () => {
    for (const stage of ['bronze', 'silver', 'gold'] as const) {
      const plan = await planHourly({ scheduledTime: '2025-01-01T03:15:00Z', skipStages: [stage] }, deps('2025-01-01T02:00:00Z'));
      expect(plan.advanceWatermark).toBe(false);
    }
  });

  test('a manual window later than the watermark is processed but leaves the watermark; one that joins it advances it', async () => {
    const later = await planHourly({ windowEnd: '2025-01-01T03:00:00Z' }, deps('2024-12-29T00:00:00Z'));
    expect(later).toMatchObject({ window: { start: '2024-12-31T23:00:00Z', end: '2025-01-01T03:00:00Z' }, advanceWatermark: false });
    const joining = await planHourly({ windowEnd: '2025-01-01T03:00:00Z' }, deps('2025-01-01T00:00:00Z'));
    expect(joining.advanceWatermark).toBe(true);
  });

  test('each plan publishes the watermark age in hours, the freshness metric', async () => {
    const d = deps('2025-01-01T00:00:00Z');
    await planHourly({ scheduledTime: '2025-01-01T03:15:00Z' }, d);
    expect(d.metrics.published).toEqual([
      { namespace: 'AqiPipeline', metric: { name: 'WatermarkAgeHours', value: 3.275, unit: 'None', dimensions: { Pipeline: 'hourly' } } },
    ]);
  });

  test('without a watermark (first run) the window is the last hour plus the margin', async () => {
    const plan = await planHourly({ scheduledTime: '2025-01-01T03:15:00Z' }, deps());
    expect(plan.window).toEqual({ start: '2024-12-31T23:00:00Z', end: '2025-01-01T03:00:00Z' });
    expect(plan.advanceWatermark).toBe(true);
  });

  test('a manual windowEnd re-runs that hour and its margin and does not move an older watermark', async () => {
    const plan = await planHourly({ windowEnd: '2024-12-30T10:00:00Z', skipStages: ['gold'] }, deps('2025-01-01T02:00:00Z'));
    expect(plan).toMatchObject({
      runId: 'hourly-20241230T1000Z-1a2b3c4d',
      trigger: 'manual',
      window: { start: '2024-12-30T06:00:00Z', end: '2024-12-30T10:00:00Z' },
      skip: { bronze: false, silver: false, gold: true },
      advanceWatermark: false,
    });
  });

  test('a scheduled run that repeats an hour already processed re-runs that hour without moving the watermark', async () => {
    const plan = await planHourly({ scheduledTime: '2025-01-01T03:15:00Z' }, deps('2025-01-01T03:00:00Z'));
    expect(plan.window).toEqual({ start: '2024-12-31T23:00:00Z', end: '2025-01-01T03:00:00Z' });
    expect(plan.advanceWatermark).toBe(false);
  });

  test.each([
    [{}, 'invalid hourly input: (input): give exactly one of scheduledTime (scheduled runs) or windowEnd (re-running one window) (got {})'],
    [
      { scheduledTime: '2025-01-01T03:15:00Z', windowEnd: '2025-01-01T03:00:00Z' },
      'invalid hourly input: (input): give exactly one of scheduledTime (scheduled runs) or windowEnd (re-running one window) (got {"scheduledTime":"2025-01-01T03:15:00Z","windowEnd":"2025-01-01T03:00:00Z"})',
    ],
    [{ windowEnd: '2025-01-01T03:30:00Z' }, 'invalid hourly input: windowEnd: must be a whole UTC hour such as 2025-01-01T03:00:00Z (got "2025-01-01T03:30:00Z")'],
    [{ scheduledTime: 'yesterday' }, 'invalid hourly input: scheduledTime: must be an ISO-8601 timestamp such as 2025-01-01T03:15:00Z (got "yesterday")'],
    [{ windowEnd: '2025-01-01T03:00:00Z', skipStages: ['platinum'] }, 'invalid hourly input: skipStages.0: must be one of bronze, silver, gold (got "platinum")'],
    [{ windowEnd: '2025-01-01T03:00:00Z', skipStages: ['gold', 'gold'] }, 'invalid hourly input: skipStages: must not repeat a stage (got ["gold","gold"])'],
    [{ windowEnd: '2025-01-01T03:00:00Z', windowStart: '2025-01-01T00:00:00Z' }, 'invalid hourly input: (input): Unrecognized key: "windowStart"'],
    [{ windowEnd: '2025-01-01T04:00:00Z' }, 'invalid hourly input: windowEnd "2025-01-01T04:00:00Z" lies in the future (now 2025-01-01T03:16:30.000Z); only a completed hour can be processed'],
  ])('rejects %j with InvalidHourlyInput naming the field, the value and what is allowed', async (input, message) => {
    const error = await rejection(input);
    expect(error.name).toBe('InvalidHourlyInput');
    expect(error.message).toContain(message);
  });
});
