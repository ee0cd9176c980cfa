import { awsStepSettings } from '../../local/runtime/aws-fidelity';
import { StepNotRunnableLocally, localStepCommand } from '../../local/runtime/step-command';
import { workspaceAt } from '../../local/runtime/workspace';

const settings = {
  workspace: workspaceAt('/ws'),
  sparkSubmit: '/repo/.venv/bin/spark-submit',
  icebergJar: '/repo/.venv/iceberg-spark-runtime.jar',
  master: 'local[2]',
  driverMemory: '1g',
  archiveDir: '/data/archive',
  apiBaseUrl: 'http://127.0.0.1:4000',
};

/** A Bronze step exactly as the hourly state machine sends it to EMR (command-runner.jar arguments, through the step wrapper). */
const hourlyBronze = [
  '/usr/local/bin/aqi-spark-submit', '--deploy-mode', 'cluster', '--conf', 'spark.yarn.maxAppAttempts=1',
  '--py-files', 's3://artifacts/spark-jobs/0123abcd.zip', 's3://artifacts/spark-jobs/entry.py',
  'bronze', '--run-id', 'hourly-20240310T0600Z-1a2b3c4d', '--mode', 'hourly',
  '--start', '2024-03-10T02:00:00Z', '--end', '2024-03-10T06:00:00Z',
  '--warehouse', 's3://lake/warehouse/', '--catalog', 'glue',
  '--result-uri', 's3://lake/runs/hourly/hourly-20240310T0600Z-1a2b3c4d/results/bronze.json',
  '--source', 'api', '--api-base-url', 'https://api.openaq.org', '--api-key-secret', 'aqi-pipeline/openaq-api-key',
  '--locations-uri', 's3://artifacts/config/locations.json',
];

describe('translating an EMR step into a local spark-submit', () => {
  test('the hourly Bronze step keeps its stage arguments and translates only what cannot exist locally', () => {
    const local = localStepCommand(hourlyBronze, settings);

    expect(local.command).toBe('/repo/.venv/bin/spark-submit');
    expect(local.args).toEqual([
      '--master', 'local[2]', '--driver-memory', '1g',
      '--py-files', '/ws/s3/artifacts/spark-jobs/0123abcd.zip',
      '--conf', 'spark.sql.shuffle.partitions=4', '--conf', 'spark.ui.enabled=false',
      '--conf', 'spark.driver.extraJavaOptions=-XX:+UseSerialGC',
      '--jars', '/repo/.venv/iceberg-spark-runtime.jar',
      '/ws/s3/artifacts/spark-jobs/entry.py',
      'bronze', '--run-id', 'hourly-20240310T0600Z-1a2b3c4d', '--mode', 'hourly',
      '--start', '2024-03-10T02:00:00Z', '--end', '2024-03-10T06:00:00Z',
      '--warehouse', '/ws/s3/lake/warehouse/', '--catalog', 'hadoop',
      '--result-uri', '/ws/s3/lake/runs/hourly/hourly-20240310T0600Z-1a2b3c4d/results/bronze.json',
      '--source', 'api', '--api-base-url', 'http://127.0.0.1:4000',
      '--locations-uri', '/ws/s3/artifacts/config/locations.json',
    ]);
    expect(local).toMatchObject({ stage: 'bronze', chunkId: undefined, resultFile: '/ws/s3/lake/runs/hourly/hourly-20240310T0600Z-1a2b3c4d/results/bronze.json' });
  });

  test('the OpenAQ archive bucket becomes the local archive directory and the chunk id names the step', () => {
    const args = ['spark-submit', 's3://artifacts/spark-jobs/entry.py', 'bronze', '--chunk-id', '2024-03', '--archive-uri', 's3://openaq-data-archive'];

    const local = localStepCommand(args, settings);

    expect(local.args.slice(-5)).toEqual(['bronze', '--chunk-id', '2024-03', '--archive-uri', '/data/archive']);
    expect(local.chunkId).toBe('2024-03');
  });

  test('an API root given with its version keeps the version on the local stand-in', () => {
    const args = ['spark-submit', 'entry.py', 'bronze', '--api-base-url', 'https://api.openaq.org/v3'];

    expect(localStepCommand(args, settings).args.slice(-1)).toEqual(['http://127.0.0.1:4000/v3']);
  });

  test('a step that is not spark-submit is refused with what it runs', () => {
    expect(() => localStepCommand(['hadoop-streaming', 'x'], settings)).toThrow(StepNotRunnableLocally);
    expect(() => localStepCommand(['hadoop-streaming', 'x'], settings)).toThrow("step runs 'hadoop-streaming' through command-runner.jar; the local runtime runs spark-submit (or /usr/local/bin/aqi-spark-submit) steps only");
  });

  test('an S3 key that climbs out of its bucket is refused', () => {
    expect(() => localStepCommand(['spark-submit', 's3://lake/../../etc/passwd'], settings)).toThrow("S3 key '../../etc/passwd' would resolve outside its bucket directory");
  });
});

describe('translating an EMR step for the AWS-fidelity mode', () => {
  const aws = awsStepSettings('http://127.0.0.1:5123', 'us-east-1', ['/jars/iceberg-aws-bundle.jar', '/jars/hadoop-aws.jar']);

  test('the stage gets the arguments EMR gives it: --catalog glue, every s3:// URI and the API-key secret', () => {
    const local = localStepCommand(hourlyBronze, { ...settings, aws });

    const app = local.args.indexOf('s3://artifacts/spark-jobs/entry.py');
    expect(local.args.slice(app)).toEqual([
      's3://artifacts/spark-jobs/entry.py',
      'bronze', '--run-id', 'hourly-20240310T0600Z-1a2b3c4d', '--mode', 'hourly',
      '--start', '2024-03-10T02:00:00Z', '--end', '2024-03-10T06:00:00Z',
      '--warehouse', 's3://lake/warehouse/', '--catalog', 'glue',
      '--result-uri', 's3://lake/runs/hourly/hourly-20240310T0600Z-1a2b3c4d/results/bronze.json',
      '--source', 'api', '--api-base-url', 'http://127.0.0.1:4000', '--api-key-secret', 'aqi-pipeline/openaq-api-key',
      '--locations-uri', 's3://artifacts/config/locations.json',
    ]);
    expect(local.args).toContain('s3://artifacts/spark-jobs/0123abcd.zip');
    expect(local.resultFile).toBe('s3://lake/runs/hourly/hourly-20240310T0600Z-1a2b3c4d/results/bronze.json');
  });

  test('only endpoint settings are added: Iceberg catalog properties, S3A for s3://, and the jars on the driver classpath', () => {
    const local = localStepCommand(hourlyBronze, { ...settings, aws });

    const confs = local.args.flatMap((arg, i) => (local.args[i - 1] === '--conf' ? [arg] : []));
    expect(confs).toEqual(expect.arrayContaining([
      'spark.sql.catalog.aqi.glue.endpoint=http://127.0.0.1:5123',
      'spark.sql.catalog.aqi.s3.endpoint=http://127.0.0.1:5123',
      'spark.sql.catalog.aqi.s3.path-style-access=true',
      'spark.sql.catalog.aqi.client.region=us-east-1',
      'spark.hadoop.fs.s3.impl=org.apache.hadoop.fs.s3a.S3AFileSystem',
      'spark.hadoop.fs.s3a.endpoint=http://127.0.0.1:5123',
    ]));
    expect(confs.filter((c) => !c.startsWith('spark.sql.catalog.aqi.') && !c.startsWith('spark.hadoop.fs.s3'))).toEqual([
      'spark.sql.shuffle.partitions=4',
      'spark.ui.enabled=false',
      'spark.driver.extraJavaOptions=-XX:+UseSerialGC',
    ]);
    expect(local.args[local.args.indexOf('--driver-class-path') + 1]).toBe('/jars/iceberg-aws-bundle.jar:/jars/hadoop-aws.jar');
    expect(local.args[local.args.indexOf('--jars') + 1]).toBe('/repo/.venv/iceberg-spark-runtime.jar');
  });

  test('the OpenAQ archive stays s3://openaq-data-archive, served by the endpoint\'s stand-in bucket', () => {
    const args = ['spark-submit', 's3://artifacts/spark-jobs/entry.py', 'bronze', '--chunk-id', '2024-03', '--archive-uri', 's3://openaq-data-archive'];

    expect(localStepCommand(args, { ...settings, aws }).args.slice(-5)).toEqual(['bronze', '--chunk-id', '2024-03', '--archive-uri', 's3://openaq-data-archive']);
  });
});

describe('the local driver JVM', () => {
  test('maps the class-data archive of Spark\'s classes when the venv has one, beside the log4j config', () => {
    const local = localStepCommand(hourlyBronze, { ...settings, log4jConfig: '/repo/local/log4j2.properties', classArchive: '/repo/.venv/spark-classes.jsa' });

    expect(local.args).toContain(
      'spark.driver.extraJavaOptions=-Dlog4j2.configurationFile=file:/repo/local/log4j2.properties -XX:+UseSerialGC -XX:SharedArchiveFile=/repo/.venv/spark-classes.jsa',
    );
  });

  test('runs the serial collector in both local modes, and sends nothing of it to EMR', () => {
    const aws = awsStepSettings('http://127.0.0.1:5123', 'us-east-1', ['/jars/iceberg-aws-bundle.jar']);
    const javaOptions = (args: readonly string[]) => args.find((a) => a.startsWith('spark.driver.extraJavaOptions='));

    expect(javaOptions(localStepCommand(hourlyBronze, settings).args)).toBe('spark.driver.extraJavaOptions=-XX:+UseSerialGC');
    expect(javaOptions(localStepCommand(hourlyBronze, { ...settings, aws }).args)).toBe('spark.driver.extraJavaOptions=-XX:+UseSerialGC');
    expect(hourlyBronze.join(' ')).not.toContain('UseSerialGC');
  });

  test('starts without the archive in the AWS-fidelity mode, whose extra driver jars change the classpath it was dumped with', () => {
    const aws = awsStepSettings('http://127.0.0.1:5123', 'us-east-1', ['/jars/iceberg-aws-bundle.jar']);
    const local = localStepCommand(hourlyBronze, { ...settings, aws, classArchive: '/repo/.venv/spark-classes.jsa' });

    expect(local.args.some((a) => a.includes('SharedArchiveFile'))).toBe(false);
  });

  test('starts without an archive when there is none', () => {
    const local = localStepCommand(hourlyBronze, settings);

    expect(local.args.some((a) => a.includes('SharedArchiveFile'))).toBe(false);
  });
});
