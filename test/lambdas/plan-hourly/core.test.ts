import { planHourly } from '../../../lambdas/plan-hourly/core';
import { PipelineError } from '../../../lambdas/shared/errors';
import { MemoryStateStore } from '../../workflow/support/memory-ports';

const settings = { lateDataMarginHours: 3, maxWindowHours: 72, lockTtlSeconds: 21_600 };
const now = new Date('2025-01-01T03:16:30Z');

function deps(watermark?: string) {
  const state = new MemoryStateStore();
  if (watermark !== undefined) state.watermarks.set('hourly', { windowEnd: watermark, runId: 'hourly-x', updatedAt: watermark });
  return { state, settings, now, randomHex: () => '1a2b3c4d' };
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
      advanceWatermark: true,
      lock: { acquiredAt: '2025-01-01T03:16:30.000Z', nowEpoch: '1735701390', expiresAtEpoch: '1735722990' },
      input: { scheduledTime: '2025-01-01T03:15:00Z' },
    });
  });

  test('after missed runs the window reaches back to the watermark', async () => {
    const plan = await planHourly({ scheduledTime: '2025-01-01T03:15:00Z' }, deps('2024-12-31T20:00:00Z'));
    expect(plan.window).toEqual({ start: '2024-12-31T17:00:00Z', end: '2025-01-01T03:00:00Z' });
  });

  test('a window longer than the maximum is capped and says so', async () => {
    const plan = await planHourly({ scheduledTime: '2025-01-01T03:15:00Z' }, deps('2024-12-01T00:00:00Z'));
    expect(plan.window).toEqual({ start: '2024-12-29T03:00:00Z', end: '2025-01-01T03:00:00Z' });
    expect(plan.capped).toBe(true);
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
