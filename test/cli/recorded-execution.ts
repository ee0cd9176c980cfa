import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommand,
  DescribeMapRunCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';

/**
 * An execution kept as Step Functions answers for it: the `GetExecutionHistory` events, the map run's
 * iterations (`ListExecutions --map-run-arn`, each with its input) and the run manifest. The files
 * under recorded/ are in the API's JSON shapes (AWS cannot be reached from here to record a live one).
 */
export interface RecordedExecution {
  readonly executionArn: string;
  readonly status: string;
  readonly startDate: string;
  readonly stopDate?: string;
  readonly error?: string;
  readonly cause?: string;
  readonly events: (Omit<HistoryEvent, 'timestamp'> & { timestamp: string })[];
  readonly mapRunExecutions: { name: string; status: string; startDate: string; stopDate?: string; input: string }[];
  readonly manifest?: unknown;
}

export function recordedExecution(file: string): RecordedExecution {
  return JSON.parse(readFileSync(join(__dirname, 'recorded', file), 'utf8')) as RecordedExecution;
}

/** SFN and S3 clients answering from the recording, one history page of at most 25 events at a time. */
export function clientsFor(recorded: RecordedExecution): { sfn: SFNClient; s3: S3Client } {
  const events: HistoryEvent[] = recorded.events.map((e) => ({ ...e, timestamp: new Date(e.timestamp) }) as HistoryEvent);
  const childArn = (name: string) => `${recorded.executionArn}/${name}`;
  const sfnSend = async (command: unknown) => {
    if (command instanceof DescribeExecutionCommand) {
      const child = recorded.mapRunExecutions.find((c) => childArn(c.name) === command.input.executionArn);
      if (child) return { status: child.status, input: child.input };
      return {
        status: recorded.status,
        startDate: new Date(recorded.startDate),
        stopDate: recorded.stopDate ? new Date(recorded.stopDate) : undefined,
        error: recorded.error,
        cause: recorded.cause,
      };
    }
    if (command instanceof GetExecutionHistoryCommand) {
      const from = Number(command.input.nextToken ?? 0);
      return { events: events.slice(from, from + 25), nextToken: from + 25 < events.length ? String(from + 25) : undefined };
    }
    if (command instanceof DescribeMapRunCommand) {
      const c = recorded.mapRunExecutions;
      return { itemCounts: { total: c.length, succeeded: c.filter((x) => x.status === 'SUCCEEDED').length, failed: c.filter((x) => x.status === 'FAILED').length, running: 0, pending: 0 } };
    }
    if (command instanceof ListExecutionsCommand) {
      return {
        executions: recorded.mapRunExecutions.map((c) => ({
          executionArn: childArn(c.name),
          name: c.name,
          status: c.status,
          startDate: new Date(c.startDate),
          stopDate: c.stopDate ? new Date(c.stopDate) : undefined,
        })),
      };
    }
    throw new Error(`the recording has no answer for ${(command as object).constructor.name}`);
  };
  const s3Send = async (command: unknown) => {
    if (command instanceof GetObjectCommand && recorded.manifest) {
      return { Body: { transformToString: async () => JSON.stringify(recorded.manifest) } };
    }
    throw new Error(`the recording has no answer for ${(command as object).constructor.name}`);
  };
  return { sfn: { send: sfnSend } as unknown as SFNClient, s3: { send: s3Send } as unknown as S3Client };
}
