/**
 * One local pipeline run, end to end: the Python env, the synthesized app and its bucket deployments, the
 * API stand-in (hourly), the local EMR, the execution, the closing report. The CLI and the tests both
 * start runs through here, so what the tests exercise is what a user runs.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalDynamoDb } from '../adapters/dynamodb-table';
import { ARCHIVE_LOCATIONS_FILE } from '../datagen/archive-layout';
import { RunningOpenAqApi, startOpenAqApi } from '../openaq-api/server';
import { ExecutionOutcome, RunningExecution, startExecution } from './execute';
import { LocalApp, LocalStateMachine, synthesizeLocalApp } from './local-app';
import { REPO_ROOT } from './repo';
import { RunningAwsEndpoint, checkWorkspaceCatalog, deployedAwsResources, recordAwsResources, ensureAwsFidelityJars, startAwsEndpoint } from './aws-fidelity';
import { LocalEmr } from './local-emr';
import { RunReport } from './run-report';
import { runIdOfManifest, writeRunRecord } from './run-record';
import type { LocalStepSettings } from './step-command';
import { Workspace, workspaceAt } from './workspace';

export const DEFAULT_WORKSPACE = join(REPO_ROOT, '.local');
const VENV = join(REPO_ROOT, '.venv');
/** Made by `scripts/spark-class-archive.sh` when the venv is set up; absent, steps start without it. */
const SPARK_CLASS_ARCHIVE = join(VENV, 'spark-classes.jsa');

export interface LocalRunOptions {
  /** @default `.local/` in the repository */
  workspaceDir?: string;
  /** Stands in for `s3://openaq-data-archive`. @default `<workspace>/data/archive` */
  archiveDir?: string;
  /** A real or other API base URL for hourly runs. @default - the local stand-in over `archiveDir` */
  apiBaseUrl?: string;
  write?: (line: string) => void;
  /** @default true */
  streamStepOutput?: boolean;
  /** Called once the execution has started (tests use it to inject faults). */
  onStarted?: (run: { execution: RunningExecution; emr: LocalEmr; workspace: Workspace }) => void;
  /** A synthesized app to reuse (synthesis takes ~10 s). @default - synthesized for this run */
  app?: LocalApp;
  /**
   * Run the steps with their EMR arguments against a local AWS endpoint (moto), and the Lambdas with
   * their real S3 adapter (local/runtime/aws-fidelity.ts). @default false
   */
  awsFidelity?: boolean;
  /**
   * The pause before each retry of a failed state, in place of the definition's intervals (a failed step
   * waits 30 s, then 60 s). The end-to-end tests pass 0: they check which retries happen, not how long
   * they wait. @default - the definition's intervals, as on AWS
   */
  retryIntervalMs?: number;
}

export interface LocalRunResult {
  outcome: ExecutionOutcome;
  /** Executions this one started (a catch-up backfill), each run to its end before the run returns. */
  children: ExecutionOutcome[];
  report: RunReport;
  manifestPath?: string;
  workspace: Workspace;
}

/**
 * `scripts/python-env.sh`: creates the venv and fetches the Iceberg jar on first use, a no-op after. The
 * local runtime needs only the runtime set (PySpark); `--aws-fidelity` also needs moto, from the dev set.
 */
export function ensurePythonEnv(requirementSet: 'runtime' | 'dev' = 'runtime'): void {
  execFileSync('bash', [join(REPO_ROOT, 'scripts', 'python-env.sh'), requirementSet], { stdio: ['ignore', 'inherit', 'inherit'] });
}

export function archiveLocations(archiveDir: string): { id: number; name: string; timezone: string }[] | undefined {
  const path = join(archiveDir, ARCHIVE_LOCATIONS_FILE);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as { id: number; name: string; timezone: string }[]) : undefined;
}

/** Synthesizes the app for a data set and copies its bucket deployments into the workspace. */
export function prepareApp(workspace: Workspace, archiveDir: string): LocalApp {
  const app = synthesizeLocalApp({ locations: archiveLocations(archiveDir) });
  app.deployBuckets(workspace, join(VENV, 'bin', 'python'));
  recordApp(workspace, app);
  return app;
}

const APP_RECORD = 'app.json';

/** What `query` needs from the app, kept so it need not synthesize (~10 s) to find the warehouse. */
function recordApp(workspace: Workspace, app: LocalApp): void {
  mkdirSync(workspace.root, { recursive: true });
  writeFileSync(join(workspace.root, APP_RECORD), `${JSON.stringify({ lakeBucket: app.lakeBucket }, null, 2)}\n`);
}

export function recordedLakeBucket(workspace: Workspace): string | undefined {
  const path = join(workspace.root, APP_RECORD);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as { lakeBucket: string }).lakeBucket : undefined;
}

/** How every local step runs spark-submit (the benchmark's step floor uses the same). */
export function localStepSettings(workspace: Workspace, archiveDir: string, apiBaseUrl?: string): LocalStepSettings {
  return {
    workspace,
    sparkSubmit: join(VENV, 'bin', 'spark-submit'),
    icebergJar: join(VENV, 'iceberg-spark-runtime.jar'),
    master: 'local[2]',
    driverMemory: '1g',
    archiveDir,
    apiBaseUrl,
    log4jConfig: join(REPO_ROOT, 'local', 'log4j2.properties'),
    classArchive: existsSync(SPARK_CLASS_ARCHIVE) ? SPARK_CLASS_ARCHIVE : undefined,
  };
}

export async function runPipeline(pipeline: 'hourly' | 'backfill', input: unknown, options: LocalRunOptions = {}): Promise<LocalRunResult> {
  const write = options.write ?? ((line: string) => console.log(line));
  const workspace = workspaceAt(options.workspaceDir ?? DEFAULT_WORKSPACE);
  const archiveDir = options.archiveDir ?? workspace.defaultArchiveDir;
  const app = options.app ?? prepareApp(workspace, archiveDir);
  if (options.app) recordApp(workspace, app);
  const machine = app.machines.get(pipeline);
  if (!machine) throw new Error(`the app defines no ${pipeline} state machine (it has: ${[...app.machines.keys()].join(', ') || 'none'})`);
  checkWorkspaceCatalog(workspace, app.lakeBucket, options.awsFidelity ?? false);

  let aws: RunningAwsEndpoint | undefined;
  if (options.awsFidelity) {
    const jars = ensureAwsFidelityJars();
    const resources = deployedAwsResources(app);
    recordAwsResources(workspace, resources);
    aws = await startAwsEndpoint({ workspace, resources, archiveDir, python: join(VENV, 'bin', 'python'), jars, apiKey: process.env.OPENAQ_API_KEY });
  }
  let api: RunningOpenAqApi | undefined;
  try {
    if (pipeline === 'hourly' && !options.apiBaseUrl) api = await startOpenAqApi({ archiveDir, apiKey: aws?.apiKey });
    return await execute(pipeline, input, { ...options, write, workspace, archiveDir, app, machine, api, aws });
  } finally {
    await api?.close();
    await aws?.close();
  }
}

interface RunContext extends LocalRunOptions {
  write: (line: string) => void;
  workspace: Workspace;
  archiveDir: string;
  app: LocalApp;
  machine: LocalStateMachine;
  api?: RunningOpenAqApi;
  aws?: RunningAwsEndpoint;
}

async function execute(pipeline: 'hourly' | 'backfill', input: unknown, options: RunContext): Promise<LocalRunResult> {
  const { write, workspace, archiveDir, app, machine, api, aws } = options;
  const report = new RunReport({ write, streamStepOutput: options.streamStepOutput });
  const emr = new LocalEmr({
    step: { ...localStepSettings(workspace, archiveDir, options.apiBaseUrl ?? api?.baseUrl), aws: aws?.step },
    region: 'us-east-1',
    account: '000000000000',
    observer: report,
    python: join(VENV, 'bin', 'python'),
    // Under --aws-fidelity the stage reads the key from the secret (--api-key-secret), so none is given here.
    env: aws ? aws.stepEnv : { OPENAQ_API_KEY: process.env.OPENAQ_API_KEY ?? 'local-stand-in' },
    readS3Text: aws?.readText,
  });
  const services = { workspace, emr, db: new LocalDynamoDb(workspace), objects: aws?.objects };
  const startedMs = Date.now();
  write(`${pipeline} run: ${JSON.stringify(input)}`);
  write(`workspace ${workspace.root}; archive ${archiveDir}${api ? `; OpenAQ API stand-in ${api.baseUrl}` : options.apiBaseUrl ? `; API ${options.apiBaseUrl}` : ''}`);
  if (aws) write(`AWS fidelity: steps keep --catalog glue, s3:// and --api-key-secret; S3, Glue and Secrets Manager are moto at ${aws.url}`);
  const children: RunningExecution[] = [];
  const start = (target: NonNullable<ReturnType<typeof app.machines.get>>, targetInput: unknown, name?: string): RunningExecution =>
    startExecution({
      definition: target.definition,
      stateMachineArn: target.arn,
      input: targetInput,
      name,
      services,
      resolveFunction: (fn) => app.resolveFunction(fn),
      statusChangeTargets: (status) => app.statusChangeTargets(target.arn, status),
      sink: report,
      retryIntervalMs: options.retryIntervalMs,
      startChild: (arn, childInput, childName) => {
        const child = [...app.machines.values()].find((m) => m.arn === arn);
        if (!child) throw new Error(`StartExecution of ${arn}: not a state machine of this app`);
        write(`started ${child.pipeline} execution ${childName ?? ''}: ${JSON.stringify(childInput)}`);
        const running = start(child, childInput, childName);
        children.push(running);
        return running;
      },
    });
  const execution = start(machine, input);
  options.onStarted?.({ execution, emr, workspace });
  const outcome = await execution.outcome;
  const childOutcomes: ExecutionOutcome[] = [];
  const settleChildren = async () => {
    for (const child of children) childOutcomes.push(await child.outcome);
  };
  if (aws) {
    // The manifest is in the endpoint's S3 until the endpoint writes its buckets back, and the executions
    // this one started use the endpoint too: they finish first.
    await settleChildren();
    await aws.close();
  }
  const manifestPath = latestManifest(workspace, app.lakeBucket, pipeline, startedMs);
  report.summarize(outcome, manifestPath);
  if (manifestPath) {
    const runId = runIdOfManifest(manifestPath);
    const { status, error, cause, startedAt, stoppedAt } = outcome;
    writeRunRecord(workspace, { runId, pipeline, status, error, cause, startedAt, stoppedAt, states: report.states, steps: report.steps });
    write(`Timeline: npm run local -- status ${runId} --timeline run.svg`);
  }
  if (!aws) await settleChildren();
  for (const child of childOutcomes) write(`started execution ${child.executionArn} ended ${child.status}`);
  return { outcome, children: childOutcomes, report, manifestPath, workspace };
}

/** The manifest this run wrote: the newest under `runs/<pipeline>/` written since it started. */
export function latestManifest(workspace: Workspace, lakeBucket: string, pipeline: string, sinceMs = 0): string | undefined {
  const root = workspace.s3Path(lakeBucket, `runs/${pipeline}`);
  if (!existsSync(root)) return undefined;
  const candidates = readdirSync(root)
    .map((runId) => join(root, runId, 'manifest.json'))
    .filter((path) => existsSync(path) && statSync(path).mtimeMs >= sinceMs)
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return candidates[0];
}
