import * as fs from 'node:fs';
import * as path from 'node:path';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeClusterCommand, ListClustersCommand } from '@aws-sdk/client-emr';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DescribeStateMachineCommand, ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { CLUSTER_TAG_KEYS } from '../../core/tags';
import type { CfnTemplate } from '../../local/definition';
import type { PipelineConfig } from '../../lib/config';
import { STACK_NAMES } from '../../lib/stack-names';
import { type AwsClients, type AwsOptions, clientConfig } from './aws';
import {
  DefinitionError,
  type DeployedStack,
  expectedDefinitions,
  firstDifference,
  HEALTHY_STACK_STATUSES,
  onlyResourceOfType,
  readStack,
} from './deployment';
import { CliError } from './errors';
import { findHourlySchedule } from './schedule-command';

/** One line of the report: what was checked, what was found, and for a ✗ what to do. */
export interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
  readonly fix?: string;
}

export interface DoctorInputs {
  readonly clients: AwsClients;
  readonly options: AwsOptions;
  readonly config: PipelineConfig;
  /** The `cdk synth` output folder holding both stacks' templates. */
  readonly cdkOut: string;
  readonly now: Date;
}

const ACTIVE_CLUSTER_STATES = ['STARTING', 'BOOTSTRAPPING', 'RUNNING', 'WAITING'] as const;
const FAILED_RUN_STATUSES = new Set(['FAILED', 'TIMED_OUT', 'ABORTED']);

/** Every check, in the order an operator would fix them; one failing check never hides the others. */
export async function runDoctor(inputs: DoctorInputs): Promise<Check[]> {
  const checks: Check[] = [];
  const attempt = async (name: string, check: () => Promise<Check | Check[]>) => {
    try {
      const result = await check();
      checks.push(...(Array.isArray(result) ? result : [result]));
    } catch (error) {
      const e = error as Error;
      checks.push({ name, ok: false, detail: `could not check: ${e.name}: ${e.message.split('\n')[0]}`, fix: 'check the credentials can read it (the error names the denied call), then rerun' });
    }
  };
  const cfn = new CloudFormationClient(clientConfig(inputs.options));
  const stacks: Partial<Record<keyof typeof STACK_NAMES, DeployedStack>> = {};
  for (const key of ['dataLake', 'pipeline'] as const) {
    await attempt(`stack ${STACK_NAMES[key]}`, async () => {
      const stack = await readStack(cfn, STACK_NAMES[key]);
      if (stack === undefined) return { name: `stack ${STACK_NAMES[key]}`, ok: false, detail: 'not deployed in this region', fix: `npx cdk deploy ${STACK_NAMES[key]} (or pass the --region it is in)` };
      stacks[key] = stack;
      const ok = HEALTHY_STACK_STATUSES.has(stack.status);
      return { name: `stack ${STACK_NAMES[key]}`, ok, detail: stack.status, fix: ok ? undefined : `see its events: aws cloudformation describe-stack-events --stack-name ${STACK_NAMES[key]}; fix the cause, then npx cdk deploy ${STACK_NAMES[key]}` };
    });
  }
  const { dataLake, pipeline } = stacks;
  if (dataLake && pipeline) await attempt('state machine definitions', () => definitionChecks(inputs, { dataLake, pipeline }));
  await attempt('API-key secret', () => secretCheck(inputs));
  const hourlyArn = pipeline ? onlyResourceOfTypeNamed(pipeline, 'AWS::StepFunctions::StateMachine', /hourly/i) : undefined;
  if (hourlyArn) {
    await attempt('hourly schedule', () => scheduleCheck(inputs, hourlyArn));
    await attempt('last hourly run', () => lastRunCheck(inputs, hourlyArn));
  }
  const table = dataLake ? onlyResourceOfType(dataLake, 'AWS::DynamoDB::Table') : undefined;
  let lockHolder: string | undefined;
  if (table) {
    const dynamodb = new DynamoDBClient(clientConfig(inputs.options));
    const item = async (pk: string) => (await dynamodb.send(new GetItemCommand({ TableName: table, Key: { pk: { S: pk } }, ConsistentRead: true }))).Item;
    await attempt('watermark', async () => {
      const watermark = await item('watermark#hourly');
      if (!watermark) return { name: 'watermark', ok: false, detail: 'none yet: no hourly run has succeeded', fix: 'npx aqi-pipeline hourly start, then npx aqi-pipeline doctor again' };
      const windowEnd = watermark.windowEnd?.S ?? '';
      const hours = (inputs.now.getTime() - Date.parse(windowEnd)) / 3_600_000;
      const ok = Number.isFinite(hours) && hours <= inputs.config.hourly.freshnessAlarmHours;
      return {
        name: 'watermark',
        ok,
        detail: `${windowEnd} (${Number.isFinite(hours) ? `${hours.toFixed(1)} h old` : 'not a time'}; alarm after ${inputs.config.hourly.freshnessAlarmHours} h), run ${watermark.runId?.S ?? '?'}`,
        fix: ok ? undefined : 'the hourly runs are not succeeding: see the last run above (npx aqi-pipeline runs list)',
      };
    });
    await attempt('lock', async () => {
      const lock = await item('lock');
      if (!lock) return { name: 'lock', ok: true, detail: 'free' };
      lockHolder = lock.holder?.S;
      const until = new Date(Number(lock.expiresAt?.N ?? 0) * 1000);
      const expired = until.getTime() < inputs.now.getTime();
      return {
        name: 'lock',
        ok: !expired,
        detail: `held by ${lock.pipeline?.S ?? '?'} run ${lock.runId?.S ?? '?'} (${lockHolder ?? '?'}) until ${until.toISOString()}${expired ? ', expired' : ''}`,
        fix: expired ? 'an expired lock is taken over by the next run; if that run failed, see npx aqi-pipeline status <holder>' : undefined,
      };
    });
  }
  await attempt('clusters', () => clusterChecks(inputs, lockHolder));
  return checks;
}

function onlyResourceOfTypeNamed(stack: DeployedStack, type: string, name: RegExp): string | undefined {
  const found = Object.entries(stack.resources).filter(([id, r]) => r.type === type && name.test(id));
  return found.length === 1 ? found[0][1].physicalId : undefined;
}

function readTemplate(cdkOut: string, stack: string): CfnTemplate | undefined {
  const file = path.join(cdkOut, `${stack}.template.json`);
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as CfnTemplate) : undefined;
}

async function definitionChecks(inputs: DoctorInputs, deployed: { dataLake: DeployedStack; pipeline: DeployedStack }): Promise<Check[]> {
  const local = { pipeline: readTemplate(inputs.cdkOut, STACK_NAMES.pipeline), dataLake: readTemplate(inputs.cdkOut, STACK_NAMES.dataLake) };
  if (!local.pipeline || !local.dataLake) {
    return [{ name: 'state machine definitions', ok: false, detail: `no local synth in ${inputs.cdkOut}`, fix: 'npx cdk synth (same cdk.json as the deploy), then rerun' }];
  }
  let expected;
  try {
    expected = expectedDefinitions({ pipeline: local.pipeline, dataLake: local.dataLake }, deployed);
  } catch (error) {
    if (!(error instanceof DefinitionError)) throw error;
    return [{ name: 'state machine definitions', ok: false, detail: `the local synth cannot be resolved: ${error.message}`, fix: 'npx cdk synth again, then rerun' }];
  }
  const checks: Check[] = [];
  for (const [logicalId, definition] of Object.entries(expected)) {
    const name = `definition ${logicalId}`;
    const arn = deployed.pipeline.resources[logicalId]?.physicalId;
    if (!arn) {
      checks.push({ name, ok: false, detail: `in the local synth, not in stack ${STACK_NAMES.pipeline}`, fix: `npx cdk deploy ${STACK_NAMES.pipeline}` });
      continue;
    }
    const described = await inputs.clients.sfn.send(new DescribeStateMachineCommand({ stateMachineArn: arn }));
    const difference = firstDifference(definition, JSON.parse(described.definition ?? 'null'));
    checks.push(
      difference
        ? { name, ok: false, detail: `differs from the local synth at ${difference}`, fix: `npx cdk diff ${STACK_NAMES.pipeline}, then npx cdk deploy ${STACK_NAMES.pipeline}` }
        : { name, ok: true, detail: 'equal to the local synth' },
    );
  }
  return checks;
}

async function secretCheck(inputs: DoctorInputs): Promise<Check> {
  const name = 'API-key secret';
  const secretName = inputs.config.openaqApiKeySecretName;
  const create = `create it as docs/DEPLOYING.md "First deploy" shows (read -s, then aws secretsmanager create-secret --name ${secretName} --secret-string file://...), so the key is neither echoed nor in shell history`;
  try {
    const value = await new SecretsManagerClient(clientConfig(inputs.options)).send(new GetSecretValueCommand({ SecretId: secretName }));
    // Only whether it is empty is looked at; the value itself is never printed or kept.
    const empty = (value.SecretString ?? '').trim().length === 0 && (value.SecretBinary?.length ?? 0) === 0;
    return empty ? { name, ok: false, detail: `${secretName} is empty`, fix: `put the key in it: aws secretsmanager put-secret-value --secret-id ${secretName} --secret-string file://<file holding the key>` } : { name, ok: true, detail: `${secretName} exists and is not empty` };
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException') return { name, ok: false, detail: `${secretName} does not exist`, fix: create };
    throw error;
  }
}

async function scheduleCheck(inputs: DoctorInputs, hourlyArn: string): Promise<Check> {
  const name = 'hourly schedule';
  let schedule;
  try {
    schedule = await findHourlySchedule(new SchedulerClient(clientConfig(inputs.options)), hourlyArn);
  } catch (error) {
    if (error instanceof CliError) return { name, ok: false, detail: error.message.split(':')[0], fix: `npx cdk deploy ${STACK_NAMES.pipeline}` };
    throw error;
  }
  const ok = schedule.State === 'ENABLED';
  return { name, ok, detail: `${schedule.Name} ${schedule.State} (${schedule.ScheduleExpression})`, fix: ok ? undefined : 'npx aqi-pipeline schedule resume (and set scheduleEnabled: true in cdk.json so the next deploy keeps it)' };
}

async function lastRunCheck(inputs: DoctorInputs, hourlyArn: string): Promise<Check> {
  const name = 'last hourly run';
  const last = (await inputs.clients.sfn.send(new ListExecutionsCommand({ stateMachineArn: hourlyArn, maxResults: 1 }))).executions?.[0];
  if (!last) return { name, ok: true, detail: 'none yet' };
  const ok = !FAILED_RUN_STATUSES.has(last.status ?? '');
  return {
    name,
    ok,
    detail: `${last.status} (started ${last.startDate?.toISOString() ?? '?'}) ${last.executionArn}`,
    fix: ok ? undefined : `npx aqi-pipeline status ${last.executionArn}, then npx aqi-pipeline logs ${last.executionArn} --stage <stage>`,
  };
}

/** Clusters still up with the pipeline's tag; one not created by the lock's holder is an orphan. */
async function clusterChecks(inputs: DoctorInputs, lockHolder: string | undefined): Promise<Check[]> {
  const emr = inputs.clients.emr;
  const ids: string[] = [];
  let marker: string | undefined;
  do {
    const page = await emr.send(new ListClustersCommand({ ClusterStates: [...ACTIVE_CLUSTER_STATES], Marker: marker }));
    ids.push(...(page.Clusters ?? []).map((c) => c.Id!).filter(Boolean));
    marker = page.Marker;
  } while (marker);
  const checks: Check[] = [];
  for (const id of ids) {
    const cluster = (await emr.send(new DescribeClusterCommand({ ClusterId: id }))).Cluster;
    const tags = Object.fromEntries((cluster?.Tags ?? []).map((t) => [t.Key, t.Value]));
    if (tags[CLUSTER_TAG_KEYS.pipeline] === undefined) continue;
    const creator = tags[CLUSTER_TAG_KEYS.executionArn];
    const running = creator !== undefined && creator === lockHolder;
    checks.push({
      name: `cluster ${id}`,
      ok: running,
      detail: `${cluster?.Status?.State ?? '?'}, ${tags[CLUSTER_TAG_KEYS.pipeline]} run ${tags[CLUSTER_TAG_KEYS.runId] ?? '?'}${running ? ' (the run holding the lock)' : ', its run does not hold the lock'}`,
      fix: running ? undefined : `if ${creator ?? 'its execution'} has ended: aws emr terminate-clusters --cluster-ids ${id}`,
    });
  }
  return checks.length > 0 ? checks : [{ name: 'clusters', ok: true, detail: 'none running with the pipeline tag' }];
}

export function describeChecks(checks: readonly Check[]): string {
  return checks.map((c) => `${c.ok ? '✓' : '✗'} ${c.name}: ${c.detail}${c.ok || !c.fix ? '' : `\n    fix: ${c.fix}`}`).join('\n');
}
