import type { Pipeline, Stage } from '../../core/layout';
import type { ApiRequests, QualityGate, StagePhase } from '../../core/stage-result';
import type { ManifestCost } from '../../core/run-cost';

export type StageStatus = 'SUCCEEDED' | 'FAILED' | 'SKIPPED' | 'MISSING' | 'NOT_RUN';

/** One stage's line in the run manifest. */
export interface StageRecord {
  status: StageStatus;
  stepId: string | null;
  /** `<LogUri><clusterId>/steps/<stepId>/stderr.gz`, where EMR puts the step's driver output. */
  stepLogUri: string | null;
  resultKey: string;
  durationSeconds: number | null;
  /** The step's own breakdown of `durationSeconds` and what preceded it (the stage result's `phases`). */
  phases: StagePhase[] | null;
  rowsRead: number | null;
  rowsWritten: number | null;
  rowsRejected: number | null;
  rowsDuplicate: number | null;
  /** What the stage asked the OpenAQ API (Bronze hourly); null for other stages and older results. */
  apiRequests: ApiRequests | null;
  error: { type: string; message: string } | null;
  /** Silver's quality gate: each rule's figures (absent for other stages and runs without a gate). */
  qualityGate?: QualityGate;
}

/** `runs/<pipeline>/<runId>/manifest.json` (docs/ARCHITECTURE.md, "Run manifest"). */
export interface RunManifest {
  pipeline: Pipeline;
  runId: string;
  status: 'SUCCEEDED' | 'FAILED' | 'SKIPPED';
  executionArn: string;
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  input: unknown;
  window: { start: string; end: string } | null;
  clusterId: string | null;
  stages: Partial<Record<Stage, StageRecord>>;
  /** The cluster's instance-seconds and their estimated price (lambdas/shared/run-cost.ts). */
  cost: ManifestCost;
  error: { error: string; cause: string | null } | null;
  [extra: string]: unknown;
}
