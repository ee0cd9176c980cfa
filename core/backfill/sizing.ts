import { daysInclusive } from './calendar';
import type { Chunk } from './chunks';

/**
 * The OpenAQ archive holds one csv.gz of about 4 KB per location and local day (OpenAQ archive notes in
 * docs/ARCHITECTURE.md). Small files make a Bronze step latency-bound on S3 GETs, not size-bound, so the
 * file count drives the executor count and the byte estimate is reported for the operator.
 */
export const ARCHIVE_BYTES_PER_LOCATION_DAY = 4_096;
/** Location-day files one executor reads in a few minutes at S3 GET latency. */
export const FILES_PER_EXECUTOR = 500;
/** More executors per step would only wait on the same chunk's few partitions. */
export const MAX_EXECUTORS_PER_STEP = 8;
/** A 2-core executor per 2 vCPUs of the default 4-vCPU (m7g.xlarge) core node. */
export const EXECUTORS_PER_INSTANCE = 2;

export interface ClusterSize {
  /** EMR `StepConcurrencyLevel` and the Map's `MaxConcurrency`: one running Bronze step per slot. */
  readonly stepConcurrency: number;
  /** `spark.dynamicAllocation.maxExecutors` of each Bronze step. */
  readonly executorsPerStep: number;
  /** Managed scaling floor, in instances: the configured core nodes. */
  readonly minCapacityUnits: number;
  /** Managed scaling ceiling, in instances: room for every concurrent step's executors. */
  readonly maxCapacityUnits: number;
  /** Archive bytes the Bronze steps read, from the per-location-day average. */
  readonly estimatedArchiveBytes: number;
}

export interface SizingInput {
  readonly chunks: readonly Chunk[];
  readonly locationCount: number;
  readonly maxConcurrency: number;
  readonly coreInstanceCount: number;
}

export function sizeCluster({ chunks, locationCount, maxConcurrency, coreInstanceCount }: SizingInput): ClusterSize {
  const chunkDays = chunks.map((c) => daysInclusive(c.start, c.end));
  const largestChunkFiles = locationCount * Math.max(0, ...chunkDays);
  const totalFiles = locationCount * chunkDays.reduce((sum, days) => sum + days, 0);
  const stepConcurrency = Math.max(1, Math.min(maxConcurrency, chunks.length));
  const executorsPerStep = Math.min(MAX_EXECUTORS_PER_STEP, Math.max(1, Math.ceil(largestChunkFiles / FILES_PER_EXECUTOR)));
  return {
    stepConcurrency,
    executorsPerStep,
    minCapacityUnits: coreInstanceCount,
    maxCapacityUnits: coreInstanceCount + Math.ceil((stepConcurrency * executorsPerStep) / EXECUTORS_PER_INSTANCE),
    estimatedArchiveBytes: totalFiles * ARCHIVE_BYTES_PER_LOCATION_DAY,
  };
}
