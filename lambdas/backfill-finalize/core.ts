import { manifestKey, s3Uri, stageResultKey, stepLogUri } from '../../core/layout';
import { UNREADABLE_SOURCE_FILES_METRIC } from '../../core/metrics';
import type { ClusterUsageSource, Logger, MetricsSink, ObjectStore, PipelineStateStore } from '../../core/ports';
import type { RunPriceTable } from '../../core/pricing';
import { readRunCost } from '../../core/run-cost';
import { completeCatchUpBackfill } from '../../core/watermark';
import { type QualityGate, StageResultSchema } from '../../core/stage-result';
import { failedStageStepInCause, stepIdOf } from '../../core/step-cause';
import { type BackfillManifest, BackfillManifestSchema, type StageRecord, stageRecord } from '../../core/manifest';
import { type BackfillPlan, planKey } from '../../core/backfill/plan';
import { type UnreadableSourcesNotice, unreadableSourcesNotice } from '../../core/backfill/unreadable-sources';
import * as z from 'zod';
import { FinalizeInputSchema } from '../../core/finalize-input';

/**
 * The backfill takes the same payload as the hourly finalize (lib/workflow/finalize.ts `finalizeTask`,
 * `FinalizeInputSchema`), so the shared teardown can record a failed backfill with this function.
 */
export const FinalizeBackfillEventSchema = FinalizeInputSchema;

export type FinalizeBackfillEvent = z.output<typeof FinalizeBackfillEventSchema>;

export interface FinalizeBackfillResult {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly failedChunks: readonly string[];
  readonly reprocessInput: Record<string, unknown> | null;
  /** For the Fail state: what failed and the input that reruns it, as one readable string. */
  readonly cause: string;
  /** Archive files the run's Bronze chunks could not read (the manifest's `unreadableSources`). */
  readonly unreadableSourceCount: number;
  /**
   * When any: what the state machine publishes after releasing the lock (`Notify unreadable source
   * files`), on a successful run too: the first files by name, their retry inputs and the manifest.
   */
  readonly unreadableSources?: UnreadableSourcesNotice;
  /** Silver's quality gate when it tripped: the rule and its figures, for the failure notice. */
  readonly qualityGate?: QualityGate;
}

export interface FinalizeBackfillDeps {
  readonly store: ObjectStore;
  readonly lakeBucket: string;
  readonly emrLogUri: string;
  readonly now: () => Date;
  /**
   * The pipeline table: when this execution is the catch-up backfill an hourly run started, its success
   * moves the hourly watermark over the hours it covered (lambdas/finalize/watermark.ts). The handler and
   * the local runtime always pass it.
   */
  readonly state?: PipelineStateStore;
  /** EMR's record of the cluster's instances and the dated prices: the run's `cost`. */
  readonly usage: ClusterUsageSource;
  readonly prices: RunPriceTable;
  readonly log: Logger;
  /** Where `UnreadableSourceFiles` (Pipeline=backfill) goes, on every run: 0 included, so a graph shows it. */
  readonly metrics: { readonly sink: MetricsSink; readonly namespace: string };
}

/**
 * Completes the manifest the fan-in started (or starts one when Bronze did not run) with the Silver and
 * Gold outcomes and the final status. A run with failed chunks is FAILED even though its good data went
 * through Silver and Gold: the operator must rerun the failed chunks.
 */
export async function finalizeBackfill(event: FinalizeBackfillEvent, deps: FinalizeBackfillDeps): Promise<FinalizeBackfillResult> {
  const runId = event.plan.runId;
  const manifest = (await readManifest(deps, runId)) ?? (await manifestFromPlan(deps, runId, event.clusterId));
  const clusterId = event.clusterId ?? manifest.clusterId;
  // A failed stage step writes nothing to `$.steps`; its id is in the Cause the Catch recorded.
  const failedStep = failedStageStepInCause(event.error?.Cause);
  const stepIdFor = (stage: 'silver' | 'gold') =>
    stepIdOf(event.steps[stage]) ?? (failedStep?.stage === stage ? failedStep.stepId : undefined);
  const stages = {
    silver: await stageOutcome(deps, runId, 'silver', stepIdFor('silver'), clusterId),
    gold: await stageOutcome(deps, runId, 'gold', stepIdFor('gold'), clusterId),
  };
  const stageFailed = Object.entries(stages).filter(([, o]) => o?.status === 'FAILED').map(([s]) => s);
  const failed = event.outcome === 'FAILED' || manifest.failedChunks.length > 0 || stageFailed.length > 0;
  const now = deps.now();
  const final: BackfillManifest = {
    ...manifest,
    clusterId,
    stages,
    cost: await readRunCost(clusterId || null, deps.usage, deps.prices, now, deps.log),
    status: failed ? 'FAILED' : 'SUCCEEDED',
    error: event.error ? { error: event.error.Error, cause: event.error.Cause ?? null } : null,
    updatedAt: now.toISOString(),
  };
  await deps.store.putText(deps.lakeBucket, manifestKey('backfill', runId), JSON.stringify(final, null, 2), 'application/json');
  if (deps.state !== undefined && event.outcome === 'SUCCEEDED') {
    await completeCatchUpBackfill(deps.state, event.executionArn, runId, final.status === 'SUCCEEDED', final.updatedAt);
  }
  const unreadable = final.unreadableSources ?? [];
  await deps.metrics.sink.putMetrics(deps.metrics.namespace, [
    { name: UNREADABLE_SOURCE_FILES_METRIC, value: unreadable.length, unit: 'Count', dimensions: { Pipeline: 'backfill' } },
  ]);
  return {
    status: final.status === 'FAILED' ? 'FAILED' : 'SUCCEEDED',
    failedChunks: final.failedChunks,
    reprocessInput: final.reprocessInput,
    cause: describeOutcome(final, event.error?.Error, stageFailed),
    unreadableSourceCount: unreadable.length,
    ...(unreadable.length > 0 && {
      unreadableSources: unreadableSourcesNotice(runId, s3Uri(deps.lakeBucket, manifestKey('backfill', runId)), unreadable),
    }),
    ...(stages.silver?.qualityGate?.passed === false && { qualityGate: stages.silver.qualityGate }),
  };
}

const STAGE_NAMES = ['silver', 'gold'] as const;

function describeOutcome(manifest: BackfillManifest, error: string | undefined, stageFailed: string[]): string {
  const parts: string[] = [];
  if (error) parts.push(`the run stopped on ${error}`);
  if (stageFailed.length > 0) {
    const errors = STAGE_NAMES.flatMap((stage) => {
      const error = manifest.stages[stage]?.error;
      return error ? [`${stage}: ${error.type}: ${error.message}`] : [];
    });
    parts.push(`stage(s) ${stageFailed.join(', ')} failed${errors.length > 0 ? ` (${errors.join('; ')})` : ''}`);
  }
  if (manifest.failedChunks.length > 0) {
    parts.push(
      `${manifest.failedChunks.length} of ${manifest.chunks.length} Bronze chunks failed (${manifest.failedChunks.join(', ')}); the other chunks went through Silver and Gold. Start a new execution with this input to rerun only the failed chunks: ${JSON.stringify(manifest.reprocessInput)}`,
    );
  }
  const unreadable = manifest.unreadableSources?.length ?? 0;
  const skipped =
    unreadable === 0
      ? ''
      : `; ${unreadable} archive file${unreadable === 1 ? '' : 's'} could not be read and ${unreadable === 1 ? 'was' : 'were'} skipped (the manifest's unreadableSources lists each with its reason and the input that retries it)`;
  return parts.length > 0 ? `Backfill ${manifest.runId}: ${parts.join('; ')}${skipped}` : `Backfill ${manifest.runId} succeeded${skipped}`;
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
    clusterId,
    chunks: [],
    failedChunks: [],
    reprocessInput: null,
    stages: { silver: null, gold: null },
    error: null,
    updatedAt: deps.now().toISOString(),
  };
}

async function stageOutcome(
  deps: FinalizeBackfillDeps,
  runId: string,
  stage: 'silver' | 'gold',
  stepId: string | undefined,
  clusterId: string | null,
): Promise<StageRecord | null> {
  const resultKey = stageResultKey('backfill', runId, stage);
  const text = await deps.store.getText(deps.lakeBucket, resultKey);
  if (text === undefined && !stepId) return null;
  const parsed = text === undefined ? undefined : StageResultSchema.safeParse(JSON.parse(text));
  const result = parsed?.success ? parsed.data : undefined;
  const logUri = stepId && clusterId ? stepLogUri(deps.emrLogUri, clusterId, stepId) : null;
  return stageRecord(result?.status ?? 'FAILED', { stepId: stepId ?? null, stepLogUri: logUri, resultKey }, result);
}
