import { silentLogger } from '../support/silent-logger';
import type { ClusterUsage } from '../../core/ports';
import { costOfCluster, describeRunCost, readRunCost } from '../../core/run-cost';
import { MemoryClusterUsage, TEST_PRICES } from '../workflow/support/memory-ports';

const at = (iso: string) => new Date(iso);
const MEASURED = at('2025-01-01T04:00:00Z');

function usage(...instances: ClusterUsage['instances']): ClusterUsage {
  return { instances, normalizedInstanceHours: null };
}

describe('costOfCluster', () => {
  test('prices each instance from its creation to its end: 15 minutes of one On-Demand m7g.xlarge at $0.20 an hour is $0.05', () => {
    const cost = costOfCluster(
      'j-1',
      usage({ instanceType: 'm7g.xlarge', market: 'ON_DEMAND', createdAt: at('2025-01-01T03:15:00Z'), endedAt: at('2025-01-01T03:30:00Z') }),
      TEST_PRICES,
      MEASURED,
    );
    expect(cost.lines).toEqual([{ instanceType: 'm7g.xlarge', market: 'ON_DEMAND', instances: 1, instanceSeconds: 900, ec2Usd: 0.04, emrUsd: 0.01 }]);
    expect(cost.estimatedUsd).toEqual({ ec2: 0.04, emr: 0.01, total: 0.05 });
    expect(cost.prices).toEqual({ region: 'us-east-1', currency: 'USD', pricesAsOf: '2026-11-30' });
  });

  test('an instance that lived 20 seconds is billed the one-minute minimum', () => {
    const cost = costOfCluster(
      'j-1',
      usage({ instanceType: 'm7g.xlarge', market: 'SPOT', createdAt: at('2025-01-01T03:15:00Z'), endedAt: at('2025-01-01T03:15:20Z') }),
      TEST_PRICES,
      MEASURED,
    );
    expect(cost.lines[0]?.instanceSeconds).toBe(60);
  });

  test('an instance still running when finalize reads it is counted up to that moment', () => {
    const cost = costOfCluster('j-1', usage({ instanceType: 'm7g.xlarge', market: 'ON_DEMAND', createdAt: at('2025-01-01T03:00:00Z') }), TEST_PRICES, MEASURED);
    expect(cost.lines[0]?.instanceSeconds).toBe(3600);
    expect(cost.measuredAt).toBe('2025-01-01T04:00:00.000Z');
  });

  test('a type the price table lacks leaves the total unpriced and names the type, but keeps its instance-seconds', () => {
    const cost = costOfCluster(
      'j-1',
      usage(
        { instanceType: 'm7g.xlarge', market: 'ON_DEMAND', createdAt: at('2025-01-01T03:00:00Z'), endedAt: at('2025-01-01T03:30:00Z') },
        { instanceType: 'c7g.4xlarge', market: 'SPOT', createdAt: at('2025-01-01T03:00:00Z'), endedAt: at('2025-01-01T03:30:00Z') },
      ),
      TEST_PRICES,
      MEASURED,
    );
    expect(cost.estimatedUsd).toBeNull();
    expect(cost.unpricedTypes).toEqual(['c7g.4xlarge']);
    expect(cost.lines.map((l) => [l.instanceType, l.instanceSeconds, l.ec2Usd])).toEqual([
      ['c7g.4xlarge', 1800, null],
      ['m7g.xlarge', 1800, 0.08],
    ]);
    expect(describeRunCost(cost)).toBe(
      'not priced: the price table has no c7g.4xlarge (1 × c7g.4xlarge spot 1,800 s, 1 × m7g.xlarge on-demand 1,800 s; prices us-east-1 as of 2026-11-30)',
    );
  });

  test('describes a priced run in one line: total, EC2 and EMR parts, the instances and the prices used', () => {
    const cost = costOfCluster(
      'j-1',
      usage({ instanceType: 'm7g.xlarge', market: 'ON_DEMAND', createdAt: at('2025-01-01T03:15:00Z'), endedAt: at('2025-01-01T03:30:00Z') }),
      TEST_PRICES,
      MEASURED,
    );
    expect(describeRunCost(cost)).toBe(
      '$0.0500 estimated (EC2 $0.0400 + EMR $0.0100; 1 × m7g.xlarge on-demand 900 s; prices us-east-1 as of 2026-11-30)',
    );
  });
});

describe('readRunCost', () => {
  test('a run that never got a cluster has no cost', async () => {
    expect(await readRunCost(null, new MemoryClusterUsage(), TEST_PRICES, MEASURED, silentLogger)).toBeNull();
  });

  test('when EMR cannot be read the cost says why instead of failing the run', async () => {
    const cost = await readRunCost('j-GONE', new MemoryClusterUsage(), TEST_PRICES, MEASURED, silentLogger);
    expect(cost).toEqual({ unavailable: "EMR usage of j-GONE could not be read: InvalidRequestException: Cluster id 'j-GONE' is not valid." });
    expect(describeRunCost(cost!)).toBe("not recorded (EMR usage of j-GONE could not be read: InvalidRequestException: Cluster id 'j-GONE' is not valid.)");
  });
});
