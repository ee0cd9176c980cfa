/**
 * The `ClusterUsageSource` port over the local EMR: the instances the createCluster request asked for,
 * alive from the local cluster's creation to its termination. So a local run's manifest prices the AWS
 * cluster it stands in for, at the local run's instance-seconds: no provisioning time, no managed
 * scaling, and each Spot fleet taken as its first instance type (docs/COSTS.md says what that leaves out).
 */
import type { ClusterUsageSource } from '../../core/ports';
import type { ClusterInstance, ClusterUsage } from '../../core/ports';
import type { LocalEmr } from '../runtime/local-emr';

export class LocalClusterUsage implements ClusterUsageSource {
  constructor(private readonly emr: LocalEmr) {}

  async clusterUsage(clusterId: string): Promise<ClusterUsage> {
    const cluster = this.emr.cluster(clusterId);
    if (cluster === undefined) throw new Error(`Cluster id '${clusterId}' is not valid: no such cluster`);
    const createdAt = new Date(cluster.createdAt);
    const endedAt = cluster.terminatedAt === undefined ? undefined : new Date(cluster.terminatedAt);
    const instances: ClusterInstance[] = [];
    for (const fleet of cluster.fleets ?? []) {
      const instanceType = fleet.instanceTypes[0];
      if (instanceType === undefined) continue;
      for (let i = 0; i < fleet.onDemand; i++) instances.push({ instanceType, market: 'ON_DEMAND', createdAt, endedAt });
      for (let i = 0; i < fleet.spot; i++) instances.push({ instanceType, market: 'SPOT', createdAt, endedAt });
    }
    // EMR's NormalizedInstanceHours is not simulated locally.
    return { instances, normalizedInstanceHours: null };
  }
}
