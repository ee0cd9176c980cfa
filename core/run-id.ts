import { randomBytes } from 'node:crypto';
import type { Pipeline } from './layout';
import { compactMinute } from './time';

export const RUN_ID_PATTERN = /^(hourly|backfill)-\d{8}T\d{4}Z-[0-9a-f]{8}$/;

/** `<pipeline>-<yyyymmddThhmm>Z-<8 hex>`: S3-key and EMR-tag safe, sortable by time. */
export function makeRunId(pipeline: Pipeline, at: Date, hex: () => string = () => randomBytes(4).toString('hex')): string {
  return `${pipeline}-${compactMinute(at)}-${hex()}`;
}
