import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalEmr } from '../../local/runtime/local-emr';
import { RunReport } from '../../local/runtime/run-report';
import { descendantsOf, isAlive, sleep } from '../../local/runtime/process-tree';
import { workspaceAt } from '../../local/runtime/workspace';

const FAKE = join(__dirname, 'support', 'fake-spark-submit.sh');

function localEmr(dir: string, mode: 'ok' | 'fail' | 'hang', lines: string[] = [], report?: RunReport) {
  return new LocalEmr({
    step: { workspace: workspaceAt(dir), sparkSubmit: FAKE, icebergJar: '/jar', master: 'local[2]', driverMemory: '1g', archiveDir: '/archive' },
    region: 'us-east-1',
    account: '000000000000',
    python: '/usr/bin/python3',
    env: { FAKE_STEP: mode },
    observer: {
      stepLine: (step, _stream, line) => lines.push(`[${step.label}] ${line}`),
      stepEnded: (step, state, seconds, failure) => report?.stepEnded(step, state, seconds, failure),
    },
  });
}

const step = (clusterId: string, chunkId?: string) => ({
  ClusterId: clusterId,
  Step: {
    Name: 'bronze',
    ActionOnFailure: 'CONTINUE',
    HadoopJarStep: { Jar: 'command-runner.jar', Args: ['spark-submit', 's3://artifacts/entry.py', 'bronze', ...(chunkId ? ['--chunk-id', chunkId] : [])] },
  },
});

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'aqi-emr-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('local EMR', () => {
  test('a step streams its output with the stage and chunk prefix and keeps it in the LogUri layout', async () => {
    const lines: string[] = [];
    const emr = localEmr(dir, 'ok', lines);
    const { ClusterId } = await emr.createCluster({ Name: 'aqi-test', LogUri: 's3://logs/emr/' });

    const out = (await emr.addStep(step(ClusterId, '2024-03'), new AbortController().signal)) as { Step: { Id: string; Status: { State: string } } };

    expect(out.Step.Status.State).toBe('COMPLETED');
    expect(lines).toContain('[BRONZE 2024-03] stage finished');
    const log = readFileSync(join(dir, 's3', 'logs', 'emr', ClusterId, 'steps', out.Step.Id, 'stdout'), 'utf8');
    expect(log).toContain('stage finished\n');
  });

  test('a failing step raises States.TaskFailed whose cause names the step, the stage error line and the log file', async () => {
    const emr = localEmr(dir, 'fail');
    const { ClusterId } = await emr.createCluster({ Name: 'aqi-test', LogUri: 's3://logs/emr/' });

    const failure = await emr.addStep(step(ClusterId), new AbortController().signal).catch((e: Error) => e);

    expect(failure).toMatchObject({ name: 'States.TaskFailed' });
    const cause = JSON.parse((failure as Error).message) as { Step: { Id: string; Status: { State: string; FailureDetails: object } } };
    expect(cause.Step.Status.State).toBe('FAILED');
    expect(cause.Step.Status.FailureDetails).toEqual({
      Reason: 'spark-submit exited with code 1',
      Message: 'InvalidLocationsError: --locations-uri /x: location 99 has no timezone',
      LogFile: join(dir, 's3', 'logs', 'emr', ClusterId, 'steps', cause.Step.Id, 'stderr'),
    });
  });

  test('aborting a step kills its whole process tree, including a child that left the process group', async () => {
    const lines: string[] = [];
    const emr = localEmr(dir, 'hang', lines);
    const { ClusterId } = await emr.createCluster({ Name: 'aqi-test' });
    const controller = new AbortController();
    const running = emr.addStep(step(ClusterId), controller.signal).catch((e: Error) => e);
    while (!lines.some((l) => l.includes('detached'))) await sleep(20);
    const pids = lines.filter((l) => /child|detached/.test(l)).map((l) => Number(l.split(' ').pop()));

    controller.abort();
    const failure = await running;

    expect(failure).toMatchObject({ name: 'States.TaskFailed' });
    expect(pids.filter(isAlive)).toEqual([]);
    expect(emr.cluster(ClusterId)?.steps[0].state).toBe('CANCELLED');
  });

  test('terminating a cluster kills its running steps and marks it TERMINATED', async () => {
    const lines: string[] = [];
    const emr = localEmr(dir, 'hang', lines);
    const { ClusterId } = await emr.createCluster({ Name: 'aqi-test', Tags: [{ Key: 'aqi-pipeline:execution-arn', Value: 'arn:x' }] });
    const running = emr.addStep(step(ClusterId), new AbortController().signal).catch((e: Error) => e);
    while (!lines.some((l) => l.includes('detached'))) await sleep(20);
    const shell = emr.cluster(ClusterId)!.steps[0].pid!;
    const tree = [shell, ...descendantsOf(shell)];

    await emr.terminateCluster(ClusterId);
    await running;

    expect(tree.filter(isAlive)).toEqual([]);
    expect(emr.cluster(ClusterId)?.state).toBe('TERMINATED');
    expect(emr.listActiveClustersTagged('aqi-pipeline:execution-arn', 'arn:x')).toEqual([]);
  });

  test('a step on an unknown cluster is refused the way EMR refuses it', async () => {
    const emr = localEmr(dir, 'ok');

    await expect(emr.addStep(step('j-NOPE'), new AbortController().signal)).rejects.toMatchObject({
      name: 'EMR.InvalidRequestException',
      message: "Cluster id 'j-NOPE' is not valid: no such cluster",
    });
  });

  test('an aborted three-chunk backfill reports each cancelled step once, though the interpreter retries the aborted tasks', async () => {
    const lines: string[] = [];
    const report = new RunReport({ write: () => undefined, streamStepOutput: false });
    const emr = localEmr(dir, 'hang', lines, report);
    const { ClusterId } = await emr.createCluster({ Name: 'aqi-test' });
    const execution = new AbortController();
    const chunks = ['2024-01', '2024-02', '2024-03'];
    const attempts = chunks.map((chunk) => emr.addStep(step(ClusterId, chunk), execution.signal).catch((e: Error) => e));
    while (!lines.some((l) => l.includes('detached'))) await sleep(20);

    execution.abort();
    await Promise.all(attempts);
    // aws-local-stepfunctions' Retry waits on the execution's signal, so on abort it re-runs each task at once.
    const retries = await Promise.all(chunks.map((chunk) => emr.addStep(step(ClusterId, chunk), execution.signal).catch((e: Error) => e)));

    expect(retries.map((e) => (e as Error).name)).toEqual(['States.TaskFailed', 'States.TaskFailed', 'States.TaskFailed']);
    expect(report.steps.map((s) => [s.chunkId, s.state]).sort()).toEqual(chunks.map((chunk) => [chunk, 'CANCELLED']));
    expect(report.stages()).toMatchObject([{ stage: 'bronze', status: 'CANCELLED', steps: { length: 3 } }]);
    expect(emr.cluster(ClusterId)?.steps.map((s) => s.state)).toEqual(['CANCELLED', 'CANCELLED', 'CANCELLED']);
  });
});
