/**
 * One stage at a time against the local AWS endpoint, with the paths EMR uses: the locations file and the
 * archive read from s3:// through S3A, the result written to its s3:// URI, the tables in the Glue
 * catalog. And the one behaviour the endpoint adds to moto: Glue's optimistic lock on UpdateTable.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { generateArchive } from '../../local/datagen/generate-archive';
import { RunningAwsEndpoint, ensureAwsFidelityJars, startAwsEndpoint } from '../../local/runtime/aws-fidelity';
import { REPO_ROOT } from '../../local/runtime/repo';
import { ensurePythonEnv } from '../../local/runtime/local-run';
import { localStepCommand } from '../../local/runtime/step-command';
import { Workspace, workspaceAt } from '../../local/runtime/workspace';

jest.setTimeout(15 * 60_000);

const VENV = join(REPO_ROOT, '.venv');
const LAKE = 'lake';
const ARTIFACTS = 'artifacts';
const RUN_ID = 'backfill-20240401T0000Z-1a2b3c4d';
const DAY = '2024-03-06';

let root: string;
let workspace: Workspace;
let archiveDir: string;
let aws: RunningAwsEndpoint;

/** A Bronze backfill step as the backfill state machine sends it, with the repository's entry.py. */
function bronzeStep(locationsUri: string, resultUri: string): string[] {
  return [
    'spark-submit', '--deploy-mode', 'cluster', join(REPO_ROOT, 'spark-jobs', 'entry.py'),
    'bronze', '--run-id', RUN_ID, '--mode', 'backfill', '--start', DAY, '--end', DAY, '--chunk-id', `${DAY}_${DAY}`,
    '--warehouse', `s3://${LAKE}/warehouse/`, '--catalog', 'glue', '--result-uri', resultUri,
    '--source', 'archive', '--archive-uri', 's3://openaq-data-archive', '--locations-uri', locationsUri,
  ];
}

/** Runs the step as the local EMR would in this mode; resolves with its exit code and output (PySpark
 * copies the Python driver's stderr to the JVM's stdout, so both streams are kept together). */
function runStep(emrArgs: string[]): Promise<{ code: number | null; output: string }> {
  const local = localStepCommand(emrArgs, {
    workspace,
    sparkSubmit: join(VENV, 'bin', 'spark-submit'),
    icebergJar: join(VENV, 'iceberg-spark-runtime.jar'),
    master: 'local[1]',
    driverMemory: '1g',
    archiveDir,
    log4jConfig: join(REPO_ROOT, 'local', 'log4j2.properties'),
    aws: aws.step,
  });
  const child = spawn(local.command, local.args, {
    cwd: root,
    env: { ...process.env, ...aws.stepEnv, PYSPARK_PYTHON: join(VENV, 'bin', 'python'), PYSPARK_DRIVER_PYTHON: join(VENV, 'bin', 'python') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, output })));
}

beforeAll(async () => {
  ensurePythonEnv('dev');
  root = mkdtempSync(join(tmpdir(), 'aqi-aws-steps-'));
  workspace = workspaceAt(join(root, 'ws'));
  archiveDir = join(root, 'archive');
  generateArchive({ outDir: archiveDir, from: DAY, to: DAY, locations: 1, seed: 5 });
  const locations = workspace.s3Path(ARTIFACTS, 'config/locations.json');
  mkdirSync(join(locations, '..'), { recursive: true });
  writeFileSync(locations, readFileSync(join(archiveDir, 'locations.json')));
  aws = await startAwsEndpoint({
    workspace,
    archiveDir,
    python: join(VENV, 'bin', 'python'),
    jars: ensureAwsFidelityJars(),
    resources: {
      buckets: [LAKE, ARTIFACTS],
      glueDatabases: ['aqi_bronze', 'aqi_silver', 'aqi_gold'].map((name) => ({ Name: name, LocationUri: `s3://${LAKE}/warehouse/${name}.db` })),
      apiKeySecretName: 'aqi-pipeline/openaq-api-key',
    },
  });
});

afterAll(async () => {
  await aws?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('a stage run against the local AWS endpoint', () => {
  test('reads the locations file and the archive at s3:// and writes its SUCCEEDED result at its s3:// URI', async () => {
    const resultUri = `s3://${LAKE}/runs/backfill/${RUN_ID}/results/bronze/${DAY}_${DAY}.json`;

    const { code, output } = await runStep(bronzeStep(`s3://${ARTIFACTS}/config/locations.json`, resultUri));

    expect({ code, output: code === 0 ? '' : output.slice(-2000) }).toEqual({ code: 0, output: '' });
    const file = readFileSync(join(archiveDir, 'records/csv.gz/locationid=2178/year=2024/month=03/location-2178-20240306.csv.gz'));
    const dataLines = gunzipSync(file).toString('utf8').trim().split(/\r?\n/).length - 1;
    const result = JSON.parse((await aws.readText(resultUri))!) as Record<string, unknown>;
    // Del Norte's local day 2024-03-06 (MST) runs from 07:00Z that day to 07:00Z the next: two UTC days.
    expect(result).toMatchObject({ stage: 'bronze', runId: RUN_ID, chunkId: `${DAY}_${DAY}`, status: 'SUCCEEDED', rowsRead: dataLines, affectedDays: [DAY, '2024-03-07'], error: null });
  });

  test('fails with exit 1 and a FAILED result at its s3:// URI naming a locations file that does not exist', async () => {
    const resultUri = `s3://${LAKE}/runs/backfill/${RUN_ID}/results/bronze/missing.json`;
    const missing = `s3://${ARTIFACTS}/config/no-such-locations.json`;

    const { code, output } = await runStep(bronzeStep(missing, resultUri));

    expect(code).toBe(1);
    expect(output).toContain(`aqi-jobs bronze failed: InvalidLocationsError: --locations-uri ${missing}: cannot be read`);
    const result = JSON.parse((await aws.readText(resultUri))!) as { status: string; error: { type: string; message: string } };
    expect(result.status).toBe('FAILED');
    expect(result.error.type).toBe('InvalidLocationsError');
    // What S3A (and EMRFS) says, not Py4J's "An error occurred while calling o76.open.".
    expect(result.error.message).toMatch(/^--locations-uri s3:\/\/artifacts\/config\/no-such-locations\.json: cannot be read \(java\.io\.FileNotFoundException: .*no-such-locations\.json/);
  });
});

describe('the local AWS endpoint', () => {
  test('rejects a Glue UpdateTable whose VersionId is stale, as Glue does (moto alone accepts it)', () => {
    const script = `
import boto3, sys
glue = boto3.client("glue", endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
table = {"Name": "t", "Parameters": {"metadata_location": "v1"}}
glue.create_table(DatabaseName="aqi_gold", TableInput=table)
version = glue.get_table(DatabaseName="aqi_gold", Name="t")["Table"]["VersionId"]
glue.update_table(DatabaseName="aqi_gold", TableInput={**table, "Parameters": {"metadata_location": "v2"}}, VersionId=version)
try:
    glue.update_table(DatabaseName="aqi_gold", TableInput={**table, "Parameters": {"metadata_location": "v3"}}, VersionId=version)
    print("accepted")
except glue.exceptions.ConcurrentModificationException:
    print("rejected", glue.get_table(DatabaseName="aqi_gold", Name="t")["Table"]["Parameters"]["metadata_location"])
glue.delete_table(DatabaseName="aqi_gold", Name="t")
`;
    const out = spawnSync(join(VENV, 'bin', 'python'), ['-c', script, aws.url], { encoding: 'utf8' });

    expect({ stdout: out.stdout.trim(), stderr: out.stderr.trim().split('\n').pop() ?? '' }).toEqual({ stdout: 'rejected v2', stderr: '' });
  });
});
