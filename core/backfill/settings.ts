/** What the deployment fixes for every backfill (from `cdk.json`, via the stack or the CLI). */
export interface BackfillLimits {
  /** Longest range accepted, in days, both ends inclusive. */
  readonly maxRangeDays: number;
  /** Step concurrency when the input names none. */
  readonly defaultMaxConcurrency: number;
  /** Highest `maxConcurrency` an input may ask for. */
  readonly maxConcurrencyLimit: number;
}

/** A configured location, as in `config/locations.json`. */
export interface LocationConfig {
  readonly id: number;
  readonly name: string;
  readonly timezone: string;
}

export interface BackfillSettings extends BackfillLimits {
  /** Core instances the cluster starts with: the floor of managed scaling. */
  readonly coreInstanceCount: number;
  readonly locations: readonly LocationConfig[];
}
