import { Duration, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { ERROR_NAMES } from '../core/errors';
import { type Stage, STAGES } from '../core/layout';
import type { PipelineConfig } from './config';
import { createHourlyFunctions, type HourlyFunctions } from './hourly-functions';
import {
  type ApiSource,
  createClusterTask,
  type EmrClusterBlueprint,
  finalizeTask,
  LOCK_HELD_ERROR,
  acquireLockOrSkip,
  lambdaTask,
  PATHS,
  releaseLockTask,
  RunTeardown,
  skipPath,
  type StageArgsContext,
  type SilverQualityLimits,
  silverQualityLimits,
  type StageInvocation,
  stageStepTask,
  terminateClusterTask,
} from './workflow';

export interface HourlyWorkflowProps {
  readonly config: PipelineConfig;
  readonly table: dynamodb.ITable;
  /** Where finalize reads stage results and writes manifests. */
  readonly lakeBucket: s3.IBucket;
  /** lambdas/cancel-steps, shared with the backfill teardown. */
  readonly cancelStepsFunction: lambda.IFunction;
  /** lambdas/janitor, shared with the backfill teardown. */
  readonly janitorFunction: lambda.IFunction;
  readonly topic: sns.ITopic;
  readonly cluster: EmrClusterBlueprint;
  readonly stageContext: StageArgsContext;
  /** The backfill state machine a run starts when the gap since the watermark is too long to catch up hourly. */
  readonly backfill: sfn.IStateMachine;
}

/** The state names tests and the local runtime address; derived here, never retyped. */
export const HOURLY_STATES = {
  plan: 'Plan hourly run',
  startRecord: 'Start run record',
  chooseShape: 'Primary only?',
  createCluster: 'Create cluster',
  createSingleNodeCluster: 'Create single-node cluster',
  stage: (stage: Stage) => `${capitalise(stage)} step`,
  runStage: (stage: Stage) => `Run ${stage}?`,
  terminate: 'Terminate cluster',
  finalize: 'Finalize run',
  release: 'Release lock',
  summary: 'Run summary',
  recordSkipped: 'Record skipped run',
  catchUpChoice: 'Gap needs a backfill?',
  startCatchUp: 'Start catch-up backfill',
  recordCatchUp: 'Record catch-up backfill',
  notifyCatchUp: 'Notify catch-up backfill',
  catchUpStarted: 'Catch-up backfill started',
} as const;

/** Where the hourly state keeps the catch-up backfill's `states:startExecution` output. */
const CATCH_UP_PATH = '$.catchUp';

/** Per-stage Stage CLI arguments of an hourly run (docs/ARCHITECTURE.md, "Stage CLI"). */
function hourlyInvocation(stage: Stage, source: ApiSource, qualityLimits: SilverQualityLimits): StageInvocation {
  if (stage === 'bronze') {
    return { pipeline: 'hourly', stage, mode: 'hourly', startPath: '$.plan.window.start', endPath: '$.plan.window.end', source };
  }
  return { pipeline: 'hourly', stage, mode: 'incremental', ...(stage === 'silver' && { qualityLimits }) };
}

/**
 * The hourly state machine and its Lambdas (plan-hourly, finalize: lib/hourly-functions.ts): plan → lock
 * (or skip) → createCluster → Bronze, Silver, Gold as three EMR steps (each honouring `skipStages`) →
 * terminate → finalize → release the lock. Every state after createCluster is caught into the
 * `RunTeardown`.
 */
export class HourlyWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly functions: HourlyFunctions;

  constructor(scope: Construct, id: string, props: HourlyWorkflowProps) {
    super(scope, id);
    const { config } = props;
    // In the stack rather than under this construct: their logical ids (PlanHourly, Finalize) and so the
    // deployed functions and log groups stay as they were before the workflow owned them.
    const functions = createHourlyFunctions(Stack.of(this), {
      config,
      table: props.table,
      lakeBucket: props.lakeBucket,
      emrLogUri: props.cluster.logUri,
      lockTtl: hourlyExecutionTimeout(config).plus(Duration.minutes(15)),
    });
    this.functions = functions;
    const teardown = new RunTeardown(this, 'Teardown', {
      pipeline: 'hourly',
      table: props.table,
      topic: props.topic,
      cancelStepsFunction: props.cancelStepsFunction,
      janitorFunction: props.janitorFunction,
      finalizeFunction: functions.finalize,
    });
    const onFailure = { resultPath: PATHS.error };

    const plan = lambdaTask(this, HOURLY_STATES.plan, functions.planHourly, {
      resultPath: PATHS.plan,
      timeout: Duration.seconds(60),
    });

    // The plan shapes the cluster per run (lambdas/plan-hourly/sizing.ts): one node for a small window,
    // core nodes only for a wide one. A fleet cannot be left out by a path, hence two tasks.
    const createWithCore = createClusterTask(this, HOURLY_STATES.createCluster, props.cluster, {
      pipeline: 'hourly',
      coreInstanceCount: sfn.JsonPath.numberAt('$.plan.cluster.coreInstanceCount'),
    });
    const createSingleNode = createClusterTask(this, HOURLY_STATES.createSingleNodeCluster, props.cluster, {
      pipeline: 'hourly',
      coreInstanceCount: 0,
    });
    for (const create of [createWithCore, createSingleNode]) create.addCatch(teardown.beforeClusterEntry, onFailure);
    const create = new sfn.Choice(this, HOURLY_STATES.chooseShape)
      .when(sfn.Condition.booleanEquals('$.plan.cluster.primaryOnly', true), createSingleNode)
      .otherwise(createWithCore);

    const source: ApiSource = {
      kind: 'api',
      apiBaseUrl: config.openaqApiBaseUrl,
      apiKeySecretName: config.openaqApiKeySecretName,
    };
    const terminate = terminateClusterTask(this, HOURLY_STATES.terminate);
    terminate.addCatch(teardown.afterClusterEntry, onFailure);

    // Built back to front: each stage's "skip" branch jumps to the next stage's choice.
    let next: sfn.State = terminate;
    for (const stage of [...STAGES].reverse()) {
      const step = stageStepTask(this, HOURLY_STATES.stage(stage), {
        context: props.stageContext,
        invocation: hourlyInvocation(stage, source, silverQualityLimits(config.hourly.silverQualityGate)),
        timeout: Duration.seconds(config.stageTimeoutSeconds[stage]),
        failedStepRetries: config.emr.stepRetries,
      });
      step.addCatch(teardown.afterClusterEntry, onFailure);
      step.next(next);
      next = new sfn.Choice(this, HOURLY_STATES.runStage(stage))
        .when(sfn.Condition.booleanEquals(skipPath(stage), true), next)
        .otherwise(step);
    }
    createWithCore.next(next);
    createSingleNode.next(next);

    const finalize = finalizeTask(this, HOURLY_STATES.finalize, functions.finalize, 'hourly', 'SUCCEEDED', '$.manifest');
    finalize.addCatch(teardown.afterClusterEntry, onFailure);
    const release = releaseLockTask(this, HOURLY_STATES.release, props.table);
    const summary = new sfn.Pass(this, HOURLY_STATES.summary, {
      parameters: {
        status: 'SUCCEEDED',
        'runId.$': PATHS.runId,
        'window.$': '$.plan.window',
        'manifestKey.$': '$.manifest.manifestKey',
        'watermarkAdvanced.$': '$.manifest.watermarkAdvanced',
      },
    });
    const done = new sfn.Succeed(this, 'Run complete');
    // The lock expired and another run took it over: this run's work is done and recorded, so it still
    // succeeded; the new holder keeps its lock.
    release.addCatch(summary, { errors: [LOCK_HELD_ERROR], resultPath: '$.lockReleaseSkipped' });
    release.addCatch(teardown.afterClusterEntry, onFailure);
    terminate.next(finalize).next(release).next(summary).next(done);

    const startRecord = new sfn.Pass(this, HOURLY_STATES.startRecord, {
      comment: 'Gives the failure path a $.steps to record even when no step ran.',
      result: sfn.Result.fromObject({}),
      resultPath: PATHS.steps,
    });
    startRecord.next(create);
    // A skipped run is recorded (manifest, RunSkipped metric) so consecutive skips raise an alarm.
    const recordSkipped = finalizeTask(this, HOURLY_STATES.recordSkipped, functions.finalize, 'hourly', 'SKIPPED', '$.skipRecord', {
      clusterless: true,
      extra: { 'lockHolder.$': PATHS.lockHolder },
    });
    const lockThenRun = acquireLockOrSkip(this, props.table, 'hourly', startRecord, { recordSkipped });
    plan.next(
      new sfn.Choice(this, HOURLY_STATES.catchUpChoice)
        // IsPresent rather than `IsNull: false`, which aws-local-stepfunctions 3.0.0 never matches.
        .when(sfn.Condition.isPresent('$.plan.catchUpBackfill.input'), this.catchUpBackfill(props))
        .otherwise(lockThenRun),
    );

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      comment: `aqi-pipeline hourly run; input { "scheduledTime": ISO } or { "windowEnd": ISO hour }; plan errors: ${ERROR_NAMES.invalidHourlyInput}`,
      definitionBody: sfn.DefinitionBody.fromChainable(plan),
      timeout: hourlyExecutionTimeout(config),
      tracingEnabled: true,
      logs: {
        destination: new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.THREE_MONTHS }),
        level: sfn.LogLevel.ALL,
        includeExecutionData: true,
      },
    });
  }

  /**
   * The outage is longer than hourly catch-up should take on: start the backfill state machine with the
   * input the plan built (validated by plan-backfill like an operator's), record it in this run's
   * manifest and the watermark item (so its success moves the watermark), notify, and end. Runs without
   * the lock, which the backfill takes. The execution name derives from the run id, so a retried start
   * returns the same execution instead of starting a second one.
   */
  private catchUpBackfill(props: HourlyWorkflowProps): sfn.IChainable {
    const start = new tasks.StepFunctionsStartExecution(this, HOURLY_STATES.startCatchUp, {
      stateMachine: props.backfill,
      integrationPattern: sfn.IntegrationPattern.REQUEST_RESPONSE,
      input: sfn.TaskInput.fromJsonPathAt('$.plan.catchUpBackfill.input'),
      name: sfn.JsonPath.format('catch-up-{}', sfn.JsonPath.stringAt(PATHS.runId)),
      resultSelector: { 'ExecutionArn.$': '$.ExecutionArn', 'StartDate.$': '$.StartDate' },
      resultPath: CATCH_UP_PATH,
      taskTimeout: sfn.Timeout.duration(Duration.seconds(30)),
    });
    const record = finalizeTask(this, HOURLY_STATES.recordCatchUp, this.functions.finalize, 'hourly', 'SUCCEEDED', '$.manifest', {
      clusterless: true,
      extra: { 'catchUpExecution.$': CATCH_UP_PATH },
    });
    const notify = new tasks.SnsPublish(this, HOURLY_STATES.notifyCatchUp, {
      topic: props.topic,
      subject: 'aqi-pipeline hourly run started a catch-up backfill',
      message: sfn.TaskInput.fromObject({
        'runId.$': PATHS.runId,
        'watermark.$': '$.plan.watermark',
        'gapHours.$': '$.plan.catchUpBackfill.gapHours',
        'backfillInput.$': '$.plan.catchUpBackfill.input',
        'backfillExecutionArn.$': `${CATCH_UP_PATH}.ExecutionArn`,
        'watermarkAfterBackfill.$': '$.plan.catchUpBackfill.watermarkTo',
      }),
      taskTimeout: sfn.Timeout.duration(Duration.seconds(30)),
      resultPath: sfn.JsonPath.DISCARD,
    });
    const done = new sfn.Succeed(this, HOURLY_STATES.catchUpStarted, {
      comment: 'The backfill holds the lock while it runs; hourly runs resume from the watermark it leaves.',
    });
    return start.next(record).next(notify).next(done);
  }
}

/**
 * Long enough for every stage to use its timeout and retries plus cluster start and stop; past it the
 * execution TIMES_OUT and the janitor cleans up.
 */
export function hourlyExecutionTimeout(config: PipelineConfig): Duration {
  const attempts = config.emr.stepRetries + 1;
  const stages = STAGES.reduce((sum, stage) => sum + config.stageTimeoutSeconds[stage] * attempts, 0);
  return Duration.seconds(stages + 2 * 30 * 60 + 15 * 60);
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
