import type { BackfillManifest } from '../../core/manifest';
import type { ExecutionView } from './execution';
import { stateSpans, stepCounts } from './history';

/**
 * Exit codes of `status` and `runs`, so scripts can branch on a run as on `aws stepfunctions wait`:
 * 0 the run succeeded; 1 it failed, timed out or was aborted (or the CLI failed); 2 bad usage;
 * 3 it is still running (only without `--watch`, which waits for the end).
 */
export const EXIT_CODES = { succeeded: 0, failed: 1, usage: 2, running: 3 } as const;

export function exitCodeOf(status: string): number {
  if (status === 'SUCCEEDED') return EXIT_CODES.succeeded;
  if (status === 'RUNNING' || status === 'PENDING_REDRIVE') return EXIT_CODES.running;
  return EXIT_CODES.failed;
}

export function isRunning(status: string): boolean {
  return exitCodeOf(status) === EXIT_CODES.running;
}

/** Seconds from start to stop, or to `now` while the execution runs. */
export function elapsedSeconds(view: ExecutionView, now: Date): number | null {
  if (!view.startDate) return null;
  return Math.max(0, Math.round(((view.stopDate ?? now).getTime() - view.startDate.getTime()) / 1000));
}

export function formatDuration(seconds: number | null): string {
  if (seconds === null) return '-';
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h > 0 ? `${h}h ${String(m).padStart(2, '0')}m` : `${m}m ${String(s).padStart(2, '0')}s`;
}

/** One line of `status --watch`: where the run is, its steps and chunks, and how long it has taken. */
export function progressLine(view: ExecutionView, now: Date): string {
  const steps = stepCounts(stateSpans(view.events ?? []));
  const parts = [view.status];
  if (isRunning(view.status) && view.currentState) parts.push(`in ${view.currentState}`);
  parts.push(`steps ${steps.succeeded} done, ${steps.failed} failed, ${steps.running} running`);
  if (view.chunks) parts.push(`chunks ${view.chunks.succeeded} done, ${view.chunks.failed} failed of ${view.chunks.total}`);
  parts.push(`${formatDuration(elapsedSeconds(view, now))} elapsed`);
  return parts.join(' · ');
}

/** `status --json`: the same facts as the text, named. */
export function statusDocument(view: ExecutionView, manifest: BackfillManifest | undefined, now: Date): Record<string, unknown> {
  return {
    executionArn: view.executionArn,
    pipeline: view.pipeline ?? null,
    status: view.status,
    runId: view.runId ?? null,
    window: view.window ?? null,
    startDate: view.startDate?.toISOString() ?? null,
    stopDate: view.stopDate?.toISOString() ?? null,
    elapsedSeconds: elapsedSeconds(view, now),
    currentState: view.currentState ?? null,
    clusterId: view.clusterId ?? null,
    steps: stepCounts(stateSpans(view.events ?? [])),
    chunks: view.chunks ?? null,
    failedChunks: manifest?.chunks.filter((c) => c.status === 'FAILED').map((c) => ({ chunkId: c.chunkId, failure: c.failure })) ?? [],
    reprocessInput: manifest?.reprocessInput ?? null,
    unreadableSources: manifest?.unreadableSources ?? [],
    error: view.error ?? null,
    cause: view.cause ?? null,
  };
}
