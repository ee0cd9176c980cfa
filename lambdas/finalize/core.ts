import { ERROR_NAMES, PipelineError } from '../../core/errors';
import { parseInput } from '../../core/input';
import { manifestKey, type Pipeline, type Stage, STAGES, stageResultKey, stepLogUri } from '../../core/layout';
import type { ClusterUsageSource, Logger, MetricDatum, MetricsSink, ObjectStore, PipelineStateStore } from '../../core/ports';
import type { RunPriceTable } from '../../core/pricing';
import { type ManifestCost, readRunCost } from '../../core/run-cost';
import { type QualityGate, type StageResult, StageResultSchema } from '../../core/stage-result';
import { type FailedStageStep, failedStageStepInCause, stepIdOf } from '../../core/step-cause';
import { RUN_OUTCOME_METRIC, watermarkAgeMetric } from '../../core/metrics';
import { type HourlyManifest, type StageRecord, stageRecord } from '../../core/manifest';
import { type FinalizeInput, FinalizeInputSchema } from '../../core/finalize-input';
import { advanceHourlyWatermark, recordCatchUpBackfill } from '../../core/watermark';

/**
 * The hourly manifest (core/manifest.ts). The schema allows a backfill's too: the shared teardown shape lets
 * finalize record one, keeping the chunks its fan-in wrote.
 */
type FinalizedManifest = Omit<HourlyManifest, 'pipeline'> & { pipeline: Pipeline };

export interface FinalizeSettings {
  readonly lakeBucket: string;
  /** The clusters' `LogUri`, ending in `/`. */
  readonly emrLogUri: string;
  readonly metricsNamespace: string;
  /** The configured instance types' prices, dated (lib/pricing/, passed as `PRICE_TABLE`). */
  readonly prices: RunPriceTable;
}

export interface FinalizeDeps {
  readonly objects: ObjectStore;
  readonly state: PipelineStateStore;
  readonly metrics: MetricsSink;
  /** EMR's record of the cluster's instances, for the run's cost. */
  readonly usage: ClusterUsageSource;
  readonly log: Logger;
  readonly settings: FinalizeSettings;
  readonly now: Date;
}

export interface FinalizeResult {
  manifestKey: string;
  status: HourlyManifest['status'];
  watermarkAdvanced: boolean;
  /** Each stage's own error, from its result, when any stage wrote one: the failure notification carries them (lib/workflow/teardown.ts). */
  stageErrors?: Partial<Record<Stage, { type: string; message: string }>>;
  /** Silver's quality gate when it tripped: the rule and its figures, for the notification. */
  qualityGate?: QualityGate;
}

/**
 * Records how a run ended, for both pipelines: reads each stage's result from S3 and the cluster's
 * instance-seconds from EMR (priced into `cost`), writes the manifest,
 * moves the hourly watermark over the hours a successful run processed (rules in `watermark.ts`),
 * records a catch-up backfill the run started, and publishes metrics, the watermark's age included.
 * A skipped run (lock held) is recorded too, so consecutive skips are counted.
 *
 * A stage with a step in `steps` must have a SUCCEEDED result when the outcome is SUCCEEDED; otherwise
 * the step "succeeded" without doing its work and the run fails with `StageResultMissing`.
 * Fields of an existing manifest that finalize does not own (a backfill's chunks, written by its fan-in
 * Lambda) are kept.
 */
export async function finalizeRun(rawInput: unknown, deps: FinalizeDeps): Promise<FinalizeResult> {
  const input = parseInput(FinalizeInputSchema, rawInput, ERROR_NAMES.invalidFinalizeInput, 'finalize input');
  const { settings } = deps;
  const runId = input.plan.runId;
  const stages: Partial<Record<Stage, StageRecord>> = {};
  const results: Partial<Record<Stage, StageResult>> = {};
  const failedStep = failedStageStepInCause(input.error?.Cause);
  for (const stage of STAGES) {
    const key = stageResultKey(input.pipeline, runId, stage);
    const result = await readResult(deps.objects, settings.lakeBucket, key, input.outcome === 'SUCCEEDED');
    if (result !== undefined) results[stage] = result;
    stages[stage] = stageLine(input, stage, key, result, settings.emrLogUri, failedStep?.stage === stage ? failedStep : null);
  }
  if (input.outcome === 'SUCCEEDED') assertStagesDone(input, stages);

  const key = manifestKey(input.pipeline, runId);
  const existing = await readExistingManifest(deps.objects, settings.lakeBucket, key);
  const finishedAt = deps.now.toISOString();
  const durationSeconds = Math.max(0, (deps.now.getTime() - Date.parse(input.executionStartTime)) / 1000);
  const catchUpBackfill = catchUpRecord(input);
  const cost = await readRunCost(input.clusterId, deps.usage, settings.prices, deps.now, deps.log);
  const manifest: FinalizedManifest = {
    ...existing,
    pipeline: input.pipeline,
    runId,
    status: input.outcome,
    executionArn: input.executionArn,
    startedAt: input.executionStartTime,
    finishedAt,
    durationSeconds,
    input: input.plan.input ?? null,
    window: input.plan.window ?? null,
    clusterId: input.clusterId,
    stages,
    cost,
    error: input.error && { error: input.error.Error, cause: input.error.Cause ?? null },
    ...(input.outcome === 'SKIPPED' && { heldBy: lockHolderOf(input) }),
    ...(catchUpBackfill && { catchUpBackfill }),
  };
  await deps.objects.putText(settings.lakeBucket, key, `${JSON.stringify(manifest, null, 2)}\n`);
  const watermarkAdvanced = await advanceHourlyWatermark(input, stages, deps.state, finishedAt);
  if (catchUpBackfill) await recordCatchUpBackfill(deps.state, catchUpBackfill.executionArn, catchUpBackfill.watermarkTo);
  const metrics = runMetrics(input, results, durationSeconds, cost);
  if (input.pipeline === 'hourly') metrics.push(...watermarkAgeMetric(await deps.state.getWatermark('hourly'), deps.now));
  await deps.metrics.putMetrics(settings.metricsNamespace, metrics);
  deps.log.info('finalized run', { runId, status: input.outcome, manifestKey: key, watermarkAdvanced, catchUpBackfill });
  const stageErrors = Object.fromEntries(STAGES.flatMap((stage) => (results[stage]?.error ? [[stage, results[stage].error]] : [])));
  const gate = results.silver?.qualityGate;
  return {
    manifestKey: key,
    status: input.outcome,
    watermarkAdvanced,
    ...(Object.keys(stageErrors).length > 0 && { stageErrors }),
    ...(gate?.passed === false && { qualityGate: gate }),
  };
}

/** The backfill this run started for a long outage: its execution, input and where it moves the watermark. */
function catchUpRecord(input: FinalizeInput) {
  const planned = input.plan.catchUpBackfill;
  if (input.catchUpExecution === undefined || planned == null) return undefined;
  return {
    executionArn: input.catchUpExecution.ExecutionArn,
    input: planned.input,
    gapHours: planned.gapHours,
    watermarkFrom: input.plan.watermark ?? null,
    watermarkTo: planned.watermarkTo,
  };
}

function lockHolderOf(input: FinalizeInput): Record<string, string> | null {
  const item = input.lockHolder?.Item;
  if (item === undefined) return null;
  return Object.fromEntries(['holder', 'runId', 'pipeline', 'acquiredAt'].map((k) => [k, item[k]?.S ?? '']));
}

async function readResult(
  objects: ObjectStore,
  bucket: string,
  key: string,
  strict: boolean,
): Promise<StageResult | undefined> {
  const text = await objects.getText(bucket, key);
  if (text === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = StageResultSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  if (!strict) return undefined;
  const detail = parsed.error.issues.map((i) => `${i.path.join('.') || '(document)'}: ${i.message}`).join('; ');
  throw new PipelineError(
    ERROR_NAMES.stageResultInvalid,
    `stage result s3://${bucket}/${key} does not follow the stage result contract: ${json === undefined ? 'not JSON' : detail}`,
  );
}

function stageLine(
  input: FinalizeInput,
  stage: Stage,
  resultKey: string,
  result: StageResult | undefined,
  emrLogUri: string,
  failedStep: FailedStageStep | null,
): StageRecord {
  // A failed step writes nothing to `$.steps`: the error's Cause is where its id is.
  const stepId = stepIdOf(input.steps[stage]) ?? failedStep?.stepId ?? null;
  const skipped = input.plan.skip?.[stage] === true;
  const status = result?.status ?? (failedStep ? 'FAILED' : skipped ? 'SKIPPED' : stage in input.steps ? 'MISSING' : 'NOT_RUN');
  const logUri = stepId !== null && input.clusterId !== null ? stepLogUri(emrLogUri, input.clusterId, stepId) : null;
  return stageRecord(status, { stepId, stepLogUri: logUri, resultKey }, result);
}

function assertStagesDone(input: FinalizeInput, stages: Partial<Record<Stage, StageRecord>>): void {
  const broken = STAGES.filter((stage) => stage in input.steps && stages[stage]?.status !== 'SUCCEEDED');
  if (broken.length === 0) return;
  const detail = broken
    .map((stage) => `${stage} is ${stages[stage]?.status} (expected a SUCCEEDED result at ${stages[stage]?.resultKey})`)
    .join('; ');
  throw new PipelineError(
    ERROR_NAMES.stageResultMissing,
    `run ${input.plan.runId}: the EMR step succeeded but its stage result says otherwise: ${detail}. See the step's stderr in the manifest.`,
  );
}

async function readExistingManifest(objects: ObjectStore, bucket: string, key: string): Promise<Record<string, unknown>> {
  const text = await objects.getText(bucket, key);
  if (text === undefined) return {};
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function runMetrics(
  input: FinalizeInput,
  results: Partial<Record<Stage, StageResult>>,
  durationSeconds: number,
  cost: ManifestCost,
): MetricDatum[] {
  const pipeline = { Pipeline: input.pipeline };
  const metrics: MetricDatum[] = [
    { name: RUN_OUTCOME_METRIC[input.outcome], value: 1, unit: 'Count', dimensions: pipeline },
    { name: 'RunDurationSeconds', value: durationSeconds, unit: 'Seconds', dimensions: pipeline },
  ];
  if (cost !== null && 'estimatedUsd' in cost && cost.estimatedUsd !== null) {
    metrics.push({ name: 'RunEstimatedCostUsd', value: cost.estimatedUsd.total, unit: 'None', dimensions: pipeline });
  }
  for (const stage of STAGES) {
    const result = results[stage];
    if (result === undefined) continue;
    const dimensions = { ...pipeline, Stage: stage };
    metrics.push(
      { name: 'StageDurationSeconds', value: result.durationSeconds, unit: 'Seconds', dimensions },
      { name: 'RowsWritten', value: result.rowsWritten, unit: 'Count', dimensions },
      { name: 'RowsRejected', value: result.rowsRejected, unit: 'Count', dimensions },
    );
  }
  return metrics;
}
