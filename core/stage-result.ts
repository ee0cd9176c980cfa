import * as z from 'zod';
import { STAGES } from './layout';

/**
 * Where a stage's time went, in order (`aqi_jobs/phases.py`): `kind` groups phases across stages, `name`
 * says what ran (`merge aqi_silver.measurements_hourly`), `seconds` is the time since the previous phase.
 */
export const StagePhaseSchema = z.object({
  kind: z.enum(['start', 'setup', 'read', 'action', 'write', 'merge', 'upkeep', 'result']),
  name: z.string().min(1),
  seconds: z.number().nonnegative(),
});

export type StagePhase = z.infer<typeof StagePhaseSchema>;

/**
 * What an hourly Bronze asked the OpenAQ API (`aqi_jobs/sources/openaq_api.py`, `RequestTally`): answered
 * requests by path pattern (`/v3/sensors/{id}/hours`), 429s, retried failures, seconds slept for the rate
 * limit, and how many locations' sensor lists were asked for rather than reused from the lake. The figure
 * docs/COSTS.md models a run's API wait from.
 */
export const ApiRequestsSchema = z.object({
  requests: z.number().int().nonnegative(),
  byEndpoint: z.record(z.string(), z.number().int().nonnegative()),
  rateLimited: z.number().int().nonnegative(),
  retried: z.number().int().nonnegative(),
  waitedSeconds: z.number().nonnegative(),
  sensorListsRenewed: z.number().int().nonnegative(),
});

export type ApiRequests = z.infer<typeof ApiRequestsSchema>;

/**
 * Silver's quality gate (`aqi_jobs/silver_quality.py`): each configured rule with its figures. A rule that
 * did not pass failed the stage before Silver promoted anything.
 */
export const QualityGateSchema = z.object({
  passed: z.boolean(),
  checks: z.array(
    z.discriminatedUnion('rule', [
      z.object({
        rule: z.literal('rejectedShare'),
        passed: z.boolean(),
        limit: z.number(),
        share: z.number(),
        rowsRejected: z.number().int().nonnegative(),
        rowsRead: z.number().int().nonnegative(),
      }),
      z.object({
        rule: z.literal('silentLocations'),
        passed: z.boolean(),
        lookbackHours: z.number().int().positive(),
        batchFirstHour: z.string().nullable(),
        reportedBefore: z.number().int().nonnegative(),
        silentLocationIds: z.array(z.number().int()),
      }),
    ]),
  ),
});

export type QualityGate = z.infer<typeof QualityGateSchema>;

/**
 * A source file Bronze could not read (`aqi_jobs/sources/archive.py`: empty, truncated or corrupt gzip,
 * no or a wrong header): never counted as zero rows, always listed with its key and reason.
 */
export const UnreadableSourceSchema = z.object({
  key: z.string(),
  reason: z.string(),
  /** The file's lines that did decode, counted in `rowsRejected`. */
  rejectedLines: z.number().int().nonnegative(),
});

export type UnreadableSource = z.infer<typeof UnreadableSourceSchema>;

/**
 * The stage result contract: what every EMR step (spark-jobs, `aqi_jobs.result`) writes to its
 * `--result-uri`, and what the fan-in and finalize Lambdas read. A missing result means the step failed.
 */
export const StageResultSchema = z.object({
  stage: z.enum(STAGES),
  runId: z.string().min(1),
  chunkId: z.string().nullable(),
  status: z.enum(['SUCCEEDED', 'FAILED']),
  mode: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  durationSeconds: z.number().nonnegative(),
  /** Absent from results written before stages timed their phases. */
  phases: z.array(StagePhaseSchema).optional(),
  rowsRead: z.number().int().nonnegative(),
  rowsWritten: z.number().int().nonnegative(),
  rowsRejected: z.number().int().nonnegative(),
  rowsDuplicate: z.number().int().nonnegative(),
  window: z.object({ start: z.string().nullable(), end: z.string().nullable() }),
  affectedDays: z.array(z.string()),
  snapshots: z.record(z.string(), z.number().nullable()),
  /** Bronze hourly only; null elsewhere, absent from results written before requests were counted. */
  apiRequests: ApiRequestsSchema.nullable().optional(),
  error: z.object({ type: z.string(), message: z.string() }).nullable(),
  /** Bronze backfill: every archive file it could not read; absent for other stages and modes. */
  unreadableSources: z.array(UnreadableSourceSchema).optional(),
  /** Silver run with a quality gate; absent otherwise. */
  qualityGate: QualityGateSchema.optional(),
});

export type StageResult = z.infer<typeof StageResultSchema>;
