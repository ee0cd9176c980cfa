import { runLocationsKey, runPrefix, s3Uri, type Stage } from '../layout';
import { type Chunk, type ChunkSize, splitIntoChunks } from './chunks';
import type { BackfillSettings } from './settings';
import { type ClusterSize, sizeCluster } from './sizing';
import type { BackfillRequest } from './validate';

/** The whole plan, written to S3 (`planKey`): the state machine carries only `PlanState`. */
export interface BackfillPlan {
  readonly runId: string;
  readonly createdAt: string;
  /** The execution input as given: the base of the reprocess input. */
  readonly input: Record<string, unknown>;
  readonly chunkSize: ChunkSize;
  readonly stages: readonly Stage[];
  readonly locationIds: readonly number[];
  /** The span Silver and Gold recompute: from the first chunk's start to the last chunk's end. */
  readonly window: { readonly start: string; readonly end: string };
  readonly chunks: readonly Chunk[];
  readonly reprocessOf: string | null;
  readonly cluster: ClusterSize;
}

/**
 * What the plan Lambda returns into the execution state. Map items are the chunk ids alone and nothing
 * grows with the range except `chunkIds`, which keeps three years of daily chunks near 27 KB.
 */
export interface PlanState {
  readonly pipeline: 'backfill';
  readonly runId: string;
  readonly window: { readonly start: string; readonly end: string };
  readonly chunkIds: readonly string[];
  readonly chunkCount: number;
  /** Stages not to run, for the state machine's Choice states (lib/workflow/state-paths.ts `skipPath`). */
  readonly skip: Readonly<Record<Stage, boolean>>;
  /** Epoch seconds as strings: the lock task passes them to DynamoDB as `N` values. */
  readonly lock: { readonly acquiredAt: string; readonly nowEpoch: string; readonly expiresAtEpoch: string };
  readonly cluster: ClusterSize;
  readonly planUri: string;
  /** The run's locations document (`runLocationsKey`): the Bronze chunk steps' `--locations-uri`. */
  readonly locationsUri: string;
  readonly reprocessOf: string | null;
}

export function planKey(runId: string): string {
  return `${runPrefix('backfill', runId)}plan.json`;
}

export interface PlanContext {
  readonly runId: string;
  readonly now: Date;
  readonly input: Record<string, unknown>;
  /** The failed chunks of `reprocessFailedOf`, read from its manifest; absent for a fresh backfill. */
  readonly reprocessChunks?: readonly Chunk[];
}

export function planBackfill(request: BackfillRequest, settings: BackfillSettings, context: PlanContext): BackfillPlan {
  const chunks = context.reprocessChunks ?? splitIntoChunks(request.startDate, request.endDate, request.chunk);
  return {
    runId: context.runId,
    createdAt: context.now.toISOString(),
    input: context.input,
    chunkSize: request.chunk,
    stages: request.stages,
    locationIds: request.locations.map((l) => l.id),
    window: { start: chunks[0].start, end: chunks[chunks.length - 1].end },
    chunks,
    reprocessOf: request.reprocessFailedOf ?? null,
    cluster: sizeCluster({
      chunks,
      locationCount: request.locations.length,
      maxConcurrency: request.maxConcurrency,
      coreInstanceCount: settings.coreInstanceCount,
    }),
  };
}

/**
 * How long the run may hold the lake lock: every wave of concurrent Bronze chunks, Silver and Gold at
 * their timeouts with every allowed retry, plus cluster start and teardown. A lock past it may be taken
 * over, so it must outlast a run that is slow but alive.
 */
export function lockTtlSeconds(plan: BackfillPlan, timeouts: StageTimeouts): number {
  const waves = plan.stages.includes('bronze') ? Math.ceil(plan.chunks.length / plan.cluster.stepConcurrency) : 0;
  return runSeconds(waves, plan.stages, timeouts);
}

/**
 * The longest any backfill the configuration accepts may run: `maxRangeDays` daily chunks one at a time,
 * then Silver and Gold, each with every retry (the backfill state machine's execution timeout).
 */
export function longestRunSeconds(maxRangeDays: number, timeouts: StageTimeouts): number {
  return runSeconds(maxRangeDays, ['bronze', 'silver', 'gold'], timeouts);
}

function runSeconds(bronzeWaves: number, stages: readonly string[], timeouts: StageTimeouts): number {
  const attempts = 1 + timeouts.failedStepRetries;
  const silver = stages.includes('silver') ? timeouts.silverSeconds : 0;
  const gold = stages.includes('gold') ? timeouts.goldSeconds : 0;
  return attempts * (bronzeWaves * timeouts.bronzeSeconds + silver + gold) + CLUSTER_LIFECYCLE_SECONDS;
}

/** Cluster creation (30 min at most) and termination with teardown (30 min at most). */
const CLUSTER_LIFECYCLE_SECONDS = 3_600;

export interface StageTimeouts {
  readonly bronzeSeconds: number;
  readonly silverSeconds: number;
  readonly goldSeconds: number;
  readonly failedStepRetries: number;
}

export function toPlanState(plan: BackfillPlan, lakeBucket: string, timeouts: StageTimeouts): PlanState {
  const nowEpoch = Math.floor(Date.parse(plan.createdAt) / 1000);
  return {
    pipeline: 'backfill',
    runId: plan.runId,
    window: plan.window,
    chunkIds: plan.chunks.map((c) => c.id),
    chunkCount: plan.chunks.length,
    skip: { bronze: !plan.stages.includes('bronze'), silver: !plan.stages.includes('silver'), gold: !plan.stages.includes('gold') },
    lock: { acquiredAt: plan.createdAt, nowEpoch: String(nowEpoch), expiresAtEpoch: String(nowEpoch + lockTtlSeconds(plan, timeouts)) },
    cluster: plan.cluster,
    planUri: s3Uri(lakeBucket, planKey(plan.runId)),
    locationsUri: s3Uri(lakeBucket, runLocationsKey('backfill', plan.runId)),
    reprocessOf: plan.reprocessOf,
  };
}
