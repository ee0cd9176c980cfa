import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalDynamoDb } from '../../local/adapters/dynamodb-table';
import { startExecution } from '../../local/runtime/execute';
import { LocalEmr } from '../../local/runtime/local-emr';
import { isAlive, sleep } from '../../local/runtime/process-tree';
import { StateMachine } from 'aws-local-stepfunctions';
import type { AslDefinition } from '../../local/definition';
import { bindTasks } from '../../local/runtime/task-handlers';
import { Workspace, workspaceAt } from '../../local/runtime/workspace';
import { CLUSTER_TAG_KEYS } from '../../core/tags';

const FAKE = join(__dirname, 'support', 'fake-spark-submit.sh');
const STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:Test';

/**
 * The shape of the pipeline's EMR section, in miniature: lock, create a tagged cluster, one step with
 * its own TimeoutSeconds. Enough to watch timeouts and aborts end the step's processes.
 */
function machine(stepTimeoutSeconds: number): AslDefinition {
  return {
    StartAt: 'Acquire lock',
    States: {
      'Acquire lock': {
        Type: 'Task',
        Resource: 'arn:aws:states:::dynamodb:putItem',
        Parameters: { TableName: 'pipeline', Item: { pk: { S: 'lock' }, 'holder': { 'S.$': '$$.Execution.Id' }, expiresAt: { N: '9999999999' } }, ConditionExpression: 'attribute_not_exists(pk)' },
        ResultPath: null,
        TimeoutSeconds: 30,
        Next: 'Create cluster',
      },
      'Create cluster': {
        Type: 'Task',
        Resource: 'arn:aws:states:::elasticmapreduce:createCluster.sync',
        Parameters: { Name: 'aqi-test', Tags: [{ Key: CLUSTER_TAG_KEYS.executionArn, 'Value.$': '$$.Execution.Id' }] },
        ResultPath: '$.cluster',
        TimeoutSeconds: 60,
        Next: 'Bronze step',
      },
      'Bronze step': {
        Type: 'Task',
        Resource: 'arn:aws:states:::elasticmapreduce:addStep.sync',
        Parameters: { 'ClusterId.$': '$.cluster.ClusterId', Step: { Name: 'bronze', HadoopJarStep: { Jar: 'command-runner.jar', Args: ['spark-submit', 'entry.py', 'bronze'] } } },
        TimeoutSeconds: stepTimeoutSeconds,
        End: true,
      },
    },
  } as unknown as AslDefinition;
}

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'aqi-exec-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A local EMR whose steps run the fake spark-submit, hanging; each output line goes to `lines`. */
function hangingEmr(workspace: Workspace, lines: string[] = []): LocalEmr {
  return new LocalEmr({
    step: { workspace, sparkSubmit: FAKE, icebergJar: '/jar', master: 'local[2]', driverMemory: '1g', archiveDir: '/archive' },
    region: 'us-east-1',
    account: '000000000000',
    python: '/usr/bin/python3',
    env: { FAKE_STEP: 'hang' },
    observer: { stepLine: (_step, _stream, line) => lines.push(line) },
  });
}

function start(stepTimeoutSeconds: number) {
  const workspace = workspaceAt(dir);
  const lines: string[] = [];
  const emr = hangingEmr(workspace, lines);
  const db = new LocalDynamoDb(workspace);
  const execution = startExecution({
    definition: machine(stepTimeoutSeconds),
    stateMachineArn: STATE_MACHINE_ARN,
    input: {},
    name: 'exec-1',
    services: { workspace, emr, db },
    resolveFunction: () => {
      throw new Error('no Lambda in this machine');
    },
    statusChangeTargets: () => [{ name: 'janitor', environment: { TABLE_NAME: 'pipeline' } }],
  });
  const stepPids = async () => {
    while (!lines.some((l) => l.startsWith('detached'))) await sleep(20);
    const cluster = emr.clusters()[0];
    return [cluster.steps[0].pid!, ...lines.filter((l) => /^(child|detached) /.test(l)).map((l) => Number(l.split(' ')[1]))];
  };
  return { execution, emr, db, stepPids };
}

describe('a local execution', () => {
  test("with retryIntervalMs a failed step is retried as often as its Retry says, without the definition's pause", async () => {
    // GIVEN a step that fails, retried once after 30 s by its definition (as the pipeline's failed steps are)
    const workspace = workspaceAt(dir);
    const emr = new LocalEmr({
      step: { workspace, sparkSubmit: FAKE, icebergJar: '/jar', master: 'local[2]', driverMemory: '1g', archiveDir: '/archive' },
      region: 'us-east-1',
      account: '000000000000',
      python: '/usr/bin/python3',
      env: { FAKE_STEP: 'fail' },
    });
    const definition = machine(60);
    definition.States['Bronze step'].Retry = [{ ErrorEquals: ['States.TaskFailed'], IntervalSeconds: 30, MaxAttempts: 1, BackoffRate: 2 }];

    // WHEN it runs with no retry pause
    const outcome = await startExecution({
      definition,
      stateMachineArn: STATE_MACHINE_ARN,
      input: {},
      services: { workspace, emr, db: new LocalDynamoDb(workspace) },
      resolveFunction: () => {
        throw new Error('no Lambda in this machine');
      },
      statusChangeTargets: () => [],
      retryIntervalMs: 0,
    }).outcome;

    // THEN the step ran twice, the second attempt right after the first failed, and the execution failed
    expect(outcome).toMatchObject({ status: 'FAILED', error: 'States.TaskFailed' });
    const steps = emr.clusters()[0].steps;
    expect(steps.map((step) => [step.name, step.state])).toEqual([
      ['bronze', 'FAILED'],
      ['bronze', 'FAILED'],
    ]);
    expect(Date.parse(steps[1].startedAt!) - Date.parse(steps[0].endedAt!)).toBeLessThan(30_000);
  }, 25_000);

  test("a step past its state's TimeoutSeconds fails with States.Timeout and its processes are killed", async () => {
    const { execution, stepPids } = start(1);
    const pids = await stepPids();

    const outcome = await execution.outcome;

    expect(outcome).toMatchObject({ status: 'FAILED', error: 'States.Timeout' });
    expect(pids.filter(isAlive)).toEqual([]);
  });

  test('an aborted execution kills its step, then the janitor terminates the tagged cluster and releases the lock', async () => {
    const { execution, emr, db, stepPids } = start(3600);
    const pids = await stepPids();

    execution.abort();
    const outcome = await execution.outcome;

    expect(outcome.status).toBe('ABORTED');
    expect(pids.filter(isAlive)).toEqual([]);
    expect(emr.runningPids()).toEqual([]);
    expect(emr.clusters().map((c) => c.state)).toEqual(['TERMINATED']);
    expect(outcome.statusChangeResults).toEqual([
      { executionArn: 'arn:aws:states:us-east-1:000000000000:execution:Test:exec-1', terminatedClusterIds: [emr.clusters()[0].id], lockReleased: true },
    ]);
    expect((await db.getItem({ TableName: 'pipeline', Key: { pk: { S: 'lock' } } })).Item).toBeUndefined();
  });

  test('the interpreter reports States.Timeout even when the loop stalls between the task starting and its timer being armed', async () => {
    // Under CI load the interpreter once armed its timer milliseconds after our handler armed the kill,
    // the kill won, and the step failed as a cancelled States.TaskFailed. A 300 ms busy wait makes that
    // stall certain: the kill must still come after the interpreter's States.Timeout.
    const workspace = workspaceAt(dir);
    const emr = hangingEmr(workspace);
    const { ClusterId } = await emr.createCluster({ Name: 'aqi-test' });
    const step = { StartAt: 'Bronze step', States: { 'Bronze step': machine(1).States['Bronze step'] } };
    const executionAbort = new AbortController();
    const handlers = bindTasks(step as AslDefinition, {
      resolveFunction: () => {
        throw new Error('no Lambda in this machine');
      },
      services: { workspace, emr, db: new LocalDynamoDb(workspace) },
      executionSignal: executionAbort.signal,
      loggerFor: () => {
        throw new Error('no Lambda in this machine');
      },
      notify: () => undefined,
    });
    let task: Promise<unknown> | undefined;
    const stalled = {
      'Bronze step': (input: never) => {
        task = handlers['Bronze step'](input);
        const until = Date.now() + 300;
        while (Date.now() < until) {
          // The event loop is blocked, as by a long GC pause or a descheduled worker.
        }
        return task;
      },
    };

    const execution = new StateMachine(step as never, { validationOptions: { checkArn: false } }).run({ cluster: { ClusterId } }, { overrides: { taskResourceLocalHandlers: stalled as never } });
    const error = await execution.result.then(
      () => undefined,
      (e: Error & { cause?: Error }) => (e.cause ?? e).name,
    );

    expect(error).toBe('States.Timeout');
    // The kill still follows the timeout: the handler ends with the step cancelled and nothing running.
    await expect(task).rejects.toThrow(/"State":"CANCELLED"/);
    expect(emr.runningPids()).toEqual([]);
  });
});
