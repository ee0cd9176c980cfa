import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CloudFormationClient, CreateStackCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { EMRClient, RunJobFlowCommand } from '@aws-sdk/client-emr';
import { CreateScheduleCommand, GetScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateStateMachineCommand, DescribeExecutionCommand, ListExecutionsCommand, SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { SfnExecutionReader } from '../../bin/cli/execution';
import { CLUSTER_TAG_KEYS } from '../../core/tags';
import { MOTO_CREDENTIALS, MotoServer } from '../adapters/moto-server';
import { runCli } from './cli-io';

const REGION = 'us-east-1';
const NOW = new Date('2025-10-20T12:00:00Z');
const SECRET_VALUE = 'openaq-key-that-must-never-be-printed';
let moto: MotoServer;
let saved: NodeJS.ProcessEnv;
let cdkOut: string;

beforeAll(async () => {
  moto = await MotoServer.start();
  saved = { ...process.env };
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: MOTO_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: MOTO_CREDENTIALS.secretAccessKey, AWS_REGION: REGION });
});
afterAll(async () => {
  process.env = saved;
  await moto?.stop();
});
beforeEach(async () => {
  await moto.reset();
  cdkOut = fs.mkdtempSync(path.join(os.tmpdir(), 'aqi-doctor-'));
});
afterEach(() => fs.rmSync(cdkOut, { recursive: true, force: true }));

const config = () => ({ region: REGION, endpoint: moto.endpoint, credentials: MOTO_CREDENTIALS });
const doctor = () => runCli(['--endpoint-url', moto.endpoint, 'doctor'], { now: () => NOW, cdkOut });

/** The data-lake stack as synthesized: the pipeline table, exported to the pipeline stack. */
const dataLakeTemplate = {
  Resources: { PipelineTable: { Type: 'AWS::DynamoDB::Table', Properties: { TableName: 'aqi-pipeline-table', KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST' } } },
  Outputs: { TableName: { Value: { Ref: 'PipelineTable' }, Export: { Name: 'AqiDataLake:TableName' } } },
};

/** A pipeline stack whose definition, like CDK's, joins the region and an imported table name in. */
function pipelineTemplate(lockState: string) {
  const definition = {
    'Fn::Join': ['', ['{"StartAt":"', lockState, '","States":{"', lockState, '":{"Type":"Pass","Result":{"table":"', { 'Fn::ImportValue': 'AqiDataLake:TableName' }, '","region":"', { Ref: 'AWS::Region' }, '"},"End":true}}}']],
  };
  return { Resources: { HourlyStateMachineA1B2: { Type: 'AWS::StepFunctions::StateMachine', Properties: { RoleArn: 'arn:aws:iam::123456789012:role/sfn', DefinitionString: definition } } } };
}

async function deploy(name: string, template: object): Promise<void> {
  const cfn = new CloudFormationClient(config());
  await cfn.send(new CreateStackCommand({ StackName: name, TemplateBody: JSON.stringify(template) }));
}

function synthesizeLocally(pipeline: object): void {
  fs.writeFileSync(path.join(cdkOut, 'AqiDataLake.template.json'), JSON.stringify(dataLakeTemplate));
  fs.writeFileSync(path.join(cdkOut, 'AqiPipeline.template.json'), JSON.stringify(pipeline));
}

async function hourlyArn(): Promise<string> {
  const out = await new CloudFormationClient(config()).send(new DescribeStacksCommand({ StackName: 'AqiPipeline' }));
  expect(out.Stacks?.[0]?.StackStatus).toBe('CREATE_COMPLETE');
  const { ListStackResourcesCommand } = await import('@aws-sdk/client-cloudformation');
  const resources = await new CloudFormationClient(config()).send(new ListStackResourcesCommand({ StackName: 'AqiPipeline' }));
  return resources.StackResourceSummaries!.find((r) => r.LogicalResourceId === 'HourlyStateMachineA1B2')!.PhysicalResourceId!;
}

async function schedule(target: string, state: 'ENABLED' | 'DISABLED'): Promise<void> {
  await new SchedulerClient(config()).send(
    new CreateScheduleCommand({
      Name: 'AqiPipeline-HourlySchedule1234',
      ScheduleExpression: 'cron(5 * * * ? *)',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: { Arn: target, RoleArn: 'arn:aws:iam::123456789012:role/scheduler', Input: '{"scheduledTime":"<aws.scheduler.scheduled-time>"}' },
      State: state,
    }),
  );
}

async function item(fields: Record<string, { S: string } | { N: string }>): Promise<void> {
  await new DynamoDBClient(config()).send(new PutItemCommand({ TableName: 'aqi-pipeline-table', Item: fields }));
}

async function cluster(executionArn: string): Promise<string> {
  const out = await new EMRClient(config()).send(
    new RunJobFlowCommand({
      Name: 'aqi-hourly',
      ReleaseLabel: 'emr-7.9.0',
      Instances: { MasterInstanceType: 'm7g.xlarge', InstanceCount: 1, KeepJobFlowAliveWhenNoSteps: true },
      JobFlowRole: 'EMR_EC2_DefaultRole',
      ServiceRole: 'EMR_DefaultRole',
      Tags: [
        { Key: CLUSTER_TAG_KEYS.pipeline, Value: 'hourly' },
        { Key: CLUSTER_TAG_KEYS.runId, Value: 'hourly-20251020T1100Z' },
        { Key: CLUSTER_TAG_KEYS.executionArn, Value: executionArn },
      ],
    }),
  );
  return out.JobFlowId!;
}

describe('aqi-pipeline doctor', () => {
  test('a healthy deployment: a ✓ line per check, the definition resolved against the deployed ids, exit 0, the secret never printed', async () => {
    await deploy('AqiDataLake', dataLakeTemplate);
    await deploy('AqiPipeline', pipelineTemplate('Take lock'));
    synthesizeLocally(pipelineTemplate('Take lock'));
    await new SecretsManagerClient(config()).send(new CreateSecretCommand({ Name: 'aqi-pipeline/openaq-api-key', SecretString: SECRET_VALUE }));
    const machine = await hourlyArn();
    await schedule(machine, 'ENABLED');
    const holder = `${machine.replace(':stateMachine:', ':execution:')}:run-1`;
    await item({ pk: { S: 'watermark#hourly' }, windowEnd: { S: '2025-10-20T11:00:00Z' }, runId: { S: 'hourly-20251020T1000Z' }, updatedAt: { S: '2025-10-20T11:20:00Z' } });
    await item({ pk: { S: 'lock' }, holder: { S: holder }, runId: { S: 'hourly-20251020T1100Z' }, pipeline: { S: 'hourly' }, acquiredAt: { S: '2025-10-20T11:58:00Z' }, expiresAt: { N: String(Date.parse('2025-10-20T14:00:00Z') / 1000) } });
    const clusterId = await cluster(holder);

    const run = await doctor();

    expect(run.err).toBe('');
    expect(run.out).toBe(
      [
        '✓ stack AqiDataLake: CREATE_COMPLETE',
        '✓ stack AqiPipeline: CREATE_COMPLETE',
        '✓ definition HourlyStateMachineA1B2: equal to the local synth',
        '✓ API-key secret: aqi-pipeline/openaq-api-key exists and is not empty',
        '✓ hourly schedule: AqiPipeline-HourlySchedule1234 ENABLED (cron(5 * * * ? *))',
        '✓ last hourly run: none yet',
        '✓ watermark: 2025-10-20T11:00:00Z (1.0 h old; alarm after 3 h), run hourly-20251020T1000Z',
        `✓ lock: held by hourly run hourly-20251020T1100Z (${holder}) until 2025-10-20T14:00:00.000Z`,
        `✓ cluster ${clusterId}: WAITING, hourly run hourly-20251020T1100Z (the run holding the lock)`,
      ].join('\n'),
    );
    expect(run.code).toBe(0);
    expect(run.out).not.toContain(SECRET_VALUE);
  });

  test('drift, an empty secret, a paused schedule, a stale watermark, an expired lock and an orphaned cluster: each a ✗ with its fix, exit 1', async () => {
    await deploy('AqiDataLake', dataLakeTemplate);
    await deploy('AqiPipeline', pipelineTemplate('Take lock'));
    synthesizeLocally(pipelineTemplate('Acquire lock'));
    await new SecretsManagerClient(config()).send(new CreateSecretCommand({ Name: 'aqi-pipeline/openaq-api-key', SecretString: '  ' }));
    const machine = await hourlyArn();
    await schedule(machine, 'DISABLED');
    await item({ pk: { S: 'watermark#hourly' }, windowEnd: { S: '2025-10-20T06:00:00Z' }, runId: { S: 'hourly-20251020T0500Z' }, updatedAt: { S: '' } });
    await item({ pk: { S: 'lock' }, holder: { S: 'arn:aws:states:us-east-1:123456789012:execution:Hourly:run-9' }, runId: { S: 'hourly-20251020T0900Z' }, pipeline: { S: 'hourly' }, acquiredAt: { S: '' }, expiresAt: { N: String(Date.parse('2025-10-20T10:00:00Z') / 1000) } });
    const orphan = await cluster('arn:aws:states:us-east-1:123456789012:execution:Hourly:run-7');

    const run = await doctor();

    expect(run.code).toBe(1);
    const lines = run.out.split('\n');
    expect(lines).toContain('✗ definition HourlyStateMachineA1B2: differs from the local synth at $.StartAt: local "Acquire lock", deployed "Take lock"');
    expect(lines).toContain('    fix: npx cdk diff AqiPipeline, then npx cdk deploy AqiPipeline');
    expect(lines).toContain('✗ API-key secret: aqi-pipeline/openaq-api-key is empty');
    expect(lines).toContain('✗ hourly schedule: AqiPipeline-HourlySchedule1234 DISABLED (cron(5 * * * ? *))');
    expect(lines).toContain('    fix: npx aqi-pipeline schedule resume (and set scheduleEnabled: true in cdk.json so the next deploy keeps it)');
    expect(lines).toContain('✗ watermark: 2025-10-20T06:00:00Z (6.0 h old; alarm after 3 h), run hourly-20251020T0500Z');
    expect(lines).toContain('✗ lock: held by hourly run hourly-20251020T0900Z (arn:aws:states:us-east-1:123456789012:execution:Hourly:run-9) until 2025-10-20T10:00:00.000Z, expired');
    expect(lines).toContain(`✗ cluster ${orphan}: WAITING, hourly run hourly-20251020T1100Z, its run does not hold the lock`);
    expect(lines).toContain(`    fix: if arn:aws:states:us-east-1:123456789012:execution:Hourly:run-7 has ended: aws emr terminate-clusters --cluster-ids ${orphan}`);
    expect(lines.filter((l) => l.startsWith('✗'))).toHaveLength(6);
    expect(lines.filter((l) => l.startsWith('✗')).length).toBe(lines.filter((l) => l.startsWith('    fix: ')).length);
  });

  test('nothing deployed: both stacks ✗ with the deploy command, the missing secret with how to create it, exit 1', async () => {
    const run = await doctor();
    expect(run.code).toBe(1);
    expect(run.out).toBe(
      [
        '✗ stack AqiDataLake: not deployed in this region',
        '    fix: npx cdk deploy AqiDataLake (or pass the --region it is in)',
        '✗ stack AqiPipeline: not deployed in this region',
        '    fix: npx cdk deploy AqiPipeline (or pass the --region it is in)',
        '✗ API-key secret: aqi-pipeline/openaq-api-key does not exist',
        '    fix: create it as docs/DEPLOYING.md "First deploy" shows (read -s, then aws secretsmanager create-secret --name aqi-pipeline/openaq-api-key --secret-string file://...), so the key is neither echoed nor in shell history',
        '✓ clusters: none running with the pipeline tag',
      ].join('\n'),
    );
  });
});

describe('aqi-pipeline schedule pause|resume', () => {
  test('pause disables the schedule that starts the hourly state machine and keeps its target; resume enables it', async () => {
    const sm = await deployHourlyMachineDirectly();
    await schedule(sm, 'ENABLED');
    const paused = await runCli(['--endpoint-url', moto.endpoint, 'schedule', 'pause']);
    expect(paused).toEqual({ code: 0, out: 'Schedule AqiPipeline-HourlySchedule1234 DISABLED (was ENABLED)', err: '' });
    const after = await new SchedulerClient(config()).send(new GetScheduleCommand({ Name: 'AqiPipeline-HourlySchedule1234' }));
    expect(after.State).toBe('DISABLED');
    expect(after.Target?.Arn).toBe(sm);
    expect(after.ScheduleExpression).toBe('cron(5 * * * ? *)');
    const resumed = await runCli(['--endpoint-url', moto.endpoint, 'schedule', 'resume']);
    expect(resumed.out).toBe('Schedule AqiPipeline-HourlySchedule1234 ENABLED (was DISABLED)');
    expect((await new SchedulerClient(config()).send(new GetScheduleCommand({ Name: 'AqiPipeline-HourlySchedule1234' }))).State).toBe('ENABLED');
  });
});

/** Both pipelines' state machines, as `runs list` and `hourly start` find them by name. */
async function deployHourlyMachineDirectly(): Promise<string> {
  const sfn = new SFNClient(config());
  const create = (name: string) =>
    sfn.send(new CreateStateMachineCommand({ name, roleArn: 'arn:aws:iam::123456789012:role/sfn', definition: JSON.stringify({ StartAt: 'Done', States: { Done: { Type: 'Succeed' } } }) }));
  await create('BackfillStateMachineC3D4');
  return (await create('HourlyStateMachineA1B2')).stateMachineArn!;
}

describe('aqi-pipeline hourly start', () => {
  test('starts one hourly execution for --window-end and follows it, one progress line per change, until it ends; exit 1 when it was aborted', async () => {
    const machine = await deployHourlyMachineDirectly();
    const sfn = new SFNClient(config());
    let polls = 0;
    const run = await runCli(['--endpoint-url', moto.endpoint, 'hourly', 'start', '--window-end', '2025-10-20T11:00:00Z', '--interval', '1'], {
      executions: (clients) => new SfnExecutionReader(clients.sfn),
      // The second poll finds the run stopped: an operator aborted it meanwhile.
      sleep: async () => {
        polls += 1;
        if (polls === 2) {
          const [execution] = (await sfn.send(new ListExecutionsCommand({ stateMachineArn: machine }))).executions!;
          await sfn.send(new StopExecutionCommand({ executionArn: execution.executionArn }));
        }
      },
    });
    const [execution] = (await sfn.send(new ListExecutionsCommand({ stateMachineArn: machine }))).executions!;
    expect(JSON.parse((await sfn.send(new DescribeExecutionCommand({ executionArn: execution.executionArn }))).input!)).toEqual({ windowEnd: '2025-10-20T11:00:00Z' });
    expect(run.err.split('\n').slice(0, 3)).toEqual([
      `Started ${execution.executionArn}`,
      'Input   {"windowEnd":"2025-10-20T11:00:00Z"}',
      `Console https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/${execution.executionArn}`,
    ]);
    expect(run.err).toMatch(/RUNNING/);
    expect(run.err).toMatch(/ABORTED/);
    expect(run.out).toContain(`Execution   ${execution.executionArn}`);
    expect(run.out).toMatch(/^Status {6}ABORTED/m);
    expect(run.code).toBe(1);
    expect(polls).toBe(2);
  });

  test('a --window-end that is not a whole hour, or lies in the future, exits 2 with the reason and starts nothing', async () => {
    const machine = await deployHourlyMachineDirectly();
    const notAnHour = await runCli(['--endpoint-url', moto.endpoint, 'hourly', 'start', '--window-end', '2025-10-20T11:30:00Z']);
    expect(notAnHour).toEqual({ code: 2, out: '', err: '--window-end = "2025-10-20T11:30:00Z": must be a whole UTC hour such as 2025-01-01T03:00:00Z' });
    const future = await runCli(['--endpoint-url', moto.endpoint, 'hourly', 'start', '--window-end', '2025-10-20T13:00:00Z']);
    expect(future).toEqual({ code: 2, out: '', err: '--window-end = "2025-10-20T13:00:00Z": lies in the future (now 2025-10-20T12:00:00.000Z); only a completed hour can be processed' });
    expect((await new SFNClient(config()).send(new ListExecutionsCommand({ stateMachineArn: machine }))).executions).toEqual([]);
  });
});
