/**
 * The synthesized state machines run locally end to end with real spark-submit steps (one JVM each) on a
 * small generated data set: a backfill of two daily chunks (one archive file truncated) and hourly runs,
 * with a hand-checked Gold day; a day of unreadable values stopped by Silver's quality gate; then the
 * faults: a step killed mid-stage, a rerun, an abort during the Map; a 5-day outage of the hourly schedule
 * caught up by the scheduled runs alone, two of them racing for the lock; last, the same backfill and an hourly run in the AWS-fidelity mode, whose Gold must equal the
 * ordinary mode's. The tests share one data set and one synthesized app, and run in order.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chunkResultKey } from '../../core/layout';
import { LocalDynamoDb } from '../../local/adapters/dynamodb-table';
import { LocalPipelineStateStore } from '../../local/adapters/pipeline-state-store';
import { ARCHIVE_LOCATIONS_FILE, ARCHIVE_RECORDS_PREFIX, archiveKey } from '../../local/datagen/archive-layout';
import { generateArchive } from '../../local/datagen/generate-archive';
import { GLUE_CATALOG_FILE, ensureAwsFidelityJars, recordedAwsResources, startAwsEndpoint } from '../../local/runtime/aws-fidelity';
import { LocalApp } from '../../local/runtime/local-app';
import { LocalEmr } from '../../local/runtime/local-emr';
import { LocalRunOptions, LocalRunResult, ensurePythonEnv, prepareApp, runPipeline } from '../../local/runtime/local-run';
import { descendantsOf, isAlive, sleep } from '../../local/runtime/process-tree';
import { queryWarehouse } from '../../local/runtime/query';
import { REPO_ROOT } from '../../local/runtime/repo';
import { Workspace, workspaceAt } from '../../local/runtime/workspace';
import { TableSummary, lockItem, tableSummaries, watermark } from './support/warehouse';

jest.setTimeout(20 * 60_000);

const TABLE = 'AqiDataLake-PipelineTable';
const VENV_PYTHON = join(REPO_ROOT, '.venv', 'bin', 'python');
/** Two daily chunks, both at once (a two-core machine): Bronze commits from two JVMs concurrently. */
const BACKFILL = { startDate: '2024-03-07', endDate: '2024-03-08', chunk: 'day', maxConcurrency: 2 };
/** Retries happen as the definitions say, without their 30 s pauses (the killed and gated Silver steps). */
const NO_RETRY_PAUSE = 0;

let root: string;
let archiveDir: string;
let app: LocalApp;
/**
 * The ordinary side of the AWS-fidelity comparison: the faults' workspace once its rerun has left every
 * table as the clean backfill did (tested there), so the clean workspace stays for the tests on it.
 */
let backfilledOrdinary: Workspace;
let cleanRun: Record<string, TableSummary>;
/** The clean backfill's workspace, which the quality-gate test builds on. */
let cleanWorkspace: Workspace;
/** The archive file the clean backfill cannot read: the second location's 2024-03-07, truncated. */
let truncated: { locationId: number; key: string };
const logs: string[] = [];
const write = (line: string) => logs.push(line);

function workspace(name: string): Workspace {
  const ws = workspaceAt(join(root, name));
  app.deployBuckets(ws, VENV_PYTHON);
  return ws;
}

function run(pipeline: 'hourly' | 'backfill', input: unknown, ws: Workspace, onStarted?: LocalRunOptions['onStarted'], archive = archiveDir): Promise<LocalRunResult> {
  return runPipeline(pipeline, input, { workspaceDir: ws.root, archiveDir: archive, app, write, streamStepOutput: false, onStarted, retryIntervalMs: NO_RETRY_PAUSE });
}

beforeAll(() => {
  ensurePythonEnv('dev'); // the AWS-fidelity runs need moto
  root = mkdtempSync(join(tmpdir(), 'aqi-local-e2e-'));
  archiveDir = join(root, 'archive');
  // Seed 5: Del Norte's PM2.5 on 2024-03-08 is a smoke episode with all 24 hours and no faulty value.
  generateArchive({ outDir: archiveDir, from: '2024-03-05', to: '2024-03-09', locations: 2, seed: 5 });
  // A broken export in the middle chunk: the last 40 bytes of the gzip are gone. Not Del Norte (2178),
  // whose 2024-03-08 is checked by hand, and not a first or last day (the hourly API stand-in reads those).
  const [, second] = JSON.parse(readFileSync(join(archiveDir, ARCHIVE_LOCATIONS_FILE), 'utf8')) as { id: number }[];
  truncated = { locationId: second.id, key: archiveKey(second.id, '2024-03-07') };
  const file = readFileSync(join(archiveDir, truncated.key));
  writeFileSync(join(archiveDir, truncated.key), file.subarray(0, file.length - 40));
  app = prepareApp(workspaceAt(join(root, 'unused')), archiveDir);
});

afterAll(() => {
  if (process.env.AQI_KEEP_E2E) console.log(`kept ${root}`);
  else rmSync(root, { recursive: true, force: true });
});

afterEach(() => {
  const { testPath, currentTestName } = expect.getState();
  if (process.env.AQI_E2E_LOG) console.log(`${testPath} › ${currentTestName}\n${logs.join('\n')}`);
  logs.length = 0;
});

describe('the backfill state machine, run locally', () => {
  let ws: Workspace;
  let backfill: LocalRunResult;
  /** What the clean backfill printed (the log is cleared after each test). */
  let backfillLog: string[];

  test('runs Bronze once per daily chunk, then Silver and Gold, and writes a SUCCEEDED manifest', async () => {
    ws = workspace('clean');

    const result = await run('backfill', BACKFILL, ws);
    backfill = result;
    backfillLog = [...logs];

    expect(result.outcome.status).toBe('SUCCEEDED');
    expect(result.report.stages().map((s) => [s.stage, s.status, s.steps.map((step) => step.chunkId ?? null).sort()])).toEqual([
      ['bronze', 'OK', ['2024-03-07_2024-03-07', '2024-03-08_2024-03-08']],
      ['silver', 'OK', [null]],
      ['gold', 'OK', [null]],
    ]);
    const manifest = JSON.parse(readFileSync(result.manifestPath!, 'utf8')) as { status: string; failedChunks: string[] };
    expect(manifest).toMatchObject({ status: 'SUCCEEDED', failedChunks: [] });
  });

  test('does not end silently over the truncated archive file: the manifest lists it with its reason and retry input, the metric counts it, the notice names it', () => {
    // (the run above: its chunk still succeeded with the day's other files)
    const manifest = JSON.parse(readFileSync(backfill.manifestPath!, 'utf8')) as { unreadableSources: unknown[] };
    const retryInput = { startDate: '2024-03-07', endDate: '2024-03-07', chunk: 'day', locations: [truncated.locationId] };
    expect(manifest.unreadableSources).toEqual([
      { key: truncated.key, reason: 'truncated gzip: the compressed stream ends early', rejectedLines: expect.any(Number), chunkId: '2024-03-07_2024-03-07', retryInput },
    ]);
    const metrics = readFileSync(join(ws.root, 'logs', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { name: string; value: number });
    expect(metrics.filter((m) => m.name === 'UnreadableSourceFiles').map((m) => m.value)).toEqual([1]);
    expect(backfillLog.filter((l) => l.includes('✉ SNS'))).toEqual([expect.stringContaining('✉ SNS: aqi-pipeline backfill could not read some archive files')]);
    const notice = JSON.parse(backfillLog[backfillLog.findIndex((l) => l.includes('✉ SNS')) + 1].trim()) as { files: unknown[] };
    expect(notice.files).toEqual([{ key: truncated.key, reason: 'truncated gzip: the compressed stream ends early', retryInput }]);
  });

  test("computes Del Norte's PM2.5 AQI for 2024-03-08 as worked out by hand", async () => {
    // The archive file location-2178-20240308 (MST all day, so the local day is the LST day) has 24 hourly
    // PM2.5 values, none faulty:
    //   29.0 28.0 31.0 30.2 31.1 29.5 34.4 34.8 29.8 31.6 26.3 25.4
    //   31.5 29.9 26.2 28.6 24.4 21.9 24.1 26.2 24.4 26.4 23.6 23.5
    // sum 671.8; mean 671.8 / 24 = 27.991666…; truncated to 0.1 → 27.9 µg/m³ (Moderate: 9.1–35.4 → 51–100)
    // AQI = (100 − 51) / (35.4 − 9.1) × (27.9 − 9.1) + 51 = 49 / 26.3 × 18.8 + 51 = 86.027 → 86
    const result = await queryWarehouse(
      ws,
      app.lakeBucket,
      "SELECT hours_observed, aqi, category FROM aqi.aqi_gold.aqi_daily_pollutant WHERE location_id = 2178 AND lst_date = DATE'2024-03-08' AND pollutant = 'pm25'",
    );

    expect(result.rows).toEqual([[24, 86, 'Moderate']]);
  });

  test('leaves no duplicate natural key in any table', () => {
    cleanRun = tableSummaries(ws, app.lakeBucket);
    cleanWorkspace = ws;

    expect(Object.entries(cleanRun).filter(([, t]) => t.duplicateKeys > 0)).toEqual([]);
    expect(cleanRun['aqi.aqi_gold.aqi_daily_pollutant'].rows).toBeGreaterThan(0);
  });
});

describe('the Silver quality gate, run locally', () => {
  test('a backfill of a day whose values are unreadable fails in Silver: Silver and Gold stay as they were, the quarantine holds the day, the manifest names the rule', async () => {
    // GIVEN the clean backfill's warehouse, and an archive whose 2024-03-09 files send "n/a" for every value
    const badArchive = join(root, 'bad-archive');
    generateArchive({ outDir: badArchive, from: '2024-03-09', to: '2024-03-09', locations: 2, seed: 5 });
    const spoiled = spoilValues(badArchive);

    // WHEN that day is backfilled
    const result = await run('backfill', { startDate: '2024-03-09', endDate: '2024-03-09', chunk: 'day' }, cleanWorkspace, undefined, badArchive);

    // THEN Silver failed on its quality gate, and the manifest says which rule and with what figures
    expect(result.outcome.status).toBe('FAILED');
    const manifest = JSON.parse(readFileSync(result.manifestPath!, 'utf8')) as { runId: string; stages: { silver: { qualityGate: { checks: { rule: string; passed: boolean; rowsRejected?: number }[] } } } };
    expect(manifest).toMatchObject({ status: 'FAILED', stages: { silver: { status: 'FAILED', error: { type: 'QualityGateTrippedError' }, qualityGate: { passed: false } } } });
    const shareCheck = manifest.stages.silver.qualityGate.checks.find((c) => c.rule === 'rejectedShare');
    expect(shareCheck).toMatchObject({ passed: false, limit: 0.2 });
    // AND nothing was promoted: Silver's hours, its change log and every Gold table are as the clean run left them
    const after = tableSummaries(cleanWorkspace, app.lakeBucket);
    const promoted = (summaries: Record<string, TableSummary>) =>
      Object.fromEntries(Object.entries(summaries).filter(([name]) => name.startsWith('aqi.aqi_gold.') || name === 'aqi.aqi_silver.measurements_hourly' || name === 'aqi.aqi_silver.hour_changes'));
    expect(promoted(after)).toEqual(promoted(cleanRun));
    // AND the quarantine holds every row of the spoiled day, under this run's id
    const quarantined = await queryWarehouse(cleanWorkspace, app.lakeBucket, `SELECT reason, count(*) FROM aqi.aqi_silver.quarantine WHERE run_id = '${manifest.runId}' GROUP BY reason`);
    expect(quarantined.rows).toEqual([['value_not_numeric', spoiled]]);
    expect(after['aqi.aqi_silver.quarantine'].rows).toBe(cleanRun['aqi.aqi_silver.quarantine'].rows + spoiled);
  });
});

describe('faults', () => {
  let ws: Workspace;

  test('a spark-submit killed mid-stage fails the execution cleanly: cluster terminated, lock released, manifest names Silver', async () => {
    ws = workspace('faulty');
    const killed: number[] = [];
    let watching = true;
    // Every Silver attempt (the state machine retries a failed step once) is killed 5 s into its run.
    const killSilver = async (emr: LocalEmr) => {
      while (watching) {
        for (const cluster of emr.clusters()) {
          for (const step of cluster.steps) {
            const runningFor = step.startedAt ? Date.now() - Date.parse(step.startedAt) : 0;
            if (step.name === 'silver' && step.state === 'RUNNING' && step.pid && runningFor > 5_000 && !killed.includes(step.pid)) {
              killed.push(step.pid);
              process.kill(-step.pid, 'SIGKILL');
            }
          }
        }
        await sleep(200);
      }
    };

    const result = await run('backfill', BACKFILL, ws, ({ emr }) => void killSilver(emr));
    watching = false;

    expect(killed.length).toBeGreaterThanOrEqual(1);
    expect(result.outcome.status).toBe('FAILED');
    expect(result.report.stages().find((s) => s.stage === 'silver')?.status).toBe('FAILED');
    const manifest = JSON.parse(readFileSync(result.manifestPath!, 'utf8')) as { status: string; stages: { silver: { status: string } } };
    expect(manifest).toMatchObject({ status: 'FAILED', stages: { silver: { status: 'FAILED' } } });
    expect(await lockItem(ws, TABLE)).toBeUndefined();
    const clusters = JSON.parse(readFileSync(join(ws.emrDir, 'clusters.json'), 'utf8')) as Record<string, { state: string; steps: { pid?: number }[] }>;
    expect(Object.values(clusters).map((c) => c.state)).toEqual(['TERMINATED']);
    expect(Object.values(clusters).flatMap((c) => c.steps.map((s) => s.pid!)).filter(isAlive)).toEqual([]);
  });

  test('a rerun after that failure leaves every table identical to a clean run (rows and checksums)', async () => {
    const result = await run('backfill', BACKFILL, ws);
    backfilledOrdinary = ws;

    expect(result.outcome.status).toBe('SUCCEEDED');
    expect(tableSummaries(ws, app.lakeBucket)).toEqual(cleanRun);
  });

  test('an abort during the Map leaves no child process, and the janitor terminates the cluster and frees the lock', async () => {
    const aborted = workspace('aborted');
    let tree: number[] = [];
    const result = await run('backfill', BACKFILL, aborted, ({ execution, emr }) => {
      void (async () => {
        // Abort once a chunk's JVM is up (the Map is running).
        for (;;) {
          const step = emr.clusters().flatMap((c) => c.steps).find((s) => s.state === 'RUNNING' && s.pid);
          const jvm = step?.pid ? descendantsOf(step.pid) : [];
          if (step?.pid && jvm.length > 0) {
            tree = [step.pid, ...jvm];
            execution.abort();
            return;
          }
          await sleep(100);
        }
      })();
    });

    expect(result.outcome.status).toBe('ABORTED');
    expect(tree.filter(isAlive)).toEqual([]);
    expect(result.outcome.statusChangeResults).toMatchObject([{ lockReleased: true }]);
    expect(await lockItem(aborted, TABLE)).toBeUndefined();
  });
});

/** What the run's Bronze step asked the OpenAQ API stand-in (its stage result's `apiRequests`). */
function bronzeApiRequests(result: LocalRunResult): { requests: number; byEndpoint: Record<string, number>; sensorListsRenewed: number } {
  const step = result.report.steps.find((s) => s.stage === 'bronze');
  return (JSON.parse(readFileSync(step!.resultFile!, 'utf8')) as { apiRequests: ReturnType<typeof bronzeApiRequests> }).apiRequests;
}

/** Every hour beginning in [from, to), as ISO instants without milliseconds. */
function hoursBeginning(from: string, to: string): string[] {
  const hours: string[] = [];
  for (let t = Date.parse(from); t < Date.parse(to); t += 3_600_000) hours.push(new Date(t).toISOString().replace('.000Z', 'Z'));
  return hours;
}

describe('the hourly state machine, run locally: an outage, and runs racing for the lock during the catch-up', () => {
  test('after 5 days without a run the scheduled runs catch up oldest first; the run that fires while the first holds the lock is skipped; every hour of the 5 days reaches Gold with no operator action', async () => {
    // GIVEN an archive for the API stand-in with every location-day present (none truncated), and a lake
    // whose last hourly run ended at 2024-03-05T12:00Z, as finalize leaves the watermark
    const outageArchive = join(root, 'outage-archive');
    const generated = generateArchive({ outDir: outageArchive, from: '2024-03-05', to: '2024-03-10', locations: 2, seed: 5 });
    expect(generated.missingDays).toEqual([]);
    const ws = workspace('outage');
    const lastRunEnd = '2024-03-05T12:00:00Z';
    await new LocalPipelineStateStore(new LocalDynamoDb(ws), TABLE).putWatermark('hourly', { windowEnd: lastRunEnd, runId: 'hourly-20240305T1215Z-00000000', updatedAt: '2024-03-05T12:20:00Z' });
    const hourly = (scheduledTime: string) => run('hourly', { scheduledTime }, ws, undefined, outageArchive);
    const isSkipped = (r: LocalRunResult) => (r.outcome.output as { status?: string } | undefined)?.status === 'SKIPPED';

    // WHEN the schedule resumes 5 days later, each run being what EventBridge sends and nothing else: the
    // first two fire together (the second while the first holds the lock), then the next hour's
    const pair = await Promise.all([hourly('2024-03-10T12:15:00Z'), hourly('2024-03-10T13:15:00Z')]);
    const watermarkAfterFirst = await watermark(ws, TABLE);
    const next = await hourly('2024-03-10T14:15:00Z');

    // THEN one of the pair ran and the other was skipped, both ending SUCCEEDED
    expect(pair.map((r) => r.outcome.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(pair.filter(isSkipped)).toHaveLength(1);
    const first = pair.find((r) => !isSkipped(r))!;
    expect([first, next].map((r) => r.report.stages().map((s) => `${s.stage} ${s.status}`))).toEqual([
      ['bronze OK', 'silver OK', 'gold OK'],
      ['bronze OK', 'silver OK', 'gold OK'],
    ]);
    // AND the run took the oldest 72 hours from the watermark (less the 3-hour late-data margin) and moved the
    // watermark to their end; the next took the rest, up to its own scheduled hour
    expect([first, next].map((r) => r.outcome.output)).toMatchObject([
      { window: { start: '2024-03-05T09:00:00Z', end: '2024-03-08T09:00:00Z' }, watermarkAdvanced: true },
      { window: { start: '2024-03-08T06:00:00Z', end: '2024-03-10T14:00:00Z' }, watermarkAdvanced: true },
    ]);
    expect(watermarkAfterFirst).toBe('2024-03-08T09:00:00Z');
    expect(await watermark(ws, TABLE)).toBe('2024-03-10T14:00:00Z');
    expect(await lockItem(ws, TABLE)).toBeUndefined();
    // AND every hour of the outage, 2024-03-05T12:00Z to 2024-03-10T12:00Z, has AQI rows at both locations:
    // nothing was lost to the skipped run
    const outageHours = hoursBeginning(lastRunEnd, '2024-03-10T12:00:00Z');
    expect(outageHours).toHaveLength(120);
    const gold = await queryWarehouse(
      ws,
      app.lakeBucket,
      "SELECT DISTINCT location_id, date_format(hour_begin_utc, \"yyyy-MM-dd'T'HH:mm:ss'Z'\") FROM aqi.aqi_gold.aqi_hourly",
      1_000_000,
    );
    const locations = generated.stations.map((s) => s.id).sort((a, b) => a - b);
    const missing = locations.flatMap((id) => outageHours.filter((h) => !gold.rows.some(([l, hour]) => Number(l) === id && hour === h)).map((h) => `${id} ${h}`));
    expect(missing).toEqual([]);
    // AND the first run asked each location for its sensor list, then each AQI sensor (Del Norte's 6 and
    // Queens College's 5) once for its hours; the next reused the lists the first kept in the lake
    expect(bronzeApiRequests(first)).toMatchObject({ byEndpoint: { '/v3/locations/{id}/sensors': 2, '/v3/sensors/{id}/hours': 11 }, sensorListsRenewed: 2 });
    expect(bronzeApiRequests(next)).toMatchObject({ requests: 11, byEndpoint: { '/v3/sensors/{id}/hours': 11 }, sensorListsRenewed: 0 });
  }, 3 * 20 * 60_000); // three runs
});

/** Rewrites every archive file under `dir` so each data line's value is "n/a"; returns the distinct lines written. */
function spoilValues(dir: string): number {
  const lines = new Set<string>();
  for (const path of listFiles(join(dir, ARCHIVE_RECORDS_PREFIX))) {
    const [header, ...data] = gunzipSync(readFileSync(path)).toString('utf8').split('\r\n').filter((l) => l.length > 0);
    const spoiled = data.map((line) => line.replace(/,[^,]*$/, ',n/a'));
    spoiled.forEach((line) => lines.add(line));
    writeFileSync(path, gzipSync(Buffer.from(`${[header, ...spoiled].join('\r\n')}\r\n`, 'utf8')));
  }
  return lines.size;
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? listFiles(join(dir, entry.name)) : [join(dir, entry.name)]));
}

/** An hourly run over the backfill's last day: its Gold rows are computed again and merged. */
const HOURLY_AFTER_BACKFILL = { scheduledTime: '2024-03-08T10:15:00Z' };
/** Gold columns that name the run that wrote a row and when: the only ones allowed to differ between runs. */
const GOLD_LINEAGE = ['computed_at', 'run_id'];

interface StepFigures {
  step: string;
  recordedRows: number | null;
  resultRows: unknown;
  reachedWorkspaceAfterRun: boolean;
}

/**
 * What a run's manifest records of each step next to what the step's result says. In the AWS-fidelity
 * mode the steps write their results only to the endpoint's S3, and the endpoint writes its buckets into
 * the workspace once the execution has ended: a manifest that holds the results' figures and reached the
 * workspace with them after the run was written by finalize from results fan-in read in that S3.
 */
function manifestAgainstResults(ws: Workspace, result: LocalRunResult): StepFigures[] {
  const manifest = JSON.parse(readFileSync(result.manifestPath!, 'utf8')) as {
    pipeline: 'backfill' | 'hourly';
    runId: string;
    chunks?: { chunkId: string; rowsWritten: number | null }[];
    stages: Record<string, { resultKey: string; rowsWritten: number | null } | null>;
  };
  const ended = Date.parse(result.outcome.stoppedAt);
  const figures = (step: string, key: string, recordedRows: number | null): StepFigures => {
    const path = ws.s3Path(app.lakeBucket, key);
    const stepResult = JSON.parse(readFileSync(path, 'utf8')) as { rowsWritten: unknown };
    const reachedWorkspaceAfterRun = statSync(path).mtimeMs >= ended && statSync(result.manifestPath!).mtimeMs >= ended;
    return { step, recordedRows, resultRows: stepResult.rowsWritten, reachedWorkspaceAfterRun };
  };
  return [
    ...(manifest.chunks ?? []).map((c) => figures(`bronze ${c.chunkId}`, chunkResultKey(manifest.pipeline, manifest.runId, c.chunkId), c.rowsWritten)),
    ...Object.entries(manifest.stages).flatMap(([stage, record]) => (record ? [figures(stage, record.resultKey, record.rowsWritten)] : [])),
  ];
}

/**
 * Every Gold row of both workspaces, lineage dropped, sorted, read in one JVM: the AWS-fidelity warehouse
 * through its Glue catalog (`aqi`, on a fresh endpoint) and the ordinary one as a second, Hadoop catalog.
 */
async function goldRowsOfBothModes(ordinary: Workspace, fidelity: Workspace): Promise<{ ordinary: string[]; fidelity: string[] }> {
  const catalog = JSON.parse(readFileSync(join(fidelity.root, GLUE_CATALOG_FILE), 'utf8')) as { database: string; table: { Name: string } }[];
  // Bookkeeping (`stage_state`: how far Gold has read Silver, by processing time) is not data.
  const tables = catalog.filter((e) => e.database === 'aqi_gold' && !e.table.Name.endsWith('_state')).map((e) => e.table.Name).sort();
  const select = (mode: string, catalogName: string, table: string) =>
    `SELECT '${mode}' AS mode, '${table}' AS gold_table, to_json(struct(*)) AS row FROM ${catalogName}.aqi_gold.${table}`;
  const sql = tables.flatMap((t) => [select('ordinary', 'ordinary', t), select('fidelity', 'aqi', t)]).join(' UNION ALL ');
  const aws = await startAwsEndpoint({ workspace: fidelity, resources: recordedAwsResources(fidelity), python: VENV_PYTHON, jars: ensureAwsFidelityJars() });
  try {
    const ordinaryCatalog = {
      'spark.sql.catalog.ordinary': 'org.apache.iceberg.spark.SparkCatalog',
      'spark.sql.catalog.ordinary.type': 'hadoop',
      'spark.sql.catalog.ordinary.warehouse': `${ordinary.s3Path(app.lakeBucket, 'warehouse')}/`,
    };
    const result = await queryWarehouse(fidelity, app.lakeBucket, sql, 1_000_000, { step: { ...aws.step, conf: { ...aws.step.conf, ...ordinaryCatalog } }, stepEnv: aws.stepEnv });
    const rows = { ordinary: [] as string[], fidelity: [] as string[] };
    for (const [mode, table, json] of result.rows as [keyof typeof rows, string, string][]) {
      const row = JSON.parse(json) as Record<string, unknown>;
      for (const column of GOLD_LINEAGE) delete row[column];
      rows[mode].push(`${table} ${JSON.stringify(row)}`);
    }
    return { ordinary: rows.ordinary.sort(), fidelity: rows.fidelity.sort() };
  } finally {
    await aws.close();
  }
}

/** The same runs with `--aws-fidelity`: steps with their EMR arguments, the Lambdas' S3 adapter on moto. */
function runAwsFidelity(pipeline: 'hourly' | 'backfill', input: unknown, ws: Workspace): Promise<LocalRunResult> {
  return runPipeline(pipeline, input, { workspaceDir: ws.root, archiveDir, app, write, streamStepOutput: false, awsFidelity: true, retryIntervalMs: NO_RETRY_PAUSE });
}

describe('the AWS-fidelity mode: the steps keep --catalog glue, s3:// and --api-key-secret against the local AWS endpoint', () => {
  let fidelity: Workspace;
  let backfill: LocalRunResult;
  let hourly: LocalRunResult;
  let backfillFigures: StepFigures[];

  test('runs the same backfill and then an hourly run to success', async () => {
    fidelity = workspace('aws-fidelity');

    backfill = await runAwsFidelity('backfill', BACKFILL, fidelity);
    // Read now: the next command's endpoint writes every object back again.
    backfillFigures = manifestAgainstResults(fidelity, backfill);
    hourly = await runAwsFidelity('hourly', HOURLY_AFTER_BACKFILL, fidelity);

    expect([backfill.outcome.status, hourly.outcome.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(backfill.report.stages().map((s) => [s.stage, s.status, s.steps.length])).toEqual([
      ['bronze', 'OK', 2],
      ['silver', 'OK', 1],
      ['gold', 'OK', 1],
    ]);
    expect(hourly.report.stages().map((s) => [s.stage, s.status])).toEqual([
      ['bronze', 'OK'],
      ['silver', 'OK'],
      ['gold', 'OK'],
    ]);
  }, 2 * 20 * 60_000); // two runs

  test("fan-in and finalize read the steps' results from the endpoint's S3 and wrote the manifests there, through the Lambdas' S3 adapter", () => {
    const hourlyFigures = manifestAgainstResults(fidelity, hourly);

    expect(backfillFigures.map((f) => f.step)).toEqual(['bronze 2024-03-07_2024-03-07', 'bronze 2024-03-08_2024-03-08', 'silver', 'gold']);
    expect(hourlyFigures.map((f) => f.step)).toEqual(['bronze', 'silver', 'gold']);
    for (const f of [...backfillFigures, ...hourlyFigures]) {
      expect(f).toEqual({ step: f.step, recordedRows: f.resultRows, resultRows: expect.any(Number), reachedWorkspaceAfterRun: true });
    }
    expect(JSON.parse(readFileSync(backfill.manifestPath!, 'utf8'))).toMatchObject({ status: 'SUCCEEDED', failedChunks: [] });
    expect(JSON.parse(readFileSync(hourly.manifestPath!, 'utf8'))).toMatchObject({ status: 'SUCCEEDED' });
  });

  test('registers every table in the Glue catalog, its current metadata under the lake bucket', () => {
    const catalog = JSON.parse(readFileSync(join(fidelity.root, GLUE_CATALOG_FILE), 'utf8')) as { database: string; table: { Name: string; Parameters: Record<string, string> } }[];

    expect(catalog.map((e) => `${e.database}.${e.table.Name}`)).toEqual(
      expect.arrayContaining(['aqi_bronze.measurements', 'aqi_silver.measurements_hourly', 'aqi_gold.aqi_hourly', 'aqi_gold.aqi_daily_pollutant', 'aqi_gold.aqi_daily']),
    );
    for (const { database, table } of catalog) {
      const metadata = table.Parameters.metadata_location;
      expect({ table: table.Name, type: table.Parameters.table_type, metadata }).toEqual({
        table: table.Name,
        type: 'ICEBERG',
        metadata: expect.stringMatching(new RegExp(`^s3://${app.lakeBucket}/warehouse/${database}\\.db/${table.Name}/metadata/\\d{5}-[0-9a-f-]+\\.metadata\\.json$`)),
      });
      expect(existsSync(fidelity.s3Path(app.lakeBucket, metadata.slice(`s3://${app.lakeBucket}/`.length)))).toBe(true);
    }
  });

  test('leaves Gold with exactly the rows the ordinary mode computes from the same backfill and hourly run', async () => {
    const ordinaryHourly = await run('hourly', HOURLY_AFTER_BACKFILL, backfilledOrdinary);
    expect(ordinaryHourly.outcome.status).toBe('SUCCEEDED');

    const gold = await goldRowsOfBothModes(backfilledOrdinary, fidelity);

    expect(gold.ordinary.filter((r) => r.startsWith('aqi_daily ')).length).toBeGreaterThan(0);
    expect(gold.fidelity).toEqual(gold.ordinary);
  });
});
