import { InvalidBackfillInput } from '../../../core/backfill/errors';
import type { BackfillSettings } from '../../../core/backfill/settings';
import { validateBackfillInput } from '../../../core/backfill/validate';
import { malformedInputs } from './corpus';

const NOW = new Date('2025-10-20T12:00:00Z');
const DEL_NORTE = { id: 2178, name: 'Del Norte', timezone: 'America/Denver' };
const SETTINGS: BackfillSettings = { maxRangeDays: 1096, defaultMaxConcurrency: 4, maxConcurrencyLimit: 16, coreInstanceCount: 2, locations: [DEL_NORTE] };

function rejection(input: unknown): InvalidBackfillInput {
  try {
    validateBackfillInput(input, SETTINGS, NOW);
  } catch (error) {
    if (error instanceof InvalidBackfillInput) return error;
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(input)}`);
}

describe('every input of the malformed corpus is rejected with its message', () => {
  const corpus = malformedInputs('2025-10-20').filter((c) => c.checkedBy === undefined);

  test('the corpus holds at least 30 inputs that need no S3 lookup', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(30);
  });

  test.each(corpus.map((c) => [c.file, c] as const))('%s', (_file, { input, message }) => {
    const error = rejection(input);
    expect(error.name).toBe('InvalidBackfillInput');
    expect(error.message).toBe(message);
  });
});

describe('a valid input gets its defaults', () => {
  test('the console example defaults to month chunks, every stage, every location and the default concurrency', () => {
    expect(validateBackfillInput({ startDate: '2024-01-01', endDate: '2025-10-16' }, SETTINGS, NOW)).toEqual({
      startDate: '2024-01-01',
      endDate: '2025-10-16',
      chunk: 'month',
      stages: ['bronze', 'silver', 'gold'],
      locations: [DEL_NORTE],
      maxConcurrency: 4,
    });
  });

  test('skipStages leaves the other stages, in pipeline order', () => {
    const request = validateBackfillInput({ startDate: '2024-01-01', endDate: '2024-01-31', skipStages: ['silver'] }, SETTINGS, NOW);
    expect(request.stages).toEqual(['bronze', 'gold']);
  });

  test('stages are put in pipeline order whatever order they are listed in', () => {
    const request = validateBackfillInput({ startDate: '2024-01-01', endDate: '2024-01-31', stages: ['gold', 'silver'] }, SETTINGS, NOW);
    expect(request.stages).toEqual(['silver', 'gold']);
  });

  test('an end date of today (UTC) is accepted and a range of exactly the maximum is accepted', () => {
    expect(validateBackfillInput({ startDate: '2022-10-21', endDate: '2025-10-20' }, SETTINGS, NOW).endDate).toBe('2025-10-20');
  });

  test('a range one day over the maximum is rejected', () => {
    expect(rejection({ startDate: '2022-10-20', endDate: '2025-10-20' }).message).toBe(
      'endDate = "2025-10-20": the range from 2022-10-20 spans 1097 days; allowed: at most 1096 days (backfill.maxRangeDays): split it into several backfills',
    );
  });

  test('every problem of an input is reported, not only the first', () => {
    expect(rejection({ startDate: '2024-01-01', endDate: '2024-01-31', chunk: 'year', maxConcurrency: 99 }).problems).toEqual([
      'chunk = "year": not a chunk size; allowed: "day", "week", "month"',
      'maxConcurrency = 99: out of range; allowed: an integer from 1 to 16 (backfill.maxConcurrencyLimit)',
    ]);
  });
});
