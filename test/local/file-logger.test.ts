import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileLogger } from '../../local/adapters/file-logger';

describe('FileLogger', () => {
  it("appends Powertools' JSON entries to the file, one per line, with the service and the fields", () => {
    // GIVEN
    const file = join(mkdtempSync(join(tmpdir(), 'file-logger-')), 'lambda', 'finalize.log');
    const log = new FileLogger(file, 'finalize');
    // WHEN
    log.info('finalized run', { runId: 'hourly-20250101T0300Z-1a2b3c4d', watermarkAdvanced: true });
    log.warn('window capped', { window: { start: '2025-01-01T00:00:00Z' } });
    // THEN
    const entries = readFileSync(file, 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line) as unknown);
    expect(entries).toEqual([
      expect.objectContaining({ level: 'INFO', message: 'finalized run', service: 'finalize', runId: 'hourly-20250101T0300Z-1a2b3c4d', watermarkAdvanced: true }),
      expect.objectContaining({ level: 'WARN', message: 'window capped', service: 'finalize', window: { start: '2025-01-01T00:00:00Z' } }),
    ]);
  });
});
