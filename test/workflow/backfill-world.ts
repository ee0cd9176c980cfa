import { StateMachine } from 'aws-local-stepfunctions';
import { FinalizeBackfillEventSchema, finalizeBackfill } from '../../lambdas/backfill-finalize/core';
import { recordChunkStep, RecordChunkEventSchema } from '../../lambdas/backfill-record-chunk/core';
import { cancelActiveSteps } from '../../lambdas/cancel-steps/core';
import { fanIn, FanInEventSchema } from '../../lambdas/fan-in/core';
import { cleanUpExecution } from '../../lambdas/janitor/core';
import { planBackfillRun, type PlanBackfillEvent } from '../../lambdas/plan-backfill/core';
import type { LocationConfig } from '../../core/backfill/settings';
import { silentLogger } from '../support/silent-logger';
import type { ClusterSummary, LockRecord } from '../../core/ports';
import type { StageResult, UnreadableSource } from '../../core/stage-result';
import { forLocalInterpreter } from '../../local/definition';
import { MemoryClusterUsage, MemoryEmr, MemoryMetrics, MemoryObjectStore, TEST_PRICES } from './support/memory-ports';
import { retryIntervals } from '../../local/runtime/execute';

export const EXECUTION_ARN = 'arn:aws:states:us-east-1:111122223333:execution:Backfill:run-1';
export const OTHER_EXECUTION_ARN = 'arn:aws:states:us-east-1:111122223333:execution:Hourly:hourly-1';
export const START_TIME = '2025-10-20T12:34:56.000Z';
export const LAKE = 'aqi-lake';
export const CLUSTER_ID = 'j-BACKFILL01';
export const DEL_NORTE: LocationConfig = { id: 2178, name: 'Del Norte', timezone: 'America/Denver' };

/** What a chunk's Bronze step does in this world. */
export type ChunkBehaviour = 'succeed' | 'fail' | 'timeout';

type Json = Parameters<StateMachine['run']>[0];

/** A Lambda function error as Step Functions sees it: named by errorType, the runtime's JSON as Cause. */
class LambdaError extends Error {
  constructor(errorType: string, message: string) {
    super(JSON.stringify({ errorType, errorMessage: message, trace: ['at handler (index.js:1:1)'] }));
    this.name = errorType;
  }
}

class NamedError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

const arg = (args: string[], name: string) => args[args.indexOf(name) + 1];

/**
 * An AWS account in memory: the lake (S3) read and written by the real Lambda cores, a lock item with
 * DynamoDB's conditional semantics, and an EMR whose steps write stage results like the Spark jobs do.
 * Task states are bound to it by state name, the way aws-local-stepfunctions overrides resources.
 */
export class BackfillWorld {
  readonly store = new MemoryObjectStore();
  lock: LockRecord | undefined;
  readonly calls: { state: string; input: Record<string, unknown> }[] = [];
  readonly clusters = new Map<string, { state: string; executionArn: string }>();
  /** Every EMR step added to the run's cluster, by id and name, with its state (what ListSteps sees). */
  readonly emr = new MemoryEmr();
  readonly chunkBehaviour = new Map<string, ChunkBehaviour>();
  /** Resolves when the named chunk's step starts, and holds it until `release` is called. */
  holdChunk?: { chunkId: string; started: () => void; release: Promise<void> };
  /** A whole-run step (`Silver range`, `Gold range`) whose EMR step fails every attempt. */
  failStage?: string;
  /** Archive files a chunk's Bronze step reports it could not read (its result's `unreadableSources`). */
  readonly unreadableFiles = new Map<string, UnreadableSource[]>();
  /** Set to make `Notify unreadable source files` fail as SNS would. */
  notifyUnreadableFails = false;
  private stepCounter = 0;

  /** @param configuredLocations what the deployment wrote to `config/locations.json` */
  constructor(configuredLocations: readonly LocationConfig[] = [DEL_NORTE]) {
    this.store.objects.set('aqi-artifacts/config/locations.json', JSON.stringify(configuredLocations));
  }

  statesCalled(): string[] {
    return this.calls.map((c) => c.state);
  }

  private record(state: string, input: unknown) {
    this.calls.push({ state, input: input as Record<string, unknown> });
  }

  private lambda<T>(state: string, fn: (input: Record<string, unknown>) => Promise<T>) {
    return async (input: Json) => {
      this.record(state, input);
      try {
        return (await fn(input as Record<string, unknown>)) as unknown as Json;
      } catch (error) {
        const e = error as Error;
        throw new LambdaError(e.name, e.message);
      }
    };
  }

  private writeResult(uri: string, result: Partial<StageResult>) {
    const [, , bucket, ...key] = uri.split('/');
    const full: StageResult = {
      stage: 'bronze', runId: '', chunkId: null, status: 'SUCCEEDED', mode: 'backfill',
      startedAt: '2025-10-20T13:00:00Z', finishedAt: '2025-10-20T13:02:00Z', durationSeconds: 120,
      rowsRead: 744, rowsWritten: 744, rowsRejected: 0, rowsDuplicate: 0,
      window: { start: null, end: null }, affectedDays: [], snapshots: {}, error: null, ...result,
    };
    this.store.objects.set(`${bucket}/${key.join('/')}`, JSON.stringify(full));
  }

  private emrStep(state: string) {
    return async (input: Json) => {
      this.record(state, input);
      const params = input as { ClusterId: string; Step: { Name: string; HadoopJarStep: { Args: string[] } } };
      const args = params.Step.HadoopJarStep.Args;
      const stepId = `s-${String(++this.stepCounter).padStart(4, '0')}`;
      const step = { id: stepId, name: params.Step.Name, state: 'RUNNING' as 'RUNNING' | 'COMPLETED' | 'FAILED' | 'CANCELLED' };
      this.emr.cluster(params.ClusterId).steps.push(step);
      const chunkId = args.includes('--chunk-id') ? arg(args, '--chunk-id') : null;
      if (chunkId && this.holdChunk?.chunkId === chunkId) {
        this.holdChunk.started();
        await this.holdChunk.release;
      }
      const behaviour = chunkId ? (this.chunkBehaviour.get(chunkId) ?? 'succeed') : state === this.failStage ? 'fail' : 'succeed';
      // Never answers: the interpreter's own TimeoutSeconds raises States.Timeout (see `start`).
      if (behaviour === 'timeout') await new Promise(() => {});
      if (behaviour === 'fail') {
        step.state = 'FAILED';
        throw new NamedError('States.TaskFailed', JSON.stringify({ Step: { Id: stepId, Name: params.Step.Name, Status: { State: 'FAILED' } } }));
      }
      step.state = 'COMPLETED';
      const unreadable = chunkId ? this.unreadableFiles.get(chunkId) : undefined;
      this.writeResult(arg(args, '--result-uri'), {
        stage: args[args.findIndex((a) => a.endsWith('entry.py')) + 1] as StageResult['stage'],
        runId: arg(args, '--run-id'),
        chunkId,
        mode: arg(args, '--mode'),
        ...(chunkId && { unreadableSources: unreadable ?? [] }),
      });
      return { StepId: stepId };
    };
  }

  /** EMR's instance records, which finalize prices; empty unless a test puts a cluster's usage here. */
  readonly usage = new MemoryClusterUsage();
  /** What backfill-finalize published (EMF in a deployment). */
  readonly metrics = new MemoryMetrics();
  private readonly deps = {
    store: this.store,
    lakeBucket: LAKE,
    emrLogUri: 's3://aqi-logs/emr/',
    now: () => new Date('2025-10-20T15:00:00Z'),
    usage: this.usage,
    prices: TEST_PRICES,
    log: silentLogger,
    metrics: { sink: this.metrics, namespace: 'AqiPipeline' },
  };

  handlers(): Record<string, (input: Json) => Promise<Json>> {
    const noop = (state: string, result: Json = {}) => async (input: Json) => {
      this.record(state, input);
      return result;
    };
    return {
      'Plan backfill': this.lambda('Plan backfill', (input) =>
        planBackfillRun(input as unknown as PlanBackfillEvent, {
          store: this.store,
          lakeBucket: LAKE,
          artifactsBucket: 'aqi-artifacts',
          limits: { maxRangeDays: 1096, defaultMaxConcurrency: 4, maxConcurrencyLimit: 16 },
          coreInstanceCount: 2,
          timeouts: { bronzeSeconds: 3600, silverSeconds: 3600, goldSeconds: 1800, failedStepRetries: 1 },
        }),
      ),
      'Acquire lock': async (input) => {
        this.record('Acquire lock', input);
        const item = (input as { Item: Record<string, { S?: string; N?: string }> }).Item;
        const now = Number((input as { ExpressionAttributeValues: Record<string, { N: string }> }).ExpressionAttributeValues[':now'].N);
        if (this.lock && this.lock.expiresAt >= now) throw new NamedError('DynamoDB.ConditionalCheckFailedException', 'The conditional request failed');
        this.lock = { holder: item.holder.S!, runId: item.runId.S!, pipeline: item.pipeline.S!, acquiredAt: item.acquiredAt.S!, expiresAt: Number(item.expiresAt.N) };
        return {};
      },
      'Read lock holder': async (input): Promise<Json> => {
        this.record('Read lock holder', input);
        if (!this.lock) return {};
        const l = this.lock;
        return { Item: { pk: { S: 'lock' }, holder: { S: l.holder }, runId: { S: l.runId }, pipeline: { S: l.pipeline }, acquiredAt: { S: l.acquiredAt } } };
      },
      'Release lock': this.releaseLock('Release lock'),
      'Release lock (after failure)': this.releaseLock('Release lock (after failure)'),
      'Create cluster': async (input) => {
        this.record('Create cluster', input);
        this.clusters.set(CLUSTER_ID, { state: 'WAITING', executionArn: EXECUTION_ARN });
        this.emr.clusters.push({ id: CLUSTER_ID, state: 'WAITING', tags: {}, steps: [] });
        return { ClusterId: CLUSTER_ID };
      },
      'Bronze chunk': this.emrStep('Bronze chunk'),
      'Silver range': this.emrStep('Silver range'),
      'Gold range': this.emrStep('Gold range'),
      'Record chunk step': this.lambda('Record chunk step', (i) => recordChunkStep(RecordChunkEventSchema.parse(i), this.store, LAKE, new Date())),
      'Cancel timed-out chunk step': this.lambda('Cancel timed-out chunk step', (i) => cancelActiveSteps(i, this.emr, silentLogger)),
      'Record chunk failure': this.lambda('Record chunk failure', (i) => recordChunkStep(RecordChunkEventSchema.parse(i), this.store, LAKE, new Date())),
      'Fan in': this.lambda('Fan in', (i) => fanIn(FanInEventSchema.parse(i), this.deps)),
      Finalize: this.lambda('Finalize', (i) => finalizeBackfill(FinalizeBackfillEventSchema.parse(i), this.deps)),
      'Record failed run': this.lambda('Record failed run', (i) => finalizeBackfill(FinalizeBackfillEventSchema.parse(i), this.deps)),
      'Terminate cluster': this.terminate('Terminate cluster'),
      'Terminate cluster (after failure)': this.terminate('Terminate cluster (after failure)'),
      'Cancel running steps': noop('Cancel running steps', { clusterId: CLUSTER_ID, cancelledStepIds: [] }),
      'Terminate clusters of this execution': noop('Terminate clusters of this execution', { terminatedClusterIds: [] }),
      'Notify failure': noop('Notify failure'),
      'Notify unreadable source files': async (input) => {
        this.record('Notify unreadable source files', input);
        if (this.notifyUnreadableFails) throw new NamedError('SNS.AuthorizationErrorException', 'User is not authorized to perform SNS:Publish');
        return {};
      },
    };
  }

  private releaseLock(state: string) {
    return async (input: Json) => {
      this.record(state, input);
      const me = (input as { ExpressionAttributeValues: Record<string, { S: string }> }).ExpressionAttributeValues[':me'].S;
      if (this.lock?.holder !== me) throw new NamedError('DynamoDB.ConditionalCheckFailedException', 'The conditional request failed');
      this.lock = undefined;
      return {};
    };
  }

  private terminate(state: string) {
    return async (input: Json) => {
      this.record(state, input);
      const id = (input as { ClusterId: string }).ClusterId;
      const cluster = this.clusters.get(id);
      if (cluster) cluster.state = 'TERMINATED';
      return {};
    };
  }

  /** The janitor Lambda's real core on the status-change event, over this world's EMR and lock. */
  async deliverStatusChange(status: 'FAILED' | 'TIMED_OUT' | 'ABORTED') {
    const clusters = {
      listActiveClustersTagged: async (_key: string, arn: string): Promise<ClusterSummary[]> =>
        [...this.clusters].filter(([, c]) => c.executionArn === arn && c.state !== 'TERMINATED').map(([id, c]) => ({ id, state: c.state })),
      terminateClusters: async (ids: string[]) => ids.forEach((id) => (this.clusters.get(id)!.state = 'TERMINATED')),
    };
    const state = {
      getWatermark: async () => undefined,
      putWatermark: async () => {},
      getLock: async () => this.lock,
      releaseLock: async (holder: string) => {
        if (this.lock?.holder !== holder) return false;
        this.lock = undefined;
        return true;
      },
    };
    return cleanUpExecution(
      { 'detail-type': 'Step Functions Execution Status Change', source: 'aws.states', detail: { executionArn: EXECUTION_ARN, stateMachineArn: 'arn:aws:states:us-east-1:111122223333:stateMachine:Backfill', status } },
      { clusters, state, log: silentLogger },
    );
  }

  /** Starts the definition on the local interpreter with every Task bound to this world. */
  start(definition: object, input: unknown) {
    const asl = JSON.parse(JSON.stringify(definition));
    // A chunk that hangs times out after one second here instead of the configured hour.
    if ([...this.chunkBehaviour.values()].includes('timeout')) asl.States['Bronze chunks'].ItemProcessor.States['Bronze chunk'].TimeoutSeconds = 1;
    const machine = new StateMachine(forLocalInterpreter(asl), { validationOptions: { checkArn: false, checkPaths: false } });
    const zero = retryIntervals(asl, 0);
    return machine.run(input as Json, {
      overrides: { taskResourceLocalHandlers: this.handlers(), retryIntervalOverrides: zero },
      context: { Execution: { Id: EXECUTION_ARN, StartTime: START_TIME, Input: input as Json, Name: 'run-1' } },
    });
  }
}
