import { LOCATIONS_KEY, manifestKey, runLocationsKey } from '../../core/layout';
import type { ObjectStore } from '../../core/ports';
import { type Chunk, parseChunkId } from '../../core/backfill/chunks';
import { InvalidBackfillInput } from '../../core/backfill/errors';
import { type BackfillPlan, type PlanState, planBackfill, planKey, type StageTimeouts, toPlanState } from '../../core/backfill/plan';
import { backfillRunId } from '../../core/backfill/run-id';
import { describeProblem } from '../../core/backfill/schema';
import type { BackfillLimits, BackfillSettings, LocationConfig } from '../../core/backfill/settings';
import { type BackfillRequest, validateBackfillInput } from '../../core/backfill/validate';

/** What the state machine passes in: the execution input as typed, and who is running. */
export interface PlanBackfillEvent {
  readonly input: unknown;
  readonly executionArn: string;
  readonly executionStartTime: string;
}

export interface PlanBackfillDeps {
  readonly store: ObjectStore;
  readonly lakeBucket: string;
  readonly artifactsBucket: string;
  readonly limits: BackfillLimits;
  readonly coreInstanceCount: number;
  readonly timeouts: StageTimeouts;
}

/**
 * Validates the input, resolves `reprocessFailedOf` from the earlier run's manifest, writes the full plan
 * and the run's locations to S3 and returns the compact plan the state machine carries.
 */
export async function planBackfillRun(event: PlanBackfillEvent, deps: PlanBackfillDeps): Promise<PlanState> {
  const now = new Date(event.executionStartTime);
  if (Number.isNaN(now.getTime())) throw new Error(`executionStartTime "${event.executionStartTime}" is not an ISO instant`);
  const settings: BackfillSettings = {
    ...deps.limits,
    coreInstanceCount: deps.coreInstanceCount,
    locations: await readConfiguredLocations(deps.store, deps.artifactsBucket),
  };
  const request = validateBackfillInput(event.input, settings, now);
  const reprocessChunks = request.reprocessFailedOf ? await readFailedChunks(deps.store, deps.lakeBucket, request.reprocessFailedOf) : undefined;
  const plan = planBackfill(request, settings, {
    runId: backfillRunId(event.executionArn, now),
    now,
    input: event.input as Record<string, unknown>,
    reprocessChunks,
  });
  await writePlan(deps.store, deps.lakeBucket, plan, request);
  return toPlanState(plan, deps.lakeBucket, deps.timeouts);
}

async function writePlan(store: ObjectStore, lakeBucket: string, plan: BackfillPlan, request: BackfillRequest): Promise<void> {
  await store.putText(lakeBucket, planKey(plan.runId), JSON.stringify(plan, null, 2), 'application/json');
  // Exactly the Stage CLI's locations shape, whatever else the configured entries carry.
  const locations = request.locations.map(({ id, name, timezone }) => ({ id, name, timezone }));
  await store.putText(lakeBucket, runLocationsKey('backfill', plan.runId), JSON.stringify(locations), 'application/json');
}

async function readConfiguredLocations(store: ObjectStore, artifactsBucket: string): Promise<LocationConfig[]> {
  const text = await store.getText(artifactsBucket, LOCATIONS_KEY);
  if (text === undefined) {
    throw new Error(`The configured locations are missing: s3://${artifactsBucket}/${LOCATIONS_KEY} does not exist; redeploy the pipeline stack`);
  }
  return JSON.parse(text) as LocationConfig[];
}

/** The failed chunks an earlier backfill recorded in its manifest (written by the fan-in Lambda). */
async function readFailedChunks(store: ObjectStore, lakeBucket: string, runId: string): Promise<Chunk[]> {
  const text = await store.getText(lakeBucket, manifestKey('backfill', runId));
  if (text === undefined) {
    throw new InvalidBackfillInput([
      describeProblem('reprocessFailedOf', runId, `unknown run: no manifest at s3://${lakeBucket}/${manifestKey('backfill', runId)}; allowed: the run id of a finished backfill, as its failed output prints it`),
    ]);
  }
  const manifest = JSON.parse(text) as { failedChunks?: unknown };
  const ids = Array.isArray(manifest.failedChunks) ? manifest.failedChunks : [];
  const chunks = ids.map((id) => (typeof id === 'string' ? parseChunkId(id) : undefined));
  if (chunks.some((c) => c === undefined)) {
    throw new Error(`The manifest of ${runId} lists malformed chunk ids: ${JSON.stringify(manifest.failedChunks)}`);
  }
  if (chunks.length === 0) {
    throw new InvalidBackfillInput([describeProblem('reprocessFailedOf', runId, 'the run has no failed chunks, so nothing to reprocess; allowed: the id of a run whose output lists failed chunks')]);
  }
  return (chunks as Chunk[]).sort((a, b) => a.start.localeCompare(b.start));
}
