import { randomBytes } from 'node:crypto';
import { ListStateMachinesCommand, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { CliError } from './errors';

export interface StartOptions {
  readonly from: string;
  readonly to: string;
  readonly chunk?: string;
  readonly stages?: string;
  readonly skipStages?: string;
  readonly locations?: string;
  readonly maxConcurrency?: string;
  readonly reprocessFailedOf?: string;
}

/**
 * The execution input the options describe, exactly as one would paste it into the console. Lists are
 * comma-separated; numbers stay text when they are not numbers, so the schema reports them by value.
 */
export function inputFromOptions(o: StartOptions): Record<string, unknown> {
  const list = (text: string) => text.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  const numberOrText = (text: string) => (/^-?\d+(\.\d+)?$/.test(text.trim()) ? Number(text) : text);
  return {
    startDate: o.from,
    endDate: o.to,
    ...(o.chunk !== undefined ? { chunk: o.chunk } : {}),
    ...(o.stages !== undefined ? { stages: list(o.stages) } : {}),
    ...(o.skipStages !== undefined ? { skipStages: list(o.skipStages) } : {}),
    ...(o.locations !== undefined ? { locations: list(o.locations).map(numberOrText) } : {}),
    ...(o.maxConcurrency !== undefined ? { maxConcurrency: numberOrText(o.maxConcurrency) } : {}),
    ...(o.reprocessFailedOf !== undefined ? { reprocessFailedOf: o.reprocessFailedOf } : {}),
  };
}

/**
 * The backfill state machine: `--state-machine`, else AQI_BACKFILL_STATE_MACHINE_ARN, else the one state
 * machine in the region whose name contains "Backfill" (CDK names it after the construct path).
 */
export async function findBackfillStateMachine(sfn: SFNClient, explicit: string | undefined): Promise<string> {
  const given = explicit ?? process.env.AQI_BACKFILL_STATE_MACHINE_ARN;
  if (given) return given;
  const found: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new ListStateMachinesCommand({ nextToken }));
    for (const machine of page.stateMachines ?? []) if (/backfill/i.test(machine.name ?? '') && machine.stateMachineArn) found.push(machine.stateMachineArn);
    nextToken = page.nextToken;
  } while (nextToken);
  if (found.length === 1) return found[0];
  if (found.length === 0) throw new CliError('No backfill state machine found in this region: is the pipeline stack deployed here? Pass --state-machine <arn>.');
  throw new CliError(`Several backfill state machines found; pass --state-machine with one of:\n  ${found.join('\n  ')}`);
}

export async function startBackfill(sfn: SFNClient, stateMachineArn: string, input: Record<string, unknown>, now = new Date()): Promise<string> {
  // A readable, unique execution name: the console lists executions by it.
  const name = `cli-${now.toISOString().replace(/[-:]/g, '').slice(0, 15)}-${randomBytes(3).toString('hex')}`;
  const out = await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
  if (!out.executionArn) throw new CliError('Step Functions started no execution and returned no ARN');
  return out.executionArn;
}
