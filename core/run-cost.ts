import * as z from 'zod';
import type { ClusterUsage, ClusterUsageSource, Logger } from './ports';
import { MARKETS, type RunPriceTable } from './pricing';

export const MINIMUM_BILLED_SECONDS = 60;

const UsageLineSchema = z.object({
  instanceType: z.string(),
  market: z.enum(MARKETS),
  instances: z.number(),
  instanceSeconds: z.number(),
  ec2Usd: z.number().nullable(),
  emrUsd: z.number().nullable(),
});
export type UsageLine = z.infer<typeof UsageLineSchema>;

/** The `cost` field of a run manifest (both pipelines); `status` and the local runtime print it. */
export const RunCostSchema = z.object({
  source: z.literal('emr:ListInstances'),
  clusterId: z.string(),
  lines: z.array(UsageLineSchema),
  instanceSeconds: z.number(),
  normalizedInstanceHours: z.number().nullable(),
  /** EC2 + EMR for the instance-seconds above; null when a type has no price (then see `unpricedTypes`). */
  estimatedUsd: z.object({ ec2: z.number(), emr: z.number(), total: z.number() }).nullable(),
  unpricedTypes: z.array(z.string()),
  prices: z.object({ region: z.string(), currency: z.string(), pricesAsOf: z.string() }),
  /** Instances still running when finalize read them are counted up to `measuredAt`. */
  measuredAt: z.string(),
  note: z.string(),
});
export type RunCost = z.infer<typeof RunCostSchema>;

/** What a manifest holds when EMR could not be asked: the run is recorded all the same. */
export const RunCostUnavailableSchema = z.object({ unavailable: z.string() });
export const ManifestCostSchema = z.union([RunCostSchema, RunCostUnavailableSchema]).nullable();
export type ManifestCost = z.infer<typeof ManifestCostSchema>;

const COST_NOTE =
  'Estimate: instance-seconds from EMR ListInstances (creation to end, at least 60 s each) times the dated price table; ' +
  'Spot at the table\'s typical price; EBS, S3, NAT, Lambda and Step Functions are not included (docs/COSTS.md).';

/**
 * Instance-seconds by instance type and market, priced with the table. Pure: the same instances and table
 * always give the same cost, so a manifest can be recomputed from EMR's answer.
 */
export function costOfCluster(clusterId: string, usage: ClusterUsage, table: RunPriceTable, measuredAt: Date): RunCost {
  const byKey = new Map<string, UsageLine>();
  for (const instance of usage.instances) {
    const end = instance.endedAt ?? measuredAt;
    const seconds = Math.max(MINIMUM_BILLED_SECONDS, Math.round((end.getTime() - instance.createdAt.getTime()) / 1000));
    const key = `${instance.instanceType}|${instance.market}`;
    const line = byKey.get(key) ?? { instanceType: instance.instanceType, market: instance.market, instances: 0, instanceSeconds: 0, ec2Usd: null, emrUsd: null };
    line.instances += 1;
    line.instanceSeconds += seconds;
    byKey.set(key, line);
  }
  const lines = [...byKey.values()].sort((a, b) => a.instanceType.localeCompare(b.instanceType) || a.market.localeCompare(b.market));
  const unpriced = new Set<string>();
  for (const line of lines) {
    const price = table.instances[line.instanceType];
    if (price === undefined) {
      unpriced.add(line.instanceType);
      continue;
    }
    const hours = line.instanceSeconds / 3600;
    line.ec2Usd = roundUsd(hours * (line.market === 'SPOT' ? price.ec2Spot : price.ec2OnDemand));
    line.emrUsd = roundUsd(hours * price.emr);
  }
  const ec2 = roundUsd(lines.reduce((sum, l) => sum + (l.ec2Usd ?? 0), 0));
  const emr = roundUsd(lines.reduce((sum, l) => sum + (l.emrUsd ?? 0), 0));
  return {
    source: 'emr:ListInstances',
    clusterId,
    lines,
    instanceSeconds: lines.reduce((sum, l) => sum + l.instanceSeconds, 0),
    normalizedInstanceHours: usage.normalizedInstanceHours,
    estimatedUsd: unpriced.size > 0 ? null : { ec2, emr, total: roundUsd(ec2 + emr) },
    unpricedTypes: [...unpriced].sort(),
    prices: { region: table.region, currency: table.currency, pricesAsOf: table.pricesAsOf },
    measuredAt: measuredAt.toISOString(),
    note: COST_NOTE,
  };
}

/** Micro-dollars: precise enough to add thousands of runs without drift showing in cents. */
function roundUsd(value: number): number {
  return Math.round(value * 1_000_000) / 1_000_000;
}

/**
 * The manifest's `cost`: null when the run never had a cluster; `{ unavailable }` when EMR could not be
 * read (a missing cost must never fail the run whose data is already committed).
 */
export async function readRunCost(
  clusterId: string | null,
  usage: ClusterUsageSource,
  prices: RunPriceTable,
  now: Date,
  log: Logger,
): Promise<ManifestCost> {
  if (clusterId === null || clusterId === '') return null;
  try {
    return costOfCluster(clusterId, await usage.clusterUsage(clusterId), prices, now);
  } catch (error) {
    const reason = `EMR usage of ${clusterId} could not be read: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
    log.warn('run cost not recorded', { clusterId, reason });
    return { unavailable: reason };
  }
}

/** `$0.0412 (EC2 $0.0330 + EMR $0.0082; 1 × m7g.xlarge on-demand 1,212 s; prices us-east-1 as of 2026-11-30)` */
export function describeRunCost(cost: NonNullable<ManifestCost>): string {
  if ('unavailable' in cost) return `not recorded (${cost.unavailable})`;
  const usage = cost.lines
    .map((l) => `${l.instances} × ${l.instanceType} ${l.market === 'SPOT' ? 'spot' : 'on-demand'} ${l.instanceSeconds.toLocaleString('en-US')} s`)
    .join(', ');
  const where = `prices ${cost.prices.region} as of ${cost.prices.pricesAsOf}`;
  if (cost.estimatedUsd === null) {
    return `not priced: the price table has no ${cost.unpricedTypes.join(', ')} (${usage}; ${where})`;
  }
  const usd = (n: number) => `$${n.toFixed(4)}`;
  return `${usd(cost.estimatedUsd.total)} estimated (EC2 ${usd(cost.estimatedUsd.ec2)} + EMR ${usd(cost.estimatedUsd.emr)}; ${usage}; ${where})`;
}
