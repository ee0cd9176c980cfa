/**
 * What a user watches during a local run: the state or chunk in progress with elapsed time, each step's
 * output prefixed `[BRONZE 2024-01]`, each step's end with its rows, and at the end one line per stage,
 * `[OK] BRONZE   45.3s   12,345 rows`, the total, and where the manifest and logs are.
 */
import { describeRunCost, ManifestCostSchema } from '../../core/run-cost';
import { existsSync, readFileSync } from 'node:fs';
import { ExecutionEventSink, ExecutionOutcome } from './execute';
import { StepActivity, StepObserver, StepState } from './local-emr';

export interface StepSummary {
  stage: string;
  chunkId?: string;
  state: StepState;
  seconds: number;
  rowsWritten?: number;
  rowsRead?: number;
  stderrFile: string;
  /** The stage result JSON the step wrote (its `phases` say where the time went). */
  resultFile?: string;
  /** The last error line of a failed step. */
  failure?: string;
  /** When spark-submit started (absent for a step cancelled while pending) and when the step ended. */
  startedAt?: string;
  endedAt: string;
}

/** A state the execution entered, with when it left and how (the timeline draws these). */
export interface StateSpan {
  name: string;
  type: string;
  /** The Map iteration it ran in. */
  index?: number;
  startedAt: string;
  endedAt?: string;
  status: 'SUCCEEDED' | 'FAILED' | 'RUNNING';
}

export interface StageSummary {
  stage: string;
  status: 'OK' | 'FAILED' | 'CANCELLED';
  seconds: number;
  rowsWritten: number;
  steps: StepSummary[];
}

export interface RunReportOptions {
  write: (line: string) => void;
  /** Print every line spark-submit writes (the full output is always in the step's log file). @default true */
  streamStepOutput?: boolean;
}

export class RunReport implements StepObserver, ExecutionEventSink {
  readonly steps: StepSummary[] = [];
  readonly states: StateSpan[] = [];
  private readonly openStates = new Map<string, StateSpan>();
  private readonly started = Date.now();
  private readonly stepStarts = new Map<string, number>();

  constructor(private readonly options: RunReportOptions) {}

  private elapsed(): string {
    return `${((Date.now() - this.started) / 1000).toFixed(1)}s`.padStart(7);
  }

  event(event: { type: string; timestamp?: number; state?: { name: string; type?: string }; index?: number; Error?: string; Cause?: unknown }): void {
    const state = event.state?.name;
    this.recordState(event);
    switch (event.type) {
      case 'StateEntered':
        if (event.state?.type === 'Task' || event.state?.type === 'Map') {
          const where = event.index !== undefined ? ` (item ${event.index + 1})` : '';
          this.options.write(`${this.elapsed()}  ▶ ${state}${where}`);
        }
        break;
      case 'StateCaught':
        this.options.write(`${this.elapsed()}  ↪ ${state}: error caught, taking the failure path`);
        break;
      case 'StateRetried':
        this.options.write(`${this.elapsed()}  ↻ ${state}: retrying`);
        break;
      default:
        break;
    }
  }

  private recordState(event: { type: string; timestamp?: number; state?: { name: string; type?: string }; index?: number }): void {
    if (!event.state) return;
    const key = `${event.state.name}#${event.index ?? ''}`;
    const at = new Date(event.timestamp ?? Date.now()).toISOString();
    if (event.type === 'StateEntered') {
      const span: StateSpan = { name: event.state.name, type: event.state.type ?? 'Task', index: event.index, startedAt: at, status: 'RUNNING' };
      this.states.push(span);
      this.openStates.set(key, span);
    } else if (event.type === 'StateExited' || event.type === 'StateFailed') {
      const span = this.openStates.get(key);
      if (!span) return;
      span.endedAt = at;
      span.status = event.type === 'StateExited' ? 'SUCCEEDED' : 'FAILED';
      this.openStates.delete(key);
    }
  }

  notify(subject: string, message: string): void {
    this.options.write(`${this.elapsed()}  ✉ SNS: ${subject}`);
    this.options.write(`           ${message}`);
  }

  stepStarted(step: StepActivity): void {
    this.stepStarts.set(step.stepId, Date.now());
    this.options.write(`${this.elapsed()}  ▶ [${step.label}] spark-submit started (step ${step.stepId}); log ${step.stderrFile}`);
  }

  stepLine(step: StepActivity, _stream: 'stdout' | 'stderr', line: string): void {
    if (this.options.streamStepOutput ?? true) this.options.write(`[${step.label}] ${line}`);
  }

  stepEnded(step: StepActivity, state: StepState, seconds: number, failure?: { message: string }): void {
    const result = readResult(step.resultFile);
    const summary: StepSummary = {
      stage: step.stage,
      chunkId: step.chunkId,
      state,
      seconds,
      rowsWritten: result?.rowsWritten,
      rowsRead: result?.rowsRead,
      stderrFile: step.stderrFile,
      resultFile: step.resultFile,
      failure: failure?.message,
      startedAt: this.stepStarts.has(step.stepId) ? new Date(this.stepStarts.get(step.stepId)!).toISOString() : undefined,
      endedAt: new Date().toISOString(),
    };
    this.steps.push(summary);
    const rows = summary.rowsWritten !== undefined ? `   ${formatCount(summary.rowsWritten)} rows` : '';
    const tag = state === 'COMPLETED' ? 'OK' : state;
    this.options.write(`${this.elapsed()}  [${tag}] ${step.label}   ${seconds.toFixed(1)}s${rows}`);
    if (state === 'FAILED') {
      this.options.write(`           why: ${summary.failure ?? 'spark-submit failed'}`);
      this.options.write(`           log: ${step.stderrFile}`);
    }
  }

  /** One entry per stage, in pipeline order, from the steps seen. */
  stages(): StageSummary[] {
    const order = ['bronze', 'silver', 'gold'];
    const byStage = new Map<string, StepSummary[]>();
    for (const step of this.steps) byStage.set(step.stage, [...(byStage.get(step.stage) ?? []), step]);
    return [...byStage.entries()]
      .sort(([a], [b]) => order.indexOf(a) - order.indexOf(b))
      .map(([stage, steps]) => ({
        stage,
        status: steps.some((s) => s.state === 'FAILED') ? 'FAILED' : steps.some((s) => s.state !== 'COMPLETED') ? 'CANCELLED' : 'OK',
        seconds: steps.reduce((sum, s) => sum + s.seconds, 0),
        rowsWritten: steps.reduce((sum, s) => sum + (s.rowsWritten ?? 0), 0),
        steps,
      }));
  }

  /** The closing block: per-stage lines, the total, the manifest, and for a failure what and where. */
  summarize(outcome: ExecutionOutcome, manifestPath: string | undefined): void {
    const w = this.options.write;
    w('');
    for (const stage of this.stages()) {
      const chunks = stage.steps.length > 1 ? `   (${stage.steps.length} steps)` : '';
      w(`[${stage.status}] ${stage.stage.toUpperCase().padEnd(8)} ${`${stage.seconds.toFixed(1)}s`.padStart(8)}   ${formatCount(stage.rowsWritten).padStart(9)} rows${chunks}`);
      for (const step of stage.steps.filter((s) => s.state === 'FAILED')) {
        w(`         ${step.chunkId ?? step.stage} failed: ${step.failure ?? 'spark-submit failed'}`);
        w(`         log: ${step.stderrFile}`);
      }
    }
    const total = (Date.now() - this.started) / 1000;
    w(`Total ${total.toFixed(1)}s — execution ${outcome.status}`);
    if (outcome.status !== 'SUCCEEDED' && outcome.error) w(`Error: ${outcome.error}: ${oneLine(outcome.cause ?? '')}`);
    const output = outcome.output as { status?: string; reason?: string } | undefined;
    if (output?.status === 'SKIPPED') w(`Skipped: ${output.reason ?? 'another run holds the lock'}`);
    if (manifestPath) w(`Manifest: ${manifestPath}`);
    const cost = manifestPath ? costLine(manifestPath) : undefined;
    if (cost) w(`Cost: ${cost} — the AWS cluster this run stands in for, at the local run's instance-seconds`);
  }
}

/** The manifest's `cost` in one line (core/run-cost.ts), or nothing when it has none. */
function costLine(manifestPath: string): string | undefined {
  try {
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { cost?: unknown };
    const cost = ManifestCostSchema.safeParse(manifest.cost ?? null);
    return cost.success && cost.data !== null ? describeRunCost(cost.data) : undefined;
  } catch {
    return undefined;
  }
}

function readResult(path: string | undefined): { rowsWritten?: number; rowsRead?: number } | undefined {
  if (!path || !existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as { rowsWritten?: number; rowsRead?: number };
  } catch {
    return undefined;
  }
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 400 ? `${flat.slice(0, 400)}…` : flat;
}
