import * as z from 'zod';

/** How an EC2 instance is bought; EMR's ListInstances reports it as `Market`. */
export const MARKETS = ['ON_DEMAND', 'SPOT'] as const;
export type Market = (typeof MARKETS)[number];

const usdPerHour = z.number().nonnegative('must be a price in USD per hour, 0 or more');

/** What one instance type costs an hour in one region. */
export const InstancePriceSchema = z.strictObject({
  /** EC2 On-Demand, Linux, shared tenancy. */
  ec2OnDemand: usdPerHour,
  /** A typical EC2 Spot price: Spot prices move, so a recorded Spot cost is an estimate. */
  ec2Spot: usdPerHour,
  /** The Amazon EMR charge on top of EC2, the same for both markets. */
  emr: usdPerHour,
});
export type InstancePrice = z.infer<typeof InstancePriceSchema>;

/**
 * A dated, region-specific price table (lib/pricing/<region>.json). Its date and region travel with every
 * cost computed from it, so a manifest always says which prices it used.
 */
export const PriceTableSchema = z.strictObject({
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as us-east-1'),
  currency: z.literal('USD'),
  /** The day the prices were read, `YYYY-MM-DD`. */
  pricesAsOf: z.iso.date('must be a date such as 2026-11-30'),
  /** Where each kind of price comes from, and what of it could not be checked there. */
  sources: z.record(z.string(), z.string()),
  instances: z.record(z.string(), InstancePriceSchema),
});
export type PriceTable = z.infer<typeof PriceTableSchema>;

/** The table without its sources: what a Lambda needs to price a run (passed as `PRICE_TABLE`). */
export type RunPriceTable = Omit<PriceTable, 'sources'>;

export const RunPriceTableSchema = PriceTableSchema.omit({ sources: true });

/** The prices of `instanceTypes` only, small enough for a Lambda environment variable. */
export function priceTableFor(table: PriceTable, instanceTypes: Iterable<string>): RunPriceTable {
  const instances: Record<string, InstancePrice> = {};
  for (const type of [...new Set(instanceTypes)].sort()) {
    const price = table.instances[type];
    if (price === undefined) throw new Error(`price table ${table.region} (${table.pricesAsOf}) has no prices for ${type}`);
    instances[type] = price;
  }
  return { region: table.region, currency: table.currency, pricesAsOf: table.pricesAsOf, instances };
}

/** `PRICE_TABLE`: a `RunPriceTable` as JSON text, the way CDK puts it in a Lambda's environment. */
export const PriceTableEnvSchema = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be the JSON of a price table (lib/pricing/)' });
      return z.NEVER;
    }
  })
  .pipe(RunPriceTableSchema);
