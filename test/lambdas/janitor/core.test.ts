import { cleanUpExecution } from '../../../lambdas/janitor/core';
import { PipelineError } from '../../../core/errors';
import { silentLogger } from '../../support/silent-logger';
import { MemoryEmr, MemoryStateStore } from '../../workflow/support/memory-ports';

const ARN = 'arn:aws:states:us-east-1:123456789012:execution:HourlyStateMachine:e1';
const OTHER = 'arn:aws:states:us-east-1:123456789012:execution:HourlyStateMachine:e2';
const TAG = 'aqi-pipeline:execution-arn';

function statusChange(status: string, executionArn = ARN) {
  return {
    version: '0',
    source: 'aws.states',
    'detail-type': 'Step Functions Execution Status Change',
    detail: { executionArn, stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:HourlyStateMachine', status },
  };
}

function world() {
  const emr = new MemoryEmr();
  emr.clusters.push(
    { id: 'j-MINE1', state: 'RUNNING', tags: { [TAG]: ARN }, steps: [] },
    { id: 'j-MINE2', state: 'WAITING', tags: { [TAG]: ARN }, steps: [] },
    { id: 'j-OLD', state: 'TERMINATED', tags: { [TAG]: ARN }, steps: [] },
    { id: 'j-OTHER', state: 'RUNNING', tags: { [TAG]: OTHER }, steps: [] },
  );
  const state = new MemoryStateStore();
  state.lock = { holder: ARN, runId: 'hourly-x', pipeline: 'hourly', acquiredAt: 'x', expiresAt: 1 };
  return { emr, state, deps: { clusters: emr, state, log: silentLogger } };
}

describe('cleanUpExecution', () => {
  test.each(['FAILED', 'TIMED_OUT', 'ABORTED'])('on %s terminates every active cluster tagged with the execution and releases its lock', async (status) => {
    const { emr, state, deps } = world();

    const out = await cleanUpExecution(statusChange(status), deps);

    expect(out).toEqual({ executionArn: ARN, terminatedClusterIds: ['j-MINE1', 'j-MINE2'], lockReleased: true });
    expect(emr.clusters.map((c) => [c.id, c.state])).toEqual([
      ['j-MINE1', 'TERMINATED'],
      ['j-MINE2', 'TERMINATED'],
      ['j-OLD', 'TERMINATED'],
      ['j-OTHER', 'RUNNING'],
    ]);
    expect(state.lock).toBeUndefined();
  });

  test('leaves a lock another execution holds', async () => {
    const { state, deps } = world();
    state.lock = { holder: OTHER, runId: 'r', pipeline: 'hourly', acquiredAt: 'x', expiresAt: 1 };

    const out = await cleanUpExecution(statusChange('FAILED'), deps);

    expect(out.lockReleased).toBe(false);
    expect(state.lock?.holder).toBe(OTHER);
  });

  test('a second delivery of the same event finds nothing left to do', async () => {
    const { deps } = world();
    await cleanUpExecution(statusChange('ABORTED'), deps);

    expect(await cleanUpExecution(statusChange('ABORTED'), deps)).toEqual({ executionArn: ARN, terminatedClusterIds: [], lockReleased: false });
  });

  test('a state machine can ask it to clean up its own execution', async () => {
    const { emr, deps } = world();

    const out = await cleanUpExecution({ source: 'state-machine', executionArn: ARN }, deps);

    expect(out.terminatedClusterIds).toEqual(['j-MINE1', 'j-MINE2']);
    expect(emr.cluster('j-OTHER').state).toBe('RUNNING');
  });

  test.each([
    [statusChange('SUCCEEDED'), 'detail.status'],
    [statusChange('FAILED', 'not-an-arn'), 'detail.executionArn'],
    [{ source: 'state-machine' }, 'executionArn'],
  ])('rejects %j with InvalidJanitorEvent', async (event, field) => {
    const { deps } = world();
    const failure = (await cleanUpExecution(event, deps).catch((e: unknown) => e)) as PipelineError;
    expect(failure).toBeInstanceOf(PipelineError);
    expect(failure.name).toBe('InvalidJanitorEvent');
    expect(failure.message).toContain(field);
  });
});
