import { runPrefix, s3Uri, type Stage } from '../shared/layout';
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
  readonly runId: string;
  readonly window: { readonly start: string; readonly end: string };
  readonly chunkIds: readonly string[];
  readonly chunkCount: number;
  /** One flag per stage, for the state machine's Choice states. */
  readonly stages: Readonly<Record<Stage, boolean>>;
  readonly cluster: ClusterSize;
  readonly planUri: string;
  readonly locationsUri: string;
  readonly reprocessOf: string | null;
}

export function planKey(runId: string): string {
  return `${runPrefix('backfill', runId)}plan.json`;
}

/** The locations this run ingests, frozen at plan time for `--locations-uri`. */
export function runLocationsKey(runId: string): string {
  return `${runPrefix('backfill', runId)}locations.json`;
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

export function toPlanState(plan: BackfillPlan, lakeBucket: string): PlanState {
  return {
    runId: plan.runId,
    window: plan.window,
    chunkIds: plan.chunks.map((c) => c.id),
    chunkCount: plan.chunks.length,
    stages: { bronze: plan.stages.includes('bronze'), silver: plan.stages.includes('silver'), gold: plan.stages.includes('gold') },
    cluster: plan.cluster,
    planUri: s3Uri(lakeBucket, planKey(plan.runId)),
    locationsUri: s3Uri(lakeBucket, runLocationsKey(plan.runId)),
    reprocessOf: plan.reprocessOf,
  };
}
