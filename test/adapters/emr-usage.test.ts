import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { EMRClient } from '@aws-sdk/client-emr';
import { EmrClusterUsage } from '../../core/aws/emr-usage';
import { costOfCluster } from '../../core/run-cost';
import { TEST_PRICES } from '../workflow/support/memory-ports';
import { MOTO_CREDENTIALS } from './moto-server';

const FIXTURES = join(__dirname, '..', 'fixtures', 'emr');
const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');

/** Answers the EMR JSON 1.1 calls with the recorded bodies, and remembers each request. */
class RecordedEmr {
  readonly requests: { target: string; body: Record<string, unknown> }[] = [];
  private server: Server | undefined;

  constructor(private readonly answer: (target: string, body: Record<string, unknown>) => string) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      let text = '';
      req.on('data', (chunk) => (text += chunk));
      req.on('end', () => {
        const target = String(req.headers['x-amz-target']).replace('ElasticMapReduce.', '');
        const body = JSON.parse(text || '{}') as Record<string, unknown>;
        this.requests.push({ target, body });
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(this.answer(target, body));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

async function usageFrom(emr: RecordedEmr, clusterId: string) {
  const endpoint = await emr.start();
  try {
    return await new EmrClusterUsage(new EMRClient({ region: 'us-east-1', endpoint, credentials: MOTO_CREDENTIALS })).clusterUsage(clusterId);
  } finally {
    await emr.stop();
  }
}

describe('EmrClusterUsage reads the recorded EMR responses through the real SDK client', () => {
  test('a single-node hourly cluster: one On-Demand m7g.xlarge from its creation to its end, and EMR\'s normalized hours', async () => {
    const emr = new RecordedEmr((target) =>
      target === 'ListInstances' ? fixture('hourly-single-node-list-instances.json') : fixture('hourly-single-node-describe-cluster.json'),
    );

    const usage = await usageFrom(emr, 'j-2AXXXXXXGAPLF');

    expect(usage).toEqual({
      instances: [
        {
          instanceType: 'm7g.xlarge',
          market: 'ON_DEMAND',
          createdAt: new Date('2025-11-30T03:15:20.412Z'),
          endedAt: new Date('2025-11-30T03:29:45.903Z'),
        },
      ],
      normalizedInstanceHours: 8,
    });
    expect(emr.requests).toEqual([
      { target: 'ListInstances', body: { ClusterId: 'j-2AXXXXXXGAPLF' } },
      { target: 'DescribeCluster', body: { ClusterId: 'j-2AXXXXXXGAPLF' } },
    ]);
  });

  test('a Spot backfill over two pages: every instance, the reclaimed one and its replacement included, with its market', async () => {
    const emr = new RecordedEmr((target, body) => {
      if (target === 'DescribeCluster') return fixture('backfill-spot-describe-cluster.json');
      return body.Marker === undefined ? fixture('backfill-spot-list-instances-page1.json') : fixture('backfill-spot-list-instances-page2.json');
    });

    const usage = await usageFrom(emr, 'j-3BACKFILLSPOT');

    expect(usage.instances.map((i) => [i.instanceType, i.market, i.createdAt.toISOString(), i.endedAt?.toISOString()])).toEqual([
      ['m7g.xlarge', 'ON_DEMAND', '2025-11-30T09:00:00.000Z', '2025-11-30T09:40:00.000Z'],
      ['m7g.xlarge', 'SPOT', '2025-11-30T09:00:00.000Z', '2025-11-30T09:40:00.000Z'],
      ['m6g.xlarge', 'SPOT', '2025-11-30T09:00:00.000Z', '2025-11-30T09:20:00.000Z'],
      ['m6g.xlarge', 'SPOT', '2025-11-30T09:21:00.000Z', '2025-11-30T09:40:00.000Z'],
    ]);
    expect(emr.requests.map((r) => [r.target, r.body.Marker ?? null])).toEqual([
      ['ListInstances', null],
      ['ListInstances', 'AAEAAQBCqzKJ0hbuSTx1UV5YP2pBg3kcLgYFm0zEEEmvQcjsAAAAAAAAAAA='],
      ['DescribeCluster', null],
    ]);
    expect(usage.normalizedInstanceHours).toBe(32);
  });

  test('the Spot backfill prices to the cent: On-Demand primary, Spot core by type, EMR charge on all of them', async () => {
    const emr = new RecordedEmr((target, body) => {
      if (target === 'DescribeCluster') return fixture('backfill-spot-describe-cluster.json');
      return body.Marker === undefined ? fixture('backfill-spot-list-instances-page1.json') : fixture('backfill-spot-list-instances-page2.json');
    });

    const cost = costOfCluster('j-3BACKFILLSPOT', await usageFrom(emr, 'j-3BACKFILLSPOT'), TEST_PRICES, new Date('2025-11-30T10:00:00Z'));

    // 2,400 s on-demand m7g ($0.16 + $0.04 an hour), 2,400 s spot m7g ($0.06 + $0.04), 1,200 + 1,140 s spot m6g (the reclaimed node and its replacement) ($0.05 + $0.04).
    expect(cost.lines).toEqual([
      { instanceType: 'm6g.xlarge', market: 'SPOT', instances: 2, instanceSeconds: 2340, ec2Usd: 0.0325, emrUsd: 0.026 },
      { instanceType: 'm7g.xlarge', market: 'ON_DEMAND', instances: 1, instanceSeconds: 2400, ec2Usd: 0.106667, emrUsd: 0.026667 },
      { instanceType: 'm7g.xlarge', market: 'SPOT', instances: 1, instanceSeconds: 2400, ec2Usd: 0.04, emrUsd: 0.026667 },
    ]);
    expect(cost.estimatedUsd).toEqual({ ec2: 0.179167, emr: 0.079334, total: 0.258501 });
    expect(cost.normalizedInstanceHours).toBe(32);
  });
});
