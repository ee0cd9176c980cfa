import { CloudWatchClient, PutMetricDataCommand, StandardUnit } from '@aws-sdk/client-cloudwatch';
import type { MetricDatum, MetricsSink } from '../ports';

/** PutMetricData takes at most 1000 metrics per call. */
const BATCH = 1000;
const UNITS: Record<MetricDatum['unit'], StandardUnit> = {
  Count: StandardUnit.Count,
  Seconds: StandardUnit.Seconds,
  None: StandardUnit.None,
};

export class CloudWatchMetricsSink implements MetricsSink {
  constructor(private readonly client: CloudWatchClient = new CloudWatchClient({})) {}

  async putMetrics(namespace: string, metrics: MetricDatum[]): Promise<void> {
    for (let i = 0; i < metrics.length; i += BATCH) {
      await this.client.send(
        new PutMetricDataCommand({
          Namespace: namespace,
          MetricData: metrics.slice(i, i + BATCH).map((m) => ({
            MetricName: m.name,
            Value: m.value,
            Unit: UNITS[m.unit],
            Dimensions: Object.entries(m.dimensions ?? {}).map(([Name, Value]) => ({ Name, Value })),
          })),
        }),
      );
    }
  }
}
