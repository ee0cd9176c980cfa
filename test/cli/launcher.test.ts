import { spawn } from 'node:child_process';
import { join } from 'node:path';

const LAUNCHER = join(__dirname, '..', '..', 'bin', 'aqi-pipeline.js');

/** Runs the launcher and closes its stdout after the first chunk, as `| head -1` does. */
function helpReadByHeadOne(): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [LAUNCHER, '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.once('data', () => child.stdout.destroy());
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stderr }));
  });
}

describe('the aqi-pipeline launcher', () => {
  test('stops quietly with exit 0 when its reader closes the pipe early (| head), instead of an EPIPE stack trace', async () => {
    // The write races the close, so a few tries make the unhandled case show whenever it exists.
    for (let attempt = 0; attempt < 5; attempt++) {
      const { code, stderr } = await helpReadByHeadOne();
      expect(stderr).toBe('');
      expect(code).toBe(0);
    }
  });
});
