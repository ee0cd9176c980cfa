import { cancelActiveSteps } from '../../lambdas/cancel-steps/core';
import { finalizeRun } from '../../lambdas/finalize/core';
import { cleanUpExecution } from '../../lambdas/janitor/core';
import { planHourly } from '../../lambdas/plan-hourly/core';
import { type Stage, STAGES } from '../../core/layout';
import { silentLogger } from '../support/silent-logger';
import type { LockRecord, PipelineStateStore, WatermarkRecord } from '../../core/ports';
import type { StageResult } from '../../core/stage-result';
import type { HourlySizingSettings } from '../../core/hourly/sizing';
import { parsePipelineConfig } from '../../lib/config';
import { HOURLY_STATES } from '../../lib/hourly-workflow';
import { taskError, type TaskHandler } from './support/interpreter';
import { LockTable } from './support/lock-table';
import { MemoryClusterUsage, MemoryEmr, MemoryMetrics, MemoryObjectStore, TEST_PRICES } from './support/memory-ports';

/** Names the synthesized definition is resolved with (see `definitionValues`). */
export const LAKE_BUCKET = 'aqi-lake';
export const ARTIFACTS_BUCKET = 'aqi-artifacts';
export const LOGS_BUCKET = 'aqi-logs';
export const EXECUTION_ARN = 'arn:aws:states:us-east-1:123456789012:execution:HourlyStateMachine:exec-1';
export const OTHER_EXECUTION_ARN = 'arn:aws:states:us-east-1:123456789012:execution:BackfillStateMachine:exec-9';
export const CLUSTER_ID = 'j-HOURLY0001';
export const NOW = new Date('2025-01-01T03:16:30Z');
/** The hourly settings the world's plan runs with (cdk.json's defaults). */
/** The config's hourly sizing defaults (lib/config.ts), with the default two core nodes. */
export const HOURLY_SIZING: HourlySizingSettings = {
  ...parsePipelineConfig({ locations: [{ id: 1, name: 'x', timezone: 'UTC' }] }, { releaseLabel: 'emr-7.9.0' }).hourly.sizing,
  configuredCoreInstances: 2,
};

export const HOURLY_SETTINGS = {
  lateDataMarginHours: 3,
  maxWindowHours: 72,
  lockTtlSeconds: 6 * 3600,
  backfillAfterGapHours: 168,
  maxBackfillRangeDays: 1096,
  metricsNamespace: 'AqiPipeline',
  locationCount: 100,
  sizing: HOURLY_SIZING,
};
export const BACKFILL_STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:BackfillStateMachine';
export const RUN_ID = 'hourly-20250101T0300Z-1a2b3c4d';

/** `values` for local/definition: the pinned logical ids of the data-lake stack get readable names. */
export const definitionValues = { LakeBucket: LAKE_BUCKET, ArtifactsBucket: ARTIFACTS_BUCKET, LogsBucket: LOGS_BUCKET, PipelineTable: 'aqi-pipeline' };

export interface CreateClusterRequest {
  Instances: { InstanceFleets: { InstanceFleetType: string; TargetOnDemandCapacity?: number; TargetSpotCapacity?: number; InstanceTypeConfigs: { InstanceType: string }[] }[] };
  Tags: { Key: string; Value: string }[];
}

/** How a fake EMR step behaves: as a real Spark stage would, seen from Step Functions. */
/** `gate`: the step writes a FAILED result whose quality gate tripped (as Silver does), then fails. */
export type StepBehaviour = 'succeed' | 'fail' | 'gate' | 'hang';

export interface StepCall {
  stage: Stage;
  name: string;
  args: string[];
}

/**
 * A small AWS for the hourly state machine: the Lambda states run the REAL cores (plan, finalize,
 * cancel-steps, janitor) over in-memory ports; DynamoDB evaluates the lock's conditions; EMR and SNS are
 * recorded. Tests read the outcome from here (clusters, lock, manifest, watermark, notifications).
 */
export class HourlyWorld {
  readonly objects = new MemoryObjectStore();
  readonly emr = new MemoryEmr();
  readonly metrics = new MemoryMetrics();
  readonly lockTable = new LockTable();
  readonly watermarks = new Map<string, WatermarkRecord>();
  readonly notifications: { Subject?: string; Message?: unknown }[] = [];
  /** `states:startExecution` calls: the backfills hourly runs started. */
  readonly startedExecutions: { StateMachineArn: string; Name?: string; Input: unknown }[] = [];
  /** The clock the Lambda cores see; tests move it to play consecutive scheduled runs. */
  now: Date = NOW;
  readonly stepCalls: StepCall[] = [];
  readonly behaviour: Record<Stage, StepBehaviour> = { bronze: 'succeed', silver: 'succeed', gold: 'succeed' };
  /** EMR's instance records, which finalize prices; empty unless a test puts the cluster's usage here. */
  readonly usage = new MemoryClusterUsage();
  /** Every createCluster request, as the state machine sent it (RunJobFlow's shape). */
  readonly createRequests: CreateClusterRequest[] = [];
  /** Configured locations: with the window, what the plan sizes the cluster for. */
  locationCount = 100;
  /** Set to make createCluster start a cluster and then fail with this error. */
  createClusterError: Error | undefined;
  private stepCounter = 0;

  readonly state: PipelineStateStore = {
    getWatermark: async (pipeline) => this.watermarks.get(pipeline),
    putWatermark: async (pipeline, record) => void this.watermarks.set(pipeline, record),
    getLock: async () => this.lockRecord(),
    releaseLock: async (holder) => {
      if (this.lockRecord()?.holder !== holder) return false;
      this.lockTable.items.delete('lock');
      return true;
    },
  };

  lockRecord(): LockRecord | undefined {
    const item = this.lockTable.items.get('lock');
    if (item === undefined) return undefined;
    return {
      holder: item.holder?.S ?? '',
      runId: item.runId?.S ?? '',
      pipeline: item.pipeline?.S ?? '',
      acquiredAt: item.acquiredAt?.S ?? '',
      expiresAt: Number(item.expiresAt?.N),
    };
  }

  manifest(runId: string = RUN_ID): Record<string, unknown> | undefined {
    return this.objects.json(LAKE_BUCKET, `runs/hourly/${runId}/manifest.json`) as Record<string, unknown> | undefined;
  }

  /** The values of one published metric, in order. */
  metricValues(name: string): number[] {
    return this.metrics.published.filter((p) => p.metric.name === name).map((p) => p.metric.value);
  }

  handlers(): Record<string, TaskHandler> {
    const finalize: TaskHandler = async (input) =>
      (await finalizeRun(input, {
        objects: this.objects,
        state: this.state,
        metrics: this.metrics,
        usage: this.usage,
        log: silentLogger,
        settings: { lakeBucket: LAKE_BUCKET, emrLogUri: `s3://${LOGS_BUCKET}/emr/`, metricsNamespace: 'AqiPipeline', prices: TEST_PRICES },
        now: this.now,
      })) as never;
    const notify: TaskHandler = (input) => {
      this.notifications.push(input as { Subject?: string; Message?: unknown });
      return { MessageId: 'm-1' };
    };
    const terminate: TaskHandler = async (input) => {
      await this.emr.terminateClusters([(input as { ClusterId: string }).ClusterId]);
      return {};
    };
    const handlers: Record<string, TaskHandler> = {
      [HOURLY_STATES.plan]: async (input) =>
        (await planHourly(input, {
          state: this.state,
          metrics: this.metrics,
          now: this.now,
          settings: { ...HOURLY_SETTINGS, locationCount: this.locationCount },
          randomHex: () => '1a2b3c4d',
        })) as never,
      'Acquire lock': this.lockTable.putItem,
      'Read lock holder': this.lockTable.getItem as TaskHandler,
      [HOURLY_STATES.createCluster]: (input) => this.createCluster(input),
      [HOURLY_STATES.createSingleNodeCluster]: (input) => this.createCluster(input),
      [HOURLY_STATES.terminate]: terminate,
      'Terminate cluster (after failure)': terminate,
      [HOURLY_STATES.finalize]: finalize,
      'Record failed run': finalize,
      [HOURLY_STATES.release]: this.lockTable.deleteItem,
      'Release lock (after failure)': this.lockTable.deleteItem,
      'Cancel running steps': async (input) => (await cancelActiveSteps(input, this.emr, silentLogger)) as never,
      'Terminate clusters of this execution': async (input) =>
        (await cleanUpExecution(input, { clusters: this.emr, state: this.state, log: silentLogger })) as never,
      'Notify failure': notify,
      [HOURLY_STATES.recordSkipped]: finalize,
      [HOURLY_STATES.startCatchUp]: (input) => {
        const request = input as { StateMachineArn: string; Name?: string; Input: unknown };
        this.startedExecutions.push(request);
        return { ExecutionArn: `${BACKFILL_STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${request.Name}`, StartDate: this.now.toISOString() };
      },
      [HOURLY_STATES.recordCatchUp]: finalize,
      [HOURLY_STATES.notifyCatchUp]: notify,
    };
    for (const stage of STAGES) handlers[HOURLY_STATES.stage(stage)] = (input) => this.runStep(stage, input);
    return handlers;
  }

  private createCluster(input: unknown) {
    this.createRequests.push(input as CreateClusterRequest);
    const request = input as { Tags: { Key: string; Value: string }[] };
    const tags = Object.fromEntries(request.Tags.map((t) => [t.Key, t.Value]));
    this.emr.clusters.push({ id: CLUSTER_ID, state: 'WAITING', tags, steps: [] });
    if (this.createClusterError !== undefined) {
      this.emr.cluster(CLUSTER_ID).state = 'STARTING';
      throw this.createClusterError;
    }
    return { ClusterId: CLUSTER_ID, ClusterArn: `arn:aws:elasticmapreduce:us-east-1:123456789012:cluster/${CLUSTER_ID}` };
  }

  private runStep(stage: Stage, input: unknown) {
    const request = input as { ClusterId: string; Step: { Name: string; HadoopJarStep: { Args: string[] } } };
    const args = request.Step.HadoopJarStep.Args;
    this.stepCalls.push({ stage, name: request.Step.Name, args });
    const stepId = `s-${stage.toUpperCase()}${++this.stepCounter}`;
    const cluster = this.emr.cluster(request.ClusterId);
    switch (this.behaviour[stage]) {
      case 'succeed': {
        cluster.steps.push({ id: stepId, state: 'COMPLETED' });
        const uri = argAfter(args, '--result-uri');
        const { bucket, key } = parseS3Uri(uri);
        void this.objects.putText(bucket, key, JSON.stringify(stageResult(stage, argAfter(args, '--run-id'))));
        return { Step: { Id: stepId, Name: request.Step.Name, Status: { State: 'COMPLETED' } } };
      }
      case 'gate': {
        const { bucket, key } = parseS3Uri(argAfter(args, '--result-uri'));
        void this.objects.putText(bucket, key, JSON.stringify(trippedGateResult(stage, argAfter(args, '--run-id'))));
        cluster.steps.push({ id: stepId, state: 'FAILED' });
        throw taskError('States.TaskFailed', stepFailureCause(stepId, stage));
      }
      case 'fail':
        cluster.steps.push({ id: stepId, state: 'FAILED' });
        throw taskError('States.TaskFailed', stepFailureCause(stepId, stage));
      case 'hang':
        cluster.steps.push({ id: stepId, state: 'RUNNING' });
        return new Promise<never>(() => {});
    }
  }
}

export function stepFailureCause(stepId: string, stage: Stage): string {
  return JSON.stringify({ Step: { Id: stepId, Name: stage, Status: { State: 'FAILED', FailureDetails: { Reason: `${stage} exited with 1` } } } });
}

export function argAfter(args: string[], flag: string): string {
  const index = args.indexOf(flag);
  if (index < 0 || index + 1 >= args.length) throw new Error(`no ${flag} in ${args.join(' ')}`);
  return args[index + 1] as string;
}

function parseS3Uri(uri: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (match === null) throw new Error(`not an s3 URI: ${uri}`);
  return { bucket: match[1] as string, key: match[2] as string };
}

/** What each stage's fake writes: durations and rows differ per stage so the manifest shows which is which. */
export const STAGE_ROWS: Record<Stage, { rowsWritten: number; durationSeconds: number }> = {
  bronze: { rowsWritten: 120, durationSeconds: 95 },
  silver: { rowsWritten: 48, durationSeconds: 140 },
  gold: { rowsWritten: 12, durationSeconds: 60 },
};

function stageResult(stage: Stage, runId: string): StageResult {
  return {
    stage,
    runId,
    chunkId: null,
    status: 'SUCCEEDED',
    mode: stage === 'bronze' ? 'hourly' : 'incremental',
    startedAt: '2025-01-01T03:20:00Z',
    finishedAt: '2025-01-01T03:22:00Z',
    durationSeconds: STAGE_ROWS[stage].durationSeconds,
    rowsRead: STAGE_ROWS[stage].rowsWritten + 2,
    rowsWritten: STAGE_ROWS[stage].rowsWritten,
    rowsRejected: 2,
    rowsDuplicate: 0,
    window: { start: null, end: null },
    affectedDays: ['2025-01-01'],
    snapshots: {},
    error: null,
  };
}

/** What Silver writes when its quality gate trips: 3 of 5 rows rejected against a 20 % limit. */
export const TRIPPED_GATE = {
  error: {
    type: 'QualityGateTrippedError',
    message: 'silver quality gate tripped: rejectedShare: 3 of 5 rows rejected (60.0%), above the limit 20.0%. Nothing was promoted',
  },
  qualityGate: {
    passed: false,
    checks: [{ rule: 'rejectedShare' as const, passed: false, limit: 0.2, share: 0.6, rowsRejected: 3, rowsRead: 5 }],
  },
};

function trippedGateResult(stage: Stage, runId: string): StageResult {
  return { ...stageResult(stage, runId), status: 'FAILED', rowsRead: 5, rowsWritten: 0, rowsRejected: 3, affectedDays: [], ...TRIPPED_GATE };
}
