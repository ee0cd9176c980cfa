import { writeFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { version } from '../../package.json';
import type { AwsClients, AwsOptions } from './aws';
import { CliError, explainAwsError } from './errors';
import type { ExecutionReader, ExecutionView } from './execution';
import type { StartOptions } from './start-command';
import { EXIT_CODES, exitCodeOf, isRunning, progressLine, statusDocument } from './run-status';

/**
 * Each command's modules load when the command runs: the SDK clients, zod and the planner are most of
 * the bundle, and `--help` or `--version` need none of them (the bundle splits at these imports).
 */
const load = {
  aws: () => import('./aws'),
  execution: () => import('./execution'),
  logs: () => import('./logs-command'),
  plan: () => import('./plan-command'),
  runs: () => import('./runs-command'),
  settings: () => import('./settings'),
  start: () => import('./start-command'),
  status: () => import('./status-command'),
  timeline: async () => ({ ...(await import('./timeline')), ...(await import('../../core/timeline/timeline-svg')) }),
  consoleUrls: () => import('../../lib/console-urls'),
  doctor: () => import('./doctor-command'),
  hourly: () => import('./hourly-command'),
  schedule: async () => ({ ...(await import('./schedule-command')), ...(await import('@aws-sdk/client-scheduler')) }),
};

/** Where the CLI writes and what it talks to; tests swap them. */
export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly now: () => Date;
  readonly aws: (options: AwsOptions) => AwsClients | Promise<AwsClients>;
  readonly executions: (clients: AwsClients) => ExecutionReader | Promise<ExecutionReader>;
  /** Waits between `status --watch` polls. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly writeFile?: (path: string, text: string) => void;
  /** `cdk.json` holding the deployment's configuration. @default the repository's */
  readonly cdkJsonPath?: string;
  /** The `cdk synth` output `doctor` compares the deployment with. @default the repository's cdk.out */
  readonly cdkOut?: string;
}

const defaultIo: CliIo = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  now: () => new Date(),
  aws: async (options) => (await load.aws()).awsClients(options),
  executions: async (clients) => new (await load.execution()).SfnExecutionReader(clients.sfn),
};

interface GlobalOptions extends AwsOptions {
  readonly json?: boolean;
}

const globals = (command: Command): GlobalOptions => command.optsWithGlobals<GlobalOptions>();

const EXECUTION_ARN = /^arn:aws[\w-]*:states:[\w-]+:\d{12}:execution:[^:]+:[^:]+$/;

function executionArnArgument(value: string): string {
  if (!EXECUTION_ARN.test(value)) {
    throw new CliError(
      `<execution> = ${JSON.stringify(value)}: not an execution ARN; allowed: arn:aws:states:<region>:<account>:execution:<state machine>:<name>, as \`backfill start\` and \`runs list\` print it`,
      2,
    );
  }
  return value;
}

function positiveInteger(name: string, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > max) throw new CliError(`${name} = ${JSON.stringify(value)}: allowed: a whole number from 1 to ${max}`, 2);
    return n;
  };
}

/** The program; `setExitCode` receives what a command's outcome means for the shell (see EXIT_CODES). */
export function createProgram(io: CliIo, setExitCode: (code: number) => void = () => {}): Command {
  const print = (command: Command, text: () => string, json: () => unknown) =>
    io.out(globals(command).json ? JSON.stringify(json(), null, 2) : text());

  const program = new Command('aqi-pipeline')
    .description('Operate the aqi-pipeline: check a deployment, start an hourly run, pause the schedule, plan and start backfills, list runs, follow one, draw its timeline, read its step logs.')
    .version(version, '--version', 'print the CLI version')
    .option('--region <region>', 'AWS region of the deployment (default: AWS_REGION, else the profile\'s region in ~/.aws/config)')
    .option('--profile <name>', 'named profile from ~/.aws/config and ~/.aws/credentials (default: AWS_PROFILE)')
    .option('--json', 'print the result as JSON, for scripts')
    .addOption(new Option('--endpoint-url <url>', 'AWS-compatible endpoint, for tests').hideHelp())
    .addHelpText('after', '\nExit codes: 0 succeeded; 1 failed, timed out or aborted, or an error; 2 bad usage; 3 still running (status without --watch).')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });

  const backfill = program.command('backfill').description('Plan or start a backfill of the OpenAQ archive (see docs/BACKFILL.md)');

  backfill
    .command('plan')
    .description('Print the plan of a backfill input (chunks, cluster size, step count) without calling AWS; exit 2 if the input is invalid')
    .requiredOption('--input <json|@file>', 'the execution input, as JSON or @path/to/file.json')
    .action(async (options: { input: string }, command: Command) => {
      const [{ backfillSettings, readPipelineConfig }, { describePlan, planDocument, readInputOption, validateOrExit }] = await Promise.all([load.settings(), load.plan()]);
      const settings = backfillSettings(readPipelineConfig(io.cdkJsonPath));
      const request = validateOrExit(readInputOption(options.input), settings, io.now());
      print(command, () => describePlan(request, settings), () => planDocument(request, settings));
    });

  backfill
    .command('start')
    .description('Validate the input like the plan Lambda does, then start a backfill execution; prints its ARN and console URL')
    .requiredOption('--from <date>', 'first day, YYYY-MM-DD')
    .requiredOption('--to <date>', 'last day, YYYY-MM-DD (inclusive)')
    .option('--chunk <size>', 'day, week or month (default month)')
    .option('--stages <list>', 'stages to run, comma-separated (bronze,silver,gold)')
    .option('--skip-stages <list>', 'stages to skip, comma-separated')
    .option('--locations <ids>', 'location ids, comma-separated (default: every configured location)')
    .option('--max-concurrency <n>', 'Bronze steps at once')
    .option('--reprocess-failed-of <runId>', 'rerun only the failed chunks of that earlier run')
    .option('--state-machine <arn>', 'the backfill state machine (default: AQI_BACKFILL_STATE_MACHINE_ARN, else found by name)')
    .action(async (options: StartOptions & { stateMachine?: string }, command: Command) => {
      const [{ backfillSettings, readPipelineConfig }, { validateOrExit }, { findBackfillStateMachine, inputFromOptions, startBackfill }, { executionConsoleUrl }] =
        await Promise.all([load.settings(), load.plan(), load.start(), load.consoleUrls()]);
      const input = inputFromOptions(options);
      validateOrExit(input, backfillSettings(readPipelineConfig(io.cdkJsonPath)), io.now());
      const clients = await io.aws(globals(command));
      const machine = await findBackfillStateMachine(clients.sfn, options.stateMachine);
      const arn = await startBackfill(clients.sfn, machine, input, io.now());
      const console = executionConsoleUrl(await clients.region(), arn);
      print(
        command,
        () => `Started ${arn}\nInput   ${JSON.stringify(input)}\nConsole ${console}\nFollow  npx aqi-pipeline status ${arn} --watch`,
        () => ({ executionArn: arn, input, consoleUrl: console }),
      );
    });

  program
    .command('status')
    .description('Where an execution of either pipeline is: state, steps, chunks, elapsed; the exit code says how it ended (0, 1) or that it runs (3)')
    .argument('<execution>', 'execution ARN')
    .option('--watch', 'follow the run until it ends, one progress line per change; exit 0 or 1 by its outcome')
    .option('--interval <seconds>', 'seconds between polls with --watch', positiveInteger('--interval', 3600), 15)
    .option('--timeline <file.svg>', 'also draw the run as a Gantt chart (states, EMR steps, Bronze chunks; failed parts marked)')
    .action(async (arn: string, options: { watch?: boolean; interval: number; timeline?: string }, command: Command) => {
      const executionArn = executionArnArgument(arn);
      const { describeStatus, isBackfillManifest, lakeBucketOf, readManifest } = await load.status();
      const clients = await io.aws(globals(command));
      const reader = await io.executions(clients);
      let view = await reader.read(executionArn);
      if (options.watch) view = await follow(view, () => reader.read(executionArn), options.interval, command);
      if (options.timeline) view = await reader.read(executionArn, { chunkExecutions: true });
      const bucket = lakeBucketOf(view);
      const manifest = bucket && view.runId && view.pipeline ? await readManifest(clients.s3, bucket, view.pipeline, view.runId) : undefined;
      const backfillManifest = isBackfillManifest(manifest) ? manifest : undefined;
      if (options.timeline) {
        const { executionTimeline, timelineSvg } = await load.timeline();
        (io.writeFile ?? writeFileSync)(options.timeline, timelineSvg(executionTimeline(view, backfillManifest, io.now())));
      }
      print(command, () => describeStatus(view, manifest), () => ({ ...statusDocument(view, backfillManifest, io.now()), cost: manifest?.cost ?? null }));
      if (options.timeline && !globals(command).json) io.out(`Timeline    ${options.timeline}`);
      setExitCode(exitCodeOf(view.status));
    });

  /** Polls until the execution ends, printing a progress line whenever it changes (not with --json). */
  async function follow(first: ExecutionView, read: () => Promise<ExecutionView>, intervalSeconds: number, command: Command): Promise<ExecutionView> {
    const sleep = io.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    let view = first;
    let last = '';
    for (;;) {
      const line = progressLine(view, io.now());
      // Elapsed time changes every poll; print when anything else changed.
      const key = line.replace(/ · [^·]* elapsed$/, '');
      if (!globals(command).json && key !== last) io.err(`${io.now().toISOString().slice(11, 19)}  ${line}`);
      last = key;
      if (!isRunning(view.status)) return view;
      await sleep(intervalSeconds * 1000);
      view = await read();
    }
  }

  program
    .command('doctor')
    .description('Check a deployment: stacks and state-machine definitions vs the local synth (cdk.out), the API-key secret, the schedule, the last hourly run, the watermark, the lock, pipeline clusters; exit 1 on any ✗')
    .action(async (_options: unknown, command: Command) => {
      const [{ runDoctor, describeChecks }, { readPipelineConfig, REPO_ROOT }, path] = await Promise.all([load.doctor(), load.settings(), import('node:path')]);
      const options = globals(command);
      const clients = await io.aws(options);
      await clients.region();
      const checks = await runDoctor({ clients, options, config: readPipelineConfig(io.cdkJsonPath), cdkOut: io.cdkOut ?? path.join(REPO_ROOT, 'cdk.out'), now: io.now() });
      print(command, () => describeChecks(checks), () => ({ ok: checks.every((c) => c.ok), checks }));
      setExitCode(checks.every((c) => c.ok) ? EXIT_CODES.succeeded : EXIT_CODES.failed);
    });

  const hourly = program.command('hourly').description('The hourly pipeline');
  hourly
    .command('start')
    .description('Start one hourly execution (the window ending now, or --window-end) and follow it like status --watch; exit 0 or 1 by its outcome')
    .option('--window-end <time>', 're-run the window ending at this whole UTC hour, e.g. 2025-01-01T03:00:00Z')
    .option('--state-machine <arn>', 'the hourly state machine (default: found by name)')
    .option('--interval <seconds>', 'seconds between polls', positiveInteger('--interval', 3600), 15)
    .option('--no-watch', 'print the execution ARN and return without following it')
    .action(async (options: { windowEnd?: string; stateMachine?: string; interval: number; watch: boolean }, command: Command) => {
      const [{ hourlyInput, startHourly }, { findPipelineStateMachines }, { describeStatus }, { executionConsoleUrl }] = await Promise.all([load.hourly(), load.runs(), load.status(), load.consoleUrls()]);
      const input = hourlyInput(options.windowEnd, io.now());
      const clients = await io.aws(globals(command));
      const machine = options.stateMachine ?? (await findPipelineStateMachines(clients.sfn)).hourly;
      const arn = await startHourly(clients.sfn, machine, input, io.now());
      if (!globals(command).json) io.err(`Started ${arn}\nInput   ${JSON.stringify(input)}\nConsole ${executionConsoleUrl(await clients.region(), arn)}`);
      const reader = await io.executions(clients);
      let view = await reader.read(arn);
      if (options.watch) view = await follow(view, () => reader.read(arn), options.interval, command);
      print(command, () => describeStatus(view, undefined), () => statusDocument(view, undefined, io.now()));
      setExitCode(exitCodeOf(view.status));
    });

  const schedule = program.command('schedule').description("Pause or resume the hourly schedule (the next cdk deploy sets it from cdk.json's scheduleEnabled again)");
  for (const [verb, state] of [['pause', 'DISABLED'], ['resume', 'ENABLED']] as const) {
    schedule
      .command(verb)
      .description(`${verb === 'pause' ? 'Disable' : 'Enable'} the EventBridge Scheduler schedule that starts the hourly runs`)
      .action(async (_options: unknown, command: Command) => {
        const [{ findHourlySchedule, setScheduleState, SchedulerClient }, { findPipelineStateMachines }, { clientConfig }] = await Promise.all([load.schedule(), load.runs(), load.aws()]);
        const options = globals(command);
        const clients = await io.aws(options);
        const scheduler = new SchedulerClient(clientConfig(options));
        const found = await findHourlySchedule(scheduler, (await findPipelineStateMachines(clients.sfn)).hourly);
        if (found.State !== state) await setScheduleState(scheduler, found, state);
        const was = found.State === state ? ` (it already was ${state})` : ` (was ${found.State})`;
        print(command, () => `Schedule ${found.Name} ${state}${was}`, () => ({ schedule: found.Name, state, previousState: found.State }));
      });
  }

  program
    .command('runs')
    .description('Recent runs of the deployment')
    .command('list')
    .description('Recent executions of both pipelines, newest first: status, window, start and duration')
    .option('--max-items <n>', 'how many runs to show', positiveInteger('--max-items', 1000), 20)
    .action(async (options: { maxItems: number }, command: Command) => {
      const { describeRuns, findPipelineStateMachines, listRuns } = await load.runs();
      const clients = await io.aws(globals(command));
      const runs = await listRuns(clients.sfn, await findPipelineStateMachines(clients.sfn), options.maxItems, io.now());
      print(command, () => describeRuns(runs), () => runs);
    });

  program
    .command('logs')
    .description("Print an EMR step's stderr from the cluster's S3 log folder")
    .argument('<execution>', 'execution ARN')
    .option('--stage <stage>', 'bronze, silver or gold (default bronze with --chunk)')
    .option('--chunk <chunkId>', 'the Bronze chunk, e.g. 2024-01-01_2024-01-31')
    .action(async (arn: string, options: { stage?: string; chunk?: string }, command: Command) => {
      const executionArn = executionArnArgument(arn);
      if (!options.stage && !options.chunk) throw new CliError('Say which step: --stage silver|gold, or --chunk <chunkId> for a Bronze chunk (`status` lists failed chunks).', 2);
      const stage = options.stage ?? 'bronze';
      if (stage === 'bronze' && !options.chunk) throw new CliError('Bronze runs one step per chunk: add --chunk <chunkId>.', 2);
      const { stepName, stepStderr } = await load.logs();
      const clients = await io.aws(globals(command));
      const view = await (await io.executions(clients)).read(executionArn);
      if (!view.clusterId) throw new CliError(`Execution ${executionArn} has no cluster (yet): status ${view.status}, now in ${view.currentState ?? 'no state'}`);
      const name = stepName(stage, stage === 'bronze' ? options.chunk : undefined);
      const stderr = await stepStderr(clients.emr, clients.s3, view.clusterId, name);
      print(command, () => stderr, () => ({ executionArn, clusterId: view.clusterId, step: name, stderr }));
    });

  return program;
}

/** Runs the CLI; resolves to the exit status. Known problems print one line, never a stack trace. */
export async function main(argv: string[], io: CliIo = defaultIo): Promise<number> {
  let exitCode: number = EXIT_CODES.succeeded;
  const program = createProgram(io, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT_CODES.usage;
    const known = error instanceof CliError ? error : explainAwsError(error);
    if (known) {
      io.err(known.message);
      return known.exitCode;
    }
    const e = error as Error;
    io.err(`aqi-pipeline: ${e.name}: ${e.message}`);
    return 1;
  }
}
