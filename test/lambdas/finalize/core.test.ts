import { stepIdOf } from '../../../core/step-cause';
import { finalizeRun } from '../../../lambdas/finalize/core';
import { PipelineError } from '../../../core/errors';
import type { Stage } from '../../../core/layout';
import { silentLogger } from '../../support/silent-logger';
import type { StageResult } from '../../../core/stage-result';
import { MemoryClusterUsage, MemoryMetrics, MemoryObjectStore, MemoryStateStore, TEST_PRICES } from '../../workflow/support/memory-ports';

const LAKE = 'lake';
const RUN_ID = 'hourly-20250101T0300Z-1a2b3c4d';
const now = new Date('2025-01-01T03:40:02Z');
const settings = { lakeBucket: LAKE, emrLogUri: 's3://logs/emr/', metricsNamespace: 'AqiPipeline', prices: TEST_PRICES };

function world() {
  const objects = new MemoryObjectStore();
  const state = new MemoryStateStore();
  const metrics = new MemoryMetrics();
  const usage = new MemoryClusterUsage();
  return { objects, state, metrics, usage, deps: { objects, state, metrics, usage, log: silentLogger, settings, now } };
}

function result(stage: Stage, overrides: Partial<StageResult> = {}): StageResult {
  return {
    stage,
    runId: RUN_ID,
    chunkId: null,
    status: 'SUCCEEDED',
    mode: 'incremental',
    startedAt: '2025-01-01T03:20:00Z',
    finishedAt: '2025-01-01T03:21:40Z',
    durationSeconds: 100,
    rowsRead: 10,
    rowsWritten: 8,
    rowsRejected: 1,
    rowsDuplicate: 1,
    window: { start: null, end: null },
    affectedDays: ['2025-01-01'],
    snapshots: {},
    error: null,
    ...overrides,
  };
}

function input(overrides: Record<string, unknown> = {}) {
  return {
    pipeline: 'hourly',
    outcome: 'SUCCEEDED',
    executionArn: 'arn:aws:states:us-east-1:123456789012:execution:Hourly:e1',
    executionStartTime: '2025-01-01T03:15:02Z',
    plan: {
      runId: RUN_ID,
      window: { start: '2024-12-31T23:00:00Z', end: '2025-01-01T03:00:00Z' },
      skip: { bronze: false, silver: false, gold: false },
      watermark: null,
      advanceWatermark: true,
      input: { scheduledTime: '2025-01-01T03:15:00Z' },
    },
    clusterId: 'j-1',
    steps: { bronze: { Step: { Id: 's-B' } }, silver: { Step: { Id: 's-S' } }, gold: { StepId: 's-G' } },
    ...overrides,
  };
}

function putResults(objects: MemoryObjectStore, ...results: StageResult[]) {
  for (const r of results) void objects.putText(LAKE, `runs/hourly/${RUN_ID}/results/${r.stage}.json`, JSON.stringify(r));
}

describe('finalizeRun', () => {
  test('writes the manifest with each stage\'s step, log URI, duration, phases, rows and API requests, and advances the watermark', async () => {
    const { objects, state, deps } = world();
    const phases = [
      { kind: 'start' as const, name: 'SparkSession', seconds: 4.2 },
      { kind: 'write' as const, name: 'append aqi_bronze.measurements', seconds: 1.3 },
    ];
    const apiRequests = {
      requests: 605,
      byEndpoint: { '/v3/locations/{id}/sensors': 5, '/v3/sensors/{id}/hours': 600 },
      rateLimited: 0,
      retried: 1,
      waitedSeconds: 540.5,
      sensorListsRenewed: 5,
    };
    putResults(objects, result('bronze', { rowsWritten: 120, phases, apiRequests }), result('silver', { rowsWritten: 48 }), result('gold', { rowsWritten: 12 }));

    const out = await finalizeRun(input(), deps);

    expect(out).toEqual({ manifestKey: `runs/hourly/${RUN_ID}/manifest.json`, status: 'SUCCEEDED', watermarkAdvanced: true });
    const manifest = objects.json(LAKE, out.manifestKey) as Record<string, unknown>;
    expect(manifest).toMatchObject({
      pipeline: 'hourly',
      runId: RUN_ID,
      status: 'SUCCEEDED',
      startedAt: '2025-01-01T03:15:02Z',
      finishedAt: '2025-01-01T03:40:02.000Z',
      durationSeconds: 1500,
      clusterId: 'j-1',
      error: null,
    });
    expect((manifest.stages as Record<string, unknown>).bronze).toEqual({
      status: 'SUCCEEDED',
      stepId: 's-B',
      stepLogUri: 's3://logs/emr/j-1/steps/s-B/',
      resultKey: `runs/hourly/${RUN_ID}/results/bronze.json`,
      durationSeconds: 100,
      rowsRead: 10,
      rowsWritten: 120,
      rowsRejected: 1,
      rowsDuplicate: 1,
      phases,
      apiRequests,
      error: null,
    });
    expect((manifest.stages as Record<string, { apiRequests: unknown }>).silver.apiRequests).toBeNull();
    expect(state.watermarks.get('hourly')).toEqual({ windowEnd: '2025-01-01T03:00:00Z', runId: RUN_ID, updatedAt: '2025-01-01T03:40:02.000Z' });
  });

  test('publishes the run outcome, its duration and per-stage durations and rows', async () => {
    const { objects, metrics, deps } = world();
    putResults(objects, result('bronze'), result('silver'), result('gold', { durationSeconds: 42, rowsWritten: 7, rowsRejected: 0 }));

    await finalizeRun(input(), deps);

    const gold = metrics.published.filter((p) => p.metric.dimensions?.Stage === 'gold').map((p) => p.metric);
    expect(gold).toEqual([
      { name: 'StageDurationSeconds', value: 42, unit: 'Seconds', dimensions: { Pipeline: 'hourly', Stage: 'gold' } },
      { name: 'RowsWritten', value: 7, unit: 'Count', dimensions: { Pipeline: 'hourly', Stage: 'gold' } },
      { name: 'RowsRejected', value: 0, unit: 'Count', dimensions: { Pipeline: 'hourly', Stage: 'gold' } },
    ]);
    expect(metrics.published.slice(0, 2).map((p) => p.metric)).toEqual([
      { name: 'RunSucceeded', value: 1, unit: 'Count', dimensions: { Pipeline: 'hourly' } },
      { name: 'RunDurationSeconds', value: 1500, unit: 'Seconds', dimensions: { Pipeline: 'hourly' } },
    ]);
    expect(new Set(metrics.published.map((p) => p.namespace))).toEqual(new Set(['AqiPipeline']));
  });

  test("records the cluster's instance-seconds from EMR and their estimated cost, and publishes the cost as a metric", async () => {
    const { objects, metrics, usage, deps } = world();
    putResults(objects, result('bronze'), result('silver'), result('gold'));
    usage.usage.set('j-1', {
      instances: [{ instanceType: 'm7g.xlarge', market: 'ON_DEMAND', createdAt: new Date('2025-01-01T03:16:00Z'), endedAt: new Date('2025-01-01T03:31:00Z') }],
      normalizedInstanceHours: 8,
    });

    const out = await finalizeRun(input(), deps);

    expect((objects.json(LAKE, out.manifestKey) as Record<string, unknown>).cost).toEqual({
      source: 'emr:ListInstances',
      clusterId: 'j-1',
      lines: [{ instanceType: 'm7g.xlarge', market: 'ON_DEMAND', instances: 1, instanceSeconds: 900, ec2Usd: 0.04, emrUsd: 0.01 }],
      instanceSeconds: 900,
      normalizedInstanceHours: 8,
      estimatedUsd: { ec2: 0.04, emr: 0.01, total: 0.05 },
      unpricedTypes: [],
      prices: { region: 'us-east-1', currency: 'USD', pricesAsOf: '2026-11-30' },
      measuredAt: '2025-01-01T03:40:02.000Z',
      note: expect.stringContaining('Estimate: instance-seconds from EMR ListInstances'),
    });
    expect(metrics.published.map((p) => p.metric)).toContainEqual({ name: 'RunEstimatedCostUsd', value: 0.05, unit: 'None', dimensions: { Pipeline: 'hourly' } });
  });

  test('a cluster EMR cannot describe leaves the cost unavailable with the reason; the run is still recorded', async () => {
    const { objects, metrics, deps } = world();
    putResults(objects, result('bronze'), result('silver'), result('gold'));

    const out = await finalizeRun(input({ clusterId: 'j-UNKNOWN' }), deps);

    expect(out.status).toBe('SUCCEEDED');
    expect((objects.json(LAKE, out.manifestKey) as Record<string, unknown>).cost).toEqual({
      unavailable: "EMR usage of j-UNKNOWN could not be read: InvalidRequestException: Cluster id 'j-UNKNOWN' is not valid.",
    });
    expect(metrics.published.map((p) => p.metric.name)).not.toContain('RunEstimatedCostUsd');
  });

  test('a run that failed before it had a cluster has no cost', async () => {
    const { objects, deps } = world();
    const out = await finalizeRun(input({ outcome: 'FAILED', clusterId: null, steps: {}, error: { Error: 'States.Timeout', Cause: 'createCluster timed out' } }), deps);
    expect((objects.json(LAKE, out.manifestKey) as Record<string, unknown>).cost).toBeNull();
  });

  test('a step that succeeded without writing its result fails the run with StageResultMissing naming the stage and key', async () => {
    const { objects, state, deps } = world();
    putResults(objects, result('bronze'), result('gold'));

    const failure = await finalizeRun(input(), deps).catch((e: unknown) => e);

    expect(failure).toBeInstanceOf(PipelineError);
    expect((failure as PipelineError).name).toBe('StageResultMissing');
    expect((failure as PipelineError).message).toBe(
      `run ${RUN_ID}: the EMR step succeeded but its stage result says otherwise: silver is MISSING ` +
        `(expected a SUCCEEDED result at runs/hourly/${RUN_ID}/results/silver.json). See the step's stderr in the manifest.`,
    );
    expect(state.watermarks.size).toBe(0);
  });

  test('a result that breaks the contract fails with StageResultInvalid naming the field', async () => {
    const { objects, deps } = world();
    putResults(objects, result('bronze'), result('gold'));
    void objects.putText(LAKE, `runs/hourly/${RUN_ID}/results/silver.json`, JSON.stringify({ ...result('silver'), rowsWritten: -1 }));

    const failure = (await finalizeRun(input(), deps).catch((e: unknown) => e)) as PipelineError;

    expect(failure.name).toBe('StageResultInvalid');
    expect(failure.message).toContain(`stage result s3://lake/runs/hourly/${RUN_ID}/results/silver.json does not follow the stage result contract: rowsWritten:`);
  });

  test('a failed run is recorded with its error, stages not run, and no watermark move', async () => {
    const { objects, state, metrics, deps } = world();
    putResults(objects, result('bronze'));

    await finalizeRun(
      input({ outcome: 'FAILED', steps: { bronze: { Step: { Id: 's-B' } } }, error: { Error: 'States.TaskFailed', Cause: 'silver exited 1' } }),
      deps,
    );

    const manifest = objects.json(LAKE, `runs/hourly/${RUN_ID}/manifest.json`) as { status: string; error: unknown; stages: Record<Stage, { status: string }> };
    expect(manifest.status).toBe('FAILED');
    expect(manifest.error).toEqual({ error: 'States.TaskFailed', cause: 'silver exited 1' });
    expect([manifest.stages.bronze.status, manifest.stages.silver.status, manifest.stages.gold.status]).toEqual(['SUCCEEDED', 'NOT_RUN', 'NOT_RUN']);
    expect(state.watermarks.size).toBe(0);
    expect(metrics.published[0]?.metric).toEqual({ name: 'RunFailed', value: 1, unit: 'Count', dimensions: { Pipeline: 'hourly' } });
  });

  test('a stage step that failed is recorded as FAILED with the step id and stderr location from the error Cause', async () => {
    const { objects, deps } = world();
    putResults(objects, result('bronze'));
    const cause = JSON.stringify({
      Step: { Id: 's-S2', Name: 'silver', Status: { State: 'FAILED', FailureDetails: { Reason: 'spark-submit was killed by SIGKILL' } } },
    });

    await finalizeRun(input({ outcome: 'FAILED', steps: { bronze: { Step: { Id: 's-B' } } }, error: { Error: 'States.TaskFailed', Cause: cause } }), deps);

    const manifest = objects.json(LAKE, `runs/hourly/${RUN_ID}/manifest.json`) as { error: unknown; stages: Record<Stage, unknown> };
    expect(manifest.error).toEqual({ error: 'States.TaskFailed', cause });
    expect(manifest.stages.silver).toEqual({
      status: 'FAILED',
      stepId: 's-S2',
      stepLogUri: 's3://logs/emr/j-1/steps/s-S2/',
      resultKey: `runs/hourly/${RUN_ID}/results/silver.json`,
      durationSeconds: null,
      phases: null,
      rowsRead: null,
      rowsWritten: null,
      rowsRejected: null,
      rowsDuplicate: null,
      apiRequests: null,
      error: null,
    });
    expect(manifest.stages.gold).toEqual({
      status: 'NOT_RUN',
      stepId: null,
      stepLogUri: null,
      resultKey: `runs/hourly/${RUN_ID}/results/gold.json`,
      durationSeconds: null,
      phases: null,
      rowsRead: null,
      rowsWritten: null,
      rowsRejected: null,
      rowsDuplicate: null,
      apiRequests: null,
      error: null,
    });
  });

  test('never moves the watermark backwards', async () => {
    const { objects, state, deps } = world();
    putResults(objects, result('bronze'), result('silver'), result('gold'));
    state.watermarks.set('hourly', { windowEnd: '2025-01-01T05:00:00Z', runId: 'later', updatedAt: 'x' });

    const out = await finalizeRun(input(), deps);

    expect(out.watermarkAdvanced).toBe(false);
    expect(state.watermarks.get('hourly')?.windowEnd).toBe('2025-01-01T05:00:00Z');
  });

  test('moves the watermark only when the window joins the watermark it finds, so no hour is passed over', async () => {
    const { objects, state, deps } = world();
    putResults(objects, result('bronze'), result('silver'), result('gold'));
    const plan = { ...input().plan, watermark: '2024-12-31T20:00:00Z' };
    state.watermarks.set('hourly', { windowEnd: '2024-12-31T20:00:00Z', runId: 'older', updatedAt: 'x' });

    const gap = await finalizeRun(input({ plan }), deps);
    state.watermarks.set('hourly', { windowEnd: '2025-01-01T01:00:00Z', runId: 'moved-meanwhile', updatedAt: 'x' });
    const joins = await finalizeRun(input({ plan }), deps);

    expect(gap.watermarkAdvanced).toBe(false);
    expect(joins.watermarkAdvanced).toBe(true);
    expect(state.watermarks.get('hourly')?.windowEnd).toBe('2025-01-01T03:00:00Z');
  });

  test('does not move the watermark when a stage did not run, even if the plan allowed it', async () => {
    const { objects, state, deps } = world();
    putResults(objects, result('silver'), result('gold'));

    const out = await finalizeRun(input({ steps: { silver: { StepId: 's-S' }, gold: { StepId: 's-G' } } }), deps);

    expect(out.watermarkAdvanced).toBe(false);
    expect(state.watermarks.size).toBe(0);
  });

  test('a skipped run is recorded with the lock holder and counted as RunSkipped, with the watermark age', async () => {
    const { objects, state, metrics, deps } = world();
    state.watermarks.set('hourly', { windowEnd: '2024-12-31T23:00:00Z', runId: 'older', updatedAt: 'x' });
    const lockHolder = { Item: { holder: { S: 'arn:other' }, runId: { S: 'backfill-20250101T0000Z-deadbeef' }, pipeline: { S: 'backfill' }, acquiredAt: { S: 't' }, expiresAt: { N: '1' } } };

    const out = await finalizeRun({ ...input({ outcome: 'SKIPPED', lockHolder }), clusterId: undefined, steps: undefined }, deps);

    expect(out).toMatchObject({ status: 'SKIPPED', watermarkAdvanced: false });
    expect(objects.json(LAKE, out.manifestKey)).toMatchObject({
      status: 'SKIPPED',
      clusterId: null,
      heldBy: { holder: 'arn:other', runId: 'backfill-20250101T0000Z-deadbeef', pipeline: 'backfill', acquiredAt: 't' },
    });
    expect(metrics.published.map((p) => [p.metric.name, p.metric.value])).toEqual([
      ['RunSkipped', 1],
      ['RunDurationSeconds', 1500],
      ['WatermarkAgeHours', 4 + 40 / 60 + 2 / 3600],
    ]);
  });

  test('a run that started a catch-up backfill records it in its manifest and on the watermark item', async () => {
    const { objects, state, deps } = world();
    state.watermarks.set('hourly', { windowEnd: '2024-12-20T05:00:00Z', runId: 'older', updatedAt: 'x' });
    const catchUpBackfill = { input: { startDate: '2024-12-19', endDate: '2024-12-31' }, watermarkTo: '2024-12-31T00:00:00Z', gapHours: 286 };
    const executionArn = 'arn:aws:states:us-east-1:123456789012:execution:Backfill:catch-up-x';

    const out = await finalizeRun(
      { ...input({ plan: { ...input().plan, watermark: '2024-12-20T05:00:00Z', advanceWatermark: false, catchUpBackfill }, catchUpExecution: { ExecutionArn: executionArn } }), clusterId: undefined, steps: undefined },
      deps,
    );

    expect(objects.json(LAKE, out.manifestKey)).toMatchObject({
      status: 'SUCCEEDED',
      catchUpBackfill: { executionArn, input: catchUpBackfill.input, gapHours: 286, watermarkFrom: '2024-12-20T05:00:00Z', watermarkTo: '2024-12-31T00:00:00Z' },
    });
    expect(state.watermarks.get('hourly')).toEqual({
      windowEnd: '2024-12-20T05:00:00Z',
      runId: 'older',
      updatedAt: 'x',
      catchUp: { executionArn, windowEnd: '2024-12-31T00:00:00Z' },
    });
  });

  test('keeps the fields of an existing manifest it does not own (a backfill fan-in\'s chunks)', async () => {
    const { objects, deps } = world();
    const runId = 'backfill-20250101T0000Z-deadbeef';
    void objects.putText(LAKE, `runs/backfill/${runId}/manifest.json`, JSON.stringify({ chunks: [{ chunkId: 'c1' }], failedChunks: [] }));
    void objects.putText(LAKE, `runs/backfill/${runId}/results/silver.json`, JSON.stringify(result('silver', { runId })));

    await finalizeRun(input({ pipeline: 'backfill', plan: { runId }, steps: { silver: { StepId: 's-S' } } }), deps);

    expect(objects.json(LAKE, `runs/backfill/${runId}/manifest.json`)).toMatchObject({
      chunks: [{ chunkId: 'c1' }],
      failedChunks: [],
      pipeline: 'backfill',
      status: 'SUCCEEDED',
    });
  });

  test.each([
    [{ pipeline: 'daily' }, 'pipeline: Invalid option: expected one of "hourly"|"backfill" (got "daily")'],
    [{ plan: { runId: 'run-1' } }, 'plan.runId: must be a run id such as hourly-20250101T0300Z-1a2b3c4d (got "run-1")'],
    [{ outcome: 'DONE' }, 'outcome: Invalid option: expected one of "SUCCEEDED"|"FAILED"|"SKIPPED" (got "DONE")'],
  ])('rejects %j with InvalidFinalizeInput naming the field and value', async (overrides, message) => {
    const { deps } = world();
    const failure = (await finalizeRun(input(overrides), deps).catch((e: unknown) => e)) as PipelineError;
    expect(failure.name).toBe('InvalidFinalizeInput');
    expect(failure.message).toBe(`invalid finalize input: ${message}`);
  });
});

describe('stepIdOf', () => {
  test.each([
    [{ StepId: 's-1' }, 's-1'],
    [{ Step: { Id: 's-2', Status: { State: 'COMPLETED' } } }, 's-2'],
    [undefined, null],
    [{ Step: {} }, null],
  ])('reads the step id from %j', (output, id) => {
    expect(stepIdOf(output)).toBe(id);
  });
});
