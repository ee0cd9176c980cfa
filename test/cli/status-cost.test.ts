import type { BackfillManifest } from '../../core/manifest';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import type { HourlyManifest } from '../../core/manifest';
import { describeStatus, lakeBucketOf } from '../../bin/cli/status-command';

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

describe('status of a backfill that could not read some archive files', () => {
  const file = (day: number) => ({
    key: `records/csv.gz/locationid=2178/year=2024/month=01/location-2178-202401${String(day).padStart(2, '0')}.csv.gz`,
    reason: 'truncated gzip: the compressed stream ends early',
    rejectedLines: 0,
    chunkId: '2024-01-01_2024-01-31',
    retryInput: { startDate: `2024-01-${String(day).padStart(2, '0')}`, endDate: `2024-01-${String(day).padStart(2, '0')}`, chunk: 'day', locations: [2178] },
  });

  test('names each skipped file with its reason and the input that retries it', () => {
    const text = describeStatus({ executionArn: 'arn', status: 'SUCCEEDED' }, { ...manifest, unreadableSources: [file(5)] });
    expect(text.split('\n').slice(-2)).toEqual([
      'Unreadable  1 archive file skipped (retry each with its input once the file is fixed, docs/OPERATIONS.md)',
      '  SKIPPED   records/csv.gz/locationid=2178/year=2024/month=01/location-2178-20240105.csv.gz: truncated gzip: the compressed stream ends early; retry {"startDate":"2024-01-05","endDate":"2024-01-05","chunk":"day","locations":[2178]}',
    ]);
  });

  test('shows the first five of a long list and points at the manifest for the rest', () => {
    const text = describeStatus({ executionArn: 'arn', status: 'SUCCEEDED' }, { ...manifest, unreadableSources: [1, 2, 3, 4, 5, 6, 7].map(file) });
    const lines = text.split('\n');
    expect(lines).toContain("Unreadable  7 archive files skipped, the first 5 below; all in the manifest's unreadableSources (retry each with its input once the file is fixed, docs/OPERATIONS.md)");
    expect(lines.filter((l) => l.startsWith('  SKIPPED ')).map((l) => /location-2178-202401(\d\d)/.exec(l)?.[1])).toEqual(['01', '02', '03', '04', '05']);
  });

  test('says nothing of unreadable files when every file was read', () => {
    expect(describeStatus({ executionArn: 'arn', status: 'SUCCEEDED' }, manifest)).not.toContain('Unreadable');
  });
});

describe('status of an hourly run', () => {
  const runId = 'hourly-20251130T0900Z-1a2b3c4d';
  const lake = 'aqi-data-lake-lakebucket-1x2y3z';
  // A `taskScheduled` event as GetExecutionHistory returns it for the hourly Bronze step (parameters trimmed).
  const bronzeScheduled: HistoryEvent = {
    id: 12,
    type: 'TaskScheduled',
    timestamp: new Date('2025-11-30T09:06:00Z'),
    taskScheduledEventDetails: {
      resourceType: 'elasticmapreduce',
      resource: 'addStep.sync',
      region: 'us-east-1',
      parameters: JSON.stringify({
        ClusterId: 'j-1HOURLY',
        Step: {
          Name: 'bronze',
          HadoopJarStep: { Jar: 'command-runner.jar', Args: ['spark-submit', 'bronze', '--result-uri', `s3://${lake}/runs/hourly/${runId}/results/bronze.json`] },
        },
      }),
    },
  };
  const hourlyManifest: HourlyManifest = {
    pipeline: 'hourly',
    runId,
    status: 'SUCCEEDED',
    executionArn: 'arn:aws:states:us-east-1:123456789012:execution:Hourly:x',
    startedAt: '2025-11-30T09:00:00.000Z',
    finishedAt: '2025-11-30T09:14:00.000Z',
    durationSeconds: 840,
    input: {},
    window: { start: '2025-11-30T07:00:00Z', end: '2025-11-30T09:00:00Z' },
    clusterId: 'j-1HOURLY',
    stages: {},
    cost: {
      source: 'emr:ListInstances',
      clusterId: 'j-1HOURLY',
      lines: [{ instanceType: 'm7g.xlarge', market: 'ON_DEMAND', instances: 1, instanceSeconds: 780, ec2Usd: 0.034667, emrUsd: 0.008667 }],
      instanceSeconds: 780,
      normalizedInstanceHours: 8,
      estimatedUsd: { ec2: 0.034667, emr: 0.008667, total: 0.043334 },
      unpricedTypes: [],
      prices: { region: 'us-east-1', currency: 'USD', pricesAsOf: '2026-11-30' },
      measuredAt: '2025-11-30T09:14:00.000Z',
      note: 'Estimate',
    },
    error: null,
  };

  test('finds the lake bucket in the result URI of a step the run scheduled', () => {
    const view = { executionArn: hourlyManifest.executionArn, status: 'SUCCEEDED', pipeline: 'hourly' as const, runId, events: [bronzeScheduled] };
    expect(lakeBucketOf(view)).toBe(lake);
  });

  test('finds no lake bucket before the run scheduled a step, or in another run’s URIs', () => {
    const base = { executionArn: hourlyManifest.executionArn, status: 'RUNNING', pipeline: 'hourly' as const };
    expect(lakeBucketOf({ ...base, runId, events: [] })).toBeUndefined();
    expect(lakeBucketOf({ ...base, runId: 'hourly-20251130T1000Z-9f9f9f9f', events: [bronzeScheduled] })).toBeUndefined();
  });

  test("prints what the hourly run's Bronze asked the OpenAQ API, busiest endpoint first", () => {
    const bronze = {
      status: 'SUCCEEDED' as const, stepId: 's-B', stepLogUri: null, resultKey: 'k', durationSeconds: 700, phases: null,
      rowsRead: 2400, rowsWritten: 100, rowsRejected: 0, rowsDuplicate: 2300, error: null,
      apiRequests: { requests: 607, byEndpoint: { '/v3/locations/{id}/sensors': 5, '/v3/sensors/{id}/hours': 602 }, rateLimited: 2, retried: 0, waitedSeconds: 540.4, sensorListsRenewed: 5 },
    };
    const text = describeStatus({ executionArn: hourlyManifest.executionArn, status: 'SUCCEEDED', pipeline: 'hourly', runId }, { ...hourlyManifest, stages: { bronze } });
    expect(text.split('\n')).toContain(
      'OpenAQ API  607 requests (602 /v3/sensors/{id}/hours, 5 /v3/locations/{id}/sensors), 540 s waited for the rate limit, 2 answered 429',
    );
  });

  test("prints the hourly manifest's status and recorded cost", () => {
    const text = describeStatus({ executionArn: hourlyManifest.executionArn, status: 'SUCCEEDED', pipeline: 'hourly', runId }, hourlyManifest);
    expect(text.split('\n')).toEqual(
      expect.arrayContaining([
        'Manifest    SUCCEEDED',
        'Cost        $0.0433 estimated (EC2 $0.0347 + EMR $0.0087; 1 × m7g.xlarge on-demand 780 s; prices us-east-1 as of 2026-11-30)',
      ]),
    );
  });
});
