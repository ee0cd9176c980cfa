import type { StageResult } from '../../../core/stage-result';

export const RUN_ID = 'backfill-20251020T1234Z-5e5e5e5e';
export const LAKE = 'aqi-lake';

/** A plan as plan-backfill writes it, for the Lambdas that read it back. */
export function writtenPlan(chunks: { id: string; start: string; end: string }[], input: Record<string, unknown> = { startDate: '2024-01-01', endDate: '2024-03-31' }) {
  return {
    runId: RUN_ID,
    createdAt: '2025-10-20T12:34:56.000Z',
    input,
    chunkSize: 'month',
    stages: ['bronze', 'silver', 'gold'],
    locationIds: [2178],
    window: { start: chunks[0].start, end: chunks[chunks.length - 1].end },
    chunks,
    reprocessOf: null,
    cluster: { stepConcurrency: 3, executorsPerStep: 1, minCapacityUnits: 2, maxCapacityUnits: 4, estimatedArchiveBytes: 0 },
  };
}

export const JAN = { id: '2024-01-01_2024-01-31', start: '2024-01-01', end: '2024-01-31' };
export const FEB = { id: '2024-02-01_2024-02-29', start: '2024-02-01', end: '2024-02-29' };
export const MAR = { id: '2024-03-01_2024-03-31', start: '2024-03-01', end: '2024-03-31' };

export function stageResult(overrides: Partial<StageResult>): StageResult {
  return {
    stage: 'bronze',
    runId: RUN_ID,
    chunkId: null,
    status: 'SUCCEEDED',
    mode: 'backfill',
    startedAt: '2025-10-20T13:00:00Z',
    finishedAt: '2025-10-20T13:01:30Z',
    durationSeconds: 90,
    rowsRead: 1000,
    rowsWritten: 990,
    rowsRejected: 0,
    rowsDuplicate: 10,
    window: { start: null, end: null },
    affectedDays: [],
    snapshots: {},
    error: null,
    ...overrides,
  };
}
