import { Command, CommanderError, Option } from 'commander';
import { type AwsClients, type AwsOptions, awsClients, consoleUrl } from './aws';
import { CliError, explainAwsError } from './errors';
import { type ExecutionReader, SfnExecutionReader } from './execution';
import { stepName, stepStderr } from './logs-command';
import { describePlan, readInputOption, validateOrExit } from './plan-command';
import { backfillSettings, readPipelineConfig } from './settings';
import { findBackfillStateMachine, inputFromOptions, startBackfill, type StartOptions } from './start-command';
import { describeStatus, lakeBucketOf, readManifest } from './status-command';

/** Where the CLI writes and what it talks to; tests swap them. */
export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly now: () => Date;
  readonly aws: (options: AwsOptions) => AwsClients;
  readonly executions: (clients: AwsClients) => ExecutionReader;
  /** `cdk.json` holding the deployment's configuration. @default the repository's */
  readonly cdkJsonPath?: string;
}

const defaultIo: CliIo = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  now: () => new Date(),
  aws: awsClients,
  executions: (clients) => new SfnExecutionReader(clients.sfn),
};

const awsOptions = (command: Command): AwsOptions => command.optsWithGlobals<AwsOptions>();

const EXECUTION_ARN = /^arn:aws[\w-]*:states:[\w-]+:\d{12}:execution:[^:]+:[^:]+$/;

function executionArnArgument(value: string): string {
  if (!EXECUTION_ARN.test(value)) {
    throw new CliError(
      `<execution> = ${JSON.stringify(value)}: not an execution ARN; allowed: arn:aws:states:<region>:<account>:execution:<state machine>:<name>, as \`backfill start\` prints it`,
      2,
    );
  }
  return value;
}

export function createProgram(io: CliIo): Command {
  const program = new Command('aqi-pipeline')
    .description('Operate the aqi-pipeline backfill: plan it, start it, follow it, read its step logs.')
    .option('--region <region>', 'AWS region of the deployment (default: AWS_REGION)')
    .addOption(new Option('--endpoint-url <url>', 'AWS-compatible endpoint, for tests').hideHelp())
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });

  const backfill = program.command('backfill').description('Plan or start a backfill of the OpenAQ archive (see docs/BACKFILL.md)');

  backfill
    .command('plan')
    .description('Print the plan of a backfill input (chunks, cluster size, step count) without calling AWS; exit 2 if the input is invalid')
    .requiredOption('--input <json|@file>', 'the execution input, as JSON or @path/to/file.json')
    .action((options: { input: string }) => {
      const settings = backfillSettings(readPipelineConfig(io.cdkJsonPath));
      const request = validateOrExit(readInputOption(options.input), settings, io.now());
      io.out(describePlan(request, settings));
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
      const input = inputFromOptions(options);
      validateOrExit(input, backfillSettings(readPipelineConfig(io.cdkJsonPath)), io.now());
      const clients = io.aws(awsOptions(command));
      const machine = await findBackfillStateMachine(clients.sfn, options.stateMachine);
      const arn = await startBackfill(clients.sfn, machine, input, io.now());
      io.out(`Started ${arn}\nInput   ${JSON.stringify(input)}\nConsole ${consoleUrl(clients.region, arn)}\nFollow  npx aqi-pipeline status ${arn}`);
    });

  program
    .command('status')
    .description('Stage and chunk progress of a backfill execution, from its history and its manifest')
    .argument('<execution>', 'execution ARN')
    .action(async (arn: string, _options: unknown, command: Command) => {
      const executionArn = executionArnArgument(arn);
      const clients = io.aws(awsOptions(command));
      const view = await io.executions(clients).read(executionArn);
      const bucket = lakeBucketOf(view);
      const manifest = bucket && view.plan ? await readManifest(clients.s3, bucket, view.plan.runId) : undefined;
      io.out(describeStatus(view, manifest));
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
      const clients = io.aws(awsOptions(command));
      const view = await io.executions(clients).read(executionArn);
      if (!view.clusterId) throw new CliError(`Execution ${executionArn} has no cluster (yet): status ${view.status}, now in ${view.currentState ?? 'no state'}`);
      io.out(await stepStderr(clients.emr, clients.s3, view.clusterId, stepName(stage, stage === 'bronze' ? options.chunk : undefined)));
    });

  return program;
}

/** Runs the CLI; resolves to the exit status. Known problems print one line, never a stack trace. */
export async function main(argv: string[], io: CliIo = defaultIo): Promise<number> {
  const program = createProgram(io);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
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
