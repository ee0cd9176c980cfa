import { type AwsClients, awsClients } from '../../bin/cli/aws';
import type { ExecutionReader, ExecutionView } from '../../bin/cli/execution';
import { type CliIo, main } from '../../bin/cli/main';

export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** Runs the CLI in-process, capturing what it prints and its exit status. */
export async function runCli(args: string[], overrides: Partial<CliIo> = {}): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    now: () => new Date('2025-10-20T12:00:00Z'),
    aws: (options) => awsClients(options),
    executions: () => {
      throw new Error('this test reads no execution');
    },
    ...overrides,
  };
  const code = await main(['node', 'aqi-pipeline', ...args], io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

export function fixedExecutions(view: ExecutionView): (clients: AwsClients) => ExecutionReader {
  return () => ({ read: async () => view });
}
