import { z } from 'zod';
import { QualityGateSchema, StagePhaseSchema } from '../../core/stage-result';
import { ManifestCostSchema } from '../../core/run-cost';

export const ChunkOutcomeSchema = z.object({
  chunkId: z.string(),
  start: z.string(),
  end: z.string(),
  status: z.enum(['SUCCEEDED', 'FAILED']),
  rowsRead: z.number().nullable(),
  rowsWritten: z.number().nullable(),
  durationSeconds: z.number().nullable(),
  /** The chunk step's `phases` (its stage result); absent when it wrote none. */
  phases: z.array(StagePhaseSchema).optional(),
  stepId: z.string().nullable(),
  /** Where EMR uploads the step's stdout/stderr: `<LogUri><clusterId>/steps/<stepId>/`. */
  logUri: z.string().nullable(),
  /** Why the chunk failed, in one line; null when it succeeded. */
  failure: z.string().nullable(),
});

export type ChunkOutcome = z.infer<typeof ChunkOutcomeSchema>;

export const StageOutcomeSchema = z.object({
  status: z.enum(['SUCCEEDED', 'FAILED', 'SKIPPED']),
  stepId: z.string().nullable(),
  logUri: z.string().nullable(),
  durationSeconds: z.number().nullable(),
  rowsRead: z.number().nullable(),
  rowsWritten: z.number().nullable(),
  rowsRejected: z.number().nullable(),
  phases: z.array(StagePhaseSchema).optional(),
  /** The stage's own error (its result's `error`); absent when it succeeded or wrote no result. */
  error: z.object({ type: z.string(), message: z.string() }).optional(),
  /** Silver's quality gate: each rule's figures (its result's `qualityGate`). */
  qualityGate: QualityGateSchema.optional(),
});

export type StageOutcome = z.infer<typeof StageOutcomeSchema>;

/**
 * `runs/backfill/<runId>/manifest.json`. The fan-in Lambda writes it with status RUNNING once the chunks
 * are in; backfill-finalize completes it. `failedChunks` is what `reprocessFailedOf` reads back.
 */
export const BackfillManifestSchema = z.object({
  pipeline: z.literal('backfill'),
  runId: z.string(),
  status: z.enum(['RUNNING', 'SUCCEEDED', 'FAILED']),
  input: z.record(z.string(), z.unknown()),
  window: z.object({ start: z.string(), end: z.string() }),
  clusterId: z.string(),
  chunks: z.array(ChunkOutcomeSchema),
  failedChunks: z.array(z.string()),
  /** The execution input that reruns only the failed chunks; null when none failed. */
  reprocessInput: z.record(z.string(), z.unknown()).nullable(),
  stages: z.object({ silver: StageOutcomeSchema.nullable(), gold: StageOutcomeSchema.nullable() }),
  /** The error that stopped the run on the teardown path; null otherwise. */
  error: z.object({ error: z.string(), cause: z.string() }).nullable(),
  /** Written by backfill-finalize once the cluster is gone (lambdas/shared/run-cost.ts); absent before. */
  cost: ManifestCostSchema.optional(),
  updatedAt: z.string(),
});

export type BackfillManifest = z.infer<typeof BackfillManifestSchema>;

/** The step's log folder under the cluster's EMR `LogUri` (docs/ARCHITECTURE.md, "S3 layout"). */
export function stepLogUri(emrLogUri: string, clusterId: string, stepId: string): string {
  return `${emrLogUri.endsWith('/') ? emrLogUri : `${emrLogUri}/`}${clusterId}/steps/${stepId}/`;
}
