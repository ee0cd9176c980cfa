import { Match } from 'aws-cdk-lib/assertions';
import type { AslDefinition, AslState } from '../../local/definition';
import { backfillDefinitionOf, synthBackfill } from './backfill-harness';

describe('the backfill workflow as synthesized', () => {
  const { template } = synthBackfill();
  const definition = backfillDefinitionOf(template);
  const states = definition.States;
  const chunkStates = (states['Bronze chunks'].ItemProcessor as AslDefinition).States;

  test('the plan Lambda gets the limits, timeouts and buckets from the configuration', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Validates a backfill input'),
      Environment: {
        Variables: Match.objectLike({
          MAX_RANGE_DAYS: '1096',
          DEFAULT_MAX_CONCURRENCY: '4',
          MAX_CONCURRENCY_LIMIT: '16',
          CORE_INSTANCE_COUNT: '2',
          BRONZE_TIMEOUT_SECONDS: '3600',
          SILVER_TIMEOUT_SECONDS: '3600',
          GOLD_TIMEOUT_SECONDS: '1800',
          FAILED_STEP_RETRIES: '1',
        }),
      },
    });
  });

  test('the execution times out after the longest run the configuration accepts: 1,096 daily chunks one at a time, Silver, Gold, every retry', () => {
    // 2 attempts × (1096 × 3600 s + 3600 s + 1800 s) + 3600 s cluster lifecycle + 900 s margin
    const seconds = 2 * (1096 * 3600 + 3600 + 1800) + 3600 + 900;
    expect(seconds).toBe(7_906_500);
    expect(definition.TimeoutSeconds).toBe(seconds);
  });

  test('releasing the lock is caught: a lock taken over ends the run normally, any other failure goes through the teardown', () => {
    expect(states['Release lock'].Catch).toEqual([
      { ErrorEquals: ['DynamoDB.ConditionalCheckFailedException'], ResultPath: '$.lockReleaseSkipped', Next: 'Any unreadable source files?' },
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Cancel running steps' },
    ]);
  });

  test('after the lock is released, a run that could not read some archive files publishes finalize’s notice to the topic, then ends with its outcome even if publishing fails', () => {
    expect(states['Release lock'].Next).toBe('Any unreadable source files?');
    expect(states['Any unreadable source files?']).toEqual({
      Type: 'Choice',
      Choices: [{ Variable: '$.outcome.unreadableSources', IsPresent: true, Next: 'Notify unreadable source files' }],
      Default: 'Any chunk failed?',
    });
    expect(states['Notify unreadable source files']).toMatchObject({
      Resource: 'arn:aws:states:::sns:publish',
      Parameters: { Subject: 'aqi-pipeline backfill could not read some archive files', 'Message.$': '$.outcome.unreadableSources' },
      ResultPath: null,
      TimeoutSeconds: 30,
      Next: 'Any chunk failed?',
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.unreadableNoticeFailed', Next: 'Any chunk failed?' }],
    });
  });

  test('the state machine logs ALL with execution data and traces with X-Ray', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: true }),
      TracingConfiguration: { Enabled: true },
    });
  });

  test('the plan gets the execution input, ARN and start time, and only InvalidBackfillInput skips everything', () => {
    expect(states['Plan backfill']).toMatchObject({
      Parameters: { 'input.$': '$$.Execution.Input', 'executionArn.$': '$$.Execution.Id', 'executionStartTime.$': '$$.Execution.StartTime' },
      ResultPath: '$.plan',
      Catch: [{ ErrorEquals: ['InvalidBackfillInput'], Next: 'Describe invalid input' }],
    });
    expect(states['Invalid input']).toEqual({
      Type: 'Fail',
      Comment: 'Rejected before any lock or cluster exists.',
      Error: 'InvalidBackfillInput',
      CausePath: '$.invalidInput.envelope.errorMessage',
    });
  });

  test('the cluster takes its step concurrency and managed scaling from the plan, and keeps LogUri, security configuration and idle timeout', () => {
    const params = states['Create cluster'].Parameters as Record<string, unknown>;
    expect(params).toMatchObject({
      'StepConcurrencyLevel.$': '$.plan.cluster.stepConcurrency',
      ManagedScalingPolicy: { ComputeLimits: { 'MinimumCapacityUnits.$': '$.plan.cluster.minCapacityUnits', 'MaximumCapacityUnits.$': '$.plan.cluster.maxCapacityUnits' } },
      LogUri: 's3://aqi-logs/emr/',
      SecurityConfiguration: 'aqi-at-rest',
      AutoTerminationPolicy: { IdleTimeout: 1800 },
    });
  });

  test('each chunk is a Bronze EMR step in backfill mode with CONTINUE on failure, its window split from the chunk id', () => {
    expect(states['Bronze chunks']).toMatchObject({
      ItemsPath: '$.plan.chunkIds',
      MaxConcurrencyPath: '$.plan.cluster.stepConcurrency',
      ItemSelector: {
        'chunkId.$': '$$.Map.Item.Value',
        'start.$': "States.ArrayGetItem(States.StringSplit($$.Map.Item.Value, '_'), 0)",
        'end.$': "States.ArrayGetItem(States.StringSplit($$.Map.Item.Value, '_'), 1)",
        'locationsUri.$': '$.plan.locationsUri',
        'executorsPerStep.$': '$.plan.cluster.executorsPerStep',
      },
    });
    const step = chunkStates['Bronze chunk'] as AslState & { Parameters: { Step: { ActionOnFailure: string; HadoopJarStep: { 'Args.$': string } } } };
    expect(step.Parameters.Step.ActionOnFailure).toBe('CONTINUE');
    expect(step.Parameters.Step.HadoopJarStep['Args.$']).toContain("'bronze', '--run-id', $.runId, '--mode', 'backfill', '--start', $.start, '--end', $.end, '--chunk-id', $.chunkId");
    expect(step.Catch).toEqual([
      { ErrorEquals: ['States.Timeout'], ResultPath: '$.failure', Next: 'Cancel timed-out chunk step' },
      { ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'Record chunk failure' },
    ]);
  });

  test('a timed-out chunk’s step is cancelled by its name, then the chunk is recorded as failed even if the cancel fails', () => {
    const cancel = chunkStates['Cancel timed-out chunk step'] as AslState & { Parameters: Record<string, string>; Catch: unknown; Next: string };
    expect(cancel.Parameters).toEqual({ 'clusterId.$': '$.clusterId', 'stepName.$': "States.Format('bronze {}', $.chunkId)" });
    expect(cancel.ResultPath).toBeNull();
    expect(cancel.Next).toBe('Record chunk failure');
    expect(cancel.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.cancelFailure', Next: 'Record chunk failure' }]);
    const step = chunkStates['Bronze chunk'] as AslState & { Parameters: { Step: { 'Name.$': string } } };
    expect(step.Parameters.Step['Name.$']).toBe("States.Format('bronze {}', $.chunkId)");
  });

  test('a chunk step caps its executors at the plan’s executors per step and reads the run’s locations document', () => {
    const args = (chunkStates['Bronze chunk'].Parameters as { Step: { HadoopJarStep: { 'Args.$': string } } }).Step.HadoopJarStep['Args.$'];
    expect(args).toMatch(
      /^States\.Array\('\/usr\/local\/bin\/aqi-spark-submit', '--deploy-mode', 'cluster', '--conf', 'spark\.yarn\.maxAppAttempts=1', '--conf', States\.Format\('spark\.dynamicAllocation\.maxExecutors=\{\}', \$\.executorsPerStep\), '--py-files', /,
    );
    expect(args).toMatch(/, '--locations-uri', \$\.locationsUri\)$/);
  });

  test('every state from cluster creation to finalize is caught into the teardown', () => {
    for (const name of ['Bronze chunks', 'Fan in', 'Silver range', 'Gold range', 'Terminate cluster', 'Finalize']) {
      expect({ name, catch: states[name].Catch }).toEqual({ name, catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Cancel running steps' }] });
    }
    expect(states['Create cluster'].Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Terminate clusters of this execution' }]);
  });

  test('the state machine may start, describe and stop its own chunk child executions (Distributed Map)', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'states:StartExecution', Effect: 'Allow' })]) },
    });
  });

  test('Silver and Gold run in range mode over the plan window', () => {
    for (const name of ['Silver range', 'Gold range']) {
      const args = (states[name].Parameters as { Step: { HadoopJarStep: { 'Args.$': string } } }).Step.HadoopJarStep['Args.$'];
      expect(args).toContain("'--mode', 'range', '--start', $.plan.window.start, '--end', $.plan.window.end");
    }
  });

  test('Silver and Gold read the configured locations and take no per-run executor cap', () => {
    for (const name of ['Silver range', 'Gold range']) {
      const args = (states[name].Parameters as { Step: { HadoopJarStep: { 'Args.$': string } } }).Step.HadoopJarStep['Args.$'];
      expect({ name, locations: args.slice(args.indexOf("'--locations-uri'")), capped: args.includes('maxExecutors') }).toEqual({
        name,
        locations: "'--locations-uri', 's3://aqi-artifacts/config/locations.json')",
        capped: false,
      });
    }
  });
});
