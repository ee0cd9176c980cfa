import { recordChunkStep } from '../../../lambdas/backfill-record-chunk/core';
import { describeStepError, fanIn } from '../../../lambdas/fan-in/core';
import { MemoryObjectStore } from '../../workflow/support/memory-ports';
import { FEB, JAN, LAKE, MAR, RUN_ID, stageResult, writtenPlan } from '../../core/backfill/fixtures';

const LOGS = 's3://aqi-logs/emr/';
const runs = `runs/backfill/${RUN_ID}`;

function lakeWith(chunks = [JAN, FEB, MAR]) {
  const store = new MemoryObjectStore();
  store.objects.set(`${LAKE}/${runs}/plan.json`, JSON.stringify(writtenPlan(chunks)));
  return store;
}

const deps = (store: MemoryObjectStore) => ({ store, lakeBucket: LAKE, emrLogUri: LOGS, now: () => new Date('2025-10-20T15:00:00Z') });
const putResult = (store: MemoryObjectStore, chunkId: string, overrides = {}) =>
  store.objects.set(`${LAKE}/${runs}/results/bronze/${chunkId}.json`, JSON.stringify(stageResult({ chunkId, ...overrides })));
const record = (store: MemoryObjectStore, chunkId: string, extra: object) =>
  recordChunkStep({ runId: RUN_ID, chunkId, ...extra }, store, LAKE, new Date('2025-10-20T14:00:00Z'));

describe('fan-in', () => {
  test('every chunk with a SUCCEEDED result: nothing to reprocess, manifest lists rows, phases, step ids and log folders', async () => {
    const store = lakeWith();
    const phases = [{ kind: 'read' as const, name: 'decode archive files', seconds: 12.5 }];
    for (const [chunk, step] of [[JAN, 's-JAN'], [FEB, 's-FEB'], [MAR, 's-MAR']] as const) {
      putResult(store, chunk.id, { phases });
      await record(store, chunk.id, { step: { StepId: step } });
    }
    const result = await fanIn({ runId: RUN_ID, clusterId: 'j-CLUSTER' }, deps(store));
    expect(result).toEqual({ chunkCount: 3, succeededChunkCount: 3, failedChunks: [], reprocessInput: null, unreadableSourceCount: 0 });
    const manifest = store.json(LAKE, `${runs}/manifest.json`) as { chunks: unknown[]; status: string };
    expect(manifest.status).toBe('RUNNING');
    expect(manifest.chunks[0]).toEqual({
      chunkId: JAN.id,
      start: JAN.start,
      end: JAN.end,
      status: 'SUCCEEDED',
      rowsRead: 1000,
      rowsWritten: 990,
      durationSeconds: 90,
      phases,
      stepId: 's-JAN',
      stepLogUri: 's3://aqi-logs/emr/j-CLUSTER/steps/s-JAN/',
      failure: null,
    });
  });

  test('archive files a chunk could not read are listed in the manifest with their chunk and a one-day, one-location retry input; the chunk still succeeds', async () => {
    const store = lakeWith([JAN, FEB]);
    const truncated = { key: 'records/csv.gz/locationid=2178/year=2024/month=01/location-2178-20240117.csv.gz', reason: 'truncated gzip: the compressed stream ends early', rejectedLines: 40 };
    const foreign = { key: 'somewhere/else.csv.gz', reason: 'no header line: the gzip stream holds no CSV text', rejectedLines: 0 };
    putResult(store, JAN.id, { unreadableSources: [truncated, foreign] });
    putResult(store, FEB.id, { unreadableSources: [] });

    const result = await fanIn({ runId: RUN_ID, clusterId: 'j-CLUSTER' }, deps(store));

    expect(result).toMatchObject({ failedChunks: [], unreadableSourceCount: 2 });
    expect((store.json(LAKE, `${runs}/manifest.json`) as { unreadableSources: unknown }).unreadableSources).toEqual([
      { ...truncated, chunkId: JAN.id, retryInput: { startDate: '2024-01-17', endDate: '2024-01-17', chunk: 'day', locations: [2178] } },
      // A key not in the archive's layout: listed all the same, with no input to retry it.
      { ...foreign, chunkId: JAN.id, retryInput: null },
    ]);
  });

  test('a missing result, a FAILED result and an unreadable result each fail their chunk, with the reason', async () => {
    const store = lakeWith();
    await record(store, JAN.id, { failure: { Error: 'States.Timeout', Cause: 'Task timed out after 3600 seconds' } });
    putResult(store, FEB.id, { status: 'FAILED', error: { type: 'ArchiveReadError', message: 'Access Denied on s3://openaq-data-archive/...' } });
    store.objects.set(`${LAKE}/${runs}/results/bronze/${MAR.id}.json`, '{"stage": "bronze"');
    const result = await fanIn({ runId: RUN_ID, clusterId: 'j-CLUSTER' }, deps(store));
    expect(result.failedChunks).toEqual([JAN.id, FEB.id, MAR.id]);
    const manifest = store.json(LAKE, `${runs}/manifest.json`) as { chunks: { failure: string }[] };
    expect(manifest.chunks.map((c) => c.failure)).toEqual([
      'States.Timeout: Task timed out after 3600 seconds',
      'ArchiveReadError: Access Denied on s3://openaq-data-archive/...',
      `the stage result at ${runs}/results/bronze/${MAR.id}.json is not JSON`,
    ]);
  });

  test('the reprocess input is the original input plus reprocessFailedOf this run', async () => {
    const store = lakeWith();
    putResult(store, JAN.id);
    putResult(store, MAR.id);
    const result = await fanIn({ runId: RUN_ID, clusterId: 'j-CLUSTER' }, deps(store));
    expect(result.failedChunks).toEqual([FEB.id]);
    expect(result.reprocessInput).toEqual({ startDate: '2024-01-01', endDate: '2024-03-31', reprocessFailedOf: RUN_ID });
    expect((store.json(LAKE, `${runs}/manifest.json`) as { failedChunks: string[] }).failedChunks).toEqual([FEB.id]);
  });

  test('a failed step records the step id found in the Step Functions cause', async () => {
    const store = lakeWith([JAN]);
    await record(store, JAN.id, { failure: { Error: 'States.TaskFailed', Cause: '{"Step":{"Id":"s-2B7QX1","Status":{"State":"FAILED"}}}' } });
    await fanIn({ runId: RUN_ID, clusterId: 'j-CLUSTER' }, deps(store));
    const manifest = store.json(LAKE, `${runs}/manifest.json`) as { chunks: { stepId: string; stepLogUri: string }[] };
    expect(manifest.chunks[0].stepId).toBe('s-2B7QX1');
    expect(manifest.chunks[0].stepLogUri).toBe('s3://aqi-logs/emr/j-CLUSTER/steps/s-2B7QX1/');
  });

  test('an EMR step failure is summarised from the step description in the cause, with EMR’s reason', () => {
    const cause = JSON.stringify({ Step: { Id: 's-9Z', Status: { State: 'FAILED', FailureDetails: { Reason: 'Unknown error.', Message: 'Exit code 1' } } } });
    expect(describeStepError('States.TaskFailed', cause)).toBe('States.TaskFailed: EMR step s-9Z FAILED (Unknown error.: Exit code 1)');
  });

  test('a result for a chunk the plan does not list is ignored: only planned chunks count', async () => {
    const store = lakeWith([JAN]);
    putResult(store, JAN.id);
    putResult(store, FEB.id);
    expect(await fanIn({ runId: RUN_ID, clusterId: 'j-CLUSTER' }, deps(store))).toEqual({ chunkCount: 1, succeededChunkCount: 1, failedChunks: [], reprocessInput: null, unreadableSourceCount: 0 });
  });

  test('a run without a plan is an error naming where the plan should be', async () => {
    await expect(fanIn({ runId: RUN_ID, clusterId: 'j-CLUSTER' }, deps(new MemoryObjectStore()))).rejects.toThrow(
      `The plan of ${RUN_ID} is missing at s3://${LAKE}/${runs}/plan.json: was this run started by plan-backfill?`,
    );
  });
});
