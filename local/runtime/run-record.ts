/**
 * What a local run leaves behind for `npm run local -- status <runId> --timeline`: its outcome, the
 * states it entered and the EMR steps it ran, each with start and end times. The AWS CLI reads the same
 * facts from the execution history; here they are recorded as the run goes, and drawn by the same
 * renderer (core/timeline/timeline-svg.ts).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { BarStatus, Timeline, TimelineBar } from '../../core/timeline/timeline';
import type { ExecutionOutcome } from './execute';
import type { StateSpan, StepSummary } from './run-report';
import type { Workspace } from './workspace';

export interface LocalRunRecord {
  runId: string;
  pipeline: string;
  status: ExecutionOutcome['status'];
  error?: string;
  cause?: string;
  startedAt: string;
  stoppedAt: string;
  states: StateSpan[];
  steps: StepSummary[];
}

/** States that take no time of their own, as in the AWS timeline. */
const INSTANT_STATES = new Set(['Choice', 'Pass', 'Succeed', 'Fail']);

export function runRecordPath(workspace: Workspace, runId: string): string {
  return join(workspace.root, 'run-records', `${runId}.json`);
}

/** The run id is the manifest's directory: `runs/<pipeline>/<runId>/manifest.json`. */
export function runIdOfManifest(manifestPath: string): string {
  return basename(dirname(manifestPath));
}

export function writeRunRecord(workspace: Workspace, record: LocalRunRecord): string {
  const path = runRecordPath(workspace, record.runId);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(record, null, 2)}\n`);
  return path;
}

export function readRunRecord(workspace: Workspace, runId: string): LocalRunRecord | undefined {
  const path = runRecordPath(workspace, runId);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as LocalRunRecord) : undefined;
}

/**
 * The Gantt chart of a local run: the top-level states that take time, each EMR step (stage steps as
 * `step` rows, Bronze chunk steps as `chunk` rows labelled by chunk id), failed and cancelled parts red,
 * and under the chart the failed steps and the run's error.
 */
export function localRunTimeline(record: LocalRunRecord): Timeline {
  const end = new Date(record.stoppedAt);
  const bars: TimelineBar[] = record.states
    .filter((s) => s.index === undefined && !INSTANT_STATES.has(s.type))
    .map((s) => ({ label: s.name, group: 'state', start: new Date(s.startedAt), end: s.endedAt ? new Date(s.endedAt) : end, status: s.status }));
  for (const step of record.steps) {
    const stepEnd = new Date(step.endedAt);
    bars.push({
      label: step.chunkId ?? step.stage.toUpperCase(),
      group: step.chunkId ? 'chunk' : 'step',
      start: step.startedAt ? new Date(step.startedAt) : stepEnd,
      end: stepEnd,
      status: stepStatus(step.state),
    });
  }
  const notes = record.steps
    .filter((s) => s.state === 'FAILED')
    .map((s) => `FAILED ${s.chunkId ? `chunk ${s.chunkId}` : s.stage}: ${s.failure ?? 'spark-submit failed'}`);
  const cancelled = record.steps.filter((s) => s.state === 'CANCELLED').length;
  if (cancelled > 0) notes.push(`${cancelled} step${cancelled > 1 ? 's' : ''} cancelled`);
  if (record.error) notes.push(`${record.status}: ${record.error}${record.cause ? ` — ${record.cause.slice(0, 160)}` : ''}`);
  return { title: `${record.pipeline} ${record.runId} — ${record.status} (local)`, start: new Date(record.startedAt), end, bars, notes };
}

function stepStatus(state: StepSummary['state']): BarStatus {
  if (state === 'COMPLETED') return 'SUCCEEDED';
  return state === 'RUNNING' || state === 'PENDING' ? 'RUNNING' : 'FAILED';
}
