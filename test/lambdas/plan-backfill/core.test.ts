import { planBackfillRun, type PlanBackfillDeps } from '../../../lambdas/plan-backfill/core';
import { InvalidBackfillInput } from '../../../core/backfill/errors';
import { malformedInputs } from '../../core/backfill/corpus';
import { MemoryObjectStore } from '../../workflow/support/memory-ports';

const EXECUTION = 'arn:aws:states:us-east-1:111122223333:execution:Backfill:console-1';
const START = '2025-10-20T12:34:56.000Z';
const DEL_NORTE = { id: 2178, name: 'Del Norte', timezone: 'America/Denver' };
const ALBUQUERQUE = { id: 8118, name: 'Albuquerque', timezone: 'America/Denver' };

function deps(store = new MemoryObjectStore()): PlanBackfillDeps & { store: MemoryObjectStore } {
  store.objects.set('aqi-artifacts/config/locations.json', JSON.stringify([DEL_NORTE, ALBUQUERQUE]));
  return { store, lakeBucket: 'aqi-lake', artifactsBucket: 'aqi-artifacts', limits: { maxRangeDays: 1096, defaultMaxConcurrency: 4, maxConcurrencyLimit: 16 },
    coreInstanceCount: 2,
    timeouts: { bronzeSeconds: 3600, silverSeconds: 3600, goldSeconds: 1800, failedStepRetries: 1 },
  };
}

const run = (input: unknown, d = deps()) => planBackfillRun({ input, executionArn: EXECUTION, executionStartTime: START }, d);

describe('plan-backfill', () => {
  test('returns a compact plan: chunk ids only, stage flags, cluster size, and where the full plan is', async () => {
    const state = await run({ startDate: '2024-01-01', endDate: '2024-03-15', locations: [2178] });
    // 2025-10-20T12:34:56Z; one wave of 3 chunks: 2 attempts × (3600 + 3600 + 1800) + 3600 = 21,600 s
    expect(state).toEqual({
      pipeline: 'backfill',
      runId: 'backfill-20251020T1234Z-' + state.runId.slice(-8),
      window: { start: '2024-01-01', end: '2024-03-15' },
      chunkIds: ['2024-01-01_2024-01-31', '2024-02-01_2024-02-29', '2024-03-01_2024-03-15'],
      chunkCount: 3,
      skip: { bronze: false, silver: false, gold: false },
      lock: { acquiredAt: '2025-10-20T12:34:56.000Z', nowEpoch: '1760963696', expiresAtEpoch: String(1760963696 + 21_600) },
      cluster: { stepConcurrency: 3, executorsPerStep: 1, minCapacityUnits: 2, maxCapacityUnits: 4, estimatedArchiveBytes: 75 * 4096 },
      planUri: `s3://aqi-lake/runs/backfill/${state.runId}/plan.json`,
      locationsUri: `s3://aqi-lake/runs/backfill/${state.runId}/locations.json`,
      reprocessOf: null,
    });
  });

  test('the run id is the same for the same execution, so a retried invocation plans the same run', async () => {
    const first = await run({ startDate: '2024-01-01', endDate: '2024-01-31' });
    const second = await run({ startDate: '2024-01-01', endDate: '2024-01-31' });
    expect(second.runId).toBe(first.runId);
    expect(first.runId).toMatch(/^backfill-20251020T1234Z-[0-9a-f]{8}$/);
  });

  test('writes the full plan with the chunk windows and the input as given, and the run locations', async () => {
    const d = deps();
    const input = { startDate: '2024-02-27', endDate: '2024-03-01', chunk: 'day', locations: [8118] };
    const state = await run(input, d);
    const plan = d.store.json('aqi-lake', `runs/backfill/${state.runId}/plan.json`) as Record<string, unknown>;
    expect(plan.input).toEqual(input);
    expect(plan.chunks).toEqual([
      { id: '2024-02-27_2024-02-27', start: '2024-02-27', end: '2024-02-27' },
      { id: '2024-02-28_2024-02-28', start: '2024-02-28', end: '2024-02-28' },
      { id: '2024-02-29_2024-02-29', start: '2024-02-29', end: '2024-02-29' },
      { id: '2024-03-01_2024-03-01', start: '2024-03-01', end: '2024-03-01' },
    ]);
    expect(d.store.json('aqi-lake', `runs/backfill/${state.runId}/locations.json`)).toEqual([ALBUQUERQUE]);
  });

  test('without locations the run’s locations document holds every configured location', async () => {
    const d = deps();
    const state = await run({ startDate: '2024-01-01', endDate: '2024-01-31' }, d);
    expect(d.store.json('aqi-lake', `runs/backfill/${state.runId}/locations.json`)).toEqual([DEL_NORTE, ALBUQUERQUE]);
  });

  test('the run’s locations document has the Stage CLI’s shape, id, name and timezone alone, whatever else the configuration carries', async () => {
    const d = deps();
    d.store.objects.set('aqi-artifacts/config/locations.json', JSON.stringify([{ ...DEL_NORTE, country: 'US' }, { ...ALBUQUERQUE, provider: 'AirNow' }]));
    const state = await run({ startDate: '2024-01-01', endDate: '2024-01-31', locations: [2178] }, d);
    expect(d.store.objects.get(`aqi-lake/runs/backfill/${state.runId}/locations.json`)).toBe('[{"id":2178,"name":"Del Norte","timezone":"America/Denver"}]');
  });

  test('reprocessFailedOf plans only the failed chunks of that run, and Silver/Gold over their span', async () => {
    const d = deps();
    const previous = 'backfill-20250101T0300Z-1a2b3c4d';
    d.store.objects.set(
      `aqi-lake/runs/backfill/${previous}/manifest.json`,
      JSON.stringify({ failedChunks: ['2024-03-01_2024-03-31', '2024-01-01_2024-01-31'] }),
    );
    const state = await run({ startDate: '2024-01-01', endDate: '2024-06-30', reprocessFailedOf: previous }, d);
    expect(state.chunkIds).toEqual(['2024-01-01_2024-01-31', '2024-03-01_2024-03-31']);
    expect(state.window).toEqual({ start: '2024-01-01', end: '2024-03-31' });
    expect(state.reprocessOf).toBe(previous);
  });

  test('reprocessing a run without failed chunks is rejected: there is nothing to rerun', async () => {
    const d = deps();
    const previous = 'backfill-20250101T0300Z-1a2b3c4d';
    d.store.objects.set(`aqi-lake/runs/backfill/${previous}/manifest.json`, JSON.stringify({ failedChunks: [] }));
    await expect(run({ startDate: '2024-01-01', endDate: '2024-06-30', reprocessFailedOf: previous }, d)).rejects.toMatchObject({
      name: 'InvalidBackfillInput',
      message: 'reprocessFailedOf = "backfill-20250101T0300Z-1a2b3c4d": the run has no failed chunks, so nothing to reprocess; allowed: the id of a run whose output lists failed chunks',
    });
  });

  test('a rejected input writes nothing to the lake', async () => {
    const d = deps();
    await expect(run({ startDate: '2024-01-01' }, d)).rejects.toBeInstanceOf(InvalidBackfillInput);
    expect(await d.store.listKeys('aqi-lake', '')).toEqual([]);
  });

  test('missing configured locations is a deployment error naming the object, not an input error', async () => {
    const d = deps();
    d.store.objects.clear();
    await expect(run({ startDate: '2024-01-01', endDate: '2024-01-31' }, d)).rejects.toThrow(
      'The configured locations are missing: s3://aqi-artifacts/config/locations.json does not exist; redeploy the pipeline stack',
    );
  });

  test.each(malformedInputs('2025-10-20').map((c) => [c.file, c] as const))('rejects corpus input %s with its message', async (_file, { input, message }) => {
    // The corpus assumes location 2178 alone is configured.
    const d = deps();
    d.store.objects.set('aqi-artifacts/config/locations.json', JSON.stringify([DEL_NORTE]));
    const rejection = run(input, d);
    await expect(rejection).rejects.toBeInstanceOf(InvalidBackfillInput);
    await expect(rejection).rejects.toMatchObject({ name: 'InvalidBackfillInput', message });
  });
});
