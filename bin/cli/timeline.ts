import type { BackfillManifest } from '../../core/manifest';
import type { BarStatus, Timeline, TimelineBar } from '../../core/timeline/timeline';
import type { ExecutionView } from './execution';
import { isEmrStep, stateSpans } from './history';

/** States that take no time of their own: drawn as nothing. */
const INSTANT_STATES = new Set(['Choice', 'Pass', 'Succeed', 'Fail']);

/**
 * The Gantt chart of an execution: its states from the history (EMR stage steps as `step` rows), the
 * Bronze Map's iterations as `chunk` rows, a running bar drawn to `now`; failed bars and the failed
 * chunks the manifest names are marked.
 */
export function executionTimeline(view: ExecutionView, manifest: BackfillManifest | undefined, now: Date): Timeline {
  const end = view.stopDate ?? now;
  const bars: TimelineBar[] = stateSpans(view.events ?? [])
    .filter((span) => !INSTANT_STATES.has(span.type))
    .map((span) => ({
      label: span.name,
      group: isEmrStep(span) ? 'step' : 'state',
      start: span.start,
      end: span.end ?? end,
      status: span.status,
    }));
  // A chunk's own failure is caught inside its iteration (which then succeeds): the manifest says which failed.
  const failedChunkIds = new Set((manifest?.chunks ?? []).filter((c) => c.status === 'FAILED').map((c) => c.chunkId));
  const chunks = [...(view.chunkExecutions ?? [])].filter((c) => c.startDate).sort((a, b) => a.startDate!.getTime() - b.startDate!.getTime());
  chunks.forEach((chunk, index) =>
    bars.push({
      label: chunk.chunkId ?? `chunk ${index + 1} of ${chunks.length}`,
      group: 'chunk',
      start: chunk.startDate!,
      end: chunk.stopDate ?? end,
      status: chunkStatus(chunk.status, chunk.chunkId !== undefined && failedChunkIds.has(chunk.chunkId)),
    }),
  );
  const notes = (manifest?.chunks ?? []).filter((c) => c.status === 'FAILED').map((c) => `FAILED chunk ${c.chunkId}: ${c.failure ?? 'no reason recorded'}`);
  if (view.error) notes.push(`${view.status}: ${view.error}${view.cause ? ` — ${view.cause.slice(0, 160)}` : ''}`);
  const start = view.startDate ?? bars.reduce<Date | undefined>((min, b) => (!min || b.start < min ? b.start : min), undefined) ?? end;
  const title = `${view.pipeline ?? 'execution'} ${view.runId ?? view.executionArn.split(':').pop()} — ${view.status}`;
  return { title, start, end, bars, notes };
}

function chunkStatus(executionStatus: string, failedInManifest: boolean): BarStatus {
  if (failedInManifest) return 'FAILED';
  if (executionStatus === 'SUCCEEDED') return 'SUCCEEDED';
  return executionStatus === 'RUNNING' ? 'RUNNING' : 'FAILED';
}
