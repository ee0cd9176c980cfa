import * as z from 'zod';
import { longestRunSeconds, type StageTimeouts } from '../core/backfill/plan';
import { HOURLY_SIZING_MODES } from '../core/hourly/sizing';
import { valueAt } from '../core/input';
import { MARKETS, type PriceTable, priceTableFor, type RunPriceTable } from '../core/pricing';
import { PRICE_TABLES, priceTableFile } from './pricing';

/** The `cdk.json` context key holding the whole configuration. */
export const CONFIG_CONTEXT_KEY = 'aqi-pipeline';

/** Thrown at synth for a bad context value; the message names the key, the value and what is allowed. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const isTimeZone = (value: string) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
};

const int = (min: number, max: number) =>
  z.number({ message: `must be a number from ${min} to ${max}` }).int(`must be a whole number from ${min} to ${max}`).min(min, `must be at least ${min}`).max(max, `must be at most ${max}`);

const instanceType = z
  .string()
  .regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, 'must be an EC2 instance type such as m7g.xlarge');


const market = z.enum(MARKETS, { message: `must be one of ${MARKETS.join(', ')}` });

const LocationSchema = z.strictObject({
  id: z.number().int().positive('must be a positive OpenAQ location id'),
  name: z.string().min(1, 'must be a non-empty name'),
  timezone: z.string().refine(isTimeZone, 'must be an IANA time zone such as America/Denver'),
});

/**
 * Silver's batch data-quality gate (spark-jobs/aqi_jobs/silver_quality.py), per pipeline. A tripped rule
 * fails the run before Silver promotes anything; docs/OPERATIONS.md says how to read and clear it.
 */
const SilverQualityGateSchema = z
  .strictObject({
    /** false: Silver checks neither rule (the off switch). @default true */
    enabled: z.boolean({ message: 'must be true or false' }).default(true),
    /** Silver fails when rejected rows / rows read exceeds this share; 1 never trips. @default 0.2 */
    maxRejectedShare: z
      .number({ message: 'must be a number from 0 to 1' })
      .min(0, 'must be a share from 0 to 1, e.g. 0.2')
      .max(1, 'must be a share from 0 to 1, e.g. 0.2')
      .default(0.2),
    /**
     * Silver fails when a location with Silver hours in this many hours before the batch sends no row in
     * it; 0 turns this rule off. @default 24
     */
    silentLocationHours: int(0, 168).default(24),
  })
  .prefault({});

const NetworkSchema = z.discriminatedUnion(
  'mode',
  [
    z.strictObject({
      mode: z.literal('new-vpc'),
      /** @default 2 */
      maxAzs: int(1, 6).default(2),
    }),
    z.strictObject({
      mode: z.literal('existing-subnets'),
      vpcId: z.string().regex(/^vpc-[0-9a-f]{8,17}$/, 'must be a VPC id such as vpc-0abc1234'),
      subnetIds: z
        .array(z.string().regex(/^subnet-[0-9a-f]{8,17}$/, 'must be a subnet id such as subnet-0abc1234'))
        .min(1, 'must list at least one private subnet'),
    }),
  ],
  { message: 'mode must be "new-vpc" or "existing-subnets"' },
);

function configSchema(defaultReleaseLabel: string) {
  return z.strictObject({
    locations: z.array(LocationSchema).min(1, 'must list at least one location'),
    /** Minute past the hour the hourly run starts (data for the hour just ended). @default 15 */
    scheduleMinute: int(0, 59).default(15),
    /** false pauses the hourly schedule (the schedule stays, DISABLED; nothing else changes). @default true */
    scheduleEnabled: z.boolean({ message: 'must be true or false' }).default(true),
    emr: z
      .strictObject({
        releaseLabel: z
          .string()
          .regex(/^emr-7\.\d+\.\d+$/, 'must be an EMR 7.x release label such as emr-7.9.0 (Spark 3.5, as spark-jobs pins)')
          .default(defaultReleaseLabel),
        primaryInstanceType: instanceType.default('m7g.xlarge'),
        coreInstanceType: instanceType.default('m7g.xlarge'),
        coreInstanceCount: int(1, 100).default(2),
        idleTimeoutSeconds: int(60, 604_800).default(1800),
        stepRetries: int(0, 5).default(1),
        /**
         * `s3://bucket/key.zip` of the PEM certificates for in-transit encryption, or "" for none
         * (docs/DEPLOYING.md, "In-transit encryption"). @default ""
         */
        inTransitEncryptionCertificates: z
          .union([z.literal(''), z.string().regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/.+\.zip$/, 'must be an s3://bucket/key.zip URI of the PEM certificates zip, or "" for none')])
          .default(''),
      })
      .prefault({}),
    stageTimeoutSeconds: z
      .strictObject({
        bronze: int(60, 86_400).default(3600),
        silver: int(60, 86_400).default(3600),
        gold: int(60, 86_400).default(1800),
      })
      .prefault({}),
    hourly: z
      .strictObject({
        lateDataMarginHours: int(0, 168).default(3),
        maxWindowHours: int(1, 744).default(72),
        /** The "no successful hourly run" alarm fires after this many hours. @default 3 */
        noSuccessAlarmHours: int(1, 72).default(3),
        /**
         * A gap between the watermark and the hour just ended longer than this is handed to a backfill
         * instead of hourly catch-up. Must be at least `maxWindowHours` and 48. @default 168 (7 days)
         */
        backfillAfterGapHours: int(1, 26_352).default(168),
        /** The freshness alarm fires when the watermark is older than this many hours. @default 3 */
        freshnessAlarmHours: int(1, 168).default(3),
        /** The skipped-runs alarm fires after this many consecutive hours with a skipped run. @default 2 */
        skippedRunsAlarmHours: int(1, 24).default(2),
        silverQualityGate: SilverQualityGateSchema,
        /** How the plan shapes each hourly cluster (lambdas/plan-hourly/sizing.ts, docs/COSTS.md). */
        sizing: z
          .strictObject({
            /** `auto`: primary-only while the window is small, else core nodes by location-hours. @default auto */
            mode: z.enum(HOURLY_SIZING_MODES, { message: `must be one of ${HOURLY_SIZING_MODES.join(', ')}` }).default('auto'),
            /** Largest window (locations × hours) a single-node cluster takes. @default 20000 */
            primaryOnlyMaxLocationHours: int(1, 10_000_000).default(20_000),
            /** Location-hours each core node adds room for above that. @default 20000 */
            locationHoursPerCoreInstance: int(1, 10_000_000).default(20_000),
            /** Most core nodes `auto` asks for. @default 4 */
            maxCoreInstances: int(1, 100).default(4),
          })
          .prefault({}),
      })
      .prefault({}),
    backfill: z
      .strictObject({
        maxRangeDays: int(1, 3660).default(1096),
        defaultMaxConcurrency: int(1, 256).default(4),
        maxConcurrencyLimit: int(1, 256).default(16),
        silverQualityGate: SilverQualityGateSchema,
        /** Where the backfill cluster's capacity comes from (instance fleets). */
        capacity: z
          .strictObject({
            /** Core and task capacity: `SPOT` buys it from the Spot market, with managed scaling. @default ON_DEMAND */
            coreMarket: market.default('ON_DEMAND'),
            /** Must stay ON_DEMAND when coreMarket is SPOT. @default ON_DEMAND */
            primaryMarket: market.default('ON_DEMAND'),
            /** Types the Spot core fleet may take (same vCPU count: each is one fleet unit). */
            spotInstanceTypes: z
              .array(instanceType)
              .min(1, 'must list at least one instance type')
              .max(30, 'must list at most 30 instance types (the instance-fleet limit)')
              .refine((types) => new Set(types).size === types.length, 'must not repeat an instance type')
              .default(['m7g.xlarge', 'm6g.xlarge', 'r7g.xlarge']),
            /** Minutes EMR waits for Spot capacity before switching to On-Demand. @default 10 */
            spotTimeoutMinutes: int(5, 1440).default(10),
          })
          .prefault({}),
      })
      .prefault({}),
    /** Which dated price table (lib/pricing/<region>.json) prices runs in the manifests and docs/COSTS.md. */
    pricing: z
      .strictObject({
        /** @default us-east-1 */
        region: z.string().default('us-east-1'),
      })
      .prefault({}),
    notificationEmail: z.union([z.literal(''), z.email('must be an e-mail address, or "" for none')]).default(''),
    openaqApiKeySecretName: z
      .string()
      .regex(/^[A-Za-z0-9/_+=.@-]{1,512}$/, 'must be a Secrets Manager secret name (letters, digits, /_+=.@-)')
      .default('aqi-pipeline/openaq-api-key'),
    openaqApiBaseUrl: z.url({ protocol: /^https$/, message: 'must be an https:// URL' }).default('https://api.openaq.org'),
    network: NetworkSchema.default({ mode: 'new-vpc', maxAzs: 2 }),
  });
}

export type PipelineConfig = z.infer<ReturnType<typeof configSchema>>;
export type SilverQualityGateConfig = z.infer<typeof SilverQualityGateSchema>;
export type NetworkConfig = PipelineConfig['network'];
export type LocationConfig = PipelineConfig['locations'][number];

export interface ConfigDefaults {
  /** `EMR_RELEASE_LABEL` from spark-jobs/versions.env, read by bin/. */
  readonly releaseLabel: string;
  /** @default PRICE_TABLES (lib/pricing/) */
  readonly priceTables?: Readonly<Record<string, PriceTable>>;
}

/**
 * Parses the `aqi-pipeline` context object into a typed config with defaults applied. Any problem fails
 * synth with every offending key, the value seen and what is allowed.
 */
export function parsePipelineConfig(raw: unknown, defaults: ConfigDefaults): PipelineConfig {
  if (raw === undefined) {
    throw new ConfigError(`cdk.json context "${CONFIG_CONTEXT_KEY}" is missing; see docs/DEPLOYING.md for its keys`);
  }
  const parsed = configSchema(defaults.releaseLabel).safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const key = [CONFIG_CONTEXT_KEY, ...issue.path.map(String)].join('.');
      if (issue.code === 'unrecognized_keys') return `  ${key}: ${issue.message}; allowed keys are documented in docs/DEPLOYING.md`;
      return `  ${key}: ${issue.message}; got ${describe(valueAt(raw, issue.path))}`;
    });
    throw new ConfigError(`invalid configuration in cdk.json context:\n${problems.join('\n')}`);
  }
  const config = parsed.data;
  const problems = crossKeyProblems(config).map(([key, problem]) => `  ${CONFIG_CONTEXT_KEY}.${key}: ${problem}`);
  if (problems.length > 0) throw new ConfigError(`invalid configuration in cdk.json context:\n${problems.join('\n')}`);
  runPriceTable(config, defaults.priceTables);
  return config;
}

/** The backfill leaves the last one or two days to the hourly runs (lambdas/plan-hourly/catch-up.ts). */
export const MIN_BACKFILL_AFTER_GAP_HOURS = 48;

/** Rules between keys, as `[key, what is wrong; got value]`. */
function crossKeyProblems(config: PipelineConfig): [string, string][] {
  const problems: [string, string][] = [];
  const { hourly, backfill } = config;
  if (backfill.defaultMaxConcurrency > backfill.maxConcurrencyLimit) {
    problems.push(['backfill.defaultMaxConcurrency', `must not exceed backfill.maxConcurrencyLimit (${backfill.maxConcurrencyLimit}); got ${backfill.defaultMaxConcurrency}`]);
  }
  if (hourly.maxWindowHours <= hourly.lateDataMarginHours) {
    problems.push([
      'hourly.maxWindowHours',
      `must exceed hourly.lateDataMarginHours (${hourly.lateDataMarginHours}), or a catching-up run would re-read only the margin and never advance; got ${hourly.maxWindowHours}`,
    ]);
  }
  const minGap = Math.max(hourly.maxWindowHours, MIN_BACKFILL_AFTER_GAP_HOURS);
  if (hourly.backfillAfterGapHours < minGap) {
    problems.push([
      'hourly.backfillAfterGapHours',
      `must be at least hourly.maxWindowHours (${hourly.maxWindowHours}) and ${MIN_BACKFILL_AFTER_GAP_HOURS} (a catch-up backfill leaves the last two days to the hourly runs), i.e. at least ${minGap}; got ${hourly.backfillAfterGapHours}`,
    ]);
  }
  const { capacity } = backfill;
  if (capacity.coreMarket === 'SPOT' && capacity.primaryMarket !== 'ON_DEMAND') {
    problems.push([
      'backfill.capacity.primaryMarket',
      'must be "ON_DEMAND" when backfill.capacity.coreMarket is "SPOT" (a reclaimed Spot primary ends the whole cluster, and every chunk with it); ' +
        `got ${JSON.stringify(capacity.primaryMarket)}`,
    ]);
  }
  const longest = longestRunSeconds(backfill.maxRangeDays, stageTimeouts(config));
  if (longest > MAX_EXECUTION_SECONDS) {
    problems.push([
      'backfill.maxRangeDays',
      `with stageTimeoutSeconds and emr.stepRetries as configured, the longest backfill (${backfill.maxRangeDays} daily chunks one at a time) could run ${Math.ceil(longest / 86_400)} days, past Step Functions' one-year execution limit; lower backfill.maxRangeDays or stageTimeoutSeconds.bronze; got ${backfill.maxRangeDays}`,
    ]);
  }
  return problems;
}

/**
 * Every instance type the configuration can launch, by the key that names it. The hourly and backfill
 * clusters take the primary and core types; a Spot backfill also any of its Spot types.
 */
export function configuredInstanceTypes(config: PipelineConfig): { key: string; type: string }[] {
  const types = [
    { key: 'emr.primaryInstanceType', type: config.emr.primaryInstanceType },
    { key: 'emr.coreInstanceType', type: config.emr.coreInstanceType },
  ];
  if (config.backfill.capacity.coreMarket === 'SPOT') {
    config.backfill.capacity.spotInstanceTypes.forEach((type, i) => types.push({ key: `backfill.capacity.spotInstanceTypes.${i}`, type }));
  }
  return types;
}

/**
 * The prices of the configured instance types from the region's dated table: what finalize prices runs
 * with. A type without a price fails synth, so no run can end with a cost nobody can compute.
 */
export function runPriceTable(config: PipelineConfig, tables: Readonly<Record<string, PriceTable>> = PRICE_TABLES): RunPriceTable {
  const table = tables[config.pricing.region];
  if (table === undefined) {
    throw new ConfigError(
      `invalid configuration in cdk.json context:\n  ${CONFIG_CONTEXT_KEY}.pricing.region: no price table for ${JSON.stringify(config.pricing.region)}; ` +
        `tables exist for ${Object.keys(tables).sort().join(', ')} (${priceTableFile('<region>')}). Choose one, or add the region's table with its date and sources.`,
    );
  }
  const unpriced = configuredInstanceTypes(config).filter(({ type }) => table.instances[type] === undefined);
  if (unpriced.length > 0) {
    const problems = unpriced.map(
      ({ key, type }) =>
        `  ${CONFIG_CONTEXT_KEY}.${key}: ${JSON.stringify(type)} is not an instance type the price table ${priceTableFile(table.region)} ` +
        `(prices as of ${table.pricesAsOf}) knows; allowed: ${Object.keys(table.instances).sort().join(', ')}. ` +
        'Choose one of them, or add its EC2 and EMR prices with their source to the table.',
    );
    throw new ConfigError(`invalid configuration in cdk.json context:\n${problems.join('\n')}`);
  }
  return priceTableFor(table, configuredInstanceTypes(config).map(({ type }) => type));
}
/** Each stage's step timeout and retries, as the backfill plan and its execution timeout use them. */
export function stageTimeouts(config: PipelineConfig): StageTimeouts {
  return {
    bronzeSeconds: config.stageTimeoutSeconds.bronze,
    silverSeconds: config.stageTimeoutSeconds.silver,
    goldSeconds: config.stageTimeoutSeconds.gold,
    failedStepRetries: config.emr.stepRetries,
  };
}

/** A Standard workflow execution runs at most one year (Step Functions service quotas). */
const MAX_EXECUTION_SECONDS = 365 * 86_400;

function describe(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}
