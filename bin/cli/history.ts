import type { HistoryEvent } from '@aws-sdk/client-sfn';

/** A state's span in an execution history: entered → exited (or still open), and whether it failed. */
export interface StateSpan {
  readonly name: string;
  /** `Task`, `Map`, `Pass`, … from the event type (`TaskStateEntered` → `Task`). */
  readonly type: string;
  readonly start: Date;
  readonly end?: Date;
  readonly status: 'SUCCEEDED' | 'FAILED' | 'RUNNING';
  /** The task's integration, e.g. `elasticmapreduce:addStep.sync`, for Task states. */
  readonly resource?: string;
}

/** TaskFailed, TaskTimedOut, LambdaFunctionFailed, MapRunFailed, ExecutionAborted, … */
const FAILURE_EVENT = /(Failed|TimedOut|Aborted)$/;

/**
 * The spans of the states of an execution history (the parent execution: a Distributed Map's
 * iterations are child executions, read separately). A state that was entered and not exited is
 * RUNNING, or FAILED when the execution itself ended; a state during which a task or the execution
 * failed is FAILED.
 */
export function stateSpans(events: readonly HistoryEvent[]): StateSpan[] {
  const open: { name: string; type: string; start: Date; failed: boolean; resource?: string }[] = [];
  const spans: StateSpan[] = [];
  let executionEnded = false;
  for (const event of events) {
    const type = event.type ?? '';
    const at = event.timestamp ?? new Date(0);
    if (type.endsWith('StateEntered') && event.stateEnteredEventDetails?.name) {
      open.push({ name: event.stateEnteredEventDetails.name, type: type.replace('StateEntered', ''), start: at, failed: false });
    } else if (type === 'TaskScheduled' && open.length > 0) {
      const details = event.taskScheduledEventDetails;
      open[open.length - 1].resource = details ? `${details.resourceType}:${details.resource}` : undefined;
    } else if (type.endsWith('StateExited') && event.stateExitedEventDetails?.name) {
      const index = open.map((s) => s.name).lastIndexOf(event.stateExitedEventDetails.name);
      if (index >= 0) {
        const [state] = open.splice(index, 1);
        spans.push({ name: state.name, type: state.type, start: state.start, end: at, status: state.failed ? 'FAILED' : 'SUCCEEDED', resource: state.resource });
      }
    } else if (FAILURE_EVENT.test(type)) {
      if (open.length > 0) open[open.length - 1].failed = true;
      if (type.startsWith('Execution')) executionEnded = true;
    } else if (type === 'ExecutionSucceeded') {
      executionEnded = true;
    }
  }
  for (const state of open) {
    spans.push({ name: state.name, type: state.type, start: state.start, status: executionEnded ? 'FAILED' : 'RUNNING', resource: state.resource });
  }
  return spans.sort((a, b) => a.start.getTime() - b.start.getTime());
}

/** Whether a span is an EMR step: a Task state submitting `addStep` (`.sync` or not). */
export function isEmrStep(span: StateSpan): boolean {
  return span.resource?.startsWith('elasticmapreduce:addStep') === true;
}

/** The EMR stage steps of the run's own history: how many ended, failed, and are running. */
export function stepCounts(spans: readonly StateSpan[]): { succeeded: number; failed: number; running: number } {
  const steps = spans.filter(isEmrStep);
  return {
    succeeded: steps.filter((s) => s.status === 'SUCCEEDED').length,
    failed: steps.filter((s) => s.status === 'FAILED').length,
    running: steps.filter((s) => s.status === 'RUNNING').length,
  };
}
