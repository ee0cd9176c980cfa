import { ExecutionAbortedError, ExecutionError } from 'aws-local-stepfunctions';
import { backfillDefinitionOf, synthBackfill } from './backfill-harness';
import { BackfillWorld, CLUSTER_ID, DEL_NORTE, EXECUTION_ARN, LAKE, OTHER_EXECUTION_ARN } from './backfill-world';

const JAN = '2024-01-01_2024-01-31';
const FEB = '2024-02-01_2024-02-29';
const MAR = '2024-03-01_2024-03-31';
const INPUT = { startDate: '2024-01-01', endDate: '2024-03-31' };
const ALBUQUERQUE = { id: 8118, name: 'Albuquerque', timezone: 'America/Denver' };
const CONFIGURED_LOCATIONS_URI = 's3://aqi-artifacts/config/locations.json';

let definition: object;
beforeAll(() => {
  definition = backfillDefinitionOf(synthBackfill().template);
});

async function failureOf(promise: Promise<unknown>): Promise<{ Error: string; Cause: string }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ExecutionError) {
      const cause = error.cause as Error;
      return { Error: cause.name, Cause: cause.message };
    }
    throw error;
  }
  throw new Error('the execution succeeded');
}

const manifestOf = (world: BackfillWorld, runId: string) => world.store.json(LAKE, `runs/backfill/${runId}/manifest.json`) as Record<string, unknown>;
const chunkStepsRun = (world: BackfillWorld) =>
  world.calls.filter((c) => c.state === 'Bronze chunk').map((c) => (c.input as { Step: { Name: string } }).Step.Name);
const stepArgs = (world: BackfillWorld, state: string) =>
  world.calls.filter((c) => c.state === state).map((c) => (c.input as { Step: { HadoopJarStep: { Args: string[] } } }).Step.HadoopJarStep.Args);
const valueAfter = (args: string[], name: string) => args[args.indexOf(name) + 1];
const sparkSubmitOptions = (args: string[]) => args.slice(0, args.indexOf('--py-files'));
const runIdOf = (world: BackfillWorld) => (world.calls.find((c) => c.state === 'Fan in')!.input as { runId: string }).runId;

describe('the synthesized backfill state machine on the local interpreter', () => {
  test('all chunks succeed: one Bronze step per chunk, then fan-in, Silver and Gold over the range, cluster terminated, lock released', async () => {
    const world = new BackfillWorld();
    const output = (await world.start(definition, INPUT).result) as Record<string, unknown>;
    expect(output).toEqual({
      status: 'SUCCEEDED',
      failedChunks: [],
      reprocessInput: null,
      unreadableSourceCount: 0,
      cause: expect.stringMatching(/^Backfill backfill-\d{8}T\d{4}Z-[0-9a-f]{8} succeeded$/),
    });
    expect(chunkStepsRun(world).sort()).toEqual([`bronze ${JAN}`, `bronze ${FEB}`, `bronze ${MAR}`]);
    const silver = world.calls.find((c) => c.state === 'Silver range')!.input as { Step: { HadoopJarStep: { Args: string[] } } };
    const args = silver.Step.HadoopJarStep.Args;
    expect(args.slice(args.indexOf('--mode'), args.indexOf('--mode') + 6)).toEqual(['--mode', 'range', '--start', '2024-01-01', '--end', '2024-03-31']);
    expect(world.statesCalled().filter((s) => !['Bronze chunk', 'Record chunk step'].includes(s))).toEqual([
      'Plan backfill', 'Acquire lock', 'Create cluster', 'Fan in', 'Silver range', 'Gold range', 'Terminate cluster', 'Finalize', 'Release lock',
    ]);
    expect(world.clusters.get(CLUSTER_ID)?.state).toBe('TERMINATED');
    expect(world.lock).toBeUndefined();
  });

  test('the cluster is created with the step concurrency and scaling limits of the plan', async () => {
    const world = new BackfillWorld();
    await world.start(definition, { ...INPUT, maxConcurrency: 2 }).result;
    const create = world.calls.find((c) => c.state === 'Create cluster')!.input as Record<string, Record<string, unknown>>;
    expect(create.StepConcurrencyLevel).toBe(2);
    expect(create.ManagedScalingPolicy).toEqual({ ComputeLimits: { UnitType: 'InstanceFleetUnits', MinimumCapacityUnits: 2, MaximumCapacityUnits: 3 } });
  });

  test('a run with locations gives every chunk step the run’s own locations document, which holds exactly that subset', async () => {
    const world = new BackfillWorld([DEL_NORTE, ALBUQUERQUE]);
    await world.start(definition, { ...INPUT, locations: [8118] }).result;
    const runLocationsUri = `s3://${LAKE}/runs/backfill/${runIdOf(world)}/locations.json`;
    expect(stepArgs(world, 'Bronze chunk').map((args) => valueAfter(args, '--locations-uri'))).toEqual([runLocationsUri, runLocationsUri, runLocationsUri]);
    expect(world.store.json(LAKE, `runs/backfill/${runIdOf(world)}/locations.json`)).toEqual([ALBUQUERQUE]);
  });

  test('Silver and Gold ranges read every configured location, whatever subset Bronze ingested', async () => {
    const world = new BackfillWorld([DEL_NORTE, ALBUQUERQUE]);
    await world.start(definition, { ...INPUT, locations: [8118] }).result;
    expect([...stepArgs(world, 'Silver range'), ...stepArgs(world, 'Gold range')].map((args) => valueAfter(args, '--locations-uri'))).toEqual([
      CONFIGURED_LOCATIONS_URI,
      CONFIGURED_LOCATIONS_URI,
    ]);
  });

  test('every chunk step is capped at the plan’s executors per step: 17 locations × 31 days = 527 archive files, 2 executors', async () => {
    const stations = Array.from({ length: 17 }, (_, i) => ({ id: 9001 + i, name: `Station ${i + 1}`, timezone: 'America/Denver' }));
    const world = new BackfillWorld(stations);
    await world.start(definition, INPUT).result;
    const capped = ['/usr/local/bin/aqi-spark-submit', '--deploy-mode', 'cluster', '--conf', 'spark.yarn.maxAppAttempts=1', '--conf', 'spark.dynamicAllocation.maxExecutors=2'];
    expect(stepArgs(world, 'Bronze chunk').map(sparkSubmitOptions)).toEqual([capped, capped, capped]);
  });

  test('Silver and Gold are not capped: they run alone on the cluster after the chunks', async () => {
    const world = new BackfillWorld();
    await world.start(definition, INPUT).result;
    const uncapped = ['/usr/local/bin/aqi-spark-submit', '--deploy-mode', 'cluster', '--conf', 'spark.yarn.maxAppAttempts=1'];
    expect([...stepArgs(world, 'Silver range'), ...stepArgs(world, 'Gold range')].map(sparkSubmitOptions)).toEqual([uncapped, uncapped]);
  });

  test('some chunks fail: the others go through Silver and Gold, the run fails naming the failed chunks and the reprocess input', async () => {
    const world = new BackfillWorld();
    world.chunkBehaviour.set(FEB, 'fail');
    world.chunkBehaviour.set(MAR, 'timeout');
    const failure = await failureOf(world.start(definition, INPUT).result);
    const runId = /Backfill (backfill-\S+):/.exec(failure.Cause)![1];
    expect(failure).toEqual({
      Error: 'BackfillChunksFailed',
      Cause:
        `Backfill ${runId}: 2 of 3 Bronze chunks failed (${FEB}, ${MAR}); the other chunks went through Silver and Gold. ` +
        `Start a new execution with this input to rerun only the failed chunks: {"startDate":"2024-01-01","endDate":"2024-03-31","reprocessFailedOf":"${runId}"}`,
    });
    // The failed step was retried once (stepRetries 1); the timed-out one was not, and was cancelled by
    // its name so it gives its step-concurrency slot back; nothing else was cancelled.
    expect(chunkStepsRun(world).filter((n) => n === `bronze ${FEB}`)).toHaveLength(2);
    expect(chunkStepsRun(world).filter((n) => n === `bronze ${MAR}`)).toHaveLength(1);
    expect(world.calls.filter((c) => c.state === 'Cancel timed-out chunk step').map((c) => c.input)).toEqual([
      { clusterId: CLUSTER_ID, stepName: `bronze ${MAR}` },
    ]);
    expect(world.emr.cluster(CLUSTER_ID).steps.map((s) => [s.name, s.state])).toEqual(
      expect.arrayContaining([
        [`bronze ${JAN}`, 'COMPLETED'],
        [`bronze ${FEB}`, 'FAILED'],
        [`bronze ${MAR}`, 'CANCELLED'],
        ['silver', 'COMPLETED'],
        ['gold', 'COMPLETED'],
      ]),
    );
    expect(world.emr.cluster(CLUSTER_ID).steps.filter((s) => s.state === 'CANCELLED')).toHaveLength(1);
    expect(world.statesCalled()).toEqual(expect.arrayContaining(['Silver range', 'Gold range', 'Terminate cluster', 'Release lock']));
    expect(world.statesCalled()).not.toContain('Cancel running steps');
    const manifest = manifestOf(world, runId) as { status: string; failedChunks: string[]; chunks: { chunkId: string; failure: string | null; stepId: string | null }[] };
    expect(manifest.status).toBe('FAILED');
    expect(manifest.chunks.map((c) => [c.chunkId, c.failure])).toEqual([
      [JAN, null],
      [FEB, 'States.TaskFailed: EMR step s-0004 FAILED'],
      [MAR, 'States.Timeout: States.Timeout'],
    ]);
    expect(world.lock).toBeUndefined();
  });

  test('an archive file a chunk could not read ends the run SUCCEEDED but not silently: listed in the manifest, counted, named in a notice', async () => {
    // GIVEN February's Bronze step could not read one file (the day's other files went in)
    const world = new BackfillWorld();
    const key = 'records/csv.gz/locationid=2178/year=2024/month=02/location-2178-20240214.csv.gz';
    world.unreadableFiles.set(FEB, [{ key, reason: 'truncated gzip: the compressed stream ends early', rejectedLines: 17 }]);

    // WHEN
    const output = (await world.start(definition, INPUT).result) as Record<string, unknown>;

    // THEN the run succeeds, and its outcome, manifest, metric and notice all name the file
    const runId = runIdOf(world);
    const retryInput = { startDate: '2024-02-14', endDate: '2024-02-14', chunk: 'day', locations: [2178] };
    const manifestUri = `s3://${LAKE}/runs/backfill/${runId}/manifest.json`;
    const notice = {
      runId,
      count: 1,
      files: [{ key, reason: 'truncated gzip: the compressed stream ends early', retryInput }],
      notListed: 0,
      manifest: manifestUri,
      whatToDo: expect.stringContaining('start a backfill with its retryInput'),
    };
    expect(output).toMatchObject({ status: 'SUCCEEDED', unreadableSourceCount: 1, unreadableSources: notice });
    expect(output.cause).toBe(
      `Backfill ${runId} succeeded; 1 archive file could not be read and was skipped (the manifest's unreadableSources lists each with its reason and the input that retries it)`,
    );
    expect(manifestOf(world, runId)).toMatchObject({
      status: 'SUCCEEDED',
      unreadableSources: [{ key, reason: 'truncated gzip: the compressed stream ends early', rejectedLines: 17, chunkId: FEB, retryInput }],
    });
    expect(world.metrics.published).toEqual([{ namespace: 'AqiPipeline', metric: { name: 'UnreadableSourceFiles', value: 1, unit: 'Count', dimensions: { Pipeline: 'backfill' } } }]);
    const published = world.calls.filter((c) => c.state === 'Notify unreadable source files').map((c) => c.input);
    expect(published).toEqual([{ TopicArn: expect.any(String), Subject: 'aqi-pipeline backfill could not read some archive files', Message: notice }]);
    expect(world.statesCalled().slice(-2)).toEqual(['Release lock', 'Notify unreadable source files']);
    expect(world.lock).toBeUndefined();

    // AND the retry input is one a backfill accepts: it plans exactly that location-day
    world.unreadableFiles.clear();
    world.calls.length = 0;
    const retried = (await world.start(definition, retryInput).result) as Record<string, unknown>;
    expect(retried).toMatchObject({ status: 'SUCCEEDED', unreadableSourceCount: 0 });
    expect(chunkStepsRun(world)).toEqual(['bronze 2024-02-14_2024-02-14']);
    expect(stepArgs(world, 'Bronze chunk').map((args) => valueAfter(args, '--locations-uri'))).toEqual([`s3://${LAKE}/runs/backfill/${runIdOf(world)}/locations.json`]);
    expect(world.store.json(LAKE, `runs/backfill/${runIdOf(world)}/locations.json`)).toEqual([DEL_NORTE]);
    expect(world.statesCalled()).not.toContain('Notify unreadable source files');
  });

  test('a failed unreadable-files notice is recorded and the run still ends with its outcome: the files stay in the manifest and the metric', async () => {
    const world = new BackfillWorld();
    world.unreadableFiles.set(JAN, [{ key: 'records/csv.gz/locationid=2178/year=2024/month=01/location-2178-20240102.csv.gz', reason: 'empty file: 0 bytes, not even a gzip header', rejectedLines: 0 }]);
    world.notifyUnreadableFails = true;
    const output = (await world.start(definition, INPUT).result) as Record<string, unknown>;
    expect(output).toMatchObject({ status: 'SUCCEEDED', unreadableSourceCount: 1 });
    expect(world.statesCalled().slice(-2)).toEqual(['Release lock', 'Notify unreadable source files']);
    expect((manifestOf(world, runIdOf(world)).unreadableSources as unknown[]).length).toBe(1);
    expect(world.metrics.published.map((p) => p.metric.value)).toEqual([1]);
  });

  test('reprocessFailedOf runs only the failed chunks of that run', async () => {
    const world = new BackfillWorld();
    world.chunkBehaviour.set(FEB, 'fail');
    const failure = await failureOf(world.start(definition, INPUT).result);
    const reprocessInput = JSON.parse(failure.Cause.slice(failure.Cause.indexOf('{')));
    world.chunkBehaviour.clear();
    world.calls.length = 0;

    const output = (await world.start(definition, reprocessInput).result) as Record<string, unknown>;

    expect(output.status).toBe('SUCCEEDED');
    expect(chunkStepsRun(world)).toEqual([`bronze ${FEB}`]);
    const silverArgs = (world.calls.find((c) => c.state === 'Silver range')!.input as { Step: { HadoopJarStep: { Args: string[] } } }).Step.HadoopJarStep.Args;
    expect(silverArgs.slice(silverArgs.indexOf('--start'), silverArgs.indexOf('--start') + 4)).toEqual(['--start', '2024-02-01', '--end', '2024-02-29']);
  });

  test('an invalid input fails at once with InvalidBackfillInput and its message, before any lock or cluster', async () => {
    const world = new BackfillWorld();
    const failure = await failureOf(world.start(definition, { startDate: '2024-02-30', endDate: '2024-03-31' }).result);
    expect(failure).toEqual({ Error: 'InvalidBackfillInput', Cause: 'startDate = "2024-02-30": not a calendar date; allowed: YYYY-MM-DD, e.g. "2024-01-01"' });
    expect(world.statesCalled()).toEqual(['Plan backfill']);
  });

  test('the lock held by another run: the backfill succeeds as skipped, naming the holder, with no cluster', async () => {
    const world = new BackfillWorld();
    world.lock = { holder: OTHER_EXECUTION_ARN, runId: 'hourly-20251020T1200Z-00000000', pipeline: 'hourly', acquiredAt: '2025-10-20T12:15:00Z', expiresAt: 1_900_000_000 };
    const output = (await world.start(definition, INPUT).result) as Record<string, unknown>;
    expect(output).toMatchObject({ status: 'SKIPPED', heldBy: { holder: OTHER_EXECUTION_ARN, runId: 'hourly-20251020T1200Z-00000000', pipeline: 'hourly' } });
    expect(world.statesCalled()).toEqual(['Plan backfill', 'Acquire lock', 'Read lock holder']);
    expect(world.lock?.holder).toBe(OTHER_EXECUTION_ARN);
  });

  test('a lock taken over while the run finished stays with its new holder, and the run still succeeds with its recorded outcome', async () => {
    // GIVEN another execution takes the (expired) lock while Gold runs
    const world = new BackfillWorld();
    const handlers = world.handlers();
    const gold = handlers['Gold range'];
    world.handlers = () => ({
      ...handlers,
      'Gold range': async (input) => {
        const out = await gold(input);
        world.lock = { holder: OTHER_EXECUTION_ARN, runId: 'hourly-20251020T1500Z-00000000', pipeline: 'hourly', acquiredAt: '2025-10-20T15:00:00Z', expiresAt: 1_900_000_000 };
        return out;
      },
    });

    // WHEN
    const output = (await world.start(definition, INPUT).result) as Record<string, unknown>;

    // THEN
    expect(output).toMatchObject({ status: 'SUCCEEDED', failedChunks: [] });
    expect(world.lock?.holder).toBe(OTHER_EXECUTION_ARN);
    expect(world.statesCalled().slice(-2)).toEqual(['Finalize', 'Release lock']);
  });

  test('stages leaves out the others: without gold, no Gold step runs', async () => {
    const world = new BackfillWorld();
    const output = await world.start(definition, { ...INPUT, stages: ['bronze', 'silver'] }).result;
    expect(output).toMatchObject({ status: 'SUCCEEDED' });
    expect(world.statesCalled()).toContain('Silver range');
    expect(world.statesCalled()).not.toContain('Gold range');
  });

  test('Silver failing takes the teardown: steps cancelled, cluster terminated, failed manifest, lock released, run failed with Silver’s error', async () => {
    const world = new BackfillWorld();
    world.failStage = 'Silver range';
    const failure = await failureOf(world.start(definition, INPUT).result);
    expect(failure.Error).toBe('States.TaskFailed');
    expect(world.statesCalled().slice(-7)).toEqual([
      'Silver range', 'Silver range', 'Cancel running steps', 'Terminate cluster (after failure)', 'Record failed run', 'Release lock (after failure)', 'Notify failure',
    ]);
    expect(world.statesCalled()).not.toContain('Gold range');
    expect(world.clusters.get(CLUSTER_ID)?.state).toBe('TERMINATED');
    expect(world.lock).toBeUndefined();
    const runId = (world.calls.find((c) => c.state === 'Fan in')!.input as { runId: string }).runId;
    expect(manifestOf(world, runId)).toMatchObject({ status: 'FAILED', error: { error: 'States.TaskFailed' } });
  });

  test('an abort during the Map runs no Catch; the janitor on the ABORTED event terminates the cluster and releases the lock', async () => {
    const world = new BackfillWorld();
    let started!: () => void;
    const stepStarted = new Promise<void>((resolve) => (started = resolve));
    let release!: () => void;
    world.holdChunk = { chunkId: FEB, started, release: new Promise<void>((resolve) => (release = resolve)) };
    const execution = world.start(definition, INPUT);
    await stepStarted;

    execution.abort();
    await expect(execution.result).rejects.toBeInstanceOf(ExecutionAbortedError);

    expect(world.statesCalled()).not.toContain('Cancel running steps');
    expect(world.clusters.get(CLUSTER_ID)?.state).toBe('WAITING');
    expect(world.lock?.holder).toBe(EXECUTION_ARN);
    expect(await world.deliverStatusChange('ABORTED')).toEqual({ executionArn: EXECUTION_ARN, terminatedClusterIds: [CLUSTER_ID], lockReleased: true });
    expect(world.clusters.get(CLUSTER_ID)?.state).toBe('TERMINATED');
    expect(world.lock).toBeUndefined();
    // Let the held step answer, so the interpreter clears that task's hour-long timeout timer.
    release();
  });
});
