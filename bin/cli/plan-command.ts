import * as fs from 'node:fs';
import { splitIntoChunks } from '../../core/backfill/chunks';
import { InvalidBackfillInput } from '../../core/backfill/errors';
import { sizeCluster } from '../../core/backfill/sizing';
import type { BackfillSettings } from '../../core/backfill/settings';
import { type BackfillRequest, validateBackfillInput } from '../../core/backfill/validate';
import { CliError } from './errors';

/** `--input` is the JSON itself, or `@path` to a file holding it. */
export function readInputOption(value: string): unknown {
  const text = value.startsWith('@') ? readFile(value.slice(1)) : value;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliError(`--input is not JSON (${(error as Error).message}); pass e.g. '{"startDate": "2024-01-01", "endDate": "2024-12-31"}' or @file.json`, 2);
  }
}

function readFile(path: string): string {
  try {
    return fs.readFileSync(path, 'utf8');
  } catch (error) {
    throw new CliError(`--input @${path}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, 2);
  }
}

/** Validates with the plan Lambda's own rules; a rejection becomes exit status 2 with its message. */
export function validateOrExit(input: unknown, settings: BackfillSettings, now: Date): BackfillRequest {
  try {
    return validateBackfillInput(input, settings, now);
  } catch (error) {
    if (error instanceof InvalidBackfillInput) throw new CliError(`InvalidBackfillInput: ${error.message}`, 2);
    throw error;
  }
}

/** What `backfill plan` prints: the chunks, the cluster and the number of EMR steps, with no AWS call. */
export function describePlan(request: BackfillRequest, settings: BackfillSettings): string {
  const lines = [`Window      ${request.startDate} .. ${request.endDate}`, `Stages      ${request.stages.join(', ')}`, `Locations   ${request.locations.map((l) => `${l.id} (${l.name})`).join(', ')}`];
  if (request.reprocessFailedOf) {
    lines.push(`Chunks      the failed chunks of ${request.reprocessFailedOf}, read from its manifest when the execution starts`);
    return lines.join('\n');
  }
  const chunks = splitIntoChunks(request.startDate, request.endDate, request.chunk);
  const size = sizeCluster({ chunks, locationCount: request.locations.length, maxConcurrency: request.maxConcurrency, coreInstanceCount: settings.coreInstanceCount });
  const shown = chunks.length <= 6 ? chunks : [...chunks.slice(0, 3), undefined, ...chunks.slice(-2)];
  const bronzeSteps = request.stages.includes('bronze') ? chunks.length : 0;
  const wholeRunSteps = request.stages.filter((s) => s !== 'bronze').length;
  lines.push(
    `Chunks      ${chunks.length} × ${request.chunk}`,
    ...shown.map((c) => (c ? `              ${c.id}` : `              … ${chunks.length - 5} more`)),
    `EMR steps   ${bronzeSteps + wholeRunSteps} (${bronzeSteps} Bronze chunk steps${wholeRunSteps ? ` + ${request.stages.filter((s) => s !== 'bronze').join(' + ')} over the window` : ''})`,
    `Cluster     ${size.stepConcurrency} concurrent steps, ${size.executorsPerStep} executor(s) per step, managed scaling ${size.minCapacityUnits}–${size.maxCapacityUnits} instances`,
    `Archive     about ${formatBytes(size.estimatedArchiveBytes)} of csv.gz to read`,
  );
  return lines.join('\n');
}

function formatBytes(bytes: number): string {
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** `backfill plan --json`: the same plan, named. */
export function planDocument(request: BackfillRequest, settings: BackfillSettings): Record<string, unknown> {
  const base = { input: request, window: { start: request.startDate, end: request.endDate }, stages: request.stages, locations: request.locations };
  if (request.reprocessFailedOf) return { ...base, chunks: null, reprocessFailedOf: request.reprocessFailedOf };
  const chunks = splitIntoChunks(request.startDate, request.endDate, request.chunk);
  const size = sizeCluster({ chunks, locationCount: request.locations.length, maxConcurrency: request.maxConcurrency, coreInstanceCount: settings.coreInstanceCount });
  const bronzeSteps = request.stages.includes('bronze') ? chunks.length : 0;
  return { ...base, chunks: chunks.map((c) => c.id), emrSteps: bronzeSteps + request.stages.filter((s) => s !== 'bronze').length, cluster: size };
}
