import { ExecutionError, StateMachine } from 'aws-local-stepfunctions';
import { type AslDefinition, forLocalInterpreter } from '../../../local/definition';
import { retryIntervals } from '../../../local/runtime/execute';

type JSONValue = Parameters<StateMachine['run']>[0];
export type TaskHandler = (input: JSONValue) => Promise<JSONValue> | JSONValue;

export interface ExecutionOutcome {
  status: 'SUCCEEDED' | 'FAILED';
  output: unknown;
  error: string | undefined;
  cause: string | undefined;
  /** State names in the order they were entered. */
  entered: string[];
}

/** An error the way Step Functions reports a failed task: `Error` is the name, `Cause` the message. */
export function taskError(name: string, cause: string): Error {
  const error = new Error(cause);
  error.name = name;
  return error;
}

/**
 * Runs a definition with the aws-local-stepfunctions interpreter, every Task state answered by
 * `handlers` (keyed by state name; a Task without a handler fails the test instead of calling AWS).
 */
export async function execute(
  definition: AslDefinition,
  input: unknown,
  handlers: Record<string, TaskHandler>,
  context: { executionArn: string; startTime: string },
): Promise<ExecutionOutcome> {
  const guarded: Record<string, TaskHandler> = {};
  for (const [name, state] of Object.entries(definition.States)) {
    if (state.Type !== 'Task') continue;
    guarded[name] =
      handlers[name] ??
      (() => {
        throw new Error(`test has no handler for Task state "${name}"`);
      });
  }
  // Retry back-off is compressed to 0 ms: the tests check which retries happen, not how long they wait.
  const noRetryWait = retryIntervals(definition, 0);
  const machine = new StateMachine(forLocalInterpreter(definition) as never, { validationOptions: { checkArn: false } });
  const run = machine.run(input as JSONValue, {
    overrides: { taskResourceLocalHandlers: guarded, retryIntervalOverrides: noRetryWait },
    context: { Execution: { Id: context.executionArn, StartTime: context.startTime, Input: input as JSONValue } },
  });
  const entered: string[] = [];
  const collecting = (async () => {
    for await (const event of run.eventLogs) {
      if (event.type === 'StateEntered') entered.push(event.state.name);
    }
  })();
  try {
    const output = await run.result;
    await collecting;
    return { status: 'SUCCEEDED', output, error: undefined, cause: undefined, entered };
  } catch (error) {
    await collecting;
    if (!(error instanceof ExecutionError)) throw error;
    const failure = error.cause as { name?: string; message?: string };
    return { status: 'FAILED', output: undefined, error: failure.name, cause: failure.message, entered };
  }
}

/**
 * The part of a definition reachable from `startAt`, as a definition of its own: lets a test enter a
 * workflow mid-way (e.g. the teardown tail) with a hand-made state while the interpreter still
 * validates the graph.
 */
export function fromState(definition: AslDefinition, startAt: string): AslDefinition {
  const states: AslDefinition['States'] = {};
  const pending = [startAt];
  while (pending.length > 0) {
    const name = pending.pop() as string;
    if (name in states) continue;
    const state = definition.States[name];
    if (state === undefined) throw new Error(`no state "${name}" in the definition`);
    states[name] = state;
    const targets = [
      state.Next,
      state.Default,
      ...((state.Choices as { Next: string }[] | undefined) ?? []).map((c) => c.Next),
      ...((state.Catch as { Next: string }[] | undefined) ?? []).map((c) => c.Next),
    ];
    for (const target of targets) if (typeof target === 'string') pending.push(target);
  }
  return { ...definition, StartAt: startAt, States: states };
}
