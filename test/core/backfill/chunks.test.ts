import { parseChunkId, splitIntoChunks } from '../../../core/backfill/chunks';

const ids = (start: string, end: string, size: 'day' | 'week' | 'month') => splitIntoChunks(start, end, size).map((c) => c.id);

describe('splitting a range into calendar-aligned chunks', () => {
  test('month chunks follow calendar months and clip the first and last month to the range', () => {
    expect(ids('2024-01-15', '2024-04-10', 'month')).toEqual([
      '2024-01-15_2024-01-31',
      '2024-02-01_2024-02-29',
      '2024-03-01_2024-03-31',
      '2024-04-01_2024-04-10',
    ]);
  });

  test('week chunks run Monday to Sunday (ISO weeks), across a year boundary', () => {
    // 2024-12-28 is a Saturday; 2024-12-30 a Monday; 2025-01-05 a Sunday.
    expect(ids('2024-12-28', '2025-01-07', 'week')).toEqual(['2024-12-28_2024-12-29', '2024-12-30_2025-01-05', '2025-01-06_2025-01-07']);
  });

  test('day chunks are one per day, with the leap day', () => {
    expect(ids('2024-02-28', '2024-03-01', 'day')).toEqual(['2024-02-28_2024-02-28', '2024-02-29_2024-02-29', '2024-03-01_2024-03-01']);
  });

  test('a one-day range is one chunk of that day whatever the chunk size', () => {
    expect(ids('2024-06-30', '2024-06-30', 'month')).toEqual(['2024-06-30_2024-06-30']);
  });

  test('the example range from the console spans 22 month chunks ending on the end date', () => {
    const chunks = splitIntoChunks('2024-01-01', '2025-10-16', 'month');
    expect(chunks).toHaveLength(22);
    expect(chunks[21]).toEqual({ id: '2025-10-01_2025-10-16', start: '2025-10-01', end: '2025-10-16' });
  });

  test('three years of daily chunks are 1096 chunks, every day once, none overlapping', () => {
    const chunks = splitIntoChunks('2022-01-01', '2024-12-31', 'day');
    expect(chunks).toHaveLength(1096);
    expect(new Set(chunks.map((c) => c.start)).size).toBe(1096);
    expect(chunks[1095].end).toBe('2024-12-31');
  });
});

describe('chunk ids', () => {
  test('a chunk id parses back into its start and end', () => {
    expect(parseChunkId('2024-02-01_2024-02-29')).toEqual({ id: '2024-02-01_2024-02-29', start: '2024-02-01', end: '2024-02-29' });
  });

  test('an id whose end precedes its start, or of another shape, does not parse', () => {
    expect(parseChunkId('2024-02-29_2024-02-01')).toBeUndefined();
    expect(parseChunkId('2024-02')).toBeUndefined();
  });
});
