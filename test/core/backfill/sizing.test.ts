import { splitIntoChunks } from '../../../core/backfill/chunks';
import { sizeCluster } from '../../../core/backfill/sizing';

describe('sizing the cluster from the chunks and the locations', () => {
  test('one location over 22 months: four concurrent steps of one executor each', () => {
    // GIVEN 22 month chunks of at most 31 location-days
    const chunks = splitIntoChunks('2024-01-01', '2025-10-16', 'month');
    // WHEN
    const size = sizeCluster({ chunks, locationCount: 1, maxConcurrency: 4, coreInstanceCount: 2 });
    // THEN 655 days × 4,096 bytes
    expect(size).toEqual({ stepConcurrency: 4, executorsPerStep: 1, minCapacityUnits: 2, maxCapacityUnits: 4, estimatedArchiveBytes: 2_682_880 });
  });

  test('step concurrency never exceeds the chunk count', () => {
    const chunks = splitIntoChunks('2024-01-01', '2024-02-29', 'month');
    expect(sizeCluster({ chunks, locationCount: 1, maxConcurrency: 16, coreInstanceCount: 2 }).stepConcurrency).toBe(2);
  });

  test('executors per step grow with the largest chunk: 40 locations × 31 days = 1,240 files → 3 executors', () => {
    const chunks = splitIntoChunks('2024-01-01', '2024-03-31', 'month');
    const size = sizeCluster({ chunks, locationCount: 40, maxConcurrency: 3, coreInstanceCount: 2 });
    expect(size.executorsPerStep).toBe(3);
    expect(size.maxCapacityUnits).toBe(2 + Math.ceil((3 * 3) / 2));
  });

  test('executors per step are capped at 8 however large the chunk', () => {
    const chunks = splitIntoChunks('2024-01-01', '2024-01-31', 'month');
    expect(sizeCluster({ chunks, locationCount: 5_000, maxConcurrency: 1, coreInstanceCount: 2 }).executorsPerStep).toBe(8);
  });
});
