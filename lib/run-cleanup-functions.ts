import { Duration, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { TABLE_KMS_FINDINGS } from './compliance';
import { confineToPipelineClusters } from './emr-access';
import { PipelineFunction } from './pipeline-functions';

/**
 * The Lambdas that clean up after a failing run of either workflow: cancel-steps in both teardowns, the
 * janitor there and as the target of the stack's janitor rule.
 */
export interface RunCleanupFunctions {
  readonly cancelSteps: PipelineFunction;
  readonly janitor: PipelineFunction;
}

export interface RunCleanupFunctionsProps {
  /** The lock table: the janitor releases the lock of the execution it cleans up after. */
  readonly table: dynamodb.ITable;
}

/**
 * Each function with exactly the permissions its core uses, confined to the pipeline's tagged clusters
 * (created in `scope`, the stack, so their logical ids read as the function names).
 */
export function createRunCleanupFunctions(scope: Construct, props: RunCleanupFunctionsProps): RunCleanupFunctions {
  const anyCluster = Stack.of(scope).formatArn({ service: 'elasticmapreduce', resource: 'cluster', resourceName: '*' });
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
      resources: [anyCluster],
    }),
  );

  const janitor = new PipelineFunction(scope, 'Janitor', {
    name: 'janitor',
    description: 'Terminates clusters tagged with a failed, timed-out or aborted execution and releases its lock',
    timeout: Duration.minutes(5),
    environment: { TABLE_NAME: props.table.tableName },
    acknowledgements: {
      ...TABLE_KMS_FINDINGS,
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:elasticmapreduce:<AWS::Region>:<AWS::AccountId>:cluster/*]':
        'The janitor terminates clusters created per execution; their ids are unknown at deploy time',
    },
  });
  props.table.grantReadWriteData(janitor);
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
      resources: [anyCluster],
    }),
  );
  confineToPipelineClusters(cancelSteps);
  confineToPipelineClusters(janitor);
  return { cancelSteps, janitor };
}
