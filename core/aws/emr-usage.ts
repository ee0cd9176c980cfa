import { DescribeClusterCommand, EMRClient, type Instance, ListInstancesCommand, MarketType } from '@aws-sdk/client-emr';
import type { ClusterInstance, ClusterUsage, ClusterUsageSource } from '../ports';

/**
 * Reads a cluster's instance timelines (ListInstances: active instances and those terminated in the last
 * 30 days, up to 2,000) and its NormalizedInstanceHours (DescribeCluster).
 */
export class EmrClusterUsage implements ClusterUsageSource {
  constructor(private readonly client: EMRClient = new EMRClient({})) {}

  async clusterUsage(clusterId: string): Promise<ClusterUsage> {
    const instances: ClusterInstance[] = [];
    let marker: string | undefined;
    do {
      const page = await this.client.send(new ListInstancesCommand({ ClusterId: clusterId, Marker: marker }));
      for (const instance of page.Instances ?? []) {
        const usage = instanceUsage(instance);
        if (usage !== undefined) instances.push(usage);
      }
      marker = page.Marker;
    } while (marker !== undefined);
    const described = await this.client.send(new DescribeClusterCommand({ ClusterId: clusterId }));
    return { instances, normalizedInstanceHours: described.Cluster?.NormalizedInstanceHours ?? null };
  }
}

/**
 * An instance without a CreationDateTime was never created and cost nothing, so it is left out. An
 * instance without a `Market` is priced as On-Demand, the dearer market, so a cost is never understated.
 */
function instanceUsage(instance: Instance): ClusterInstance | undefined {
  const created = instance.Status?.Timeline?.CreationDateTime;
  if (created === undefined || instance.InstanceType === undefined) return undefined;
  return {
    instanceType: instance.InstanceType,
    market: instance.Market === MarketType.SPOT ? 'SPOT' : 'ON_DEMAND',
    createdAt: created,
    endedAt: instance.Status?.Timeline?.EndDateTime,
  };
}
