import { ERROR_NAMES } from '../../core/errors';
import { parseInput } from '../../core/input';
import type { ClusterControl, Logger, PipelineStateStore } from '../../core/ports';
import { CLUSTER_TAG_KEYS } from '../../core/tags';
import type { z } from 'zod';
import { janitorEventSchema, type StateMachineRequestSchema, type StatusChangeEventSchema } from './schema';

export interface JanitorResult {
  executionArn: string;
  terminatedClusterIds: string[];
  lockReleased: boolean;
}

export interface JanitorDeps {
  readonly clusters: ClusterControl;
  readonly state: PipelineStateStore;
  readonly log: Logger;
}

/**
 * The second teardown layer: Catch does not run when an execution is aborted or times out, so on the
 * status-change event this terminates every active cluster tagged with the execution's ARN and
 * releases the lock if that execution still holds it. Idempotent: a second delivery finds nothing.
 */
export async function cleanUpExecution(rawEvent: unknown, deps: JanitorDeps): Promise<JanitorResult> {
  const event: z.infer<typeof StatusChangeEventSchema> | z.infer<typeof StateMachineRequestSchema> = parseInput(
    janitorEventSchema(rawEvent),
    rawEvent,
    ERROR_NAMES.invalidJanitorEvent,
    'janitor event',
  );
  const executionArn = 'detail' in event ? event.detail.executionArn : event.executionArn;
  const clusters = await deps.clusters.listActiveClustersTagged(CLUSTER_TAG_KEYS.executionArn, executionArn);
  const ids = clusters.map((cluster) => cluster.id);
  if (ids.length > 0) await deps.clusters.terminateClusters(ids);
  const lockReleased = await deps.state.releaseLock(executionArn);
  deps.log.info('cleaned up execution', {
    executionArn,
    status: 'detail' in event ? event.detail.status : 'requested by state machine',
    terminatedClusterIds: ids,
    lockReleased,
  });
  return { executionArn, terminatedClusterIds: ids, lockReleased };
}
