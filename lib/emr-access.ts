import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { CLUSTER_TAG_KEYS } from '../core/tags';

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

/**
 * Confines a principal's EMR access to the pipeline's own clusters, whatever its allow statements say:
 * cluster actions are denied on clusters without the `aqi-pipeline:pipeline` tag, and RunJobFlow is
 * denied unless the request carries that tag. Deny statements, because CDK's EMR tasks write their own
 * allow statements on `cluster/*` and `*`, and an explicit deny wins over any allow.
 *
 * AddTags is left out: tag-on-create authorizes AddTags for a cluster that does not carry the tag yet,
 * and how EMR evaluates resource tags for it is not documented.
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
}
