import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { type PipelineConfig, runPriceTable } from './config';
import { confineToPipelineClusters } from './emr-access';

/** The cdk-nag finding a cluster-wide EMR read raises, with why it is accepted. */
export const CLUSTER_USAGE_FINDINGS: Record<string, string> = {
  'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:elasticmapreduce:<AWS::Region>:<AWS::AccountId>:cluster/*]':
    "Finalize reads the run's cluster (ListInstances, DescribeCluster) for its cost; clusters are created per execution, so their ids are unknown at deploy time",
};

/** `PRICE_TABLE` for a finalizing Lambda: the configured types' dated prices (lib/pricing/). */
export function priceTableEnvironment(config: PipelineConfig): { PRICE_TABLE: string } {
  return { PRICE_TABLE: JSON.stringify(runPriceTable(config)) };
}

/**
 * Lets a finalizing Lambda read a run cluster's instance timelines and normalized instance hours, of the
 * pipeline's own clusters only (`confineToPipelineClusters`).
 */
export function grantClusterUsageRead(fn: iam.IGrantable & IConstruct): void {
  confineToPipelineClusters(fn);
  fn.grantPrincipal.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['elasticmapreduce:ListInstances', 'elasticmapreduce:DescribeCluster'],
      resources: [Stack.of(fn).formatArn({ service: 'elasticmapreduce', resource: 'cluster', resourceName: '*' })],
    }),
  );
}
