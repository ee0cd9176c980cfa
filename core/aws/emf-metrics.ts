import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MetricDatum, MetricsSink } from '../ports';

const UNITS: Record<MetricDatum['unit'], (typeof MetricUnit)[keyof typeof MetricUnit]> = {
  Count: MetricUnit.Count,
  Seconds: MetricUnit.Seconds,
  None: MetricUnit.NoUnit,
};

/**
 * Publishes metrics as CloudWatch embedded metric format (EMF) log lines through Powertools Metrics:
 * CloudWatch extracts them from the function's log, so there is no `PutMetricData` call to wait for
 * and no permission to grant. An EMF document carries one dimension set for all its metrics, so each
 * set (`Pipeline`, `Pipeline`+`Stage`) is flushed as its own document.
 */
export class EmfMetricsSink implements MetricsSink {
  constructor(private readonly serviceName: string) {}

  async putMetrics(namespace: string, metrics: MetricDatum[]): Promise<void> {
    const emf = new Metrics({ namespace, serviceName: this.serviceName });
    // Powertools adds `service` as a default dimension; the dashboard and alarms address the metrics by
    // the pipeline's own dimensions only, so it is dropped.
    emf.clearDefaultDimensions();
    for (const group of byDimensionSet(metrics)) {
      emf.addDimensions(group.dimensions);
      for (const metric of group.metrics) emf.addMetric(metric.name, UNITS[metric.unit], metric.value);
      emf.publishStoredMetrics();
    }
  }
}

function byDimensionSet(metrics: MetricDatum[]): { dimensions: Record<string, string>; metrics: MetricDatum[] }[] {
  const groups = new Map<string, { dimensions: Record<string, string>; metrics: MetricDatum[] }>();
  for (const metric of metrics) {
    const dimensions = metric.dimensions ?? {};
    const key = JSON.stringify(Object.entries(dimensions).sort(([a], [b]) => a.localeCompare(b)));
    const group = groups.get(key) ?? { dimensions, metrics: [] };
    group.metrics.push(metric);
    groups.set(key, group);
  }
  return [...groups.values()];
}
