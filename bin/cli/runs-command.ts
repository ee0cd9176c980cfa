import { DescribeExecutionCommand, ListExecutionsCommand, ListStateMachinesCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { CliError } from './errors';
import { elapsedSeconds, formatDuration } from './run-status';

export type Pipeline = 'hourly' | 'backfill';

/** One recent execution, as `runs list` shows it. */
export interface RunSummary {
  readonly pipeline: Pipeline;
  readonly executionArn: string;
  readonly name: string;
  readonly status: string;
  readonly window: { readonly start: string; readonly end: string } | null;
  readonly startDate: string | null;
  readonly stopDate: string | null;
  readonly durationSeconds: number | null;
}

/**
 * The pipeline's state machines in the region: CDK names them after their construct paths
 * (`HourlyStateMachine…`, `BackfillStateMachine…`). Each pipeline must have exactly one.
 */
export async function findPipelineStateMachines(sfn: SFNClient): Promise<Record<Pipeline, string>> {
  const found: Record<Pipeline, string[]> = { hourly: [], backfill: [] };
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new ListStateMachinesCommand({ nextToken }));
    for (const machine of page.stateMachines ?? []) {
      for (const pipeline of ['hourly', 'backfill'] as const) {
        if (new RegExp(pipeline, 'i').test(machine.name ?? '') && machine.stateMachineArn) found[pipeline].push(machine.stateMachineArn);
      }
    }
    nextToken = page.nextToken;
  } while (nextToken);
  for (const pipeline of ['hourly', 'backfill'] as const) {
    if (found[pipeline].length !== 1) {
      throw new CliError(
        found[pipeline].length === 0
          ? `No ${pipeline} state machine found in this region: is the pipeline stack deployed here? Check --region/--profile.`
          : `Several ${pipeline} state machines found in this region (${found[pipeline].join(', ')}); runs list reads one deployment per region.`,
      );
    }
  }
  return { hourly: found.hourly[0], backfill: found.backfill[0] };
}

/** The most recent executions of both pipelines, newest first, with the window each covers. */
export async function listRuns(sfn: SFNClient, machines: Record<Pipeline, string>, maxItems: number, now: Date): Promise<RunSummary[]> {
  const runs: RunSummary[] = [];
  for (const pipeline of ['hourly', 'backfill'] as const) {
    const page = await sfn.send(new ListExecutionsCommand({ stateMachineArn: machines[pipeline], maxResults: maxItems }));
    for (const item of page.executions ?? []) {
      const described = await sfn.send(new DescribeExecutionCommand({ executionArn: item.executionArn }));
      runs.push({
        pipeline,
        executionArn: item.executionArn ?? '',
        name: item.name ?? '',
        status: item.status ?? 'UNKNOWN',
        window: windowOf(pipeline, described.input, described.output),
        startDate: item.startDate?.toISOString() ?? null,
        stopDate: item.stopDate?.toISOString() ?? null,
        durationSeconds: elapsedSeconds({ executionArn: '', status: '', startDate: item.startDate, stopDate: item.stopDate }, now),
      });
    }
  }
  return runs.sort((a, b) => (b.startDate ?? '').localeCompare(a.startDate ?? '')).slice(0, maxItems);
}

/**
 * The window a run covers: the plan's, when the execution's output carries it; else what the input
 * asked for (a backfill's `startDate`..`endDate`, an hourly run's `windowEnd`), else unknown.
 */
function windowOf(pipeline: Pipeline, input: string | undefined, output: string | undefined): RunSummary['window'] {
  const parse = (text: string | undefined): Record<string, unknown> => {
    try {
      const value: unknown = text ? JSON.parse(text) : {};
      return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  };
  const out = parse(output);
  const planned = (out.plan as { window?: RunSummary['window'] } | undefined)?.window ?? (out.window as RunSummary['window'] | undefined);
  if (planned?.start && planned.end) return { start: planned.start, end: planned.end };
  const given = parse(input);
  if (pipeline === 'backfill' && typeof given.startDate === 'string' && typeof given.endDate === 'string') return { start: given.startDate, end: given.endDate };
  if (pipeline === 'hourly' && typeof given.windowEnd === 'string') return { start: '?', end: given.windowEnd };
  return null;
}

export function describeRuns(runs: readonly RunSummary[]): string {
  if (runs.length === 0) return 'No runs yet.';
  const rows = runs.map((r) => [
    r.pipeline,
    r.status,
    r.window ? `${r.window.start} .. ${r.window.end}` : '-',
    r.startDate ? r.startDate.replace('.000Z', 'Z') : '-',
    formatDuration(r.durationSeconds),
    r.name,
  ]);
  const header = ['PIPELINE', 'STATUS', 'WINDOW', 'STARTED', 'DURATION', 'EXECUTION'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  return [header, ...rows].map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ')).join('\n');
}
