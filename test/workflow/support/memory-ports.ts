import type {
  ClusterControl,
  ClusterSummary,
  ClusterUsageSource,
  LockRecord,
  MetricDatum,
  MetricsSink,
  ObjectStore,
  PipelineStateStore,
  StepControl,
  WatermarkRecord,
} from '../../../core/ports';
import type { RunPriceTable } from '../../../core/pricing';
import type { ClusterUsage } from '../../../core/ports';

/** In-memory implementations of the Lambda ports, with the same contracts as the AWS adapters. */
export class MemoryObjectStore implements ObjectStore {
  readonly objects = new Map<string, string>();

  async getText(bucket: string, key: string) {
    return this.objects.get(`${bucket}/${key}`);
  }

  async putText(bucket: string, key: string, body: string) {
    this.objects.set(`${bucket}/${key}`, body);
  }

  async listKeys(bucket: string, prefix: string) {
    return [...this.objects.keys()]
      .filter((k) => k.startsWith(`${bucket}/${prefix}`))
      .map((k) => k.slice(bucket.length + 1))
      .sort();
  }

  /** The object parsed as JSON; a missing object fails the test naming the keys there are. */
  json(bucket: string, key: string): unknown {
    const text = this.objects.get(`${bucket}/${key}`);
    if (text === undefined) throw new Error(`no object s3://${bucket}/${key}; have: ${[...this.objects.keys()].join(', ')}`);
    return JSON.parse(text);
  }
}

export class MemoryStateStore implements PipelineStateStore {
  readonly watermarks = new Map<string, WatermarkRecord>();
  lock: LockRecord | undefined;

  async getWatermark(pipeline: string) {
    return this.watermarks.get(pipeline);
  }

  async putWatermark(pipeline: string, record: WatermarkRecord) {
    this.watermarks.set(pipeline, record);
  }

  async getLock() {
    return this.lock;
  }

  async releaseLock(holder: string) {
    if (this.lock?.holder !== holder) return false;
    this.lock = undefined;
    return true;
  }
}

export interface FakeCluster {
  id: string;
  state: string;
  tags: Record<string, string>;
  steps: { id: string; name?: string; state: 'PENDING' | 'RUNNING' | 'COMPLETED' | 'FAILED' | 'CANCELLED' }[];
}

/** EMR as far as the janitor and cancel-steps see it. */
export class MemoryEmr implements ClusterControl, StepControl {
  readonly clusters: FakeCluster[] = [];

  async listActiveClustersTagged(tagKey: string, tagValue: string): Promise<ClusterSummary[]> {
    return this.clusters
      .filter((c) => c.state !== 'TERMINATED' && c.tags[tagKey] === tagValue)
      .map((c) => ({ id: c.id, state: c.state }));
  }

  async terminateClusters(ids: string[]) {
    for (const cluster of this.clusters) if (ids.includes(cluster.id)) cluster.state = 'TERMINATED';
  }

  async listActiveSteps(clusterId: string, name?: string) {
    return this.cluster(clusterId)
      .steps.filter((s) => (s.state === 'PENDING' || s.state === 'RUNNING') && (name === undefined || s.name === name))
      .map((s) => s.id);
  }

  async cancelSteps(clusterId: string, stepIds: string[]) {
    for (const step of this.cluster(clusterId).steps) if (stepIds.includes(step.id)) step.state = 'CANCELLED';
  }

  cluster(id: string): FakeCluster {
    const found = this.clusters.find((c) => c.id === id);
    if (found === undefined) throw new Error(`no cluster ${id}`);
    return found;
  }
}

export class MemoryMetrics implements MetricsSink {
  readonly published: { namespace: string; metric: MetricDatum }[] = [];

  async putMetrics(namespace: string, metrics: MetricDatum[]) {
    for (const metric of metrics) this.published.push({ namespace, metric });
  }
}

/** EMR's instance records per cluster; a cluster it never heard of fails as EMR's InvalidRequestException does. */
export class MemoryClusterUsage implements ClusterUsageSource {
  readonly usage = new Map<string, ClusterUsage>();

  async clusterUsage(clusterId: string): Promise<ClusterUsage> {
    const found = this.usage.get(clusterId);
    if (found === undefined) throw Object.assign(new Error(`Cluster id '${clusterId}' is not valid.`), { name: 'InvalidRequestException' });
    return found;
  }
}

/** Round prices, so expected costs read at a glance: $0.20 an On-Demand hour, $0.10 a Spot one, all in. */
export const TEST_PRICES: RunPriceTable = {
  region: 'us-east-1',
  currency: 'USD',
  pricesAsOf: '2026-11-30',
  instances: {
    'm7g.xlarge': { ec2OnDemand: 0.16, ec2Spot: 0.06, emr: 0.04 },
    'm6g.xlarge': { ec2OnDemand: 0.15, ec2Spot: 0.05, emr: 0.04 },
  },
};
