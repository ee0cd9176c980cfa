import { App, Duration, Stack } from 'aws-cdk-lib';
import { StateMachine } from 'aws-local-stepfunctions';
import { silverQualityLimits, type StageInvocation, stageStepArgs } from '../../../lib/workflow/stage-args';
import { stageStepTask } from '../../../lib/workflow/stage-step';

const CONTEXT = {
  lakeBucketName: 'aqi-lake',
  sparkJobs: { bucketName: 'aqi-artifacts', packageKey: 'spark-jobs/aqi_jobs.zip', entryKey: 'spark-jobs/entry.py', locationsKey: 'config/locations.json', emrFilesPrefix: 'spark-jobs/emr/' },
};
const RUN_ID = 'backfill-20251020T1234Z-1a2b3c4d';
const STATE = {
  plan: { runId: RUN_ID, window: { start: '2024-01-01', end: '2024-03-31' }, cluster: { executorsPerStep: 3 }, locationsUri: `s3://aqi-lake/runs/backfill/${RUN_ID}/locations.json` },
};
const SILVER_RANGE: StageInvocation = { pipeline: 'backfill', stage: 'silver', mode: 'range', startPath: '$.plan.window.start', endPath: '$.plan.window.end' };

/** The `Args.$` expression of a synthesized stage step. */
function argsExpression(invocation: StageInvocation): string {
  const stack = new Stack(new App(), 'Args');
  const task = stageStepTask(stack, 'Step', { context: CONTEXT, invocation, timeout: Duration.hours(1), failedStepRetries: 0 });
  return (stack.resolve(task.toStateJson()) as { Parameters: { Step: { HadoopJarStep: { 'Args.$': string } } } }).Parameters.Step.HadoopJarStep['Args.$'];
}

/** The argument list Step Functions hands EMR for this state: the expression evaluated by the local interpreter. */
async function argsFor(invocation: StageInvocation, state: object = STATE): Promise<string[]> {
  const machine = new StateMachine({ StartAt: 'Args', States: { Args: { Type: 'Pass', Parameters: { 'args.$': argsExpression(invocation) }, End: true } } });
  const output = (await machine.run(state as never).result) as { args: string[] };
  return output.args;
}

const valueAfter = (args: string[], name: string) => args[args.indexOf(name) + 1];

describe('stageStepArgs', () => {
  test('by default a step reads the deployment’s config/locations.json and sets only the fixed Spark settings', async () => {
    const args = await argsFor(SILVER_RANGE);
    expect(args).toEqual([
      '/usr/local/bin/aqi-spark-submit', '--deploy-mode', 'cluster', '--conf', 'spark.yarn.maxAppAttempts=1',
      '--py-files', 's3://aqi-artifacts/spark-jobs/aqi_jobs.zip', 's3://aqi-artifacts/spark-jobs/entry.py', 'silver',
      '--run-id', RUN_ID, '--mode', 'range', '--start', '2024-01-01', '--end', '2024-03-31',
      '--warehouse', 's3://aqi-lake/warehouse/', '--catalog', 'glue', '--result-uri', `s3://aqi-lake/runs/backfill/${RUN_ID}/results/silver.json`,
      '--locations-uri', 's3://aqi-artifacts/config/locations.json',
    ]);
  });

  test('Silver’s quality limits become --max-rejected-share and --silent-location-hours, before --locations-uri', async () => {
    const args = await argsFor({ ...SILVER_RANGE, qualityLimits: silverQualityLimits({ enabled: true, maxRejectedShare: 0.2, silentLocationHours: 24 }) });
    expect(args.slice(args.indexOf('--result-uri') + 2)).toEqual([
      '--max-rejected-share', '0.2', '--silent-location-hours', '24', '--locations-uri', 's3://aqi-artifacts/config/locations.json',
    ]);
  });

  test('a disabled gate passes no limit, and 0 hours turns only the silent-location rule off', () => {
    expect(silverQualityLimits({ enabled: false, maxRejectedShare: 0.2, silentLocationHours: 24 })).toEqual({});
    expect(silverQualityLimits({ enabled: true, maxRejectedShare: 0.5, silentLocationHours: 0 })).toEqual({ maxRejectedShare: 0.5 });
  });

  test('quality limits on a stage other than Silver fail synth', () => {
    expect(() => argsExpression({ ...SILVER_RANGE, stage: 'gold', qualityLimits: { maxRejectedShare: 0.2 } })).toThrow(
      'qualityLimits: only the silver stage has a quality gate; got it for gold',
    );
  });

  test('a locationsUriPath passes the locations document the execution names instead', async () => {
    const args = await argsFor({ ...SILVER_RANGE, locationsUriPath: '$.plan.locationsUri' });
    expect(valueAfter(args, '--locations-uri')).toBe(`s3://aqi-lake/runs/backfill/${RUN_ID}/locations.json`);
    expect(args.filter((a) => a === '--locations-uri')).toEqual(['--locations-uri']);
  });

  test('per-run Spark properties become --conf name=value from the execution’s numbers, before --py-files as spark-submit requires', async () => {
    const args = await argsFor({ ...SILVER_RANGE, sparkConfPaths: { 'spark.dynamicAllocation.maxExecutors': '$.plan.cluster.executorsPerStep' } });
    expect(args.slice(0, args.indexOf('--py-files'))).toEqual([
      '/usr/local/bin/aqi-spark-submit', '--deploy-mode', 'cluster', '--conf', 'spark.yarn.maxAppAttempts=1', '--conf', 'spark.dynamicAllocation.maxExecutors=3',
    ]);
  });

  test('a string value is passed as it is', async () => {
    const state = { ...STATE, plan: { ...STATE.plan, mode: 'FAIR' } };
    const args = await argsFor({ ...SILVER_RANGE, sparkConfPaths: { 'spark.scheduler.mode': '$.plan.mode' } }, state);
    expect(args.slice(5, 7)).toEqual(['--conf', 'spark.scheduler.mode=FAIR']);
  });

  test.each([
    ['dynamicAllocation.maxExecutors', 'not under "spark."'],
    ['spark.executor.{}', 'a States.Format placeholder'],
    ["spark.app.name'", 'a quote'],
    ['spark..maxExecutors', 'an empty word'],
  ])('a property name like %s (%s) is rejected at synth time, naming it and what is allowed', (name) => {
    expect(() => stageStepArgs(CONTEXT, { ...SILVER_RANGE, sparkConfPaths: { [name]: '$.plan.cluster.executorsPerStep' } })).toThrow(
      `sparkConfPaths: "${name}" is not a Spark property name; allowed: dotted words starting with "spark.", e.g. "spark.dynamicAllocation.maxExecutors"`,
    );
  });
});
