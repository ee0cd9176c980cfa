import { Stack, Token, Validations } from 'aws-cdk-lib';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import type { IConstruct } from 'constructs';
import { CLUSTER_USAGE_FINDINGS } from './cost-recording';

/**
 * cdk-nag acknowledgements, each with the concrete reason the finding is accepted. Kept in one file so
 * a reviewer sees every exception at once; test/nag proves nothing else is reported.
 */
function acknowledge(scope: IConstruct, findings: Record<string, string>): void {
  for (const [id, reason] of Object.entries(findings)) {
    for (const located of forStackEnvironment(scope, id)) Validations.of(scope).acknowledge({ id: located, reason });
  }
}

/**
 * Findings name ARNs as cdk-nag prints them: `<AWS::Region>`, `<AWS::AccountId>` (and `<AWS::Partition>`) for an
 * environment-agnostic stack (the tests), the concrete values once `cdk synth` knows them (the CLI
 * resolves the region from the AWS configuration). Acknowledgements are written agnostically and
 * follow the stack here, so both match.
 */
function forStackEnvironment(scope: IConstruct, id: string): string[] {
  const { region, account } = Stack.of(scope);
  let resolved = id;
  if (!Token.isUnresolved(region)) resolved = resolved.replaceAll('<AWS::Region>', region);
  if (!Token.isUnresolved(account)) resolved = resolved.replaceAll('<AWS::AccountId>', account);
  // Feature flag @aws-cdk/core:enablePartitionLiterals (cdk.json): with a known region, ARNs CDK builds
  // with its own helpers carry the partition literally, while ARNs built with Aws.PARTITION keep the
  // pseudo parameter; a finding may come in either form.
  const partition = Token.isUnresolved(region) ? undefined : RegionInfo.get(region).partition;
  if (partition === undefined || !resolved.includes('<AWS::Partition>')) return [resolved];
  return [resolved, resolved.replaceAll('<AWS::Partition>', partition)];
}

/**
 * How cdk-nag names the lake buckets' ARNs inside the pipeline stack: CloudFormation export names CDK
 * derives from the data-lake stack's name and the buckets' pinned logical ids (both fixed, see
 * STATEFUL_LOGICAL_IDS), so they are stable.
 */
export const IMPORTED_ARN = {
  lakeBucket: 'AqiDataLake:ExportsOutputFnGetAttLakeBucketArn4B06F64C',
  artifactsBucket: 'AqiDataLake:ExportsOutputFnGetAttArtifactsBucketArnD46760D3',
  logsBucket: 'AqiDataLake:ExportsOutputFnGetAttLogsBucketArnA80266A2',
} as const;

const KMS_GRANT =
  'CDK grant on the lake key only (one key ARN): GenerateDataKey*/ReEncrypt* are the data-key calls SSE-KMS and DynamoDB encryption make';
const LAMBDA_RUNTIME =
  'Node.js 22: the bundle targets node22 (esbuild) and the tests and local runtime run the same code on Node 20/22; a runtime upgrade is a deliberate toolchain change, not a drive-by';

/** Findings every pipeline Lambda has, plus the ones its own statements add. */
export function acknowledgePipelineFunction(fn: IConstruct, extra: Record<string, string> = {}): void {
  acknowledge(fn, {
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]':
      'Only CloudWatch Logs write access, which every function needs for its own log group',
    'AwsSolutions-IAM5[Resource::*]':
      'X-Ray PutTraceSegments/PutTelemetryRecords have no resource-level permissions (tracing is on for every function)',
    'AwsSolutions-L1': LAMBDA_RUNTIME,
    ...extra,
  });
}

export const TABLE_KMS_FINDINGS: Record<string, string> = {
  'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]': KMS_GRANT,
  'AwsSolutions-IAM5[Action::kms:ReEncrypt*]': KMS_GRANT,
};

/** S3 grant wildcards (`s3:GetObject*`, ...) are CDK's grant action groups; the resources say what they reach. */
export function s3GrantFindings(scopeDescription: string): Record<string, string> {
  const reason = `CDK S3 grant action group, limited to ${scopeDescription}`;
  return Object.fromEntries(
    ['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:DeleteObject*', 's3:Abort*'].map((action) => [
      `AwsSolutions-IAM5[Action::${action}]`,
      reason,
    ]),
  );
}

/** A state machine that drives EMR, Lambdas and X-Ray (the hourly one; the backfill one too). */
export function acknowledgeEmrStateMachine(stateMachine: IConstruct, functionLogicalIds: readonly string[]): void {
  acknowledge(stateMachine, {
    'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:elasticmapreduce:<AWS::Region>:<AWS::AccountId>:cluster/*]':
      'Clusters are created per execution, so their ids are unknown at deploy time; the cluster-creating policy also tags them',
    'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:role/aws-service-role/elasticmapreduce.amazonaws.com*/AWSServiceRoleForEMRCleanup*]':
      'EMR creates its cleanup service-linked role on first use; the statement is limited to that role name and service',
    'AwsSolutions-IAM5[Resource::*]':
      'RunJobFlow/DescribeCluster, X-Ray and CloudWatch Logs delivery have no resource-level permissions',
    'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]':
      'Publishing the failure notice to the topic encrypted with the lake key (that one key only)',
    ...Object.fromEntries(
      functionLogicalIds.map((id) => [
        `AwsSolutions-IAM5[Resource::<${id}.Arn>:*]`,
        'Invoke permission on the versions and aliases of one pipeline function (CDK LambdaInvoke grant)',
      ]),
    ),
  });
}

/**
 * The backfill workflow's Lambdas and state machine (lib/backfill-workflow.ts), acknowledged at its
 * construct so every child is covered.
 */
export function acknowledgeBackfillWorkflow(backfill: IConstruct, stateMachine: IConstruct, functionLogicalIds: readonly string[], stateMachineRef: string): void {
  acknowledge(backfill, {
    ...TABLE_KMS_FINDINGS,
    ...s3GrantFindings('runs/backfill/ of the lake bucket (chunk results, manifests) and, for the planner, config/locations.json'),
    [`AwsSolutions-IAM5[Resource::${IMPORTED_ARN.lakeBucket}/runs/backfill/*]`]:
      'Backfill Lambdas read and write run records under runs/backfill/<runId>/, created per run',
    ...CLUSTER_USAGE_FINDINGS,
  });
  acknowledgeEmrStateMachine(stateMachine, functionLogicalIds);
  const execution = `arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${stateMachineRef}"}]}]}`;
  acknowledge(stateMachine, {
    [`AwsSolutions-IAM5[Resource::${execution}:*]`]: 'Distributed Map child executions are named at run time',
    [`AwsSolutions-IAM5[Resource::${execution}/BronzeChunks:*]`]: 'Distributed Map child executions are named at run time',
  });
}

/** CDK's BucketDeployment singleton (its Lambda and role live at the stack root, not under our construct). */
export function acknowledgeBucketDeploymentProvider(stack: Stack, bucketArnToken: string): void {
  for (const child of stack.node.children) {
    if (!child.node.id.startsWith('Custom::CDKBucketDeployment')) continue;
    acknowledge(child, {
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]':
        'CDK-provided deployment function: CloudWatch Logs write access only',
      'AwsSolutions-L1': 'CDK-provided deployment function; its Python runtime is chosen by aws-cdk-lib',
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]':
        'Reads the uploaded assets from the CDK bootstrap bucket',
      [`AwsSolutions-IAM5[Resource::<${bucketArnToken}.Arn>/*]`]: 'Writes the spark-jobs package and config into the artifacts bucket',
      ...s3GrantFindings('the CDK asset bucket and the artifacts bucket'),
      ...TABLE_KMS_FINDINGS,
    });
  }
}

export { acknowledge };

/** An EventBridge target's dead-letter queue (lib/pipeline-stack.ts). */
export function acknowledgeDeadLetterQueue(queue: IConstruct): void {
  acknowledge(queue, {
    'AwsSolutions-SQS3': 'This queue is itself the dead-letter queue of an EventBridge target; its depth is alarmed',
  });
}
