import { DescribeExecutionCommand, DescribeMapRunCommand, GetExecutionHistoryCommand, type HistoryEvent, type SFNClient } from '@aws-sdk/client-sfn';
import type { PlanState } from '../../lambdas/plan-backfill/plan';

/** What `status` and `logs` need to know about a backfill execution. */
export interface ExecutionView {
  readonly executionArn: string;
  readonly status: string;
  readonly startDate?: Date;
  readonly stopDate?: Date;
  readonly error?: string;
  readonly cause?: string;
  /** The plan Lambda's output, once it has run. */
  readonly plan?: PlanState;
  readonly clusterId?: string;
  /** The state most recently entered in the run's own history. */
  readonly currentState?: string;
  /** Chunk iterations of the Bronze Map, once it started. */
  readonly chunks?: { total: number; succeeded: number; running: number; pending: number; failed: number };
}

export interface ExecutionReader {
  read(executionArn: string): Promise<ExecutionView>;
}

/** Reads the execution, its whole history (all pages) and its Map run from Step Functions. */
export class SfnExecutionReader implements ExecutionReader {
  constructor(private readonly sfn: SFNClient) {}

  async read(executionArn: string): Promise<ExecutionView> {
    const described = await this.sfn.send(new DescribeExecutionCommand({ executionArn }));
    const events = await this.history(executionArn);
    const exited = (name: string) => events.find((e) => e.stateExitedEventDetails?.name === name)?.stateExitedEventDetails?.output;
    const planOutput = exited('Plan backfill');
    const clusterOutput = exited('Create cluster');
    const entered = events.filter((e) => e.stateEnteredEventDetails?.name).pop()?.stateEnteredEventDetails?.name;
    const mapRunArn = events.find((e) => e.mapRunStartedEventDetails?.mapRunArn)?.mapRunStartedEventDetails?.mapRunArn;
    let chunks: ExecutionView['chunks'];
    if (mapRunArn) {
      const run = await this.sfn.send(new DescribeMapRunCommand({ mapRunArn }));
      const c = run.itemCounts;
      chunks = { total: c?.total ?? 0, succeeded: c?.succeeded ?? 0, running: c?.running ?? 0, pending: c?.pending ?? 0, failed: c?.failed ?? 0 };
    }
    return {
      executionArn,
      status: described.status ?? 'UNKNOWN',
      startDate: described.startDate,
      stopDate: described.stopDate,
      error: described.error,
      cause: described.cause,
      plan: planOutput ? (JSON.parse(planOutput) as { plan?: PlanState }).plan : undefined,
      clusterId: clusterOutput ? (JSON.parse(clusterOutput) as { cluster?: { ClusterId?: string } }).cluster?.ClusterId : undefined,
      currentState: entered,
      chunks,
    };
  }

  private async history(executionArn: string): Promise<HistoryEvent[]> {
    const events: HistoryEvent[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken, includeExecutionData: true }));
      events.push(...(page.events ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    return events;
  }
}

/** `s3://bucket/key` → its parts. */
export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!match) throw new Error(`not an s3:// URI: ${uri}`);
  return { bucket: match[1], key: match[2] };
}
