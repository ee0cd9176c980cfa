import { splitIntoChunks } from '../../../core/backfill/chunks';
import { type BackfillPlan, lockTtlSeconds } from '../../../core/backfill/plan';

const TIMEOUTS = { bronzeSeconds: 3600, silverSeconds: 3600, goldSeconds: 1800, failedStepRetries: 1 };

function plan(stages: BackfillPlan['stages'], stepConcurrency: number): BackfillPlan {
  const chunks = splitIntoChunks('2024-01-01', '2025-10-16', 'month');
  return {
    runId: 'backfill-20251020T1234Z-1a2b3c4d', createdAt: '', input: {}, chunkSize: 'month', stages, locationIds: [2178],
    window: { start: '2024-01-01', end: '2025-10-16' }, chunks, reprocessOf: null,
    cluster: { stepConcurrency, executorsPerStep: 1, minCapacityUnits: 2, maxCapacityUnits: 4, estimatedArchiveBytes: 0 },
  };
}

describe('how long a backfill holds the lake lock', () => {
  test('22 chunks at 4 at once are 6 waves: 2 attempts × (6 × 3600 + 3600 + 1800) + 3600 s', () => {
    expect(lockTtlSeconds(plan(['bronze', 'silver', 'gold'], 4), TIMEOUTS)).toBe(2 * (6 * 3600 + 3600 + 1800) + 3600);
  });

  test('without Bronze only Silver, Gold and the cluster lifecycle count', () => {
    expect(lockTtlSeconds(plan(['silver', 'gold'], 4), TIMEOUTS)).toBe(2 * (3600 + 1800) + 3600);
  });
});
