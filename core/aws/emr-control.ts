import {
  CancelStepsCommand,
  ClusterState,
  DescribeClusterCommand,
  EMRClient,
  ListClustersCommand,
  ListStepsCommand,
  StepCancellationOption,
  StepState,
  TerminateJobFlowsCommand,
} from '@aws-sdk/client-emr';
import type { ClusterControl, ClusterSummary, StepControl } from '../ports';

const ACTIVE_STATES = [
  ClusterState.STARTING,
  ClusterState.BOOTSTRAPPING,
  ClusterState.RUNNING,
  ClusterState.WAITING,
];
/** TerminateJobFlows accepts at most 10 ids per call. */
const TERMINATE_BATCH = 10;
/** CancelSteps accepts at most 256 step ids per call. */
const CANCEL_BATCH = 256;

export class EmrControl implements ClusterControl, StepControl {
  constructor(private readonly client: EMRClient = new EMRClient({})) {}

  /**
   * ListClusters cannot filter by tag, so every active cluster is described; a pipeline account runs a
   * handful at a time, which keeps this cheap.
   */
  async listActiveClustersTagged(tagKey: string, tagValue: string): Promise<ClusterSummary[]> {
    const matches: ClusterSummary[] = [];
    let marker: string | undefined;
    do {
      const page = await this.client.send(new ListClustersCommand({ ClusterStates: ACTIVE_STATES, Marker: marker }));
      for (const cluster of page.Clusters ?? []) {
        if (cluster.Id === undefined) continue;
        const described = await this.client.send(new DescribeClusterCommand({ ClusterId: cluster.Id }));
        const tagged = (described.Cluster?.Tags ?? []).some((tag) => tag.Key === tagKey && tag.Value === tagValue);
        if (tagged) matches.push({ id: cluster.Id, state: cluster.Status?.State ?? 'UNKNOWN' });
      }
      marker = page.Marker;
    } while (marker !== undefined);
    return matches;
  }

  async terminateClusters(clusterIds: string[]): Promise<void> {
    for (let i = 0; i < clusterIds.length; i += TERMINATE_BATCH) {
      await this.client.send(new TerminateJobFlowsCommand({ JobFlowIds: clusterIds.slice(i, i + TERMINATE_BATCH) }));
    }
  }

  /** ListSteps has no name filter, so the name is matched on each page. */
  async listActiveSteps(clusterId: string, name?: string): Promise<string[]> {
    const ids: string[] = [];
    let marker: string | undefined;
    do {
      const page = await this.client.send(
        new ListStepsCommand({ ClusterId: clusterId, StepStates: [StepState.PENDING, StepState.RUNNING], Marker: marker }),
      );
      for (const step of page.Steps ?? []) {
        if (step.Id !== undefined && (name === undefined || step.Name === name)) ids.push(step.Id);
      }
      marker = page.Marker;
    } while (marker !== undefined);
    return ids;
  }

  async cancelSteps(clusterId: string, stepIds: string[]): Promise<void> {
    for (let i = 0; i < stepIds.length; i += CANCEL_BATCH) {
      await this.client.send(
        new CancelStepsCommand({
          ClusterId: clusterId,
          StepIds: stepIds.slice(i, i + CANCEL_BATCH),
          // SIGTERM first: the Stage CLI stops before its next Iceberg commit on SIGTERM.
          StepCancellationOption: StepCancellationOption.SEND_INTERRUPT,
        }),
      );
    }
  }
}
