import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateStateMachineCommand, type HistoryEvent, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { version } from '../../package.json';
import type { ExecutionView } from '../../bin/cli/execution';
import { MOTO_CREDENTIALS, MotoServer } from '../adapters/moto-server';
import { fixedExecutions, runCli } from './cli-io';

const EXECUTION = 'arn:aws:states:eu-west-1:123456789012:execution:HourlyStateMachine:run-1';
const started = new Date('2025-10-20T11:50:00Z');

function view(overrides: Partial<ExecutionView>): ExecutionView {
  return { executionArn: EXECUTION, status: 'RUNNING', startDate: started, pipeline: 'hourly', runId: 'hourly-20251020T1100Z-1a2b3c4d', events: [], ...overrides };
}

/** A reader answering each read with the next view, as an execution progresses between polls. */
function progressing(views: ExecutionView[]) {
  let next = 0;
  return () => ({ read: async () => views[Math.min(next++, views.length - 1)] });
}

describe('aqi-pipeline --version', () => {
  test("prints package.json's version", async () => {
    expect(await runCli(['--version'])).toEqual({ code: 0, out: version, err: '' });
  });
});

describe('aqi-pipeline status exit codes', () => {
  test.each([
    ['SUCCEEDED', 0],
    ['FAILED', 1],
    ['TIMED_OUT', 1],
    ['ABORTED', 1],
    ['RUNNING', 3],
  ])('a %s run exits %i', async (status, code) => {
    const stopDate = status === 'RUNNING' ? undefined : new Date('2025-10-20T12:10:00Z');
    const run = await runCli(['--region', 'eu-west-1', 'status', EXECUTION], { executions: fixedExecutions(view({ status, stopDate })) });
    expect(run.code).toBe(code);
    expect(run.out).toContain(`Status      ${status}`);
  });
});

describe('aqi-pipeline status --json', () => {
  test('prints the run as one JSON document with its elapsed time, steps and chunks', async () => {
    const run = await runCli(['--region', 'eu-west-1', '--json', 'status', EXECUTION], {
      executions: fixedExecutions(view({ currentState: 'Silver step', window: { start: '2025-10-20T08:00:00Z', end: '2025-10-20T11:00:00Z' } })),
    });
    expect(run.code).toBe(3);
    expect(JSON.parse(run.out)).toEqual({
      executionArn: EXECUTION,
      pipeline: 'hourly',
      status: 'RUNNING',
      runId: 'hourly-20251020T1100Z-1a2b3c4d',
      window: { start: '2025-10-20T08:00:00Z', end: '2025-10-20T11:00:00Z' },
      startDate: '2025-10-20T11:50:00.000Z',
      stopDate: null,
      elapsedSeconds: 600,
      currentState: 'Silver step',
      clusterId: null,
      steps: { succeeded: 0, failed: 0, running: 0 },
      chunks: null,
      failedChunks: [],
      reprocessInput: null,
      unreadableSources: [],
      cost: null,
      error: null,
      cause: null,
    });
  });
});

describe('aqi-pipeline status --watch', () => {
  const entered = (id: number, name: string, at: string): HistoryEvent => ({ id, type: 'TaskStateEntered', timestamp: new Date(at), stateEnteredEventDetails: { name } });
  const addStep = (id: number): HistoryEvent => ({
    id,
    type: 'TaskScheduled',
    timestamp: new Date('2025-10-20T11:59:00Z'),
    taskScheduledEventDetails: { resourceType: 'elasticmapreduce', resource: 'addStep.sync', region: 'eu-west-1', parameters: '{}' },
  });

  test('prints a line whenever the progress changes, polls at the interval and exits by the outcome', async () => {
    const inBronze = [entered(1, 'Create cluster', '2025-10-20T11:50:01Z'), entered(2, 'Bronze step', '2025-10-20T11:59:00Z'), addStep(3)];
    const sleeps: number[] = [];
    const run = await runCli(['--region', 'eu-west-1', 'status', EXECUTION, '--watch', '--interval', '30'], {
      executions: progressing([
        view({ currentState: 'Create cluster', events: inBronze.slice(0, 1) }),
        view({ currentState: 'Create cluster', events: inBronze.slice(0, 1) }),
        view({ currentState: 'Bronze step', events: inBronze }),
        view({
          status: 'FAILED',
          stopDate: new Date('2025-10-20T12:05:30Z'),
          error: 'States.TaskFailed',
          cause: 'EMR step s-1 FAILED',
          events: [
            ...inBronze,
            { id: 4, type: 'TaskFailed', timestamp: new Date('2025-10-20T12:05:29Z') },
            { id: 5, type: 'ExecutionFailed', timestamp: new Date('2025-10-20T12:05:30Z') },
          ],
        }),
      ]),
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
    expect(sleeps).toEqual([30_000, 30_000, 30_000]);
    expect(run.err.split('\n')).toEqual([
      '12:00:00  RUNNING · in Create cluster · steps 0 done, 0 failed, 0 running · 10m 00s elapsed',
      '12:00:00  RUNNING · in Bronze step · steps 0 done, 0 failed, 1 running · 10m 00s elapsed',
      '12:00:00  FAILED · steps 0 done, 1 failed, 0 running · 15m 30s elapsed',
    ]);
    expect(run.out).toContain('Error       States.TaskFailed: EMR step s-1 FAILED');
    expect(run.code).toBe(1);
  });

  test('a run that succeeds while watched exits 0', async () => {
    const run = await runCli(['--region', 'eu-west-1', 'status', EXECUTION, '--watch'], {
      executions: progressing([view({}), view({ status: 'SUCCEEDED', stopDate: new Date('2025-10-20T12:00:00Z') })]),
      sleep: async () => {},
    });
    expect(run.code).toBe(0);
  });

  test('--interval must be a whole number of seconds', async () => {
    const run = await runCli(['--region', 'eu-west-1', 'status', EXECUTION, '--watch', '--interval', '0.5']);
    expect(run).toEqual({ code: 2, out: '', err: '--interval = "0.5": allowed: a whole number from 1 to 3600' });
  });
});

describe('aqi-pipeline runs list (against moto)', () => {
  let moto: MotoServer;
  let saved: NodeJS.ProcessEnv;
  const REGION = 'eu-west-1';

  beforeAll(async () => {
    moto = await MotoServer.start();
    saved = { ...process.env };
    for (const key of ['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']) delete process.env[key];
    // The SDK's default chain reads a profile from these files, as for the AWS CLI.
    const home = mkdtempSync(join(tmpdir(), 'aws-home-'));
    writeFileSync(join(home, 'config'), `[profile ops]\nregion = ${REGION}\n`);
    writeFileSync(join(home, 'credentials'), `[ops]\naws_access_key_id = ${MOTO_CREDENTIALS.accessKeyId}\naws_secret_access_key = ${MOTO_CREDENTIALS.secretAccessKey}\n`);
    Object.assign(process.env, { AWS_CONFIG_FILE: join(home, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials') });
  });
  afterAll(async () => {
    process.env = saved;
    await moto?.stop();
  });

  async function deployedPipeline(): Promise<{ hourly: string; backfill: string }> {
    const sfn = new SFNClient({ region: REGION, endpoint: moto.endpoint, credentials: MOTO_CREDENTIALS });
    const machine = async (name: string) =>
      (await sfn.send(new CreateStateMachineCommand({ name, roleArn: 'arn:aws:iam::123456789012:role/sfn', definition: JSON.stringify({ StartAt: 'Done', States: { Done: { Type: 'Succeed' } } }) })))
        .stateMachineArn!;
    const hourly = await machine('HourlyStateMachineF1B39CEC-x');
    const backfill = await machine('BackfillStateMachine395F6B27-y');
    await sfn.send(new StartExecutionCommand({ stateMachineArn: hourly, name: 'scheduled-1', input: JSON.stringify({ windowEnd: '2025-10-20T11:00:00Z' }) }));
    await sfn.send(new StartExecutionCommand({ stateMachineArn: backfill, name: 'cli-20251020T1200-abc', input: JSON.stringify({ startDate: '2024-01-01', endDate: '2024-03-31' }) }));
    return { hourly, backfill };
  }

  test('lists both pipelines\' runs with status and window, region and credentials from --profile', async () => {
    await moto.reset();
    const { hourly, backfill } = await deployedPipeline();
    const run = await runCli(['--endpoint-url', moto.endpoint, '--profile', 'ops', '--json', 'runs', 'list']);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    const runs = JSON.parse(run.out) as { pipeline: string; executionArn: string; name: string; window: unknown }[];
    expect(runs.map((r) => [r.pipeline, r.name, r.window])).toEqual(
      expect.arrayContaining([
        ['hourly', 'scheduled-1', { start: '?', end: '2025-10-20T11:00:00Z' }],
        ['backfill', 'cli-20251020T1200-abc', { start: '2024-01-01', end: '2024-03-31' }],
      ]),
    );
    expect(runs.find((r) => r.pipeline === 'hourly')?.executionArn.startsWith(hourly.replace(':stateMachine:', ':execution:'))).toBe(true);
    expect(runs.find((r) => r.pipeline === 'backfill')?.executionArn.startsWith(backfill.replace(':stateMachine:', ':execution:'))).toBe(true);
  });

  test('prints a table by default', async () => {
    await moto.reset();
    await deployedPipeline();
    const run = await runCli(['--endpoint-url', moto.endpoint, '--profile', 'ops', 'runs', 'list']);
    const [header, ...rows] = run.out.split('\n');
    expect(header).toMatch(/^PIPELINE\s+STATUS\s+WINDOW\s+STARTED\s+DURATION\s+EXECUTION$/);
    expect(rows.some((row) => /^backfill\s+\w+\s+2024-01-01 \.\. 2024-03-31\s+.*cli-20251020T1200-abc$/.test(row))).toBe(true);
  });

  test('a profile without a region: it says how to give one', async () => {
    const run = await runCli(['--endpoint-url', moto.endpoint, '--profile', 'default', 'runs', 'list']);
    expect(run).toEqual({
      code: 1,
      out: '',
      err: 'No AWS region is set. Pass --region <region>, set AWS_REGION, or give the profile a region (aws configure set region <region> --profile <name>).',
    });
  });
});
