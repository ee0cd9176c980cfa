import * as z from 'zod';
import { STAGES } from '../layout';
import { isCalendarDate } from './calendar';
import { CHUNK_SIZES } from './chunks';
import { BACKFILL_RUN_ID_EXAMPLE, BACKFILL_RUN_ID_PATTERN } from './run-id';
import type { BackfillSettings } from './settings';

const quoted = (values: readonly (string | number)[]): string => values.map((v) => JSON.stringify(v)).join(', ');

const DATE_ALLOWED = 'not a calendar date; allowed: YYYY-MM-DD, e.g. "2024-01-01"';
const STAGES_ALLOWED = `not a list of distinct stages; allowed: a non-empty list from ${quoted(STAGES)}`;

/**
 * The backfill input as typed into the Step Functions console or built by the CLI. Each `error` text
 * says what is allowed; `formatIssue` adds the field and the value seen. Cross-field rules (order of
 * dates, range length, future dates) need the clock and the limits and live in `validate.ts`.
 */
export function backfillInputSchema(settings: BackfillSettings) {
  const locationIds = settings.locations.map((l) => l.id);
  const locationsAllowed = `allowed: ids of configured locations: ${quoted(locationIds)}`;
  const concurrencyAllowed = `allowed: an integer from 1 to ${settings.maxConcurrencyLimit}`;
  const runIdAllowed = `not a backfill run id; allowed: e.g. "${BACKFILL_RUN_ID_EXAMPLE}"`;
  const date = z.string({ error: DATE_ALLOWED }).refine(isCalendarDate, { error: DATE_ALLOWED });
  const stageList = z
    .array(z.enum(STAGES, { error: `not a stage; allowed: ${quoted(STAGES)}` }), { error: STAGES_ALLOWED })
    .min(1, { error: STAGES_ALLOWED })
    .refine((list) => new Set(list).size === list.length, { error: STAGES_ALLOWED });
  return z.strictObject(
    {
      startDate: date,
      endDate: date,
      chunk: z.enum(CHUNK_SIZES, { error: `not a chunk size; allowed: ${quoted(CHUNK_SIZES)}` }).default('month'),
      stages: stageList.optional(),
      skipStages: stageList.optional(),
      locations: z
        .array(
          z.number({ error: `not a location id; ${locationsAllowed}` }).refine((id) => locationIds.includes(id), {
            error: `not a configured location; ${locationsAllowed}`,
          }),
          { error: `not a list of location ids; ${locationsAllowed}` },
        )
        .min(1, { error: `empty; ${locationsAllowed}, at least one` })
        .refine((list) => new Set(list).size === list.length, { error: `repeats an id; ${locationsAllowed}, each once` })
        .optional(),
      maxConcurrency: z
        .number({ error: `not a number; ${concurrencyAllowed}` })
        .int({ error: `not an integer; ${concurrencyAllowed}` })
        .min(1, { error: `out of range; ${concurrencyAllowed}` })
        .max(settings.maxConcurrencyLimit, { error: `out of range; ${concurrencyAllowed} (backfill.maxConcurrencyLimit)` })
        .optional(),
      reprocessFailedOf: z.string({ error: runIdAllowed }).regex(BACKFILL_RUN_ID_PATTERN, { error: runIdAllowed }).optional(),
    },
    { error: 'not a JSON object; allowed: an object such as {"startDate": "2024-01-01", "endDate": "2024-12-31"}' },
  );
}

export type BackfillInput = z.output<ReturnType<typeof backfillInputSchema>>;

export const INPUT_FIELDS = [
  'startDate',
  'endDate',
  'chunk',
  'stages',
  'skipStages',
  'locations',
  'maxConcurrency',
  'reprocessFailedOf',
] as const;

/**
 * `field = value: what is wrong; allowed: …`, or `field is missing; allowed: …` when absent. `problem`
 * is written `<what is wrong>; allowed: <what is allowed>`.
 */
export function describeProblem(field: string, value: unknown, problem: string): string {
  if (value === undefined) return `${field} is missing; ${problem.slice(problem.indexOf('allowed:'))}`;
  return `${field} = ${JSON.stringify(value)}: ${problem}`;
}

function fieldName(path: readonly PropertyKey[]): string {
  if (path.length === 0) return 'input';
  return path.map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`)).join('');
}

export function formatIssue(issue: z.core.$ZodIssue): string[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) =>
      describeProblem(fieldName([...issue.path, key]), (issue.input as Record<string, unknown>)[key], `unknown field; allowed: ${INPUT_FIELDS.join(', ')}`),
    );
  }
  return [describeProblem(fieldName(issue.path), issue.input, issue.message)];
}
