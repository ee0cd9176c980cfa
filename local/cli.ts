/**
 * `npm run local -- <command>`: the local runtime's command line (docs/LOCAL.md).
 *
 *   generate   write an OpenAQ-archive-shaped data set
 *   backfill   run the backfill state machine over the archive
 *   hourly     run the hourly state machine against the API (the local stand-in by default)
 *   query      run Spark SQL against the local warehouse and print a table
 *   status     print a run's manifest (or list the runs)
 *   api        serve the OpenAQ API stand-in until Ctrl-C
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Table from 'cli-table3';
import { Command, InvalidArgumentError } from 'commander';
import { generateArchive } from './datagen/generate-archive';
import { startOpenAqApi } from './openaq-api/server';
import { installPromiseWithResolvers } from './polyfills';
import { RunningAwsEndpoint, checkWorkspaceCatalog, ensureAwsFidelityJars, recordedAwsResources, startAwsEndpoint } from './runtime/aws-fidelity';
import { synthesizeLocalApp } from './runtime/local-app';
import { REPO_ROOT } from './runtime/repo';
import { DEFAULT_WORKSPACE, archiveLocations, ensurePythonEnv, recordedLakeBucket, runPipeline } from './runtime/local-run';
import { parseRunManifest } from '../core/manifest';
import { timelineSvg } from '../core/timeline/timeline-svg';
import { queryWarehouse } from './runtime/query';
import { localRunTimeline, readRunRecord, runRecordPath } from './runtime/run-record';
import { workspaceAt } from './runtime/workspace';

installPromiseWithResolvers();

/** The demo's data set: four stations (four time zones, every unit spelling) over March 2024 (two DST switches). */
export const DEFAULT_DATASET = { from: '2024-03-01', to: '2024-03-31', locations: 4, seed: 20240301 } as const;

function date(value: string, name: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) {
    throw new InvalidArgumentError(`${name} must be a date YYYY-MM-DD; got '${value}'`);
  }
  return value;
}

function positiveInt(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a whole number ≥ 1; got '${value}'`);
  return n;
}

function locationIds(value: string): number[] {
  const ids = value.split(',').map((s) => s.trim());
  for (const id of ids) if (!/^\d+$/.test(id)) throw new InvalidArgumentError(`--locations must be location ids separated by commas, e.g. 2178,8118; got '${value}'`);
  return ids.map(Number);
}

function isoInstant(value: string): string {
  const ms = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(ms)) {
    throw new InvalidArgumentError(`--at must be an ISO instant such as 2024-03-20T06:15:00Z; got '${value}'`);
  }
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

/** `usage` reports a bad argument the way commander does (stderr, exit code 2). */
function archiveDirFrom(uri: string | undefined, workspaceDir: string, usage: (message: string) => never): string {
  if (!uri) return workspaceAt(workspaceDir).defaultArchiveDir;
  if (uri.startsWith('s3://')) {
    usage(`--archive-uri ${uri}: a local run reads a directory; copy the part you need first, e.g. aws s3 sync --no-sign-request s3://openaq-data-archive/records/csv.gz/locationid=2178/ <dir>/records/csv.gz/locationid=2178/`);
  }
  return resolve(uri.replace(/^file:\/\//, ''));
}

async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  const program = new Command('npm run local --')
    .description('Run the synthesized aqi-pipeline state machines on this machine with real Spark')
    .option('--workspace <dir>', 'where local S3, DynamoDB, EMR and logs live', DEFAULT_WORKSPACE)
    .option('--quiet-steps', 'do not stream spark-submit output (it is always in the step log files)')
    .option('--aws-fidelity', 'run the steps with their EMR arguments (Glue catalog, s3://, the API-key secret) against a local AWS endpoint (moto); docs/LOCAL.md')
    .showHelpAfterError()
    .exitOverride();
  const usage = (message: string): never => program.error(message, { exitCode: 2, code: 'commander.invalidArgument' });

  program
    .command('generate')
    .description('write an OpenAQ-archive-shaped data set (records/csv.gz/... and locations.json)')
    .option('--from <date>', 'first local day', (v) => date(v, '--from'), DEFAULT_DATASET.from)
    .option('--to <date>', 'last local day, inclusive', (v) => date(v, '--to'), DEFAULT_DATASET.to)
    .option('--locations <n>', 'how many stations', (v) => positiveInt(v, '--locations'), DEFAULT_DATASET.locations)
    .option('--seed <n>', 'the same seed gives the same data', (v) => positiveInt(v, '--seed'), DEFAULT_DATASET.seed)
    .option('--out <dir>', 'output directory (default: <workspace>/data/archive)')
    .action((opts: { from: string; to: string; locations: number; seed: number; out?: string }) => {
      const outDir = resolve(opts.out ?? workspaceAt(program.opts().workspace).defaultArchiveDir);
      const result = generateArchive({ outDir, from: opts.from, to: opts.to, locations: opts.locations, seed: opts.seed });
      console.log(`wrote ${result.files} files, ${result.rows.toLocaleString('en-US')} rows for ${result.stations.map((s) => `${s.id} ${s.name} (${s.timezone})`).join(', ')}`);
      console.log(`missing location-days (no file, as in the real archive): ${result.missingDays.join(', ') || 'none'}`);
      console.log(`archive: ${outDir}`);
    });

  program
    .command('backfill')
    .description('run the backfill state machine: Bronze per chunk from the archive, then Silver and Gold')
    .requiredOption('--from <date>', 'first day (startDate)', (v) => date(v, '--from'))
    .requiredOption('--to <date>', 'last day, inclusive (endDate)', (v) => date(v, '--to'))
    .option('--locations <ids>', 'location ids, comma-separated (default: all configured)', locationIds)
    .option('--chunk <size>', 'day | week | month')
    .option('--max-concurrency <n>', 'Bronze chunks at once', (v) => positiveInt(v, '--max-concurrency'))
    .option('--archive-uri <dir>', 'a directory in the OpenAQ archive layout (default: the generated one)')
    .action(async (opts: { from: string; to: string; locations?: number[]; chunk?: string; maxConcurrency?: number; archiveUri?: string }) => {
      const input: Record<string, unknown> = { startDate: opts.from, endDate: opts.to };
      if (opts.locations) input.locations = opts.locations;
      if (opts.chunk) input.chunk = opts.chunk;
      if (opts.maxConcurrency) input.maxConcurrency = opts.maxConcurrency;
      exitCode = await run('backfill', input, program.opts(), archiveDirFrom(opts.archiveUri, program.opts().workspace, usage));
    });

  program
    .command('hourly')
    .description('run the hourly state machine as the scheduler would at --at')
    .option('--at <instant>', 'the scheduled time (default: now)', isoInstant)
    .option('--api-base-url <url>', 'OpenAQ API root (default: a local stand-in serving the archive)')
    .option('--archive-uri <dir>', 'the archive the stand-in serves (default: the generated one)')
    .action(async (opts: { at?: string; apiBaseUrl?: string; archiveUri?: string }) => {
      const input = { scheduledTime: opts.at ?? new Date().toISOString() };
      exitCode = await run('hourly', input, program.opts(), archiveDirFrom(opts.archiveUri, program.opts().workspace, usage), opts.apiBaseUrl);
    });

  program
    .command('query')
    .description('run one Spark SQL statement against the local warehouse, e.g. "SELECT * FROM aqi.aqi_gold.aqi_daily"')
    .argument('<sql>', 'Spark SQL; tables are aqi.<namespace>.<table>')
    .option('--limit <n>', 'rows to print', (v) => positiveInt(v, '--limit'), 200)
    .action(async (sql: string, opts: { limit: number }) => {
      ensurePythonEnv(program.opts().awsFidelity ? 'dev' : 'runtime');
      const workspace = workspaceAt(program.opts().workspace);
      let aws: RunningAwsEndpoint | undefined;
      try {
        const lakeBucket = recordedLakeBucket(workspace) ?? synthesizeLocalApp().lakeBucket;
        checkWorkspaceCatalog(workspace, lakeBucket, program.opts().awsFidelity ?? false);
        if (program.opts().awsFidelity) {
          const jars = ensureAwsFidelityJars();
          aws = await startAwsEndpoint({ workspace, resources: recordedAwsResources(workspace), python: join(REPO_ROOT, '.venv', 'bin', 'python'), jars });
        }
        const result = await queryWarehouse(workspace, lakeBucket, sql, opts.limit, aws);
        printTable(result.columns, result.rows);
        console.log(`${result.rows.length} row(s)${result.rows.length === opts.limit ? ` (limited to ${opts.limit})` : ''}`);
      } catch (error) {
        console.error(`query failed: ${(error as Error).message}`);
        exitCode = 1;
      } finally {
        await aws?.close();
      }
    });

  program
    .command('status')
    .description('print a run manifest as a table, or list the runs')
    .argument('[runId]', 'e.g. backfill-20240301T0000Z-1a2b3c4d')
    .option('--timeline <file.svg>', 'also draw the run as a Gantt chart (states, EMR steps, Bronze chunks; failed parts marked)')
    .action((runId: string | undefined, opts: { timeline?: string }) => {
      if (opts.timeline && !runId) usage('--timeline draws one run: give its runId, e.g. status backfill-20240301T0000Z-1a2b3c4d --timeline run.svg');
      exitCode = status(program.opts().workspace, runId);
      if (exitCode === 0 && opts.timeline && runId) exitCode = drawTimeline(program.opts().workspace, runId, opts.timeline);
    });

  program
    .command('api')
    .description('serve the OpenAQ API v3 stand-in over the archive until Ctrl-C')
    .option('--port <n>', 'port on 127.0.0.1', (v) => positiveInt(v, '--port'), 8787)
    .option('--archive-uri <dir>', 'the archive to serve (default: the generated one)')
    .action(async (opts: { port: number; archiveUri?: string }) => {
      const api = await startOpenAqApi({ archiveDir: archiveDirFrom(opts.archiveUri, program.opts().workspace, usage), port: opts.port, onRequest: (l) => console.log(l) });
      console.log(`OpenAQ API v3 stand-in on ${api.baseUrl} (try ${api.baseUrl}/v3/locations/2178); Ctrl-C stops it`);
      await new Promise<void>((done) => process.once('SIGINT', () => void api.close().then(done)));
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'commander.helpDisplayed' || code === 'commander.version' || code === 'commander.help') return 0;
    if (code?.startsWith('commander.')) return 2;
    console.error((error as Error).message);
    return 1;
  }
  return exitCode;
}

async function run(pipeline: 'hourly' | 'backfill', input: unknown, global: { workspace: string; quietSteps?: boolean; awsFidelity?: boolean }, archiveDir: string, apiBaseUrl?: string): Promise<number> {
  if (!existsSync(archiveDir)) {
    console.error(`no archive at ${archiveDir}: run 'npm run local -- generate' first, or pass --archive-uri <dir>`);
    return 1;
  }
  if (!archiveLocations(archiveDir)) console.log(`note: ${archiveDir} has no locations.json; the run uses the locations in cdk.json`);
  ensurePythonEnv(global.awsFidelity ? 'dev' : 'runtime');
  let stop: (() => void) | undefined;
  const onSigint = () => {
    console.log('\nCtrl-C: aborting the execution (StopExecution); running steps are killed, the janitor cleans up');
    stop?.();
  };
  process.on('SIGINT', onSigint);
  // A plain kill of the CLI must not orphan spark-submit process groups either.
  process.on('SIGTERM', onSigint);
  try {
    const result = await runPipeline(pipeline, input, {
      workspaceDir: global.workspace,
      archiveDir,
      apiBaseUrl,
      streamStepOutput: !global.quietSteps,
      awsFidelity: global.awsFidelity,
      onStarted: ({ execution }) => (stop = execution.abort),
    });
    const skipped = (result.outcome.output as { status?: string } | undefined)?.status === 'SKIPPED';
    return result.outcome.status === 'SUCCEEDED' || skipped ? 0 : 1;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}

function printTable(columns: string[], rows: unknown[][]): void {
  const table = new Table({ head: columns, style: { head: [], border: [] }, chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' } });
  for (const row of rows) table.push(row.map((v) => (v === null ? 'NULL' : typeof v === 'object' ? JSON.stringify(v) : String(v))));
  console.log(table.toString());
}

function status(workspaceDir: string, runId?: string): number {
  const s3 = join(resolve(workspaceDir), 's3');
  const manifests: { pipeline: string; runId: string; path: string }[] = [];
  for (const bucket of existsSync(s3) ? readdirSync(s3) : []) {
    const runs = join(s3, bucket, 'runs');
    if (!existsSync(runs)) continue;
    for (const pipeline of readdirSync(runs)) {
      for (const id of readdirSync(join(runs, pipeline))) {
        const path = join(runs, pipeline, id, 'manifest.json');
        if (existsSync(path)) manifests.push({ pipeline, runId: id, path });
      }
    }
  }
  if (!runId) {
    if (manifests.length === 0) {
      console.log(`no runs yet in ${resolve(workspaceDir)}`);
      return 0;
    }
    const rows = manifests.map((m) => {
      const manifest = parseRunManifest(readFileSync(m.path, 'utf8'), m.path);
      return [m.pipeline, m.runId, manifest.status, manifest.pipeline === 'hourly' ? manifest.finishedAt : manifest.updatedAt, m.path];
    });
    printTable(['pipeline', 'runId', 'status', 'finished', 'manifest'], rows.sort((a, b) => a[1].localeCompare(b[1])));
    return 0;
  }
  const match = manifests.find((m) => m.runId === runId);
  if (!match) {
    console.error(`no manifest for run '${runId}'; runs: ${manifests.map((m) => m.runId).join(', ') || 'none'}`);
    return 1;
  }
  const manifest = JSON.parse(readFileSync(match.path, 'utf8')) as Record<string, unknown>;
  const rows: unknown[][] = [];
  const phases: unknown[][] = [];
  const flatten = (value: unknown, path: string) => {
    if (path.endsWith('.phases') && Array.isArray(value)) {
      phases.push(...phaseRows(path.slice(0, -'.phases'.length), value));
    } else if (path === 'chunks' && Array.isArray(value)) {
      // A chunk's phases would make its JSON line unreadable: they go to the phases table.
      const chunks = value as { chunkId?: string; phases?: unknown }[];
      for (const chunk of chunks) if (Array.isArray(chunk.phases)) phases.push(...phaseRows(`chunk ${chunk.chunkId}`, chunk.phases));
      rows.push([path, JSON.stringify(chunks.map(({ phases: _phases, ...rest }) => rest))]);
    } else if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) flatten(v, path ? `${path}.${k}` : k);
    } else {
      rows.push([path, Array.isArray(value) ? (value.length === 0 ? '[]' : JSON.stringify(value)) : value]);
    }
  };
  flatten(manifest, '');
  printTable(['field', 'value'], rows);
  if (phases.length > 0) {
    console.log('Where each step spent its time (the stage results\' phases):');
    printTable(['step', 'kind', 'phase', 'seconds'], phases);
  }
  console.log(`manifest: ${match.path}`);
  return 0;
}

function drawTimeline(workspaceDir: string, runId: string, file: string): number {
  const workspace = workspaceAt(resolve(workspaceDir));
  const record = readRunRecord(workspace, runId);
  if (!record) {
    console.error(`no run record at ${runRecordPath(workspace, runId)}: runs record their timeline since this version; run the pipeline again to draw one`);
    return 1;
  }
  writeFileSync(file, timelineSvg(localRunTimeline(record)));
  console.log(`timeline: ${file}`);
  return 0;
}

/** One table row per phase of a step, and a total that should match the step's own duration. */
function phaseRows(step: string, phases: unknown[]): unknown[][] {
  const valid = phases.filter((p): p is { kind: string; name: string; seconds: number } => typeof (p as { seconds?: unknown })?.seconds === 'number');
  const total = valid.reduce((sum, p) => sum + p.seconds, 0);
  return [...valid.map((p) => [step, p.kind, p.name, p.seconds.toFixed(2)]), [step, '', 'total', total.toFixed(2)]];
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: Error) => {
      console.error(error.message);
      process.exit(1);
    },
  );
}

export { main };
