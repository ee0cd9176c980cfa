/** Metrics and notifications locally: appended to a JSON-lines file and printed, where AWS would publish them. */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { MetricDatum, MetricsSink } from '../../core/ports';

export class FileMetricsSink implements MetricsSink {
  constructor(private readonly file: string) {}

  async putMetrics(namespace: string, metrics: MetricDatum[]): Promise<void> {
    mkdirSync(dirname(this.file), { recursive: true });
    const at = new Date().toISOString();
    for (const metric of metrics) appendFileSync(this.file, `${JSON.stringify({ at, namespace, ...metric })}\n`);
  }
}
