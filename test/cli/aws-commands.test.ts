import { gzipSync } from 'node:zlib';
import { AddJobFlowStepsCommand, EMRClient, RunJobFlowCommand } from '@aws-sdk/client-emr';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateStateMachineCommand, DescribeExecutionCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import type { ExecutionView } from '../../bin/cli/execution';
import { MOTO_CREDENTIALS, MotoServer } from '../adapters/moto-server';
import { fixedExecutions, runCli } from './cli-io';

const REGION = 'us-east-1';
const EXECUTION = 'arn:aws:states:us-east-1:123456789012:execution:BackfillStateMachine:cli-1';
let moto: MotoServer;
let saved: NodeJS.ProcessEnv;

beforeAll(async () => {
  moto = await MotoServer.start();
  saved = { ...process.env };
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: MOTO_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: MOTO_CREDENTIALS.secretAccessKey, AWS_REGION: REGION });
  delete process.env.AQI_BACKFILL_STATE_MACHINE_ARN;
});
afterAll(async () => {
  process.env = saved;
  await moto?.stop();
});
beforeEach(async () => {
  await moto.reset();
});

const clientConfig = () => ({ region: REGION, endpoint: moto.endpoint, credentials: MOTO_CREDENTIALS });
const aws = (args: string[]) => ['--endpoint-url', moto.endpoint, ...args];

async function stateMachine(name: string): Promise<string> {
  const out = await new SFNClient(clientConfig()).send(
    new CreateStateMachineCommand({ name, roleArn: 'arn:aws:iam::123456789012:role/sfn', definition: JSON.stringify({ StartAt: 'Done', States: { Done: { Type: 'Succeed' } } }) }),
  );
  return out.stateMachineArn!;
}

describe('aqi-pipeline backfill start', () => {
  test('starts an execution of the backfill state machine found by name, with the input the options describe', async () => {
    await stateMachine('HourlyStateMachineA1');
    const machine = await stateMachine('BackfillStateMachineB2');
    const run = await runCli(aws(['backfill', 'start', '--from', '2024-01-01', '--to', '2024-06-30', '--chunk', 'week', '--max-concurrency', '8', '--skip-stages', 'gold']));
    expect(run.code).toBe(0);
    const arn = /^Started (\S+)$/m.exec(run.out)![1];
    expect(arn.startsWith(machine.replace(':stateMachine:', ':execution:'))).toBe(true);
    expect(run.out).toContain(`Console https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/${arn}`);
    const described = await new SFNClient(clientConfig()).send(new DescribeExecutionCommand({ executionArn: arn }));
    expect(JSON.parse(described.input!)).toEqual({ startDate: '2024-01-01', endDate: '2024-06-30', chunk: 'week', skipStages: ['gold'], maxConcurrency: 8 });
  });

  test('an invalid input exits 2 with the plan Lambda’s message and starts nothing', async () => {
    const machine = await stateMachine('BackfillStateMachineB2');
    const run = await runCli(aws(['backfill', 'start', '--from', '2024-06-30', '--to', '2024-01-01', '--max-concurrency', 'four']));
    expect(run).toEqual({
      code: 2,
      out: '',
      err: 'InvalidBackfillInput: maxConcurrency = "four": not a number; allowed: an integer from 1 to 16',
    });
    const executions = await new SFNClient(clientConfig()).send(new ListExecutionsCommand({ stateMachineArn: machine }));
    expect(executions.executions).toEqual([]);
  });

  test('two backfill state machines in the region: it asks for --state-machine, listing both', async () => {
    const a = await stateMachine('BackfillStateMachineB2');
    const b = await stateMachine('StagingBackfillStateMachineC3');
    const run = await runCli(aws(['backfill', 'start', '--from', '2024-01-01', '--to', '2024-01-31']));
    expect(run).toEqual({ code: 1, out: '', err: `Several backfill state machines found; pass --state-machine with one of:\n  ${a}\n  ${b}` });
  });

  test('no region: a clear message, not a stack trace', async () => {
    const region = process.env.AWS_REGION;
    delete process.env.AWS_REGION;
    try {
      const run = await runCli(['backfill', 'start', '--from', '2024-01-01', '--to', '2024-01-31']);
      expect(run).toEqual({ code: 1, out: '', err: 'No AWS region is set. Pass --region <region>, set AWS_REGION, or give the profile a region (aws configure set region <region> --profile <name>).' });
    } finally {
      process.env.AWS_REGION = region;
    }
  });
});

describe('aqi-pipeline status', () => {
  test('shows the run, the chunk progress of the Map and, from the manifest, the failed chunks and the reprocess input', async () => {
    const s3 = new S3Client({ ...clientConfig(), forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: 'lake' }));
    const runId = 'backfill-20251020T1234Z-1a2b3c4d';
    const chunk = (chunkId: string, status: 'SUCCEEDED' | 'FAILED', failure: string | null) => ({ chunkId, start: '', end: '', status, rowsRead: null, rowsWritten: null, durationSeconds: null, phases: null, stepId: null, stepLogUri: null, failure });
    const reprocessInput = { startDate: '2024-01-01', endDate: '2024-02-29', reprocessFailedOf: runId };
    await s3.send(
      new PutObjectCommand({
        Bucket: 'lake',
        Key: `runs/backfill/${runId}/manifest.json`,
        Body: JSON.stringify({
          pipeline: 'backfill', runId, status: 'RUNNING', input: {}, window: { start: '2024-01-01', end: '2024-02-29' }, clusterId: 'j-1',
          chunks: [chunk('2024-01-01_2024-01-31', 'SUCCEEDED', null), chunk('2024-02-01_2024-02-29', 'FAILED', 'States.TaskFailed: EMR step s-2 FAILED')],
          failedChunks: ['2024-02-01_2024-02-29'], reprocessInput, stages: { silver: null, gold: null }, error: null, updatedAt: '',
        }),
      }),
    );
    const view: ExecutionView = {
      executionArn: EXECUTION,
      status: 'RUNNING',
      startDate: new Date('2025-10-20T12:34:56Z'),
      pipeline: 'backfill',
      runId,
      window: { start: '2024-01-01', end: '2024-02-29' },
      plan: { runId, window: { start: '2024-01-01', end: '2024-02-29' }, chunkCount: 2, planUri: `s3://lake/runs/backfill/${runId}/plan.json` } as ExecutionView['plan'],
      currentState: 'Silver range',
      chunks: { total: 2, succeeded: 2, running: 0, pending: 0, failed: 0 },
    };
    const run = await runCli(aws(['status', EXECUTION]), { executions: fixedExecutions(view) });
    expect(run.code).toBe(3);
    expect(run.out).toBe(
      [
        `Execution   ${EXECUTION}`,
        'Status      RUNNING (started 2025-10-20T12:34:56.000Z)',
        `Run id      ${runId}`,
        'Window      2024-01-01 .. 2024-02-29 (2 chunks)',
        'Now in      Silver range',
        'Chunks      2 of 2 done, 0 running, 0 waiting',
        'Manifest    RUNNING, 1 of 2 chunks succeeded',
        '  FAILED    2024-02-01_2024-02-29: States.TaskFailed: EMR step s-2 FAILED',
        `Reprocess   ${JSON.stringify(reprocessInput)}`,
      ].join('\n'),
    );
  });
});

describe('aqi-pipeline logs', () => {
  async function clusterWithStep(name: string) {
    const emr = new EMRClient(clientConfig());
    const cluster = await emr.send(
      new RunJobFlowCommand({
        Name: 'aqi-backfill',
        ReleaseLabel: 'emr-7.9.0',
        LogUri: 's3://aqi-logs/emr/',
        Instances: { MasterInstanceType: 'm7g.xlarge', InstanceCount: 1, KeepJobFlowAliveWhenNoSteps: true },
        JobFlowRole: 'EMR_EC2_DefaultRole',
        ServiceRole: 'EMR_DefaultRole',
      }),
    );
    const steps = await emr.send(
      new AddJobFlowStepsCommand({ JobFlowId: cluster.JobFlowId, Steps: [{ Name: name, ActionOnFailure: 'CONTINUE', HadoopJarStep: { Jar: 'command-runner.jar', Args: ['true'] } }] }),
    );
    const s3 = new S3Client({ ...clientConfig(), forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: 'aqi-logs' }));
    return { clusterId: cluster.JobFlowId!, stepId: steps.StepIds![0], s3 };
  }
  const view = (clusterId: string): ExecutionView => ({ executionArn: EXECUTION, status: 'FAILED', clusterId });

  test("prints a chunk step's stderr from <LogUri><clusterId>/steps/<stepId>/stderr.gz", async () => {
    const { clusterId, stepId, s3 } = await clusterWithStep('bronze 2024-02-01_2024-02-29');
    await s3.send(new PutObjectCommand({ Bucket: 'aqi-logs', Key: `emr/${clusterId}/steps/${stepId}/stderr.gz`, Body: gzipSync('ArchiveReadError: Access Denied\n') }));
    const run = await runCli(aws(['logs', EXECUTION, '--chunk', '2024-02-01_2024-02-29']), { executions: fixedExecutions(view(clusterId)) });
    expect(run).toEqual({ code: 0, out: 'ArchiveReadError: Access Denied\n', err: '' });
  });

  test('says EMR has not uploaded the log yet when it is not there', async () => {
    const { clusterId, stepId } = await clusterWithStep('silver');
    const run = await runCli(aws(['logs', EXECUTION, '--stage', 'silver']), { executions: fixedExecutions(view(clusterId)) });
    expect(run.code).toBe(1);
    expect(run.err).toBe(
      `No log yet for step ${stepId} (silver, ${run.err.match(/silver, (\w+)\)/)![1]}) at s3://aqi-logs/emr/${clusterId}/steps/${stepId}/stderr.gz: EMR uploads step logs about every five minutes. Try again shortly.`,
    );
  });

  test('an unknown chunk names the steps the cluster has', async () => {
    const { clusterId } = await clusterWithStep('bronze 2024-01-01_2024-01-31');
    const run = await runCli(aws(['logs', EXECUTION, '--chunk', '2030-01-01_2030-01-31']), { executions: fixedExecutions(view(clusterId)) });
    expect(run).toEqual({ code: 1, out: '', err: `No step named "bronze 2030-01-01_2030-01-31" on cluster ${clusterId}. Steps: bronze 2024-01-01_2024-01-31` });
  });

  test('a value that is not an execution ARN exits 2 naming it and the allowed form', async () => {
    const run = await runCli(aws(['logs', 'backfill-20251020T1234Z-1a2b3c4d', '--stage', 'silver']));
    expect(run).toEqual({
      code: 2,
      out: '',
      err: '<execution> = "backfill-20251020T1234Z-1a2b3c4d": not an execution ARN; allowed: arn:aws:states:<region>:<account>:execution:<state machine>:<name>, as `backfill start` and `runs list` print it',
    });
  });

  test('without --stage or --chunk it exits 2 saying how to choose', async () => {
    const run = await runCli(aws(['logs', EXECUTION]));
    expect(run).toEqual({ code: 2, out: '', err: 'Say which step: --stage silver|gold, or --chunk <chunkId> for a Bronze chunk (`status` lists failed chunks).' });
  });
});
