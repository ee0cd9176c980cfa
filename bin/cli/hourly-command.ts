import { randomBytes } from 'node:crypto';
import { type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { HourlyInputSchema } from '../../core/hourly/input';
import { CliError } from './errors';

/**
 * The input of one hourly execution: `{ windowEnd }` re-runs the window ending at that hour, as
 * docs/DEPLOYING.md "Re-running a window" describes; without it, `{ scheduledTime: now }`, exactly what
 * the schedule sends. Checked by the plan Lambda's own schema, so a bad hour never starts a run.
 */
export function hourlyInput(windowEnd: string | undefined, now: Date): Record<string, string> {
  const input: Record<string, string> = windowEnd === undefined ? { scheduledTime: now.toISOString().replace(/\.\d{3}Z$/, 'Z') } : { windowEnd };
  const parsed = HourlyInputSchema.safeParse(input);
  if (!parsed.success) {
    throw new CliError(`--window-end = ${JSON.stringify(windowEnd)}: ${parsed.error.issues[0]?.message ?? 'invalid'}`, 2);
  }
  if (windowEnd !== undefined && Date.parse(windowEnd) > now.getTime()) {
    throw new CliError(`--window-end = ${JSON.stringify(windowEnd)}: lies in the future (now ${now.toISOString()}); only a completed hour can be processed`, 2);
  }
  return input;
}

export async function startHourly(sfn: SFNClient, stateMachineArn: string, input: Record<string, string>, now: Date): Promise<string> {
  const name = `cli-hourly-${now.toISOString().replace(/[-:]/g, '').slice(0, 15)}-${randomBytes(3).toString('hex')}`;
  const out = await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
  if (!out.executionArn) throw new CliError('Step Functions started no execution and returned no ARN');
  return out.executionArn;
}
