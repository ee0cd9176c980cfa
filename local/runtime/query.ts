/** `query`: one Spark SQL statement against the local warehouse, through a real spark-submit. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { AwsStepSettings } from './aws-fidelity';
import { REPO_ROOT } from './repo';
import { Workspace } from './workspace';

const MARKER = '@@ROW@@ ';

export interface QueryResult {
  columns: string[];
  rows: unknown[][];
}

/** `--aws-fidelity`: read the tables through the Glue catalog and S3FileIO of the local endpoint. */
export interface AwsQuerySettings {
  step: AwsStepSettings;
  stepEnv: Record<string, string>;
}

export function queryWarehouse(workspace: Workspace, lakeBucket: string, sql: string, limit = 200, aws?: AwsQuerySettings): Promise<QueryResult> {
  const venv = join(REPO_ROOT, '.venv');
  const awsOptions = aws ? [...Object.entries(aws.step.conf).flatMap(([k, v]) => ['--conf', `${k}=${v}`]), '--driver-class-path', aws.step.jars.join(':')] : [];
  const warehouse = aws ? ['--warehouse', `s3://${lakeBucket}/warehouse/`, '--catalog', 'glue'] : ['--warehouse', workspace.s3Path(lakeBucket, 'warehouse/') + '/'];
  const args = [
    ...awsOptions,
    '--master', 'local[2]',
    '--driver-memory', '1g',
    '--jars', join(venv, 'iceberg-spark-runtime.jar'),
    '--conf', `spark.driver.extraJavaOptions=-Dlog4j2.configurationFile=file:${join(REPO_ROOT, 'local', 'log4j2.properties')}`,
    join(REPO_ROOT, 'local', 'query.py'),
    ...warehouse,
    '--sql', sql,
    '--limit', String(limit),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(join(venv, 'bin', 'spark-submit'), args, {
      cwd: workspace.root,
      env: { ...process.env, ...aws?.stepEnv, PYSPARK_PYTHON: join(venv, 'bin', 'python'), PYSPARK_DRIVER_PYTHON: join(venv, 'bin', 'python') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      const lines = out.split('\n').filter((l) => l.startsWith(MARKER)).map((l) => JSON.parse(l.slice(MARKER.length)) as unknown);
      if (code !== 0 || lines.length === 0) {
        const why = err.split('\n').reverse().find((l) => l.startsWith('query failed:')) ?? err.trim().split('\n').pop() ?? `exit code ${code}`;
        reject(new Error(why.replace(/^query failed: /, '')));
        return;
      }
      const [header, ...rows] = lines as [{ columns: string[] }, ...unknown[][]];
      resolve({ columns: header.columns, rows });
    });
  });
}
