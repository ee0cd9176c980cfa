import {
  DescribeExecutionCommand,
  DescribeMapRunCommand,
  type ExecutionListItem,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import type { PlanState } from '../../core/backfill/plan';
import { parseS3Uri } from '../../core/layout';

/** The plan states of the two state machines (lib/hourly-workflow.ts HOURLY_STATES, lib/workflow/backfill-definition.ts). */
export const PLAN_STATES = { hourly: 'Plan hourly run', backfill: 'Plan backfill' } as const;

/** A Distributed Map iteration (a backfill chunk): a child execution of the map run. */
export interface ChunkExecution {
  readonly name: string;
  /** The chunk the iteration ran, from its input (`chunkId`, lib/workflow/backfill-chunks.ts). */
  readonly chunkId?: string;
  readonly status: string;
  readonly startDate?: Date;
  readonly stopDate?: Date;
}

/** What `status`, `logs` and the timeline need to know about an execution of either pipeline. */
export interface ExecutionView {
  readonly executionArn: string;
  readonly status: string;
  readonly startDate?: Date;
  readonly stopDate?: Date;
  readonly error?: string;
  readonly cause?: string;
  readonly pipeline?: keyof typeof PLAN_STATES;
  /** The run id and window the plan Lambda made, once it has run. */
  readonly runId?: string;
  readonly window?: { readonly start: string; readonly end: string };
  /** The backfill plan Lambda's output. */
  readonly plan?: PlanState;
  readonly clusterId?: string;
  /** The state most recently entered in the run's own history. */
  readonly currentState?: string;
  /** Chunk iterations of the Bronze Map, once it started. */
  readonly chunks?: { total: number; succeeded: number; running: number; pending: number; failed: number };
  /** The iterations themselves, when the reader was asked for them (the timeline draws them). */
  readonly chunkExecutions?: readonly ChunkExecution[];
  /** The run's own history, oldest first. */
  readonly events?: readonly HistoryEvent[];
}

export interface ExecutionReader {
  read(executionArn: string, options?: { chunkExecutions?: boolean }): Promise<ExecutionView>;
}

/** Reads the execution, its whole history (all pages) and its Map run from Step Functions. */
export class SfnExecutionReader implements ExecutionReader {
  constructor(private readonly sfn: SFNClient) {}

  async read(executionArn: string, options: { chunkExecutions?: boolean } = {}): Promise<ExecutionView> {
    const described = await this.sfn.send(new DescribeExecutionCommand({ executionArn }));
    const events = await this.history(executionArn);
    const exited = (name: string) => events.find((e) => e.stateExitedEventDetails?.name === name)?.stateExitedEventDetails?.output;
    const pipeline = (Object.keys(PLAN_STATES) as (keyof typeof PLAN_STATES)[]).find((p) => exited(PLAN_STATES[p]) !== undefined);
    const planned = pipeline ? (JSON.parse(exited(PLAN_STATES[pipeline])!) as { plan?: { runId?: string; window?: { start: string; end: string } } }).plan : undefined;
    const clusterOutput = exited('Create cluster');
    const entered = events.filter((e) => e.stateEnteredEventDetails?.name).pop()?.stateEnteredEventDetails?.name;
    const mapRunArn = events.find((e) => e.mapRunStartedEventDetails?.mapRunArn)?.mapRunStartedEventDetails?.mapRunArn;
    let chunks: ExecutionView['chunks'];
    let chunkExecutions: ChunkExecution[] | undefined;
    if (mapRunArn) {
      const run = await this.sfn.send(new DescribeMapRunCommand({ mapRunArn }));
      const c = run.itemCounts;
      chunks = { total: c?.total ?? 0, succeeded: c?.succeeded ?? 0, running: c?.running ?? 0, pending: c?.pending ?? 0, failed: c?.failed ?? 0 };
      if (options.chunkExecutions) chunkExecutions = await this.chunkExecutions(mapRunArn);
    }
    return {
      executionArn,
      status: described.status ?? 'UNKNOWN',
      startDate: described.startDate,
      stopDate: described.stopDate,
      error: described.error,
      cause: described.cause,
      pipeline,
      runId: planned?.runId,
      window: planned?.window,
      plan: pipeline === 'backfill' ? (planned as PlanState | undefined) : undefined,
      clusterId: clusterOutput ? (JSON.parse(clusterOutput) as { cluster?: { ClusterId?: string } }).cluster?.ClusterId : undefined,
      currentState: entered,
      chunks,
      chunkExecutions,
      events,
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

  /** The map run's iterations with the chunk each ran: one DescribeExecution per chunk, for the timeline only. */
  private async chunkExecutions(mapRunArn: string): Promise<ChunkExecution[]> {
    const chunks: ChunkExecution[] = [];
    for (const item of await this.mapRunExecutions(mapRunArn)) {
      const described = item.executionArn ? await this.sfn.send(new DescribeExecutionCommand({ executionArn: item.executionArn })) : undefined;
      chunks.push({ ...toChunkExecution(item), chunkId: chunkIdOf(described?.input) });
    }
    return chunks;
  }

  private async mapRunExecutions(mapRunArn: string): Promise<ExecutionListItem[]> {
    const items: ExecutionListItem[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.sfn.send(new ListExecutionsCommand({ mapRunArn, nextToken }));
      items.push(...(page.executions ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    return items;
  }
}

function toChunkExecution(item: ExecutionListItem): ChunkExecution {
  return { name: item.name ?? '', status: item.status ?? 'UNKNOWN', startDate: item.startDate, stopDate: item.stopDate };
}

function chunkIdOf(input: string | undefined): string | undefined {
  try {
    const parsed = JSON.parse(input ?? 'null') as { chunkId?: unknown } | null;
    return typeof parsed?.chunkId === 'string' ? parsed.chunkId : undefined;
  } catch {
    return undefined;
  }
}

/** `s3://bucket/key` → its parts (core/layout.ts), for URIs the pipeline itself wrote. */
export function requireS3Uri(uri: string): { bucket: string; key: string } {
  const parsed = parseS3Uri(uri);
  if (parsed === undefined) throw new Error(`not an s3:// URI: ${uri}`);
  return parsed;
}
