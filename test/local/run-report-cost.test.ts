import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunReport } from '../../local/runtime/run-report';

function summaryOf(manifest: unknown): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'aqi-report-'));
  const path = join(dir, 'manifest.json');
  writeFileSync(path, JSON.stringify(manifest));
  const lines: string[] = [];
  new RunReport({ write: (line) => lines.push(line) }).summarize({ status: 'SUCCEEDED' } as never, path);
  return lines;
}

describe('the local run report', () => {
  test("prints the manifest's cost of the AWS cluster the local run stands in for", () => {
    const lines = summaryOf({
      cost: {
        source: 'emr:ListInstances',
        clusterId: 'j-LOCAL',
        lines: [{ instanceType: 'm7g.xlarge', market: 'ON_DEMAND', instances: 1, instanceSeconds: 66, ec2Usd: 0.002992, emrUsd: 0.000748 }],
        instanceSeconds: 66,
        normalizedInstanceHours: null,
        estimatedUsd: { ec2: 0.002992, emr: 0.000748, total: 0.00374 },
        unpricedTypes: [],
        prices: { region: 'us-east-1', currency: 'USD', pricesAsOf: '2026-11-30' },
        measuredAt: '2026-11-30T07:00:00.000Z',
        note: 'Estimate',
      },
    });
    expect(lines).toContain(
      "Cost: $0.0037 estimated (EC2 $0.0030 + EMR $0.0007; 1 × m7g.xlarge on-demand 66 s; prices us-east-1 as of 2026-11-30) — the AWS cluster this run stands in for, at the local run's instance-seconds",
    );
  });

  test('prints no cost line for a manifest without one (a run that never had a cluster)', () => {
    expect(summaryOf({ cost: null }).some((l) => l.startsWith('Cost:'))).toBe(false);
  });
});
