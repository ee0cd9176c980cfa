import { STAGES, type Stage } from '../layout';
import { daysInclusive, utcDate } from './calendar';
import type { ChunkSize } from './chunks';
import { InvalidBackfillInput } from './errors';
import { backfillInputSchema, describeProblem, formatIssue } from './schema';
import type { BackfillSettings, LocationConfig } from './settings';

/** A backfill input that passed every rule, with its defaults filled in. */
export interface BackfillRequest {
  readonly startDate: string;
  readonly endDate: string;
  readonly chunk: ChunkSize;
  /** In pipeline order. */
  readonly stages: readonly Stage[];
  readonly locations: readonly LocationConfig[];
  readonly maxConcurrency: number;
  readonly reprocessFailedOf?: string;
}

/**
 * Checks a raw backfill input against the schema and the deployment's limits; throws
 * `InvalidBackfillInput` listing every problem. `now` is the execution's start time, so a replayed
 * execution judges "the future" exactly as the first one did.
 */
export function validateBackfillInput(raw: unknown, settings: BackfillSettings, now: Date): BackfillRequest {
  const parsed = backfillInputSchema(settings).safeParse(raw, { reportInput: true });
  if (!parsed.success) throw new InvalidBackfillInput(parsed.error.issues.flatMap(formatIssue));
  const input = parsed.data;
  const problems: string[] = [];
  const today = utcDate(now);

  if (input.endDate < input.startDate) {
    problems.push(describeProblem('endDate', input.endDate, `before startDate "${input.startDate}"; allowed: a date on or after startDate`));
  } else if (input.endDate > today) {
    problems.push(describeProblem('endDate', input.endDate, `in the future; allowed: a date on or before today (${today}, UTC)`));
  } else if (daysInclusive(input.startDate, input.endDate) > settings.maxRangeDays) {
    problems.push(
      describeProblem(
        'endDate',
        input.endDate,
        `the range from ${input.startDate} spans ${daysInclusive(input.startDate, input.endDate)} days; allowed: at most ${settings.maxRangeDays} days (backfill.maxRangeDays): split it into several backfills`,
      ),
    );
  }

  if (input.stages && input.skipStages) {
    problems.push(describeProblem('skipStages', input.skipStages, 'given together with stages; allowed: either stages or skipStages, not both'));
  } else if (input.skipStages && input.skipStages.length === STAGES.length) {
    problems.push(describeProblem('skipStages', input.skipStages, `skips every stage; allowed: at most ${STAGES.length - 1} of ${STAGES.map((s) => `"${s}"`).join(', ')}`));
  }
  const stages = STAGES.filter((s) => (input.stages ? input.stages.includes(s) : !input.skipStages?.includes(s)));
  if (input.reprocessFailedOf && !stages.includes('bronze')) {
    problems.push(describeProblem('reprocessFailedOf', input.reprocessFailedOf, 'reprocessing reruns failed Bronze chunks but bronze is not among the stages; allowed: only with the bronze stage'));
  }
  if (problems.length > 0) throw new InvalidBackfillInput(problems);

  return {
    startDate: input.startDate,
    endDate: input.endDate,
    chunk: input.chunk,
    stages,
    locations: input.locations ? settings.locations.filter((l) => input.locations!.includes(l.id)) : settings.locations,
    maxConcurrency: input.maxConcurrency ?? settings.defaultMaxConcurrency,
    ...(input.reprocessFailedOf ? { reprocessFailedOf: input.reprocessFailedOf } : {}),
  };
}
