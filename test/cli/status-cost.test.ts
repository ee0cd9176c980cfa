import type { BackfillManifest } from '../../lambdas/fan-in/manifest';
import { describeStatus } from '../../bin/cli/status-command';

const manifest: BackfillManifest = {
  pipeline: 'backfill',
  runId: 'backfill-20251130T0900Z-5e6f7a8b',
  status: 'SUCCEEDED',
  input: {},
  window: { start: '2024-01-01', end: '2024-02-29' },
  clusterId: 'j-3BACKFILLSPOT',
  chunks: [],
  failedChunks: [],
  reprocessInput: null,
  stages: { silver: null, gold: null },
  error: null,
  updatedAt: '2025-11-30T09:41:00.000Z',
};

describe('status', () => {
  test("prints the run's recorded cost: total, EC2 and EMR parts, instance-seconds by type and market, and the prices' date", () => {
    const text = describeStatus({ executionArn: 'arn:aws:states:us-east-1:123456789012:execution:Backfill:x', status: 'SUCCEEDED' }, {
      ...manifest,
      cost: {
        source: 'emr:ListInstances',
        clusterId: 'j-3BACKFILLSPOT',
        lines: [
          { instanceType: 'm6g.xlarge', market: 'SPOT', instances: 2, instanceSeconds: 2340, ec2Usd: 0.0325, emrUsd: 0.026 },
          { instanceType: 'm7g.xlarge', market: 'ON_DEMAND', instances: 1, instanceSeconds: 2400, ec2Usd: 0.106667, emrUsd: 0.026667 },
        ],
        instanceSeconds: 4740,
        normalizedInstanceHours: 32,
        estimatedUsd: { ec2: 0.139167, emr: 0.052667, total: 0.191834 },
        unpricedTypes: [],
        prices: { region: 'us-east-1', currency: 'USD', pricesAsOf: '2026-11-30' },
        measuredAt: '2025-11-30T09:41:00.000Z',
        note: 'Estimate',
      },
    });
    expect(text.split('\n')).toContain(
      'Cost        $0.1918 estimated (EC2 $0.1392 + EMR $0.0527; 2 × m6g.xlarge spot 2,340 s, 1 × m7g.xlarge on-demand 2,400 s; prices us-east-1 as of 2026-11-30)',
    );
  });

  test('says why when the cost could not be read from EMR', () => {
    const text = describeStatus({ executionArn: 'arn', status: 'SUCCEEDED' }, { ...manifest, cost: { unavailable: 'EMR usage of j-X could not be read: AccessDeniedException: no' } });
    expect(text.split('\n')).toContain('Cost        not recorded (EMR usage of j-X could not be read: AccessDeniedException: no)');
  });
});
