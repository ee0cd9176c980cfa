import { z } from 'zod';
import { manifestKey, stageResultKey } from '../shared/layout';
import type { ObjectStore } from '../shared/ports';
import { StageResultSchema } from '../shared/stage-result';
import { type BackfillManifest, BackfillManifestSchema, type StageOutcome, stepLogUri } from '../fan-in/manifest';
import { type BackfillPlan, planKey } from '../plan-backfill/plan';
import { BACKFILL_RUN_ID_PATTERN } from '../plan-backfill/run-id';

const StepOutput = z.object({ StepId: z.string() }).partial().passthrough().nullish();

export const FinalizeBackfillEventSchema = z.object({
  runId: z.string().regex(BACKFILL_RUN_ID_PATTERN, 'must be a backfill run id'),
  clusterId: z.string().nullish(),
  steps: z.object({ silver: StepOutput, gold: StepOutput }).partial().nullish(),
  /** Set on the teardown path: the error that stopped the run. */
  failure: z.object({ Error: z.string(), Cause: z.string().nullish() }).nullish(),
});

export type FinalizeBackfillEvent = z.infer<typeof FinalizeBackfillEventSchema>;

export interface FinalizeBackfillResult {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly failedChunks: readonly string[];
  readonly reprocessInput: Record<string, unknown> | null;
  /** For the Fail state: what failed and the input that reruns it, as one readable string. */
  readonly cause: string;
}

export interface FinalizeBackfillDeps {
  readonly store: ObjectStore;
  readonly lakeBucket: string;
  readonly emrLogUri: string;
  readonly now: () => Date;
}

/**
 * Completes the manifest the fan-in started (or starts one when Bronze did not run) with the Silver and
 * Gold outcomes and the final status. A run with failed chunks is FAILED even though its good data went
 * through Silver and Gold: the operator must rerun the failed chunks.
 */
export async function finalizeBackfill(event: FinalizeBackfillEvent, deps: FinalizeBackfillDeps): Promise<FinalizeBackfillResult> {
  const manifest = (await readManifest(deps, event.runId)) ?? (await manifestFromPlan(deps, event.runId, event.clusterId ?? null));
  const clusterId = event.clusterId ?? manifest.clusterId;
  const stages = {
    silver: await stageOutcome(deps, event.runId, 'silver', event.steps?.silver?.StepId, clusterId),
    gold: await stageOutcome(deps, event.runId, 'gold', event.steps?.gold?.StepId, clusterId),
  };
  const stageFailed = Object.entries(stages).filter(([, o]) => o?.status === 'FAILED').map(([s]) => s);
  const failed = event.failure != null || manifest.failedChunks.length > 0 || stageFailed.length > 0;
  const final: BackfillManifest = { ...manifest, clusterId, stages, status: failed ? 'FAILED' : 'SUCCEEDED', updatedAt: deps.now().toISOString() };
  await deps.store.putText(deps.lakeBucket, manifestKey('backfill', event.runId), JSON.stringify(final, null, 2), 'application/json');
  return {
    status: final.status === 'FAILED' ? 'FAILED' : 'SUCCEEDED',
    failedChunks: final.failedChunks,
    reprocessInput: final.reprocessInput,
    cause: describeOutcome(final, event.failure?.Error, stageFailed),
  };
}

function describeOutcome(manifest: BackfillManifest, error: string | undefined, stageFailed: string[]): string {
  const parts: string[] = [];
  if (error) parts.push(`the run stopped on ${error}`);
  if (stageFailed.length > 0) parts.push(`stage(s) ${stageFailed.join(', ')} failed`);
  if (manifest.failedChunks.length > 0) {
    parts.push(
      `${manifest.failedChunks.length} of ${manifest.chunks.length} Bronze chunks failed (${manifest.failedChunks.join(', ')}); the other chunks went through Silver and Gold. Start a new execution with this input to rerun only the failed chunks: ${JSON.stringify(manifest.reprocessInput)}`,
    );
  }
  return parts.length > 0 ? `Backfill ${manifest.runId}: ${parts.join('; ')}` : `Backfill ${manifest.runId} succeeded`;
}

async function readManifest(deps: FinalizeBackfillDeps, runId: string): Promise<BackfillManifest | undefined> {
  const text = await deps.store.getText(deps.lakeBucket, manifestKey('backfill', runId));
  return text === undefined ? undefined : BackfillManifestSchema.parse(JSON.parse(text));
}

/** Bronze skipped or the run stopped before the fan-in: the manifest starts from the plan. */
async function manifestFromPlan(deps: FinalizeBackfillDeps, runId: string, clusterId: string | null): Promise<BackfillManifest> {
  const text = await deps.store.getText(deps.lakeBucket, planKey(runId));
  if (text === undefined) throw new Error(`Neither a manifest nor a plan exists for ${runId} under s3://${deps.lakeBucket}/runs/backfill/${runId}/`);
  const plan = JSON.parse(text) as BackfillPlan;
  return {
    pipeline: 'backfill',
    runId,
    status: 'RUNNING',
    input: plan.input,
    window: plan.window,
    clusterId: clusterId ?? '',
    chunks: [],
    failedChunks: [],
    reprocessInput: null,
    stages: { silver: null, gold: null },
    updatedAt: deps.now().toISOString(),
  };
}

async function stageOutcome(
  deps: FinalizeBackfillDeps,
  runId: string,
  stage: 'silver' | 'gold',
  stepId: string | undefined,
  clusterId: string,
): Promise<StageOutcome | null> {
  const text = await deps.store.getText(deps.lakeBucket, stageResultKey('backfill', runId, stage));
  if (text === undefined && !stepId) return null;
  const parsed = text === undefined ? undefined : StageResultSchema.safeParse(JSON.parse(text));
  const result = parsed?.success ? parsed.data : undefined;
  return {
    status: result?.status ?? 'FAILED',
    stepId: stepId ?? null,
    logUri: stepId && clusterId ? stepLogUri(deps.emrLogUri, clusterId, stepId) : null,
    durationSeconds: result?.durationSeconds ?? null,
    rowsRead: result?.rowsRead ?? null,
    rowsWritten: result?.rowsWritten ?? null,
    rowsRejected: result?.rowsRejected ?? null,
  };
}
