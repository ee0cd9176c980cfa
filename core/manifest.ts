import * as z from 'zod';
import { STAGES } from './layout';
import { ManifestCostSchema } from './run-cost';
import { UnreadableSourceRecordSchema } from './backfill/unreadable-sources';
import { ApiRequestsSchema, QualityGateSchema, StagePhaseSchema, type StageResult } from './stage-result';

/**
 * `runs/<pipeline>/<runId>/manifest.json`: one schema for both pipelines (docs/ARCHITECTURE.md, "Run
 * manifest"). The hourly finalize writes it once a run ends; a backfill's fan-in writes it RUNNING once
 * the Bronze chunks are in and backfill-finalize completes it. `status`, the timeline and the local run
 * report read it back through `RunManifestSchema`.
 */

/**
 * SUCCEEDED / FAILED: the stage result says so. SKIPPED: the plan skipped the stage. MISSING: the step
 * ran but wrote no result. NOT_RUN: the run ended before the stage.
 */
export const STAGE_STATUSES = ['SUCCEEDED', 'FAILED', 'SKIPPED', 'MISSING', 'NOT_RUN'] as const;
export type StageStatus = (typeof STAGE_STATUSES)[number];

/** One whole-run stage's line (a backfill's Silver and Gold, each of an hourly run's stages). */
export const StageRecordSchema = z.object({
  status: z.enum(STAGE_STATUSES),
  stepId: z.string().nullable(),
  /** Where EMR uploads the step's logs: `<LogUri><clusterId>/steps/<stepId>/` (core/layout.ts `stepLogUri`). */
  stepLogUri: z.string().nullable(),
  /** The stage result's key in the lake bucket. */
  resultKey: z.string(),
  durationSeconds: z.number().nullable(),
  /** The step's own breakdown of `durationSeconds` and what preceded it (the stage result's `phases`). */
  phases: z.array(StagePhaseSchema).nullable(),
  rowsRead: z.number().nullable(),
  rowsWritten: z.number().nullable(),
  rowsRejected: z.number().nullable(),
  rowsDuplicate: z.number().nullable(),
  /** Bronze from the API: the requests it made (core/stage-result.ts); null for other stages and sources. */
  apiRequests: ApiRequestsSchema.nullable(),
  error: z.object({ type: z.string(), message: z.string() }).nullable(),
  /** Silver's quality gate: each rule's figures (its result's `qualityGate`); absent for other stages. */
  qualityGate: QualityGateSchema.optional(),
});

export type StageRecord = z.infer<typeof StageRecordSchema>;

/** One Bronze chunk of a backfill. */
export const ChunkRecordSchema = z.object({
  chunkId: z.string(),
  start: z.string(),
  end: z.string(),
  status: z.enum(['SUCCEEDED', 'FAILED']),
  rowsRead: z.number().nullable(),
  rowsWritten: z.number().nullable(),
  durationSeconds: z.number().nullable(),
  /** The chunk step's `phases` (its stage result); null when it wrote none. */
  phases: z.array(StagePhaseSchema).nullable(),
  stepId: z.string().nullable(),
  /** As a stage's: `<LogUri><clusterId>/steps/<stepId>/`. */
  stepLogUri: z.string().nullable(),
  /** Why the chunk failed, in one line; null when it succeeded. */
  failure: z.string().nullable(),
});

export type ChunkRecord = z.infer<typeof ChunkRecordSchema>;

const window = z.object({ start: z.string(), end: z.string() });

/** What every run's manifest says, whichever pipeline ran it. */
const runFields = {
  runId: z.string(),
  /** The execution input as the plan read it. */
  input: z.unknown(),
  window: window.nullable(),
  /** Null when the run never reached cluster creation (a skipped run, a catch-up backfill start). */
  clusterId: z.string().nullable(),
  stages: z.partialRecord(z.enum(STAGES), StageRecordSchema.nullable()),
  /** The error that stopped the run on the teardown path; null otherwise. */
  error: z.object({ error: z.string(), cause: z.string().nullable() }).nullable(),
  /** The cluster's instance-seconds and their estimated price (core/run-cost.ts), once the cluster is gone. */
  cost: ManifestCostSchema.optional(),
};

/**
 * An hourly run, written once by finalize. `heldBy` (a skipped run: who held the lock) and
 * `catchUpBackfill` (the backfill the run started for a long outage) are present only when they apply.
 */
export const HourlyManifestSchema = z.looseObject({
  pipeline: z.literal('hourly'),
  ...runFields,
  status: z.enum(['SUCCEEDED', 'FAILED', 'SKIPPED']),
  executionArn: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  durationSeconds: z.number(),
});

export type HourlyManifest = z.infer<typeof HourlyManifestSchema>;

/** A backfill: RUNNING from the fan-in until backfill-finalize. `failedChunks` is what `reprocessFailedOf` reads back. */
export const BackfillManifestSchema = z.object({
  pipeline: z.literal('backfill'),
  ...runFields,
  status: z.enum(['RUNNING', 'SUCCEEDED', 'FAILED']),
  chunks: z.array(ChunkRecordSchema),
  failedChunks: z.array(z.string()),
  /** The execution input that reruns only the failed chunks; null when none failed. */
  reprocessInput: z.record(z.string(), z.unknown()).nullable(),
  /**
   * Every archive file a chunk's Bronze step could not read (empty, truncated or corrupt gzip, no or a
   * wrong header), with the input that retries it. Such a file never counts as zero rows; its chunk still
   * succeeds with the day's other files. Absent from manifests written before files were listed.
   */
  unreadableSources: z.array(UnreadableSourceRecordSchema).optional(),
  updatedAt: z.string(),
});

export type BackfillManifest = z.infer<typeof BackfillManifestSchema>;

export const RunManifestSchema = z.discriminatedUnion('pipeline', [HourlyManifestSchema, BackfillManifestSchema]);
export type RunManifest = z.infer<typeof RunManifestSchema>;

/** A manifest read back from S3: parsed against the schema, with what was wrong named when it is not one. */
export function parseRunManifest(text: string, where: string): RunManifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${where} is not JSON: was it written by this pipeline?`);
  }
  const parsed = RunManifestSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(document)'}: ${i.message}`).join('; ');
  throw new Error(`${where} is not a run manifest (${problems}): was it written by an older version of the pipeline?`);
}

/** A stage's line from what the run knows of it: its step, where EMR put the step's logs, its result if any. */
export function stageRecord(
  status: StageStatus,
  step: { stepId: string | null; stepLogUri: string | null; resultKey: string },
  result: StageResult | undefined,
): StageRecord {
  return {
    status,
    ...step,
    durationSeconds: result?.durationSeconds ?? null,
    phases: result?.phases ?? null,
    rowsRead: result?.rowsRead ?? null,
    rowsWritten: result?.rowsWritten ?? null,
    rowsRejected: result?.rowsRejected ?? null,
    rowsDuplicate: result?.rowsDuplicate ?? null,
    apiRequests: result?.apiRequests ?? null,
    error: result?.error ?? null,
    ...(result?.qualityGate !== undefined && { qualityGate: result.qualityGate }),
  };
}
