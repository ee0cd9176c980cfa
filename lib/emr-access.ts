import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { PIPELINES } from '../core/layout';
import { CLUSTER_TAG_KEYS, COST_ALLOCATION_TAG, EMR_MANAGED_POLICY_TAG } from '../core/tags';

/**
 * EMR actions on a cluster that support resource-level permissions and that a pipeline principal is
 * granted (by CDK's EMR tasks or by our Lambdas' policies). Service Authorization Reference, "Actions,
 * resources, and condition keys for Amazon Elastic MapReduce" (docs/ARCHITECTURE.md, "Hardening").
 */
export const CLUSTER_ACTIONS = [
  'elasticmapreduce:DescribeCluster',
  'elasticmapreduce:TerminateJobFlows',
  'elasticmapreduce:AddJobFlowSteps',
  'elasticmapreduce:DescribeStep',
  'elasticmapreduce:CancelSteps',
  'elasticmapreduce:ListSteps',
  'elasticmapreduce:ListInstances',
] as const;

/** The tag every pipeline cluster carries from its RunJobFlow on (`createClusterTask`). */
const PIPELINE_TAG = CLUSTER_TAG_KEYS.pipeline;


/** Every tag key `createClusterTask` writes on a cluster, and so the only keys AddTags may carry. */
export const CLUSTER_TAG_KEYS_WRITTEN = [
  COST_ALLOCATION_TAG.key,
  CLUSTER_TAG_KEYS.executionArn,
  CLUSTER_TAG_KEYS.runId,
  CLUSTER_TAG_KEYS.pipeline,
  EMR_MANAGED_POLICY_TAG.key,
] as const;

/**
 * Confines a principal's EMR access to the pipeline's own clusters, whatever its allow statements say:
 * cluster actions are denied on clusters without the `aqi-pipeline:pipeline` tag, and RunJobFlow is
 * denied unless the request carries that tag. Deny statements, because CDK's EMR tasks write their own
 * allow statements on `cluster/*` and `*`, and an explicit deny wins over any allow.
 *
 * AddTags (which RunJobFlow also needs for its tags: a dependent action in the Service Authorization
 * Reference) is confined by its request, not by the cluster's tags: it is denied unless the request
 * carries the pipeline tag with a workflow's value (`PIPELINES`, which `createClusterTask` writes), and denied for any tag key the pipeline does not
 * write (`aws:RequestTag`, `aws:TagKeys`, both supported for AddTags). Denying on the cluster's own
 * tags could refuse the tag-on-create call, whose resource carries no tags yet; how EMR evaluates
 * resource tags there is not documented.
 */
export function confineToPipelineClusters(grantee: iam.IGrantable & IConstruct): void {
  const stack = Stack.of(grantee);
  const principal = grantee.grantPrincipal;
  principal.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'OnlyPipelineClusters',
      effect: iam.Effect.DENY,
      actions: [...CLUSTER_ACTIONS],
      resources: [stack.formatArn({ service: 'elasticmapreduce', resource: 'cluster', resourceName: '*' })],
      conditions: { Null: { [`elasticmapreduce:ResourceTag/${PIPELINE_TAG}`]: 'true' } },
    }),
  );
  principal.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'OnlyTaggedRunJobFlow',
      effect: iam.Effect.DENY,
      actions: ['elasticmapreduce:RunJobFlow'],
      resources: ['*'],
      conditions: { Null: { [`elasticmapreduce:RequestTag/${PIPELINE_TAG}`]: 'true' } },
    }),
  );
  // A negated operator is true when the key is absent (IAM User Guide, "Condition operators"), so a
  // request without the pipeline tag is denied too.
  principal.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'OnlyPipelineTagRequests',
      effect: iam.Effect.DENY,
      actions: ['elasticmapreduce:AddTags'],
      resources: ['*'],
      conditions: { StringNotEquals: { [`aws:RequestTag/${PIPELINE_TAG}`]: [...PIPELINES] } },
    }),
  );
  principal.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'OnlyPipelineTagKeys',
      effect: iam.Effect.DENY,
      actions: ['elasticmapreduce:AddTags'],
      resources: ['*'],
      conditions: { 'ForAnyValue:StringNotEquals': { 'aws:TagKeys': [...CLUSTER_TAG_KEYS_WRITTEN] } },
    }),
  );
}
