import { type PriceTable, PriceTableSchema } from '../../core/pricing';
import usEast1 from './us-east-1.json';

/**
 * The dated price tables this repository carries, one file per region (`lib/pricing/<region>.json`). A new
 * region is a new file with its date and sources; docs/COSTS.md says how to read the prices.
 */
export const PRICE_TABLES: Readonly<Record<string, PriceTable>> = {
  'us-east-1': PriceTableSchema.parse(usEast1),
};

export const priceTableFile = (region: string) => `lib/pricing/${region}.json`;
