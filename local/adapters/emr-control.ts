/** The `ClusterControl` and `StepControl` ports over the local EMR (what the janitor and cancel-steps use). */
import type { ClusterControl, ClusterSummary, StepControl } from '../../core/ports';
import { LocalEmr } from '../runtime/local-emr';

export class LocalEmrControl implements ClusterControl, StepControl {
  constructor(private readonly emr: LocalEmr) {}

  async listActiveClustersTagged(tagKey: string, tagValue: string): Promise<ClusterSummary[]> {
    return this.emr.listActiveClustersTagged(tagKey, tagValue).map((c) => ({ id: c.id, state: c.state }));
  }

  async terminateClusters(clusterIds: string[]): Promise<void> {
    for (const id of clusterIds) await this.emr.terminateCluster(id);
  }

  async listActiveSteps(clusterId: string, name?: string): Promise<string[]> {
    const cluster = this.emr.cluster(clusterId);
    const active = (cluster?.steps ?? []).filter((s) => s.state === 'PENDING' || s.state === 'RUNNING');
    return active.filter((s) => name === undefined || s.name === name).map((s) => s.id);
  }

  async cancelSteps(clusterId: string, stepIds: string[]): Promise<void> {
    for (const id of stepIds) await this.emr.cancelStep(clusterId, id);
  }
}
