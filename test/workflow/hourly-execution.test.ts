import type { Stage } from '../../core/layout';
import { HOURLY_STATES } from '../../lib/hourly-workflow';
import { type AslDefinition, type AslState, stateMachineDefinition } from '../../local/definition';
import {
  ARTIFACTS_BUCKET,
  CLUSTER_ID,
  definitionValues,
  EXECUTION_ARN,
  HourlyWorld,
  LAKE_BUCKET,
  NOW,
  OTHER_EXECUTION_ARN,
  RUN_ID,
  STAGE_ROWS,
  stepFailureCause,
  TRIPPED_GATE,
} from './hourly-world';
import { execute, fromState, taskError, type TaskHandler } from './support/interpreter';
import { synthesize } from './support/synth';

let definition: AslDefinition;

beforeAll(() => {
  const synthesized = synthesize();
  definition = stateMachineDefinition(synthesized.pipelineJson, 'Hourly', {
    exportingTemplates: [synthesized.dataLakeJson],
    values: definitionValues,
  });
});

const context = { executionArn: EXECUTION_ARN, startTime: '2025-01-01T03:15:02Z' };
const scheduled = { scheduledTime: '2025-01-01T03:15:00Z' };
const WINDOW = { start: '2024-12-31T23:00:00Z', end: '2025-01-01T03:00:00Z' };

function worldWithWatermark(): HourlyWorld {
  const world = new HourlyWorld();
  world.watermarks.set('hourly', { windowEnd: '2025-01-01T02:00:00Z', runId: 'hourly-20250101T0200Z-00000000', updatedAt: '2025-01-01T02:25:00Z' });
  return world;
}

describe('the synthesized hourly state machine', () => {
  test('a scheduled run plans from the watermark, runs Bronze, Silver and Gold as separate steps, and finishes clean', async () => {
    // GIVEN
    const world = worldWithWatermark();

    // WHEN
    const outcome = await execute(definition, scheduled, world.handlers(), context);

    // THEN
    expect(outcome.status).toBe('SUCCEEDED');
    expect(outcome.output).toEqual({
      status: 'SUCCEEDED',
      runId: RUN_ID,
      window: WINDOW,
      manifestKey: `runs/hourly/${RUN_ID}/manifest.json`,
      watermarkAdvanced: true,
    });
    expect(outcome.entered).toEqual([
      'Plan hourly run',
      'Gap needs a backfill?',
      'Acquire lock',
      'Start run record',
      'Primary only?',
      'Create single-node cluster',
      'Run bronze?',
      'Bronze step',
      'Run silver?',
      'Silver step',
      'Run gold?',
      'Gold step',
      'Terminate cluster',
      'Finalize run',
      'Release lock',
      'Run summary',
      'Run complete',
    ]);
    expect(world.stepCalls.map((c) => c.name)).toEqual(['bronze', 'silver', 'gold']);
    expect(world.emr.cluster(CLUSTER_ID).state).toBe('TERMINATED');
    expect(world.lockRecord()).toBeUndefined();
    expect(world.watermarks.get('hourly')).toEqual({ windowEnd: WINDOW.end, runId: RUN_ID, updatedAt: NOW.toISOString() });
  });

  test('each stage step runs spark-submit of the Stage CLI with the run id, window and result URI filled in', async () => {
    const world = worldWithWatermark();

    await execute(definition, scheduled, world.handlers(), context);

    const common = [
      '/usr/local/bin/aqi-spark-submit', '--deploy-mode', 'cluster', '--conf', 'spark.yarn.maxAppAttempts=1',
      '--py-files', expect.stringMatching(new RegExp(`^s3://${ARTIFACTS_BUCKET}/spark-jobs/[0-9a-f]{64}\\.zip$`)),
      `s3://${ARTIFACTS_BUCKET}/spark-jobs/entry.py`,
    ];
    const tail = (stage: Stage) => [
      '--warehouse', `s3://${LAKE_BUCKET}/warehouse/`, '--catalog', 'glue',
      '--result-uri', `s3://${LAKE_BUCKET}/runs/hourly/${RUN_ID}/results/${stage}.json`,
    ];
    const locations = ['--locations-uri', `s3://${ARTIFACTS_BUCKET}/config/locations.json`];
    expect(world.stepCalls.map((c) => c.args)).toEqual([
      [
        ...common, 'bronze', '--run-id', RUN_ID, '--mode', 'hourly', '--start', WINDOW.start, '--end', WINDOW.end,
        ...tail('bronze'),
        '--source', 'api', '--api-base-url', 'https://api.openaq.org', '--api-key-secret', 'aqi-pipeline/openaq-api-key',
        ...locations,
      ],
      [...common, 'silver', '--run-id', RUN_ID, '--mode', 'incremental', ...tail('silver'), '--max-rejected-share', '0.2', '--silent-location-hours', '24', ...locations],
      [...common, 'gold', '--run-id', RUN_ID, '--mode', 'incremental', ...tail('gold'), ...locations],
    ]);
  });

  test('a tripped Silver quality gate fails the run before Gold, and the manifest and the notice name the rule and its figures', async () => {
    // GIVEN
    const world = worldWithWatermark();
    world.behaviour.silver = 'gate';

    // WHEN
    const outcome = await execute(definition, scheduled, world.handlers(), context);

    // THEN
    expect(outcome.status).toBe('FAILED');
    expect(world.stepCalls.map((c) => c.stage)).toEqual(['bronze', 'silver', 'silver']);
    expect(world.manifest()).toMatchObject({ status: 'FAILED', stages: { silver: { status: 'FAILED', error: TRIPPED_GATE.error, qualityGate: TRIPPED_GATE.qualityGate } } });
    expect(world.notifications[0]?.Message).toMatchObject({
      recorded: { manifest: { status: 'FAILED', stageErrors: { silver: TRIPPED_GATE.error }, qualityGate: TRIPPED_GATE.qualityGate } },
    });
    expect(world.watermarks.get('hourly')?.windowEnd).toBe('2025-01-01T02:00:00Z');
  });

  test('a successful run writes a manifest with the cluster, each step id and log URI, durations and rows', async () => {
    const world = worldWithWatermark();

    await execute(definition, scheduled, world.handlers(), context);

    const manifest = world.manifest();
    expect(manifest).toMatchObject({
      pipeline: 'hourly',
      runId: RUN_ID,
      status: 'SUCCEEDED',
      executionArn: EXECUTION_ARN,
      clusterId: CLUSTER_ID,
      window: WINDOW,
      input: scheduled,
      error: null,
    });
    expect(manifest?.stages).toEqual({
      bronze: expect.objectContaining({ status: 'SUCCEEDED', stepId: 's-BRONZE1', stepLogUri: `s3://aqi-logs/emr/${CLUSTER_ID}/steps/s-BRONZE1/`, rowsWritten: STAGE_ROWS.bronze.rowsWritten, durationSeconds: STAGE_ROWS.bronze.durationSeconds }),
      silver: expect.objectContaining({ status: 'SUCCEEDED', stepId: 's-SILVER2', rowsWritten: STAGE_ROWS.silver.rowsWritten, durationSeconds: STAGE_ROWS.silver.durationSeconds }),
      gold: expect.objectContaining({ status: 'SUCCEEDED', stepId: 's-GOLD3', rowsWritten: STAGE_ROWS.gold.rowsWritten, durationSeconds: STAGE_ROWS.gold.durationSeconds }),
    });
  });

  test('the cluster is tagged with the execution ARN and the run id (the janitor finds it by them) and the project (for Cost Explorer)', async () => {
    const world = worldWithWatermark();

    await execute(definition, scheduled, world.handlers(), context);

    expect(world.emr.cluster(CLUSTER_ID).tags).toEqual({
      'project': 'aqi-pipeline',
      'aqi-pipeline:execution-arn': EXECUTION_ARN,
      'aqi-pipeline:run-id': RUN_ID,
      'aqi-pipeline:pipeline': 'hourly',
      'for-use-with-amazon-emr-managed-policies': 'true',
    });
  });

  test('a small window (100 locations × 4 h) runs on a single node: the request has the primary fleet only', async () => {
    const world = worldWithWatermark();

    await execute(definition, scheduled, world.handlers(), context);

    expect(world.createRequests.map((r) => r.Instances.InstanceFleets)).toEqual([
      [{ InstanceFleetType: 'MASTER', Name: 'master', TargetOnDemandCapacity: 1, InstanceTypeConfigs: [{ InstanceType: 'm7g.xlarge' }] }],
    ]);
  });

  test('a wide catch-up window (1,000 locations × 72 h) gets the core nodes the plan sized, and its cost lands in the manifest', async () => {
    const world = new HourlyWorld();
    world.locationCount = 1000;
    world.watermarks.set('hourly', { windowEnd: '2024-12-29T00:00:00Z', runId: 'hourly-20241229T0000Z-00000000', updatedAt: '2024-12-29T00:25:00Z' });
    world.usage.usage.set(CLUSTER_ID, {
      instances: [
        { instanceType: 'm7g.xlarge', market: 'ON_DEMAND', createdAt: new Date('2025-01-01T03:15:30Z'), endedAt: new Date('2025-01-01T03:45:30Z') },
        ...[1, 2, 3].map(() => ({ instanceType: 'm7g.xlarge', market: 'ON_DEMAND' as const, createdAt: new Date('2025-01-01T03:15:30Z'), endedAt: new Date('2025-01-01T03:45:30Z') })),
      ],
      normalizedInstanceHours: 32,
    });

    const outcome = await execute(definition, scheduled, world.handlers(), context);

    expect(outcome.entered).toContain('Create cluster');
    expect(world.createRequests.map((r) => r.Instances.InstanceFleets.map((f) => [f.InstanceFleetType, f.TargetOnDemandCapacity]))).toEqual([
      [
        ['MASTER', 1],
        ['CORE', 3],
      ],
    ]);
    const manifest = world.objects.json(LAKE_BUCKET, `runs/hourly/${RUN_ID}/manifest.json`) as { cost: { instanceSeconds: number; estimatedUsd: unknown } };
    expect(manifest.cost.instanceSeconds).toBe(4 * 1800);
    expect(manifest.cost.estimatedUsd).toEqual({ ec2: 0.32, emr: 0.08, total: 0.4 });
  });

  test.each<Stage>(['bronze', 'silver', 'gold'])(
    'when %s fails (after its retry), the cluster is terminated, the lock released, a failed manifest written, SNS notified, and the run fails with the step error',
    async (failing) => {
      // GIVEN
      const world = worldWithWatermark();
      world.behaviour[failing] = 'fail';

      // WHEN
      const outcome = await execute(definition, scheduled, world.handlers(), context);

      // THEN
      const failedStepId = world.emr.cluster(CLUSTER_ID).steps.at(-1)?.id as string;
      expect(outcome).toMatchObject({ status: 'FAILED', error: 'States.TaskFailed', cause: stepFailureCause(failedStepId, failing) });
      expect(world.stepCalls.filter((c) => c.stage === failing)).toHaveLength(2);
      expect(world.emr.cluster(CLUSTER_ID).state).toBe('TERMINATED');
      expect(world.lockRecord()).toBeUndefined();
      expect(world.manifest()).toMatchObject({
        status: 'FAILED',
        clusterId: CLUSTER_ID,
        error: { error: 'States.TaskFailed', cause: stepFailureCause(failedStepId, failing) },
      });
      expect(world.notifications).toHaveLength(1);
      expect(world.notifications[0]?.Subject).toBe('aqi-pipeline hourly run failed');
      expect(world.notifications[0]?.Message).toEqual({
        pipeline: 'hourly',
        runId: RUN_ID,
        executionArn: EXECUTION_ARN,
        clusterId: CLUSTER_ID,
        error: 'States.TaskFailed',
        cause: stepFailureCause(failedStepId, failing),
        recorded: expect.objectContaining({
          manifest: { manifestKey: `runs/hourly/${RUN_ID}/manifest.json`, status: 'FAILED', watermarkAdvanced: false },
        }),
      });
      expect(world.watermarks.get('hourly')?.windowEnd).toBe('2025-01-01T02:00:00Z');
      expect(outcome.entered.slice(-8)).toEqual([
        'Cancel running steps',
        'Terminate cluster (after failure)',
        'Record failed run',
        'Release lock (after failure)',
        'Failure has a cause?',
        'Describe failure',
        'Notify failure',
        'Fail run',
      ]);
    },
  );

  test('the stages after a failed one never start', async () => {
    const world = worldWithWatermark();
    world.behaviour.silver = 'fail';

    await execute(definition, scheduled, world.handlers(), context);

    expect(world.stepCalls.map((c) => c.stage)).toEqual(['bronze', 'silver', 'silver']);
  });

  test('when another run holds the lock, the execution succeeds as skipped, names the holder and starts no cluster', async () => {
    // GIVEN
    const world = worldWithWatermark();
    world.lockTable.items.set('lock', {
      pk: { S: 'lock' },
      holder: { S: OTHER_EXECUTION_ARN },
      runId: { S: 'backfill-20250101T0000Z-deadbeef' },
      pipeline: { S: 'backfill' },
      acquiredAt: { S: '2025-01-01T00:00:05Z' },
      expiresAt: { N: String(NOW.getTime() / 1000 + 3600) },
    });

    // WHEN
    const outcome = await execute(definition, scheduled, world.handlers(), context);

    // THEN
    expect(outcome).toMatchObject({ status: 'SUCCEEDED', error: undefined, cause: undefined });
    expect(outcome.output).toEqual({
      status: 'SKIPPED',
      reason: 'another run holds the pipeline lock',
      runId: RUN_ID,
      heldBy: {
        holder: OTHER_EXECUTION_ARN,
        runId: 'backfill-20250101T0000Z-deadbeef',
        pipeline: 'backfill',
        acquiredAt: '2025-01-01T00:00:05Z',
      },
    });
    expect(world.emr.clusters).toEqual([]);
    expect(world.lockRecord()?.holder).toBe(OTHER_EXECUTION_ARN);
  });

  test('a lock left past its expiry by a dead run is taken over', async () => {
    const world = worldWithWatermark();
    world.lockTable.items.set('lock', {
      pk: { S: 'lock' },
      holder: { S: OTHER_EXECUTION_ARN },
      expiresAt: { N: String(NOW.getTime() / 1000 - 1) },
    });

    const outcome = await execute(definition, scheduled, world.handlers(), context);

    expect(outcome.status).toBe('SUCCEEDED');
    expect(world.stepCalls).toHaveLength(3);
  });

  test('a run whose expired lock was taken over meanwhile still succeeds and leaves the new holder its lock', async () => {
    // GIVEN another execution takes the (expired) lock while Gold runs
    const world = worldWithWatermark();
    const handlers = world.handlers();
    const gold = handlers[HOURLY_STATES.stage('gold')] as TaskHandler;
    handlers[HOURLY_STATES.stage('gold')] = async (input) => {
      const out = await gold(input);
      world.lockTable.items.set('lock', { pk: { S: 'lock' }, holder: { S: OTHER_EXECUTION_ARN }, expiresAt: { N: '4102444800' } });
      return out;
    };

    // WHEN
    const outcome = await execute(definition, scheduled, handlers, context);

    // THEN
    expect(outcome.output).toMatchObject({ status: 'SUCCEEDED', runId: RUN_ID });
    expect(world.lockRecord()?.holder).toBe(OTHER_EXECUTION_ARN);
    expect(world.manifest()?.status).toBe('SUCCEEDED');
  });

  test('skipStages skips exactly those stages and the manifest records them as skipped', async () => {
    const world = worldWithWatermark();

    const outcome = await execute(definition, { ...scheduled, skipStages: ['bronze', 'gold'] }, world.handlers(), context);

    expect(outcome.status).toBe('SUCCEEDED');
    expect(world.stepCalls.map((c) => c.stage)).toEqual(['silver']);
    const stages = world.manifest()?.stages as Record<Stage, { status: string }>;
    expect([stages.bronze.status, stages.silver.status, stages.gold.status]).toEqual(['SKIPPED', 'SUCCEEDED', 'SKIPPED']);
  });

  test('a step that outlives its TimeoutSeconds is cancelled, the cluster terminated and the run fails with States.Timeout', async () => {
    // GIVEN: Gold hangs; its 1800 s timeout is compressed to 1 s so the interpreter's own timer fires.
    const world = worldWithWatermark();
    world.behaviour.gold = 'hang';
    const compressed = JSON.parse(JSON.stringify(definition)) as AslDefinition;
    expect(compressed.States[HOURLY_STATES.stage('gold')]?.TimeoutSeconds).toBe(1800);
    const gold = compressed.States[HOURLY_STATES.stage('gold')] as AslState;
    gold.TimeoutSeconds = 1;

    // WHEN
    const outcome = await execute(compressed, scheduled, world.handlers(), context);

    // THEN
    expect(outcome).toMatchObject({ status: 'FAILED', error: 'States.Timeout' });
    const cluster = world.emr.cluster(CLUSTER_ID);
    expect(cluster.steps.map((s) => [s.id, s.state])).toEqual([
      ['s-BRONZE1', 'COMPLETED'],
      ['s-SILVER2', 'COMPLETED'],
      ['s-GOLD3', 'CANCELLED'],
    ]);
    expect(cluster.state).toBe('TERMINATED');
    expect(world.lockRecord()).toBeUndefined();
    expect(world.manifest()).toMatchObject({ status: 'FAILED', error: { error: 'States.Timeout' } });
  });

  test('when createCluster fails, the clusters tagged with the execution are terminated and the run fails with that error', async () => {
    const world = worldWithWatermark();
    world.createClusterError = taskError('States.Timeout', 'createCluster did not finish in 1800 seconds');

    const outcome = await execute(definition, scheduled, world.handlers(), context);

    expect(outcome).toMatchObject({ status: 'FAILED', error: 'States.Timeout', cause: 'createCluster did not finish in 1800 seconds' });
    expect(world.emr.cluster(CLUSTER_ID).state).toBe('TERMINATED');
    expect(world.lockRecord()).toBeUndefined();
    expect(world.manifest()).toMatchObject({ status: 'FAILED', clusterId: null });
    expect(world.stepCalls).toEqual([]);
  });

  test('a failure Step Functions reports without a Cause (a task timeout) is still notified and failed with its error', async () => {
    // GIVEN the teardown tail entered with the error output a timed-out task produces: no Cause field
    // (and what `Record failed run` left under $.teardown, as every path into the tail does).
    const world = worldWithWatermark();
    const tail = fromState(definition, 'Failure has a cause?');
    const recorded = { manifest: { manifestKey: `runs/hourly/${RUN_ID}/manifest.json`, status: 'FAILED', watermarkAdvanced: false } };
    const state = { plan: { runId: RUN_ID }, cluster: { ClusterId: CLUSTER_ID }, error: { Error: 'States.Timeout' }, teardown: recorded };

    // WHEN
    const outcome = await execute(tail, state, world.handlers(), context);

    // THEN
    const cause = 'Step Functions reported no cause; see the execution history';
    expect(outcome).toMatchObject({ status: 'FAILED', error: 'States.Timeout', cause });
    expect(outcome.entered).toEqual(['Failure has a cause?', 'Note missing cause', 'Describe failure', 'Notify failure', 'Fail run']);
    expect(world.notifications[0]?.Message).toMatchObject({ error: 'States.Timeout', cause });
  });

  test('malformed input fails at once with InvalidHourlyInput, before the lock or any cluster', async () => {
    const world = worldWithWatermark();

    const outcome = await execute(definition, { windowEnd: '2025-01-01T03:30:00Z' }, world.handlers(), context);

    expect(outcome.status).toBe('FAILED');
    expect(outcome.error).toBe('InvalidHourlyInput');
    expect(outcome.cause).toBe(
      'invalid hourly input: windowEnd: must be a whole UTC hour such as 2025-01-01T03:00:00Z (got "2025-01-01T03:30:00Z")',
    );
    expect(outcome.entered).toEqual(['Plan hourly run']);
    expect(world.lockRecord()).toBeUndefined();
  });

  test('a manual windowEnd re-runs that one window without moving the watermark back', async () => {
    const world = worldWithWatermark();

    const outcome = await execute(definition, { windowEnd: '2024-12-30T10:00:00Z' }, world.handlers(), context);

    expect(outcome.output).toMatchObject({
      status: 'SUCCEEDED',
      runId: 'hourly-20241230T1000Z-1a2b3c4d',
      window: { start: '2024-12-30T06:00:00Z', end: '2024-12-30T10:00:00Z' },
      watermarkAdvanced: false,
    });
    expect(world.watermarks.get('hourly')?.windowEnd).toBe('2025-01-01T02:00:00Z');
  });
});
