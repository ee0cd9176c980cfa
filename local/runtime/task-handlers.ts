/**
 * Binds every Task state of a definition to a local handler by its `Resource`, the way Step Functions
 * binds it to a service: Lambda invoke → the real core in-process; EMR → the local EMR; DynamoDB → the
 * local tables; SNS → the console. A resource with no local twin fails before the execution starts.
 *
 * Each handler enforces its state's `TimeoutSeconds` itself: the interpreter stops waiting at the timeout
 * but never stops the work, so the handler's abort signal kills what it started (a spark-submit tree).
 */
import type { Logger } from '../../core/ports';
import type { AslDefinition, AslState } from '../definition';
import { LOCAL_LAMBDAS, LocalServices } from './local-lambdas';

/** A function the definition invokes, as the template declares it. */
export interface LocalFunction {
  /** Folder under `lambdas/` whose core runs locally. */
  name: string;
  environment: Record<string, string>;
}

export interface TaskBindings {
  resolveFunction(functionNameOrArn: string): LocalFunction;
  services: LocalServices;
  /** Aborted when the execution is aborted: every in-flight task kills what it started. */
  executionSignal: AbortSignal;
  loggerFor(functionName: string): Logger;
  notify(subject: string, message: string): void;
  /** StartExecution of another state machine of the app (not waited for, as the REQUEST_RESPONSE integration). */
  startExecution?(stateMachineArn: string, input: unknown, name: string | undefined): { executionArn: string; startDate: string };
  /** Seen by the progress display: a task began or ended. */
  onTask?(stateName: string, phase: 'start' | 'end', input: unknown): void;
}

/** What the interpreter's default is when a Task sets no timeout (aws-local-stepfunctions). */
const INTERPRETER_DEFAULT_TIMEOUT_SECONDS = 60;

/** How long after the interpreter reports States.Timeout the timed-out task's work is killed. */
const KILL_AFTER_TIMEOUT_MS = 200;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Handler = (input: Json) => Promise<Json>;

/** Every Task state, nested Map and Parallel states included (state names are unique per machine). */
export function taskStates(machine: AslDefinition): [string, AslState][] {
  const found: [string, AslState][] = [];
  for (const [name, state] of Object.entries(machine.States)) {
    if (state.Type === 'Task') found.push([name, state]);
    for (const inner of [state.ItemProcessor, state.Iterator, ...(state.Branches ?? [])]) {
      if (inner) found.push(...taskStates(inner));
    }
  }
  return found;
}

export class UnsupportedResource extends Error {
  override readonly name = 'UnsupportedResource';
}

export function bindTasks(machine: AslDefinition, bindings: TaskBindings): Record<string, Handler> {
  const handlers: Record<string, Handler> = {};
  for (const [name, state] of taskStates(machine)) {
    const run = serviceHandler(name, state, bindings);
    handlers[name] = (input) => withTimeout(name, state, input, bindings, run);
  }
  return handlers;
}

async function withTimeout(
  name: string,
  state: AslState,
  input: Json,
  bindings: TaskBindings,
  run: (input: Json, signal: AbortSignal) => Promise<Json>,
): Promise<Json> {
  const controller = new AbortController();
  const seconds = timeoutSeconds(state, input);
  // The interpreter owns the timeout: it fails the state with States.Timeout, and this timer only kills
  // the work after it. The interpreter arms its own timer right after calling this handler, so arming
  // ours a microtask later, and a little longer, guarantees the interpreter's fires first; armed first
  // and equally long, ours could win under load and the step would fail as a cancelled States.TaskFailed.
  let timer: NodeJS.Timeout | undefined;
  let settled = false;
  queueMicrotask(() => {
    if (settled) return;
    timer = setTimeout(() => controller.abort(new Error(`${name} timed out after ${seconds}s`)), seconds * 1000 + KILL_AFTER_TIMEOUT_MS);
  });
  const onExecutionAbort = () => controller.abort(new Error('execution aborted'));
  bindings.executionSignal.addEventListener('abort', onExecutionAbort, { once: true });
  if (bindings.executionSignal.aborted) onExecutionAbort();
  bindings.onTask?.(name, 'start', input);
  try {
    return await run(input, controller.signal);
  } finally {
    settled = true;
    clearTimeout(timer);
    bindings.executionSignal.removeEventListener('abort', onExecutionAbort);
    bindings.onTask?.(name, 'end', input);
  }
}

function timeoutSeconds(state: AslState, input: Json): number {
  if (state.TimeoutSeconds) return state.TimeoutSeconds;
  if (state.TimeoutSecondsPath) {
    // The interpreter evaluates the path on the task's effective input; a plain `$.a.b` is all CDK emits.
    let value: unknown = input;
    for (const part of state.TimeoutSecondsPath.replace(/^\$\.?/, '').split('.').filter(Boolean)) {
      value = (value as Record<string, unknown> | null)?.[part];
    }
    if (typeof value === 'number' && value >= 1) return value;
  }
  return INTERPRETER_DEFAULT_TIMEOUT_SECONDS;
}

const SERVICE_RESOURCE = /^arn:aws[a-z-]*:states:::([a-z0-9-]+):([A-Za-z]+)(\.sync|\.waitForTaskToken)?(?::\d+)?$/;
const LAMBDA_ARN = /^arn:aws[a-z-]*:lambda:[^:]*:[^:]*:function:.+$/;

function serviceHandler(name: string, state: AslState, bindings: TaskBindings): (input: Json, signal: AbortSignal) => Promise<Json> {
  const resource = state.Resource ?? '';
  if (LAMBDA_ARN.test(resource)) {
    return async (input) => invokeLambda(resource, input, bindings);
  }
  const match = SERVICE_RESOURCE.exec(resource);
  if (!match) throw new UnsupportedResource(`state '${name}': resource '${resource}' has no local twin`);
  const [, service, action, pattern] = match;
  const { emr, db } = bindings.services;
  const asJson = (value: unknown) => value as Json;
  const params = (input: Json) => input as Record<string, unknown>;
  switch (`${service}:${action}${pattern ?? ''}`) {
    case 'lambda:invoke':
      return async (input) => {
        const payload = await invokeLambda(String(params(input).FunctionName), params(input).Payload as Json, bindings);
        // The Lambda integration's envelope; `payloadResponseOnly` definitions use the bare ARN form instead.
        return { ExecutedVersion: '$LATEST', Payload: payload, SdkHttpMetadata: { HttpStatusCode: 200 }, SdkResponseMetadata: { RequestId: 'local' }, StatusCode: 200 };
      };
    case 'elasticmapreduce:createCluster':
    case 'elasticmapreduce:createCluster.sync':
      return async (input) => asJson(await emr.createCluster(params(input)));
    case 'elasticmapreduce:addStep.sync':
      return async (input, signal) => asJson(await emr.addStep(params(input), signal));
    case 'elasticmapreduce:cancelStep':
      return async (input) => asJson(await emr.cancelStep(String(params(input).ClusterId), String(params(input).StepId)));
    case 'elasticmapreduce:terminateCluster':
    case 'elasticmapreduce:terminateCluster.sync':
      return async (input) => asJson(await emr.terminateCluster(String(params(input).ClusterId)));
    case 'elasticmapreduce:setClusterTerminationProtection':
      return async () => ({});
    case 'dynamodb:putItem':
      return async (input) => asJson(await db.putItem(params(input) as never));
    case 'dynamodb:getItem':
      return async (input) => asJson(await db.getItem(params(input) as never));
    case 'dynamodb:deleteItem':
      return async (input) => asJson(await db.deleteItem(params(input) as never));
    case 'dynamodb:updateItem':
      return async (input) => asJson(await db.updateItem(params(input) as never));
    case 'states:startExecution':
      return async (input) => {
        const p = params(input);
        if (!bindings.startExecution) throw new UnsupportedResource(`state '${name}': this run cannot start other executions`);
        const raw = p.Input;
        const started = bindings.startExecution(String(p.StateMachineArn), typeof raw === 'string' ? JSON.parse(raw) : raw, p.Name === undefined ? undefined : String(p.Name));
        return { ExecutionArn: started.executionArn, StartDate: started.startDate };
      };
    case 'sns:publish':
      return async (input) => {
        const p = params(input);
        bindings.notify(String(p.Subject ?? '(no subject)'), typeof p.Message === 'string' ? p.Message : JSON.stringify(p.Message));
        return { MessageId: `local-${Date.now()}`, SdkHttpMetadata: { HttpStatusCode: 200 } };
      };
    default:
      throw new UnsupportedResource(`state '${name}': '${service}:${action}${pattern ?? ''}' has no local twin (resource ${resource})`);
  }
}

/** Raised like a Lambda function error: Step Functions names it by the function's `errorType`. */
export class LambdaFunctionError extends Error {
  constructor(errorType: string, cause: string) {
    super(cause);
    this.name = errorType;
  }
}

async function invokeLambda(functionName: string, payload: Json, bindings: TaskBindings): Promise<Json> {
  const fn = bindings.resolveFunction(functionName);
  const local = LOCAL_LAMBDAS[fn.name];
  if (!local) throw new UnsupportedResource(`function '${functionName}' (lambdas/${fn.name}) has no local twin in local/runtime/local-lambdas.ts`);
  try {
    const result = await local(JSON.parse(JSON.stringify(payload ?? null)), fn.environment, bindings.services, bindings.loggerFor(fn.name));
    return (result === undefined ? null : JSON.parse(JSON.stringify(result))) as Json;
  } catch (error) {
    const err = error as Error;
    const errorType = err?.name || 'Error';
    // The Cause Step Functions records for a function error: the runtime's error JSON.
    throw new LambdaFunctionError(errorType, JSON.stringify({ errorType, errorMessage: err?.message ?? String(error), trace: [] }));
  }
}
