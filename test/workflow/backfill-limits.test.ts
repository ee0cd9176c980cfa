import { finalizeBackfill } from '../../lambdas/backfill-finalize/core';
import { fanIn } from '../../lambdas/fan-in/core';
import { planBackfillRun } from '../../lambdas/plan-backfill/core';
import { silentLogger } from '../support/silent-logger';
import { MemoryClusterUsage, MemoryMetrics, MemoryObjectStore, TEST_PRICES } from './support/memory-ports';
import { backfillDefinitionOf, synthBackfill } from './backfill-harness';

/** Step Functions quotas for a Standard execution (Step Functions developer guide, "Quotas"). */
const MAX_HISTORY_EVENTS = 25_000;
const MAX_PAYLOAD_BYTES = 256 * 1024;
const MAX_FAIL_CAUSE_CHARS = 32_768;

type State = Record<string, unknown> & {
  Type: string;
  Resource?: string;
  Next?: string;
  End?: boolean;
  Default?: string;
  Choices?: { Next: string }[];
  Catch?: { Next: string }[];
  Retry?: { MaxAttempts?: number }[];
  ItemProcessor?: { StartAt: string; States: Record<string, State>; ProcessorConfig?: { Mode?: string } };
};
type Machine = { StartAt: string; States: Record<string, State> };

/**
 * History events a state writes on one visit, with every retry it allows taken (the worst case).
 * From the Step Functions history event types: a Task writes Entered, Scheduled, Started,
 * Succeeded|Failed and Exited, plus Submitted for `.sync`; each retry writes Scheduled, Started,
 * (Submitted,) Failed again. A Distributed Map writes Entered, Started, MapRunStarted,
 * MapRunSucceeded|Failed, Succeeded|Failed and Exited in the parent; its iterations are child
 * executions with histories of their own. Pass, Choice, Succeed and Fail write Entered and Exited.
 */
function eventsOfVisit(state: State): number {
  if (state.Type === 'Task') {
    const sync = state.Resource?.endsWith('.sync') ? 1 : 0;
    const attempt = 3 + sync;
    const retries = (state.Retry ?? []).reduce((sum, r) => sum + (r.MaxAttempts ?? 3), 0);
    return 2 + attempt + retries * attempt;
  }
  if (state.Type === 'Map') return 6;
  return 2;
}

/** The most events any path through the machine can write, from StartAt to an end, catches included. */
function worstCaseEvents(machine: Machine): number {
  const memo = new Map<string, number>();
  const walk = (name: string, visiting: Set<string>): number => {
    if (memo.has(name)) return memo.get(name)!;
    if (visiting.has(name)) throw new Error(`the definition loops through ${name}: no finite worst case`);
    const state = machine.States[name];
    const nexts = [state.Next, state.Default, ...(state.Choices ?? []).map((c) => c.Next), ...(state.Catch ?? []).map((c) => c.Next)].filter(
      (n): n is string => n !== undefined,
    );
    const after = Math.max(0, ...nexts.map((n) => walk(n, new Set([...visiting, name]))));
    const total = eventsOfVisit(state) + after;
    memo.set(name, total);
    return total;
  };
  // ExecutionStarted and ExecutionSucceeded|Failed.
  return 2 + walk(machine.StartAt, new Set());
}

function allStates(machine: Machine): [string, State][] {
  return Object.entries(machine.States).flatMap(([name, state]) => [
    [name, state] as [string, State],
    ...(state.ItemProcessor ? allStates(state.ItemProcessor) : []),
  ]);
}

describe('the backfill definition stays inside the Step Functions limits at the maximum range', () => {
  const definition = backfillDefinitionOf(synthBackfill().template) as unknown as Machine;
  const map = definition.States['Bronze chunks'];

  test('the chunk Map is a Distributed Map: its iterations are child executions, not events in the run’s history', () => {
    expect(map.ItemProcessor?.ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' });
    expect(map.ResultPath).toBeNull();
    expect(map.ItemReader).toBeUndefined();
  });

  test('the run’s own history stays under 25,000 events on its longest path, whatever the chunk count', () => {
    const events = worstCaseEvents(definition);
    expect(events).toBe(333);
    expect(events).toBeLessThan(MAX_HISTORY_EVENTS);
  });

  test('each chunk’s child execution stays under 25,000 events with every retry taken', () => {
    const events = worstCaseEvents(map.ItemProcessor!);
    // Bronze chunk: 6 + (5 throttling + 1 failed-step retries) × 4; cancelling it after a timeout and
    // recording it: 5 + 6 Lambda retries × 3 each; plus start and end.
    expect(events).toBe(78);
    expect(events).toBeLessThan(MAX_HISTORY_EVENTS);
  });

  test('an inline Map would not have fitted: three years of daily chunks would write more than 25,000 events', () => {
    // Inline, an iteration trades ExecutionStarted/Succeeded for MapIterationStarted/Succeeded: same count.
    const perIteration = worstCaseEvents(map.ItemProcessor!);
    expect(1096 * perIteration).toBeGreaterThan(MAX_HISTORY_EVENTS);
  });

  test('every Task has a TimeoutSeconds; no JSONata, Assign or ItemReader anywhere', () => {
    const states = allStates(definition);
    expect(states.filter(([, s]) => s.Type === 'Task' && typeof s.TimeoutSeconds !== 'number').map(([n]) => n)).toEqual([]);
    expect(JSON.stringify(definition)).not.toMatch(/"(QueryLanguage|Assign|ItemReader|Arguments|Output)"/);
  });

  test('the largest state (three years of daily chunks, every one failed) stays under 256 KB, and the failure cause under 32,768 characters', async () => {
    // GIVEN the real Lambda cores planning and fanning in the maximum range with no chunk result at all
    const store = new MemoryObjectStore();
    store.objects.set('aqi-artifacts/config/locations.json', JSON.stringify([{ id: 2178, name: 'Del Norte', timezone: 'America/Denver' }]));
    const input = { startDate: '2022-01-01', endDate: '2024-12-31', chunk: 'day', maxConcurrency: 16 };
    const deps = {
      store,
      lakeBucket: 'aqi-lake',
      emrLogUri: 's3://aqi-logs/emr/',
      now: () => new Date('2025-01-02T00:00:00Z'),
      usage: new MemoryClusterUsage(),
      prices: TEST_PRICES,
      log: silentLogger,
      metrics: { sink: new MemoryMetrics(), namespace: 'AqiPipeline' },
    };
    const plan = await planBackfillRun(
      { input, executionArn: 'arn:aws:states:us-east-1:111122223333:execution:Backfill:max', executionStartTime: '2025-01-01T00:00:00.000Z' },
      { ...deps, artifactsBucket: 'aqi-artifacts', limits: { maxRangeDays: 1096, defaultMaxConcurrency: 4, maxConcurrencyLimit: 16 }, coreInstanceCount: 2,
        timeouts: { bronzeSeconds: 3600, silverSeconds: 3600, goldSeconds: 1800, failedStepRetries: 1 } },
    );
    const fanned = await fanIn({ runId: plan.runId, clusterId: 'j-1ABCDEFGHIJKL' }, deps);
    const steps = { silver: { StepId: 's-0123456789ABCDEFGHIJ' }, gold: { StepId: 's-0123456789ABCDEFGHIK' } };
    const outcome = await finalizeBackfill(
      { pipeline: 'backfill', outcome: 'SUCCEEDED', executionArn: 'arn', executionStartTime: '2025-01-01T00:00:00.000Z', plan: { runId: plan.runId }, clusterId: 'j-1ABCDEFGHIJKL', steps, error: null },
      deps,
    );
    expect(plan.chunkCount).toBe(1096);
    expect(fanned.failedChunks).toHaveLength(1096);

    // WHEN each output sits where the definition's ResultPath puts it
    const state: Record<string, unknown> = { ...input, steps, cluster: { ClusterId: 'j-1ABCDEFGHIJKL' } };
    const put = (stateName: string, value: unknown) => (state[String(definition.States[stateName].ResultPath).replace('$.', '')] = value);
    put('Plan backfill', plan);
    put('Fan in', fanned);
    put('Finalize', outcome);

    // THEN
    const bytes = Buffer.byteLength(JSON.stringify(state), 'utf8');
    expect(bytes).toBeLessThan(MAX_PAYLOAD_BYTES);
    expect(outcome.cause.length).toBeLessThan(MAX_FAIL_CAUSE_CHARS);
    const iterationInput = {
      chunkId: plan.chunkIds[0], start: '2022-01-01', end: '2022-01-01', runId: plan.runId, clusterId: 'j-1ABCDEFGHIJKL',
      locationsUri: plan.locationsUri, executorsPerStep: plan.cluster.executorsPerStep,
    };
    expect(Object.keys(map.ItemSelector as object).map((k) => k.replace(/\.\$$/, '')).sort()).toEqual(Object.keys(iterationInput).sort());
    expect(Buffer.byteLength(JSON.stringify(iterationInput))).toBeLessThan(300);
  });
});
