import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { longestRunSeconds } from '../core/backfill/plan';
import { OPENAQ_ARCHIVE_BUCKET, s3Uri } from '../core/layout';
import { type BackfillFunctions, createBackfillFunctions } from './backfill-functions';
import { type PipelineConfig, stageTimeouts } from './config';
import { bronzeChunksMap } from './workflow/backfill-chunks';
import { backfillDefinition } from './workflow/backfill-definition';
import type { EmrClusterBlueprint } from './workflow/emr-cluster';
import { silverQualityLimits, type StageArgsContext } from './workflow/stage-args';

export interface BackfillWorkflowProps {
  readonly config: PipelineConfig;
  readonly blueprint: EmrClusterBlueprint;
  readonly stageArgs: StageArgsContext;
  readonly lakeBucket: s3.IBucket;
  readonly artifactsBucket: s3.IBucket;
  readonly table: dynamodb.ITable;
  readonly topic: sns.ITopic;
  /** lambdas/cancel-steps, shared with the hourly teardown. */
  readonly cancelStepsFunction: lambda.IFunction;
  /** lambdas/janitor, shared with the hourly teardown. */
  readonly janitorFunction: lambda.IFunction;
  /**
   * Where Bronze reads the OpenAQ archive.
   * @default `s3://openaq-data-archive`
   */
  readonly archiveUri?: string;
}

/**
 * The backfill state machine and its Lambdas (plan-backfill, backfill-record-chunk, fan-in,
 * backfill-finalize: lib/backfill-functions.ts). Started from the console or `aqi-pipeline backfill
 * start` with `{ "startDate": "2024-01-01", "endDate": "2025-10-16" }`; see docs/BACKFILL.md.
 */
export class BackfillWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly functions: BackfillFunctions;

  constructor(scope: Construct, id: string, props: BackfillWorkflowProps) {
    super(scope, id);
    const { config } = props;
    const functions = createBackfillFunctions(this, {
      config,
      table: props.table,
      lakeBucket: props.lakeBucket,
      artifactsBucket: props.artifactsBucket,
      emrLogUri: props.blueprint.logUri,
    });

    const chunks = bronzeChunksMap(this, 'Bronze chunks', {
      context: props.stageArgs,
      archive: { kind: 'archive', archiveUri: props.archiveUri ?? s3Uri(OPENAQ_ARCHIVE_BUCKET, '').replace(/\/$/, '') },
      bronzeTimeout: Duration.seconds(config.stageTimeoutSeconds.bronze),
      failedStepRetries: config.emr.stepRetries,
      recordChunkFunction: functions.recordChunk,
      cancelStepsFunction: props.cancelStepsFunction,
    });
    const definition = backfillDefinition(this, {
      blueprint: props.blueprint,
      capacity: config.backfill.capacity,
      stageArgs: props.stageArgs,
      rangeStepTimeouts: {
        silver: Duration.seconds(config.stageTimeoutSeconds.silver),
        gold: Duration.seconds(config.stageTimeoutSeconds.gold),
      },
      failedStepRetries: config.emr.stepRetries,
      silverQualityLimits: silverQualityLimits(config.backfill.silverQualityGate),
      table: props.table,
      topic: props.topic,
      cancelStepsFunction: props.cancelStepsFunction,
      janitorFunction: props.janitorFunction,
      planFunction: functions.plan,
      fanInFunction: functions.fanIn,
      finalizeFunction: functions.finalize,
      chunksMap: chunks,
    });

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      comment: 'aqi-pipeline backfill: plan, one Bronze EMR step per chunk, fan-in, Silver and Gold over the range',
      timeout: backfillExecutionTimeout(config),
      tracingEnabled: true,
      logs: {
        destination: new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.SIX_MONTHS }),
        level: sfn.LogLevel.ALL,
        includeExecutionData: true,
      },
    });
    this.functions = functions;
  }
}

/**
 * The longest run the configuration accepts (`backfill.maxRangeDays` daily chunks one at a time, Silver
 * and Gold, every retry, cluster start and stop: the lock TTL formula of plan-backfill at its worst case)
 * plus 15 minutes. A run stuck past it ends TIMED_OUT and the janitor terminates its cluster and frees the
 * lock. lib/config.ts rejects a configuration whose worst case exceeds Step Functions' one-year maximum.
 */
export function backfillExecutionTimeout(config: PipelineConfig): Duration {
  return Duration.seconds(longestRunSeconds(config.backfill.maxRangeDays, stageTimeouts(config)) + 15 * 60);
}
