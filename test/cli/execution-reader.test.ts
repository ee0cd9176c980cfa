import { DescribeExecutionCommand, DescribeMapRunCommand, GetExecutionHistoryCommand, type HistoryEvent, type SFNClient } from '@aws-sdk/client-sfn';
import { SfnExecutionReader } from '../../bin/cli/execution';

const ARN = 'arn:aws:states:us-east-1:123456789012:execution:BackfillStateMachine:cli-1';
const plan = { runId: 'backfill-20251020T1234Z-1a2b3c4d', window: { start: '2024-01-01', end: '2024-03-31' }, chunkCount: 3, planUri: 's3://lake/runs/backfill/x/plan.json' };

function event(id: number, fields: Partial<HistoryEvent>): HistoryEvent {
  return { id, timestamp: new Date('2025-10-20T12:35:00Z'), type: 'PassStateEntered', ...fields } as HistoryEvent;
}

/** Step Functions answering from a fixed history split over two pages, as GetExecutionHistory pages it. */
function sfnWith(pages: HistoryEvent[][]): { client: SFNClient; tokens: (string | undefined)[] } {
  const tokens: (string | undefined)[] = [];
  const send = async (command: unknown) => {
    if (command instanceof DescribeExecutionCommand) return { status: 'RUNNING', startDate: new Date('2025-10-20T12:34:56Z') };
    if (command instanceof GetExecutionHistoryCommand) {
      const token = command.input.nextToken;
      tokens.push(token);
      const index = token === undefined ? 0 : Number(token);
      return { events: pages[index], nextToken: index + 1 < pages.length ? String(index + 1) : undefined };
    }
    if (command instanceof DescribeMapRunCommand) {
      return { itemCounts: { total: 3, succeeded: 1, running: 2, pending: 0, failed: 0 } };
    }
    throw new Error(`unexpected ${String(command)}`);
  };
  return { client: { send } as unknown as SFNClient, tokens };
}

describe('reading a backfill execution from Step Functions', () => {
  test('reads every history page and finds the plan, the cluster, the current state and the Map run counts', async () => {
    const { client, tokens } = sfnWith([
      [
        event(1, { type: 'TaskStateExited', stateExitedEventDetails: { name: 'Plan backfill', output: JSON.stringify({ plan }) } }),
        event(2, { type: 'TaskStateExited', stateExitedEventDetails: { name: 'Create cluster', output: JSON.stringify({ plan, cluster: { ClusterId: 'j-ABC' } }) } }),
      ],
      [
        event(3, { type: 'MapStateEntered', stateEnteredEventDetails: { name: 'Bronze chunks' } }),
        event(4, { type: 'MapRunStarted', mapRunStartedEventDetails: { mapRunArn: 'arn:aws:states:us-east-1:123456789012:mapRun:x/y:z' } }),
      ],
    ]);
    const view = await new SfnExecutionReader(client).read(ARN);
    expect(tokens).toEqual([undefined, '1']);
    expect(view).toMatchObject({
      executionArn: ARN,
      status: 'RUNNING',
      startDate: new Date('2025-10-20T12:34:56Z'),
      pipeline: 'backfill',
      runId: plan.runId,
      window: plan.window,
      plan,
      clusterId: 'j-ABC',
      currentState: 'Bronze chunks',
      chunks: { total: 3, succeeded: 1, running: 2, pending: 0, failed: 0 },
    });
    expect(view.events?.map((e) => e.id)).toEqual([1, 2, 3, 4]);
  });

  test("an hourly execution: the pipeline, run id and window come from the hourly plan state's output", async () => {
    const hourlyPlan = { runId: 'hourly-20251020T1200Z-1a2b3c4d', window: { start: '2025-10-20T08:00:00Z', end: '2025-10-20T12:00:00Z' } };
    const { client } = sfnWith([[event(1, { type: 'TaskStateExited', stateExitedEventDetails: { name: 'Plan hourly run', output: JSON.stringify({ plan: hourlyPlan }) } })]]);
    const view = await new SfnExecutionReader(client).read(ARN);
    expect(view).toMatchObject({ pipeline: 'hourly', runId: hourlyPlan.runId, window: hourlyPlan.window, plan: undefined });
  });

  test('before the plan has run there is no plan, cluster or chunk count', async () => {
    const { client } = sfnWith([[event(1, { type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'Plan backfill' } })]]);
    const view = await new SfnExecutionReader(client).read(ARN);
    expect(view).toMatchObject({ plan: undefined, clusterId: undefined, chunks: undefined, currentState: 'Plan backfill' });
  });
});
