import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { PlanHourlyEnv } from '../lambdas/plan-hourly/schema';
import { RUNS_PREFIX } from '../core/layout';
import { IMPORTED_ARN, s3GrantFindings, TABLE_KMS_FINDINGS } from './compliance';
import type { PipelineConfig } from './config';
import { CLUSTER_USAGE_FINDINGS, grantClusterUsageRead, priceTableEnvironment } from './cost-recording';
import { METRICS_NAMESPACE } from './monitoring';
import { PipelineFunction } from './pipeline-functions';
import type { DataLakeResources } from './pipeline-stack';

/** The Lambdas of the hourly workflow; cancel-steps and the janitor serve the backfill too. */
export interface PipelineLambdas {
  readonly planHourly: PipelineFunction;
  readonly finalize: PipelineFunction;
  readonly cancelSteps: PipelineFunction;
  readonly janitor: PipelineFunction;
}

export interface PipelineLambdasProps {
  readonly config: PipelineConfig;
  readonly lake: DataLakeResources;
  /** The clusters' `LogUri`, for the step log URIs in manifests. */
  readonly emrLogUri: string;
  /** How long a run's lock lives before another run may take it over. */
  readonly lockTtl: Duration;
}

/**
 * Each function with exactly the permissions its core uses (created in `scope`, the stack, so their
 * logical ids read as the function names).
 */
export function createPipelineLambdas(scope: Construct, props: PipelineLambdasProps): PipelineLambdas {
  const { config, lake } = props;
  const tableEnv = { TABLE_NAME: lake.table.tableName };
  const planHourly = new PipelineFunction(scope, 'PlanHourly', {
    name: 'plan-hourly',
    description: 'Plans an hourly run: window from the watermark, run id, lock times',
    environment: {
      ...tableEnv,
      LATE_DATA_MARGIN_HOURS: String(config.hourly.lateDataMarginHours),
      MAX_WINDOW_HOURS: String(config.hourly.maxWindowHours),
      LOCK_TTL_SECONDS: String(props.lockTtl.toSeconds()),
      BACKFILL_AFTER_GAP_HOURS: String(config.hourly.backfillAfterGapHours),
      MAX_BACKFILL_RANGE_DAYS: String(config.backfill.maxRangeDays),
      METRICS_NAMESPACE,
      LOCATION_COUNT: String(config.locations.length),
      SIZING_MODE: config.hourly.sizing.mode,
      PRIMARY_ONLY_MAX_LOCATION_HOURS: String(config.hourly.sizing.primaryOnlyMaxLocationHours),
      LOCATION_HOURS_PER_CORE_INSTANCE: String(config.hourly.sizing.locationHoursPerCoreInstance),
      MAX_CORE_INSTANCES: String(config.hourly.sizing.maxCoreInstances),
      CORE_INSTANCE_COUNT: String(config.emr.coreInstanceCount),
    } satisfies Record<keyof PlanHourlyEnv, string>,
    acknowledgements: TABLE_KMS_FINDINGS,
  });
  lake.table.grantReadData(planHourly);

  const finalize = new PipelineFunction(scope, 'Finalize', {
    name: 'finalize',
    description: 'Writes the run manifest, logs the run metrics as EMF, advances the hourly watermark',
    timeout: Duration.minutes(2),
    environment: {
      ...tableEnv,
      LAKE_BUCKET: lake.lakeBucket.bucketName,
      EMR_LOG_URI: props.emrLogUri,
      METRICS_NAMESPACE,
      ...priceTableEnvironment(config),
    },
    acknowledgements: {
      ...TABLE_KMS_FINDINGS,
      ...CLUSTER_USAGE_FINDINGS,
      ...s3GrantFindings('runs/* of the lake bucket (stage results in, manifests out)'),
      [`AwsSolutions-IAM5[Resource::${IMPORTED_ARN.lakeBucket}/${RUNS_PREFIX}*]`]:
        'Manifests and stage results live under runs/<pipeline>/<runId>/, created per run',
    },
  });
  lake.lakeBucket.grantReadWrite(finalize, `${RUNS_PREFIX}*`);
  grantClusterUsageRead(finalize);
  lake.table.grantReadWriteData(finalize);

  const cancelSteps = new PipelineFunction(scope, 'CancelSteps', {
    name: 'cancel-steps',
    description: 'Cancels the PENDING and RUNNING steps of a failing run\'s cluster',
    acknowledgements: {
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:elasticmapreduce:<AWS::Region>:<AWS::AccountId>:cluster/*]':
        'Clusters are created per execution; their ids are unknown at deploy time',
    },
  });
  cancelSteps.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['elasticmapreduce:ListSteps', 'elasticmapreduce:CancelSteps'],
      resources: [Stack.of(scope).formatArn({ service: 'elasticmapreduce', resource: 'cluster', resourceName: '*' })],
    }),
  );

  const janitor = new PipelineFunction(scope, 'Janitor', {
    name: 'janitor',
    description: 'Terminates clusters tagged with a failed, timed-out or aborted execution and releases its lock',
    timeout: Duration.minutes(5),
    environment: tableEnv,
    acknowledgements: {
      ...TABLE_KMS_FINDINGS,
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:elasticmapreduce:<AWS::Region>:<AWS::AccountId>:cluster/*]':
        'The janitor terminates clusters created per execution; their ids are unknown at deploy time',
    },
  });
  lake.table.grantReadWriteData(janitor);
  janitor.addToRolePolicy(
    new iam.PolicyStatement({
      // ListClusters has no resource-level permissions.
      actions: ['elasticmapreduce:ListClusters'],
      resources: ['*'],
    }),
  );
  janitor.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['elasticmapreduce:DescribeCluster', 'elasticmapreduce:TerminateJobFlows'],
      resources: [Stack.of(scope).formatArn({ service: 'elasticmapreduce', resource: 'cluster', resourceName: '*' })],
    }),
  );
  return { planHourly, finalize, cancelSteps, janitor };
}
