/**
 * The benchmark harness's hands in the local runtime (`bench/harness.py` calls it; not for users):
 *
 *   tsx bench/local-driver.ts run <hourly|backfill> <workspace> <archive> '<input JSON>'
 *       runs the synthesized state machine as `npm run local` does and prints, as the last stdout line,
 *       `{status, executionSeconds, steps: [{stage, chunkId, state, seconds, resultFile}]}`. The execution
 *       wall starts when the execution starts: synthesis and the API stand-in are local-only costs that a
 *       deployed state machine does not pay.
 *   tsx bench/local-driver.ts step-command <workspace> <archive> <app> [stage args...]
 *       prints `{command, args}`: the spark-submit command line a local step would run for that
 *       application, with the same jars and conf (the step floor measures exactly this).
 */
import { installPromiseWithResolvers } from '../local/polyfills';
import { localStepSettings, runPipeline } from '../local/runtime/local-run';
import { localStepCommand } from '../local/runtime/step-command';
import { workspaceAt } from '../local/runtime/workspace';

installPromiseWithResolvers();

async function run(pipeline: string, workspaceDir: string, archiveDir: string, inputJson: string): Promise<number> {
  if (pipeline !== 'hourly' && pipeline !== 'backfill') throw new Error(`pipeline must be hourly or backfill; got '${pipeline}'`);
  let startedMs = 0;
  const result = await runPipeline(pipeline, JSON.parse(inputJson) as unknown, {
    workspaceDir,
    archiveDir,
    streamStepOutput: false,
    write: (line) => process.stderr.write(`${line}\n`),
    onStarted: () => (startedMs = Date.now()),
  });
  const executionSeconds = (Date.now() - startedMs) / 1000;
  const steps = result.report.steps.map((s) => ({ stage: s.stage, chunkId: s.chunkId ?? null, state: s.state, seconds: s.seconds, resultFile: s.resultFile ?? null }));
  console.log(JSON.stringify({ status: result.outcome.status, executionSeconds, manifest: result.manifestPath ?? null, steps }));
  return result.outcome.status === 'SUCCEEDED' ? 0 : 1;
}

function stepCommand(workspaceDir: string, archiveDir: string, app: string, stageArgs: string[]): number {
  const settings = localStepSettings(workspaceAt(workspaceDir), archiveDir);
  const { command, args } = localStepCommand(['spark-submit', '--deploy-mode', 'cluster', app, ...stageArgs], settings);
  console.log(JSON.stringify({ command, args }));
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'run' && rest.length === 4) return run(rest[0], rest[1], rest[2], rest[3]);
  if (command === 'step-command' && rest.length >= 3) return stepCommand(rest[0], rest[1], rest[2], rest.slice(3));
  console.error('usage: tsx bench/local-driver.ts run <hourly|backfill> <workspace> <archive> <input JSON> | step-command <workspace> <archive> <app> [args...]');
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(error.message);
    process.exit(1);
  },
);
