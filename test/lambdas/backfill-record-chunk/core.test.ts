import { RecordChunkEventSchema, recordChunkStep, stepIdInCause } from '../../../lambdas/backfill-record-chunk/core';
import { MemoryObjectStore } from '../../workflow/support/memory-ports';
import { JAN, LAKE, RUN_ID } from '../../core/backfill/fixtures';

describe('backfill-record-chunk', () => {
  test('a succeeded step is recorded with its step id and no error', async () => {
    const store = new MemoryObjectStore();
    await recordChunkStep({ runId: RUN_ID, chunkId: JAN.id, step: { StepId: 's-ABC123' } }, store, LAKE, new Date('2025-10-20T13:00:00Z'));
    expect(store.json(LAKE, `runs/backfill/${RUN_ID}/steps/bronze/${JAN.id}.json`)).toEqual({
      chunkId: JAN.id,
      stepId: 's-ABC123',
      error: null,
      recordedAt: '2025-10-20T13:00:00.000Z',
    });
  });

  test('the step id is also taken from the step description that addStep.sync answers with', async () => {
    const record = await recordChunkStep({ runId: RUN_ID, chunkId: JAN.id, step: { Step: { Id: 's-DESC42', Status: { State: 'COMPLETED' } } } }, new MemoryObjectStore(), LAKE, new Date());
    expect(record.stepId).toBe('s-DESC42');
  });

  test('a timed-out step is recorded with the error and no step id', async () => {
    const store = new MemoryObjectStore();
    const record = await recordChunkStep({ runId: RUN_ID, chunkId: JAN.id, failure: { Error: 'States.Timeout', Cause: null } }, store, LAKE, new Date());
    expect(record.stepId).toBeNull();
    expect(record.error).toEqual({ error: 'States.Timeout', cause: '' });
  });

  test('the step id is found in the cause of a failed addStep.sync', () => {
    expect(stepIdInCause('{"Step":{"Id":"s-1K4B2C3D","Name":"bronze 2024-01-01_2024-01-31"}}')).toBe('s-1K4B2C3D');
    expect(stepIdInCause('Rate exceeded')).toBeNull();
  });

  test('state that is not a backfill iteration is rejected naming the field', () => {
    const parsed = RecordChunkEventSchema.safeParse({ runId: 'hourly-20250101T0300Z-1a2b3c4d', chunkId: JAN.id });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]).toMatchObject({ path: ['runId'], message: 'must be a backfill run id' });
  });
});
