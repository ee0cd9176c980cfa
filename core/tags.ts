/**
 * Tags every EMR cluster of the pipeline carries. The state machines write them at createCluster and the
 * janitor finds orphaned clusters by them, so both derive the keys from here.
 */
export const CLUSTER_TAG_KEYS = {
  /** The Step Functions execution ARN that created the cluster (the janitor's search key). */
  executionArn: 'aqi-pipeline:execution-arn',
  runId: 'aqi-pipeline:run-id',
  pipeline: 'aqi-pipeline:pipeline',
} as const;

/**
 * The project's cost-allocation tag: on every resource the stacks create (lib/app.ts `APP_TAGS`) and on
 * every cluster, beside `CLUSTER_TAG_KEYS.pipeline` and `.runId` (docs/COSTS.md, "Cost Explorer").
 */
export const COST_ALLOCATION_TAG = { key: 'project', value: 'aqi-pipeline' } as const;

/**
 * AmazonEMRServicePolicy_v2 only lets EMR act on resources carrying this tag (clusters, and the VPC,
 * subnets and security groups it launches into).
 */
export const EMR_MANAGED_POLICY_TAG = { key: 'for-use-with-amazon-emr-managed-policies', value: 'true' } as const;
