import { finalizeBackfill, type FinalizeBackfillEvent } from '../../../lambdas/backfill-finalize/core';
import { fanIn } from '../../../lambdas/fan-in/core';
import { silentLogger } from '../../support/silent-logger';
import { MemoryClusterUsage, MemoryMetrics, MemoryObjectStore, TEST_PRICES } from '../../workflow/support/memory-ports';
import { FEB, JAN, LAKE, RUN_ID, stageResult, writtenPlan } from '../../core/backfill/fixtures';

const runs = `runs/backfill/${RUN_ID}`;
const usage = new MemoryClusterUsage();
const deps = (store: MemoryObjectStore) => ({
  store,
  lakeBucket: LAKE,
  emrLogUri: 's3://aqi-logs/emr/',
  now: () => new Date('2025-10-20T16:00:00Z'),
  usage,
  prices: TEST_PRICES,
  log: silentLogger,
  metrics: { sink: new MemoryMetrics(), namespace: 'AqiPipeline' },
});

function event(overrides: Partial<FinalizeBackfillEvent> = {}): FinalizeBackfillEvent {
  return {
    pipeline: 'backfill',
    outcome: 'SUCCEEDED',
    executionArn: 'arn:aws:states:us-east-1:111122223333:execution:Backfill:x',
    executionStartTime: '2025-10-20T12:34:56.000Z',
    plan: { runId: RUN_ID },
    clusterId: 'j-CLUSTER',
    steps: { silver: { StepId: 's-SILVER' }, gold: { StepId: 's-GOLD' } },
    error: null,
    ...overrides,
  };
}

/** The Cause Step Functions records when an `addStep.sync` step fails: the step's description as JSON. */
function stepFailureCause(stepId: string, name: string): string {
  return JSON.stringify({
    Step: {
      Id: stepId,
      Name: name,
      ActionOnFailure: 'CONTINUE',
      Status: {
        State: 'FAILED',
        FailureDetails: { Reason: 'spark-submit was killed by SIGKILL', Message: 'spark-submit was killed by SIGKILL', LogFile: `s3://aqi-logs/emr/j-CLUSTER/steps/${stepId}/stderr.gz` },
      },
    },
  });
}

async function lakeAfterFanIn(succeeded: { id: string }[]) {
  const store = new MemoryObjectStore();
  store.objects.set(`${LAKE}/${runs}/plan.json`, JSON.stringify(writtenPlan([JAN, FEB])));
  for (const chunk of succeeded) store.objects.set(`${LAKE}/${runs}/results/bronze/${chunk.id}.json`, JSON.stringify(stageResult({ chunkId: chunk.id })));
  await fanIn({ runId: RUN_ID, clusterId: 'j-CLUSTER' }, deps(store));
  store.objects.set(`${LAKE}/${runs}/results/silver.json`, JSON.stringify(stageResult({ stage: 'silver', mode: 'range', rowsWritten: 500 })));
  store.objects.set(`${LAKE}/${runs}/results/gold.json`, JSON.stringify(stageResult({ stage: 'gold', mode: 'range', rowsWritten: 60 })));
  return store;
}

describe('backfill-finalize', () => {
  test('all chunks and both stages succeeded: the manifest is SUCCEEDED with the Silver and Gold outcomes', async () => {
    const store = await lakeAfterFanIn([JAN, FEB]);
    const result = await finalizeBackfill(event(), deps(store));
    expect(result).toEqual({ status: 'SUCCEEDED', failedChunks: [], reprocessInput: null, unreadableSourceCount: 0, cause: `Backfill ${RUN_ID} succeeded` });
    const manifest = store.json(LAKE, `${runs}/manifest.json`) as { status: string; stages: Record<string, unknown> };
    expect(manifest.status).toBe('SUCCEEDED');
    expect(manifest.stages.gold).toEqual({
      status: 'SUCCEEDED',
      stepId: 's-GOLD',
      stepLogUri: 's3://aqi-logs/emr/j-CLUSTER/steps/s-GOLD/',
      resultKey: `${runs}/results/gold.json`,
      durationSeconds: 90,
      rowsRead: 1000,
      rowsWritten: 60,
      rowsRejected: 0,
      rowsDuplicate: 10,
      phases: null,
      apiRequests: null,
      error: null,
    });
  });

  test('every run publishes UnreadableSourceFiles: 0 when every archive file was read, and no notice', async () => {
    const store = await lakeAfterFanIn([JAN, FEB]);
    const d = deps(store);
    const result = await finalizeBackfill(event(), d);
    expect(result.unreadableSources).toBeUndefined();
    expect(d.metrics.sink.published).toEqual([{ namespace: 'AqiPipeline', metric: { name: 'UnreadableSourceFiles', value: 0, unit: 'Count', dimensions: { Pipeline: 'backfill' } } }]);
  });

  test('archive files the chunks could not read: counted in the metric, named in the notice with their retry inputs, the run still SUCCEEDED', async () => {
    // GIVEN January's Bronze step could not read two files and February's one
    const store = new MemoryObjectStore();
    store.objects.set(`${LAKE}/${runs}/plan.json`, JSON.stringify(writtenPlan([JAN, FEB])));
    const file = (day: string, reason: string) => ({ key: `records/csv.gz/locationid=2178/year=2024/month=${day.slice(4, 6)}/location-2178-${day}.csv.gz`, reason, rejectedLines: 3 });
    const jan = [file('20240105', 'truncated gzip: the compressed stream ends early'), file('20240106', 'empty file: 0 bytes, not even a gzip header')];
    const feb = [file('20240229', "unexpected header ['a']; expected [...]")];
    store.objects.set(`${LAKE}/${runs}/results/bronze/${JAN.id}.json`, JSON.stringify(stageResult({ chunkId: JAN.id, unreadableSources: jan })));
    store.objects.set(`${LAKE}/${runs}/results/bronze/${FEB.id}.json`, JSON.stringify(stageResult({ chunkId: FEB.id, unreadableSources: feb })));
    await fanIn({ runId: RUN_ID, clusterId: 'j-CLUSTER' }, deps(store));
    store.objects.set(`${LAKE}/${runs}/results/silver.json`, JSON.stringify(stageResult({ stage: 'silver', mode: 'range' })));
    store.objects.set(`${LAKE}/${runs}/results/gold.json`, JSON.stringify(stageResult({ stage: 'gold', mode: 'range' })));
    const d = deps(store);

    // WHEN
    const result = await finalizeBackfill(event(), d);

    // THEN
    const retry = (day: string) => ({ startDate: day, endDate: day, chunk: 'day', locations: [2178] });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.unreadableSourceCount).toBe(3);
    expect(result.unreadableSources).toEqual({
      runId: RUN_ID,
      count: 3,
      files: [
        { key: jan[0].key, reason: jan[0].reason, retryInput: retry('2024-01-05') },
        { key: jan[1].key, reason: jan[1].reason, retryInput: retry('2024-01-06') },
        { key: feb[0].key, reason: feb[0].reason, retryInput: retry('2024-02-29') },
      ],
      notListed: 0,
      manifest: `s3://${LAKE}/${runs}/manifest.json`,
      whatToDo: expect.stringContaining('docs/OPERATIONS.md'),
    });
    expect(result.cause).toBe(
      `Backfill ${RUN_ID} succeeded; 3 archive files could not be read and were skipped (the manifest's unreadableSources lists each with its reason and the input that retries it)`,
    );
    expect(d.metrics.sink.published.map((p) => [p.metric.name, p.metric.value])).toEqual([['UnreadableSourceFiles', 3]]);
    expect((store.json(LAKE, `${runs}/manifest.json`) as { status: string; unreadableSources: unknown[] }).unreadableSources).toHaveLength(3);
  });

  test('the notice names the first 20 files and counts the rest, so thousands of unreadable files still fit in the state and an SNS message', async () => {
    const store = new MemoryObjectStore();
    store.objects.set(`${LAKE}/${runs}/plan.json`, JSON.stringify(writtenPlan([JAN])));
    const files = Array.from({ length: 5000 }, (_, i) => ({ key: `records/csv.gz/locationid=${9000 + i}/year=2024/month=01/location-${9000 + i}-20240101.csv.gz`, reason: 'truncated gzip: the compressed stream ends early', rejectedLines: 0 }));
    store.objects.set(`${LAKE}/${runs}/results/bronze/${JAN.id}.json`, JSON.stringify(stageResult({ chunkId: JAN.id, unreadableSources: files })));
    await fanIn({ runId: RUN_ID, clusterId: 'j-CLUSTER' }, deps(store));

    const result = await finalizeBackfill(event({ steps: {} }), deps(store));

    expect(result.unreadableSources?.files.map((f) => f.key)).toEqual(files.slice(0, 20).map((f) => f.key));
    expect(result.unreadableSources).toMatchObject({ count: 5000, notListed: 4980 });
    expect(Buffer.byteLength(JSON.stringify(result))).toBeLessThan(16 * 1024);
    expect((store.json(LAKE, `${runs}/manifest.json`) as { unreadableSources: unknown[] }).unreadableSources).toHaveLength(5000);
  });

  test('a failed chunk makes the run FAILED after Silver and Gold ran, and the cause carries the reprocess input', async () => {
    const store = await lakeAfterFanIn([JAN]);
    const result = await finalizeBackfill(event(), deps(store));
    expect(result.status).toBe('FAILED');
    expect(result.failedChunks).toEqual([FEB.id]);
    expect(result.cause).toBe(
      `Backfill ${RUN_ID}: 1 of 2 Bronze chunks failed (${FEB.id}); the other chunks went through Silver and Gold. ` +
        `Start a new execution with this input to rerun only the failed chunks: {"startDate":"2024-01-01","endDate":"2024-03-31","reprocessFailedOf":"${RUN_ID}"}`,
    );
    expect((store.json(LAKE, `${runs}/manifest.json`) as { status: string }).status).toBe('FAILED');
  });

  test('on the teardown path the manifest records the error that stopped the run, even before the fan-in', async () => {
    const store = new MemoryObjectStore();
    store.objects.set(`${LAKE}/${runs}/plan.json`, JSON.stringify(writtenPlan([JAN, FEB])));
    const result = await finalizeBackfill(event({ outcome: 'FAILED', clusterId: null, steps: {}, error: { Error: 'States.Timeout', Cause: 'createCluster timed out' } }), deps(store));
    expect(result.status).toBe('FAILED');
    expect(result.cause).toBe(`Backfill ${RUN_ID}: the run stopped on States.Timeout`);
    const manifest = store.json(LAKE, `${runs}/manifest.json`) as Record<string, unknown>;
    expect(manifest.error).toEqual({ error: 'States.Timeout', cause: 'createCluster timed out' });
    expect(manifest.stages).toEqual({ silver: null, gold: null });
  });

  test('a Silver step killed mid-stage is recorded as the FAILED stage, with the step id and log folder from the error Cause', async () => {
    const store = await lakeAfterFanIn([JAN, FEB]);
    store.objects.delete(`${LAKE}/${runs}/results/silver.json`);
    store.objects.delete(`${LAKE}/${runs}/results/gold.json`);
    const afterFanIn = store.json(LAKE, `${runs}/manifest.json`) as Record<string, unknown>;
    const cause = stepFailureCause('s-SILVER2', 'silver');

    const result = await finalizeBackfill(event({ outcome: 'FAILED', steps: {}, error: { Error: 'States.TaskFailed', Cause: cause } }), deps(store));

    expect(result).toEqual({
      status: 'FAILED',
      failedChunks: [],
      reprocessInput: null,
      unreadableSourceCount: 0,
      cause: `Backfill ${RUN_ID}: the run stopped on States.TaskFailed; stage(s) silver failed`,
    });
    expect(store.json(LAKE, `${runs}/manifest.json`)).toEqual({
      ...afterFanIn,
      status: 'FAILED',
      stages: {
        silver: {
          status: 'FAILED',
          stepId: 's-SILVER2',
          stepLogUri: 's3://aqi-logs/emr/j-CLUSTER/steps/s-SILVER2/',
          resultKey: `${runs}/results/silver.json`,
          durationSeconds: null,
          rowsRead: null,
          rowsWritten: null,
          rowsRejected: null,
          rowsDuplicate: null,
          phases: null,
          apiRequests: null,
          error: null,
        },
        gold: null,
      },
      error: { error: 'States.TaskFailed', cause },
      cost: { unavailable: "EMR usage of j-CLUSTER could not be read: InvalidRequestException: Cluster id 'j-CLUSTER' is not valid." },
      updatedAt: '2025-10-20T16:00:00.000Z',
    });
  });

  test("records the cluster's instance-seconds by type and market and their cost, priced with the dated table", async () => {
    const store = await lakeAfterFanIn([JAN, FEB]);
    const spotUsage = new MemoryClusterUsage();
    spotUsage.usage.set('j-CLUSTER', {
      instances: [
        { instanceType: 'm7g.xlarge', market: 'ON_DEMAND', createdAt: new Date('2025-10-20T15:00:00Z'), endedAt: new Date('2025-10-20T15:30:00Z') },
        { instanceType: 'm6g.xlarge', market: 'SPOT', createdAt: new Date('2025-10-20T15:00:00Z'), endedAt: new Date('2025-10-20T15:30:00Z') },
        { instanceType: 'm6g.xlarge', market: 'SPOT', createdAt: new Date('2025-10-20T15:00:00Z'), endedAt: new Date('2025-10-20T15:30:00Z') },
      ],
      normalizedInstanceHours: 24,
    });

    await finalizeBackfill(event(), { ...deps(store), usage: spotUsage });

    const manifest = store.json(LAKE, `${runs}/manifest.json`) as { cost: { lines: unknown[]; estimatedUsd: unknown; prices: unknown } };
    expect(manifest.cost.lines).toEqual([
      { instanceType: 'm6g.xlarge', market: 'SPOT', instances: 2, instanceSeconds: 3600, ec2Usd: 0.05, emrUsd: 0.04 },
      { instanceType: 'm7g.xlarge', market: 'ON_DEMAND', instances: 1, instanceSeconds: 1800, ec2Usd: 0.08, emrUsd: 0.02 },
    ]);
    expect(manifest.cost.estimatedUsd).toEqual({ ec2: 0.13, emr: 0.06, total: 0.19 });
    expect(manifest.cost.prices).toEqual({ region: 'us-east-1', currency: 'USD', pricesAsOf: '2026-11-30' });
  });

  test('a Gold step failure after a successful Silver records Silver SUCCEEDED and Gold FAILED with its log folder', async () => {
    const store = await lakeAfterFanIn([JAN, FEB]);
    store.objects.delete(`${LAKE}/${runs}/results/gold.json`);

    await finalizeBackfill(
      event({ outcome: 'FAILED', steps: { silver: { StepId: 's-SILVER' } }, error: { Error: 'States.TaskFailed', Cause: stepFailureCause('s-GOLD', 'gold') } }),
      deps(store),
    );

    expect((store.json(LAKE, `${runs}/manifest.json`) as { stages: unknown }).stages).toEqual({
      silver: {
        status: 'SUCCEEDED',
        stepId: 's-SILVER',
        stepLogUri: 's3://aqi-logs/emr/j-CLUSTER/steps/s-SILVER/',
        resultKey: `${runs}/results/silver.json`,
        durationSeconds: 90,
        rowsRead: 1000,
        rowsWritten: 500,
        rowsRejected: 0,
        rowsDuplicate: 10,
        phases: null,
        apiRequests: null,
        error: null,
      },
      gold: {
        status: 'FAILED',
        stepId: 's-GOLD',
        stepLogUri: 's3://aqi-logs/emr/j-CLUSTER/steps/s-GOLD/',
        resultKey: `${runs}/results/gold.json`,
        durationSeconds: null,
        rowsRead: null,
        rowsWritten: null,
        rowsRejected: null,
        rowsDuplicate: null,
        phases: null,
        apiRequests: null,
        error: null,
      },
    });
  });

  test('a failure whose Cause names no stage step (a timeout) leaves the stages that did not run as null', async () => {
    const store = await lakeAfterFanIn([JAN, FEB]);
    store.objects.delete(`${LAKE}/${runs}/results/silver.json`);
    store.objects.delete(`${LAKE}/${runs}/results/gold.json`);

    await finalizeBackfill(event({ outcome: 'FAILED', steps: {}, error: { Error: 'States.Timeout', Cause: 'Task timed out' } }), deps(store));

    expect((store.json(LAKE, `${runs}/manifest.json`) as { stages: unknown }).stages).toEqual({ silver: null, gold: null });
  });

  test('a tripped Silver quality gate is recorded with its rule and figures, and the cause quotes Silver’s error', async () => {
    // GIVEN Silver's FAILED result from a tripped gate
    const store = await lakeAfterFanIn([JAN, FEB]);
    const error = { type: 'QualityGateTrippedError', message: 'silver quality gate tripped: rejectedShare: 3 of 5 rows rejected (60.0%), above the limit 20.0%.' };
    const qualityGate = { passed: false, checks: [{ rule: 'rejectedShare' as const, passed: false, limit: 0.2, share: 0.6, rowsRejected: 3, rowsRead: 5 }] };
    store.objects.set(`${LAKE}/${runs}/results/silver.json`, JSON.stringify({ ...stageResult({ stage: 'silver', mode: 'range', rowsWritten: 0 }), status: 'FAILED', error, qualityGate }));
    store.objects.delete(`${LAKE}/${runs}/results/gold.json`);

    // WHEN the teardown records the failed run
    const result = await finalizeBackfill(event({ outcome: 'FAILED', steps: {}, error: { Error: 'States.TaskFailed', Cause: stepFailureCause('s-SILVER2', 'silver') } }), deps(store));

    // THEN
    expect(result.qualityGate).toEqual(qualityGate);
    expect(result.cause).toBe(`Backfill ${RUN_ID}: the run stopped on States.TaskFailed; stage(s) silver failed (silver: QualityGateTrippedError: ${error.message})`);
    expect((store.json(LAKE, `${runs}/manifest.json`) as { stages: { silver: unknown } }).stages.silver).toMatchObject({ status: 'FAILED', error, qualityGate });
  });

  test('a Silver step that ran but left no result is recorded as FAILED', async () => {
    const store = await lakeAfterFanIn([JAN, FEB]);
    store.objects.delete(`${LAKE}/${runs}/results/silver.json`);
    const result = await finalizeBackfill(event(), deps(store));
    expect(result.status).toBe('FAILED');
    expect(result.cause).toBe(`Backfill ${RUN_ID}: stage(s) silver failed`);
  });
});
