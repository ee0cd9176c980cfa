/**
 * A run as a Gantt chart: the model both `aqi-pipeline status --timeline` (from an execution's history,
 * bin/cli/timeline.ts) and the local `status --timeline` (from a local run record) draw with
 * `timeline-svg.ts`.
 */

export type BarStatus = 'SUCCEEDED' | 'FAILED' | 'RUNNING';

/** One row of the Gantt chart. */
export interface TimelineBar {
  readonly label: string;
  readonly group: 'state' | 'step' | 'chunk';
  readonly start: Date;
  readonly end: Date;
  readonly status: BarStatus;
}

export interface Timeline {
  readonly title: string;
  readonly start: Date;
  readonly end: Date;
  readonly bars: readonly TimelineBar[];
  /** Lines under the chart: the failed chunks and the run's error. */
  readonly notes: readonly string[];
}
