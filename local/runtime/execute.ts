/**
 * Runs one execution of a synthesized state machine with aws-local-stepfunctions, every Task bound to
 * its local twin. What Step Functions does around an execution is done here too: the context object,
 * the execution-level outcome (SUCCEEDED, FAILED, ABORTED, TIMED_OUT) and the EventBridge "Execution
 * Status Change" event, delivered to the rule targets the app declares (the janitor).
 */
import { randomUUID } from 'node:crypto';
import { StateMachine } from 'aws-local-stepfunctions';
import { type AslDefinition, forLocalInterpreter } from '../definition';
import { installPromiseWithResolvers } from '../polyfills';
import { LocalServices } from './local-lambdas';
import { LocalFunction, bindTasks } from './task-handlers';
import { lambdaLogger, LOCAL_LAMBDAS } from './local-lambdas';
import { sleep } from './process-tree';

installPromiseWithResolvers();

export type ExecutionStatus = 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';

export interface ExecutionOutcome {
  executionArn: string;
  status: ExecutionStatus;
  output?: unknown;
  error?: string;
  cause?: string;
  startedAt: string;
  stoppedAt: string;
  /** What the status-change targets (the janitor) returned, for FAILED, ABORTED and TIMED_OUT. */
  statusChangeResults: unknown[];
}

export interface ExecutionEventSink {
  /** Every aws-local-stepfunctions event (StateEntered, MapIterationStarted, ...), as it happens. */
  event?(event: { type: string; state?: { name: string }; index?: number; Error?: string; Cause?: unknown }): void;
  notify?(subject: string, message: string): void;
}

export interface StartExecutionRequest {
  definition: AslDefinition;
  stateMachineArn: string;
  input: unknown;
  /** @default - a random UUID, as StartExecution */
  name?: string;
  services: LocalServices;
  resolveFunction(functionNameOrArn: string): LocalFunction;
  /** The functions EventBridge rules send this machine's status change to, given the final status. */
  statusChangeTargets(status: ExecutionStatus): LocalFunction[];
  sink?: ExecutionEventSink;
  /** Starts an execution of another state machine (a `states:startExecution` task). */
  startChild?(stateMachineArn: string, input: unknown, name: string | undefined): RunningExecution;
  /**
   * The pause before every retry, in place of the definition's `IntervalSeconds` and back-off. Every
   * retry still happens, as often as the definition says. @default - the definition's own intervals
   */
  retryIntervalMs?: number;
}

export interface RunningExecution {
  executionArn: string;
  /** StopExecution: the execution ends ABORTED, its running steps are killed, its Catch does not run. */
  abort(): void;
  outcome: Promise<ExecutionOutcome>;
}

export function startExecution(request: StartExecutionRequest): RunningExecution {
  const name = request.name ?? randomUUID();
  const executionArn = request.stateMachineArn.replace(':stateMachine:', ':execution:') + `:${name}`;
  const controller = new AbortController();
  const inFlight = new Set<Promise<unknown>>();
  const handlers = bindTasks(request.definition, {
    resolveFunction: request.resolveFunction,
    services: request.services,
    executionSignal: controller.signal,
    loggerFor: (fn) => lambdaLogger(request.services.workspace, fn),
    notify: (subject, message) => request.sink?.notify?.(subject, message),
    startExecution: request.startChild
      ? (arn, input, name) => {
          const child = (request.startChild as NonNullable<StartExecutionRequest['startChild']>)(arn, input, name);
          return { executionArn: child.executionArn, startDate: new Date().toISOString() };
        }
      : undefined,
  });
  // Track each task's promise so the execution only reports its end once every task has stopped.
  const tracked = Object.fromEntries(
    Object.entries(handlers).map(([state, handler]) => [
      state,
      (input: Parameters<typeof handler>[0]) => {
        const promise = handler(input);
        inFlight.add(promise);
        void promise.catch(() => undefined).finally(() => inFlight.delete(promise));
        return promise;
      },
    ]),
  );
  const machine = new StateMachine(forLocalInterpreter(request.definition) as never, { validationOptions: { checkArn: false } });
  const startedAt = new Date().toISOString();
  const execution = machine.run(request.input as never, {
    overrides: {
      taskResourceLocalHandlers: tracked as never,
      ...(request.retryIntervalMs !== undefined && { retryIntervalOverrides: retryIntervals(request.definition, request.retryIntervalMs) }),
    },
    context: {
      Execution: { Id: executionArn, Name: name, RoleArn: 'arn:aws:iam::000000000000:role/local' },
      StateMachine: { Id: request.stateMachineArn, Name: request.stateMachineArn.split(':').pop() },
    },
  });
  void (async () => {
    for await (const event of execution.eventLogs) request.sink?.event?.(event as never);
  })();

  const outcome = (async (): Promise<ExecutionOutcome> => {
    let status: ExecutionStatus = 'SUCCEEDED';
    let output: unknown;
    let error: string | undefined;
    let cause: string | undefined;
    try {
      output = await execution.result;
    } catch (thrown) {
      const e = thrown as Error & { cause?: Error };
      if (e.name === 'ExecutionAbortedError') status = 'ABORTED';
      else if (e.name === 'ExecutionTimeoutError') status = 'TIMED_OUT';
      else {
        status = 'FAILED';
        const original = e.name === 'ExecutionError' && e.cause ? e.cause : e;
        error = original.name;
        cause = original.message;
      }
    }
    // Whatever is still running belongs to a stopped execution (abort, timeout, a failed Map iteration).
    controller.abort();
    while (inFlight.size > 0) await Promise.allSettled([...inFlight]).then(() => sleep(10));
    const statusChangeResults: unknown[] = [];
    if (status !== 'SUCCEEDED') {
      const event = statusChangeEvent(executionArn, request.stateMachineArn, status, startedAt);
      for (const target of request.statusChangeTargets(status)) {
        const local = LOCAL_LAMBDAS[target.name];
        if (!local) continue;
        statusChangeResults.push(await local(event, target.environment, request.services, lambdaLogger(request.services.workspace, target.name)));
      }
    }
    return { executionArn, status, output, error, cause, startedAt, stoppedAt: new Date().toISOString(), statusChangeResults };
  })();

  return {
    executionArn,
    abort: () => {
      controller.abort();
      execution.abort();
    },
    outcome,
  };
}

/** The EventBridge event Step Functions emits when an execution stops other than by succeeding. */
export function statusChangeEvent(executionArn: string, stateMachineArn: string, status: ExecutionStatus, startedAt: string) {
  const [, partition, , region, account] = executionArn.split(':');
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account,
    time: new Date().toISOString(),
    region,
    resources: [executionArn],
    detail: {
      executionArn,
      stateMachineArn,
      name: executionArn.split(':').pop(),
      status,
      startDate: Date.parse(startedAt),
      stopDate: Date.now(),
      partition,
    },
  };
}

/** `ms` for every state with a `Retry`, nested ones (Map, Parallel) included, keyed by state name. */
export function retryIntervals(machine: AslDefinition, ms: number): Record<string, number> {
  const found: Record<string, number> = {};
  for (const [name, state] of Object.entries(machine.States)) {
    if (Array.isArray(state.Retry)) found[name] = ms;
    for (const inner of [state.ItemProcessor, state.Iterator, ...(state.Branches ?? [])]) {
      if (inner) Object.assign(found, retryIntervals(inner, ms));
    }
  }
  return found;
}
