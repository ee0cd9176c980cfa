import * as z from 'zod';
import { chunkResultKey, chunkResultPrefix, manifestKey, stepLogUri } from '../../core/layout';
import type { ObjectStore } from '../../core/ports';
import { type StageResult, StageResultSchema } from '../../core/stage-result';
import { type ChunkStepRecord, ChunkStepRecordSchema, chunkStepRecordKey, chunkStepRecordPrefix } from '../../core/backfill/chunk-record';
import type { Chunk } from '../../core/backfill/chunks';
import { type BackfillPlan, planKey } from '../../core/backfill/plan';
import { BACKFILL_RUN_ID_PATTERN } from '../../core/backfill/run-id';
import { unreadableSourceRecord } from '../../core/backfill/unreadable-sources';
import { type BackfillManifest, type ChunkRecord } from '../../core/manifest';

export const FanInEventSchema = z.object({
  runId: z.string().regex(BACKFILL_RUN_ID_PATTERN, 'must be a backfill run id'),
  clusterId: z.string().min(1),
});

export type FanInEvent = z.infer<typeof FanInEventSchema>;

/** What the state machine keeps: enough to decide the outcome and to tell the operator what to rerun. */
export interface FanInResult {
  readonly chunkCount: number;
  readonly succeededChunkCount: number;
  readonly failedChunks: readonly string[];
  readonly reprocessInput: Record<string, unknown> | null;
  /** Archive files the chunks could not read, each listed in the manifest's `unreadableSources`. */
  readonly unreadableSourceCount: number;
}

export interface FanInDeps {
  readonly store: ObjectStore;
  readonly lakeBucket: string;
  readonly emrLogUri: string;
  readonly now: () => Date;
}

/** S3 GETs in flight at once: plenty for a few thousand small objects inside the Lambda timeout. */
const READ_CONCURRENCY = 16;

/**
 * Checks every planned chunk against what the steps left in S3 and writes the manifest. A chunk counts
 * as succeeded only with a SUCCEEDED result: a missing, FAILED or unreadable result fails it.
 */
export async function fanIn(event: FanInEvent, deps: FanInDeps): Promise<FanInResult> {
  const plan = await readPlan(deps, event.runId);
  const [resultKeys, recordKeys] = await Promise.all([
    deps.store.listKeys(deps.lakeBucket, chunkResultPrefix('backfill', event.runId)),
    deps.store.listKeys(deps.lakeBucket, chunkStepRecordPrefix(event.runId)),
  ]);
  const present = new Set([...resultKeys, ...recordKeys]);
  const read = await mapLimit(plan.chunks, READ_CONCURRENCY, async (chunk) => {
    const resultKey = chunkResultKey('backfill', event.runId, chunk.id);
    const recordKey = chunkStepRecordKey(event.runId, chunk.id);
    const [result, record] = await Promise.all([
      present.has(resultKey) ? readResult(deps, resultKey) : Promise.resolve<ReadResult>({ kind: 'missing' }),
      present.has(recordKey) ? readRecord(deps, recordKey) : Promise.resolve(undefined),
    ]);
    const outcome = chunkOutcome(chunk, result, record, (stepId) => stepLogUri(deps.emrLogUri, event.clusterId, stepId));
    const unreadable = result.kind === 'read' ? (result.result.unreadableSources ?? []) : [];
    return { outcome, unreadable: unreadable.map((file) => unreadableSourceRecord(chunk.id, file)) };
  });
  const outcomes = read.map((r) => r.outcome);
  const unreadableSources = read.flatMap((r) => r.unreadable);
  const failedChunks = outcomes.filter((o) => o.status === 'FAILED').map((o) => o.chunkId);
  const reprocessInput = failedChunks.length > 0 ? { ...plan.input, reprocessFailedOf: plan.runId } : null;
  const manifest: BackfillManifest = {
    pipeline: 'backfill',
    runId: plan.runId,
    status: 'RUNNING',
    input: plan.input,
    window: plan.window,
    clusterId: event.clusterId,
    chunks: outcomes,
    failedChunks,
    reprocessInput,
    unreadableSources,
    stages: { silver: null, gold: null },
    error: null,
    updatedAt: deps.now().toISOString(),
  };
  await deps.store.putText(deps.lakeBucket, manifestKey('backfill', plan.runId), JSON.stringify(manifest, null, 2), 'application/json');
  return {
    chunkCount: outcomes.length,
    succeededChunkCount: outcomes.length - failedChunks.length,
    failedChunks,
    reprocessInput,
    unreadableSourceCount: unreadableSources.length,
  };
}

type ReadResult = { kind: 'missing' } | { kind: 'unreadable'; reason: string } | { kind: 'read'; result: StageResult };

async function readPlan(deps: FanInDeps, runId: string): Promise<BackfillPlan> {
  const text = await deps.store.getText(deps.lakeBucket, planKey(runId));
  if (text === undefined) throw new Error(`The plan of ${runId} is missing at s3://${deps.lakeBucket}/${planKey(runId)}: was this run started by plan-backfill?`);
  return JSON.parse(text) as BackfillPlan;
}

async function readResult(deps: FanInDeps, key: string): Promise<ReadResult> {
  const text = await deps.store.getText(deps.lakeBucket, key);
  if (text === undefined) return { kind: 'missing' };
  try {
    const parsed = StageResultSchema.safeParse(JSON.parse(text));
    if (parsed.success) return { kind: 'read', result: parsed.data };
    return { kind: 'unreadable', reason: `the stage result at ${key} does not match the contract (${parsed.error.issues[0].path.join('.')}: ${parsed.error.issues[0].message})` };
  } catch {
    return { kind: 'unreadable', reason: `the stage result at ${key} is not JSON` };
  }
}

async function readRecord(deps: FanInDeps, key: string): Promise<ChunkStepRecord | undefined> {
  const text = await deps.store.getText(deps.lakeBucket, key);
  if (text === undefined) return undefined;
  const parsed = ChunkStepRecordSchema.safeParse(JSON.parse(text));
  return parsed.success ? parsed.data : undefined;
}

export function chunkOutcome(chunk: Chunk, read: ReadResult, record: ChunkStepRecord | undefined, logUriOf: (stepId: string) => string): ChunkRecord {
  const stepId = record?.stepId ?? null;
  const base = { chunkId: chunk.id, start: chunk.start, end: chunk.end, stepId, stepLogUri: stepId ? logUriOf(stepId) : null };
  if (read.kind === 'read') {
    const { result } = read;
    return {
      ...base,
      status: result.status,
      rowsRead: result.rowsRead,
      rowsWritten: result.rowsWritten,
      durationSeconds: result.durationSeconds,
      phases: result.phases ?? null,
      failure: result.status === 'FAILED' ? `${result.error?.type ?? 'Error'}: ${result.error?.message ?? 'the step reported FAILED without an error'}` : null,
    };
  }
  const why = read.kind === 'unreadable' ? read.reason : record?.error ? describeStepError(record.error.error, record.error.cause) : 'the step wrote no result';
  return { ...base, status: 'FAILED', rowsRead: null, rowsWritten: null, durationSeconds: null, phases: null, failure: why };
}

interface EmrStepCause {
  Step?: { Id?: string; Status?: { State?: string; FailureDetails?: { Reason?: string; Message?: string; LogFile?: string } } };
}

/**
 * One line for the manifest. A failed `addStep.sync` carries the EMR step description as its Cause;
 * what matters from it is the state and EMR's failure reason, not the JSON.
 */
export function describeStepError(error: string, cause: string): string {
  try {
    const step = (JSON.parse(cause) as EmrStepCause).Step;
    if (step?.Status?.State) {
      const details = step.Status.FailureDetails;
      const reason = [details?.Reason, details?.Message].filter(Boolean).join(': ');
      return `${error}: EMR step ${step.Id ?? '(no id)'} ${step.Status.State}${reason ? ` (${firstLine(reason)})` : ''}`;
    }
  } catch {
    // Not JSON: a plain message, as for timeouts and API errors.
  }
  return cause ? `${error}: ${firstLine(cause)}` : error;
}

function firstLine(text: string): string {
  const line = text.split('\n')[0];
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
