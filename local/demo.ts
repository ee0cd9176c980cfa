/**
 * `npm run demo`: what a new user runs after cloning. Creates the Python env on first use, generates the
 * default data set if absent, runs a backfill and then an hourly run of the real state machines
 * locally, and shows some Gold rows.
 */
import { existsSync } from 'node:fs';
import { main as cli } from './cli';
import { DEFAULT_DATASET } from './cli';
import { ensurePythonEnv, DEFAULT_WORKSPACE } from './runtime/local-run';
import { workspaceAt } from './runtime/workspace';

/** The backfill covers the first two weeks (DST starts in the US on 2024-03-10); the hourly run follows. */
const BACKFILL = { from: '2024-03-01', to: '2024-03-14', chunk: 'week' };
const HOURLY_AT = '2024-03-15T12:15:00Z';

async function demo(): Promise<number> {
  const say = (text: string) => console.log(`\n=== ${text}`);
  say('Python env (.venv with PySpark, Iceberg runtime jar): created on first use');
  ensurePythonEnv();
  if (!existsSync(workspaceAt(DEFAULT_WORKSPACE).defaultArchiveDir)) {
    say(`Generating the demo data set: ${DEFAULT_DATASET.locations} stations × ${DEFAULT_DATASET.from}..${DEFAULT_DATASET.to}`);
    if ((await cli(['generate'])) !== 0) return 1;
  }
  say(`Backfill ${BACKFILL.from}..${BACKFILL.to} in ${BACKFILL.chunk} chunks (the backfill state machine)`);
  const backfill = await cli(['--quiet-steps', 'backfill', '--from', BACKFILL.from, '--to', BACKFILL.to, '--chunk', BACKFILL.chunk]);
  if (backfill !== 0) return backfill;
  say(`Hourly run as scheduled at ${HOURLY_AT} (the hourly state machine, API stand-in)`);
  const hourly = await cli(['--quiet-steps', 'hourly', '--at', HOURLY_AT]);
  if (hourly !== 0) return hourly;
  say('Gold: daily AQI per location (aqi.aqi_gold.aqi_daily)');
  const query = await cli(['query', 'SELECT * FROM aqi.aqi_gold.aqi_daily ORDER BY 1, 2', '--limit', '20']);
  say('Next: npm run local -- status | npm run local -- query "<SQL>" | docs/LOCAL.md');
  return query;
}

demo().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(error.message);
    process.exit(1);
  },
);
