import { cancelActiveSteps } from '../../../lambdas/cancel-steps/core';
import { PipelineError } from '../../../core/errors';
import { silentLogger } from '../../support/silent-logger';
import { type FakeCluster, MemoryEmr } from '../../workflow/support/memory-ports';

/** A running cluster `j-ABC123` with these steps. */
function clusterWith(steps: FakeCluster['steps']): MemoryEmr {
  const emr = new MemoryEmr();
  emr.clusters.push({ id: 'j-ABC123', state: 'RUNNING', tags: {}, steps });
  return emr;
}

describe('cancelActiveSteps', () => {
  test('cancels the pending and running steps of the cluster and leaves finished ones alone', async () => {
    const emr = clusterWith([
      { id: 's-1', state: 'COMPLETED' },
      { id: 's-2', state: 'RUNNING' },
      { id: 's-3', state: 'PENDING' },
      { id: 's-4', state: 'FAILED' },
    ]);

    const out = await cancelActiveSteps({ clusterId: 'j-ABC123' }, emr, silentLogger);

    expect(out).toEqual({ clusterId: 'j-ABC123', cancelledStepIds: ['s-2', 's-3'] });
    expect(emr.cluster('j-ABC123').steps.map((s) => s.state)).toEqual(['COMPLETED', 'CANCELLED', 'CANCELLED', 'FAILED']);
  });

  test('with a step name, cancels only the active steps of that name (a timed-out backfill chunk)', async () => {
    const emr = clusterWith([
      { id: 's-1', name: 'bronze 2024-01-01_2024-01-31', state: 'FAILED' },
      { id: 's-2', name: 'bronze 2024-01-01_2024-01-31', state: 'RUNNING' },
      { id: 's-3', name: 'bronze 2024-02-01_2024-02-29', state: 'RUNNING' },
      { id: 's-4', name: 'bronze 2024-03-01_2024-03-31', state: 'PENDING' },
    ]);

    const out = await cancelActiveSteps({ clusterId: 'j-ABC123', stepName: 'bronze 2024-01-01_2024-01-31' }, emr, silentLogger);

    expect(out).toEqual({ clusterId: 'j-ABC123', cancelledStepIds: ['s-2'] });
    expect(emr.cluster('j-ABC123').steps.map((s) => s.state)).toEqual(['FAILED', 'CANCELLED', 'RUNNING', 'PENDING']);
  });

  test('rejects an empty step name with InvalidCancelStepsInput', async () => {
    const failure = (await cancelActiveSteps({ clusterId: 'j-ABC123', stepName: '' }, new MemoryEmr(), silentLogger).catch((e: unknown) => e)) as PipelineError;
    expect(failure.name).toBe('InvalidCancelStepsInput');
    expect(failure.message).toBe('invalid cancel-steps input: stepName: must name the EMR step, e.g. "bronze 2024-01-01_2024-01-31" (got "")');
  });

  test('a cluster with nothing running needs no cancel call', async () => {
    const emr = new MemoryEmr();
    emr.clusters.push({ id: 'j-IDLE', state: 'WAITING', tags: {}, steps: [{ id: 's-1', state: 'COMPLETED' }] });
    const cancel = jest.spyOn(emr, 'cancelSteps');

    expect(await cancelActiveSteps({ clusterId: 'j-IDLE' }, emr, silentLogger)).toEqual({ clusterId: 'j-IDLE', cancelledStepIds: [] });
    expect(cancel).not.toHaveBeenCalled();
  });

  test('rejects a value that is not a cluster id with InvalidCancelStepsInput', async () => {
    const failure = (await cancelActiveSteps({ clusterId: null }, new MemoryEmr(), silentLogger).catch((e: unknown) => e)) as PipelineError;
    expect(failure.name).toBe('InvalidCancelStepsInput');
    expect(failure.message).toBe('invalid cancel-steps input: clusterId: Invalid input: expected string, received null (got null)');
  });
});
