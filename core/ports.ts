/**
 * The narrow interfaces the Lambda cores take as arguments. On AWS they are backed by SDK v3 clients
 * (`core/aws/`, wired per function by `lambdas/shared/aws-ports/`); in the local runtime by a directory and a JSON store (`local/adapters/`).
 * Cores never import an SDK client directly, which is what lets the local runtime run the real handler
 * code in-process.
 */
import type { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import type { Market } from './pricing';

/**
 * Structured logging as the cores use it: Powertools' Logger, one JSON object per entry (on AWS to
 * the function's log; locally to a file, local/adapters/file-logger.ts). Callers log identifiers and
 * counts, never secrets or whole events.
 */
export type Logger = Pick<PowertoolsLogger, 'info' | 'warn' | 'error'>;

export interface ObjectStore {
  /** The object's text, or `undefined` when there is no such key (never throws for a missing key). */
  getText(bucket: string, key: string): Promise<string | undefined>;
  putText(bucket: string, key: string, body: string, contentType?: string): Promise<void>;
  /** Every key under the prefix, all pages read, in lexicographic order. */
  listKeys(bucket: string, prefix: string): Promise<string[]>;
}

export interface LockRecord {
  holder: string;
  runId: string;
  pipeline: string;
  acquiredAt: string;
  expiresAt: number;
}

export interface WatermarkRecord {
  windowEnd: string;
  runId: string;
  updatedAt: string;
  /**
   * A backfill an hourly run started for an outage too long to catch up hourly: when that execution
   * succeeds, the watermark moves to `windowEnd` (docs/ARCHITECTURE.md, "Lock and watermarks").
   */
  catchUp?: { executionArn: string; windowEnd: string };
}

/** The pipeline table: lock item `pk = "lock"`, watermark items `pk = "watermark#<pipeline>"`. */
export interface PipelineStateStore {
  getWatermark(pipeline: string): Promise<WatermarkRecord | undefined>;
  putWatermark(pipeline: string, record: WatermarkRecord): Promise<void>;
  getLock(): Promise<LockRecord | undefined>;
  /** Deletes the lock only if `holder` holds it; returns whether it did. */
  releaseLock(holder: string): Promise<boolean>;
}

export interface ClusterSummary {
  id: string;
  state: string;
}

export interface ClusterControl {
  /** Active (not yet terminated) clusters carrying the tag, all pages read. */
  listActiveClustersTagged(tagKey: string, tagValue: string): Promise<ClusterSummary[]>;
  terminateClusters(clusterIds: string[]): Promise<void>;
}

export interface MetricDatum {
  name: string;
  value: number;
  unit: 'Count' | 'Seconds' | 'None';
  dimensions?: Record<string, string>;
}

export interface MetricsSink {
  putMetrics(namespace: string, metrics: MetricDatum[]): Promise<void>;
}

export interface StepControl {
  /** Ids of the cluster's steps that are PENDING or RUNNING (only those named `name`, if given), all pages read. */
  listActiveSteps(clusterId: string, name?: string): Promise<string[]>;
  /** Asks EMR to cancel the steps (running ones are interrupted); asynchronous, as EMR's CancelSteps. */
  cancelSteps(clusterId: string, stepIds: string[]): Promise<void>;
}

export interface ClusterUsageSource {
  /** Every instance the cluster had (terminated ones included, all pages read) and EMR's normalized hours. */
  clusterUsage(clusterId: string): Promise<ClusterUsage>;
}

/** One EC2 instance of a cluster as EMR's ListInstances describes it (the fields a cost needs). */
export interface ClusterInstance {
  instanceType: string;
  market: Market;
  /** `Status.Timeline.CreationDateTime`: when EMR asked EC2 for the instance. */
  createdAt: Date;
  /** `Status.Timeline.EndDateTime`; absent while the instance still runs. */
  endedAt?: Date;
}

/** What EMR reports about a cluster's use, read after it terminated. */
export interface ClusterUsage {
  instances: ClusterInstance[];
  /** DescribeCluster `NormalizedInstanceHours`: EMR's own rounded-up figure, kept as a cross-check. */
  normalizedInstanceHours: number | null;
}

/** EMR and EC2 bill per second with a one-minute minimum per instance (docs/COSTS.md). */
