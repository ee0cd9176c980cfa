/** Test helpers over a local workspace: table summaries and state, read the way a user would. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { LocalDynamoDb } from '../../../local/adapters/dynamodb-table';
import { REPO_ROOT } from '../../../local/runtime/repo';
import { Workspace } from '../../../local/runtime/workspace';

export interface TableSummary {
  rows: number;
  checksum: string;
  duplicateKeys: number;
}

const VENV = join(REPO_ROOT, '.venv');

/** Row count, content checksum and duplicate natural keys of every table (support/table_checksums.py). */
export function tableSummaries(workspace: Workspace, lakeBucket: string): Record<string, TableSummary> {
  const run = spawnSync(
    join(VENV, 'bin', 'spark-submit'),
    [
      '--master', 'local[2]',
      '--jars', join(VENV, 'iceberg-spark-runtime.jar'),
      '--conf', 'spark.sql.shuffle.partitions=4',
      '--conf', `spark.driver.extraJavaOptions=-Dlog4j2.configurationFile=file:${join(REPO_ROOT, 'local', 'log4j2.properties')}`,
      join(__dirname, 'table_checksums.py'),
      '--warehouse', `${workspace.s3Path(lakeBucket, 'warehouse')}/`,
    ],
    { cwd: workspace.root, encoding: 'utf8', env: { ...process.env, PYSPARK_PYTHON: join(VENV, 'bin', 'python') } },
  );
  const line = run.stdout.split('\n').find((l) => l.startsWith('@@CHECKSUMS@@ '));
  if (!line) throw new Error(`table_checksums.py failed (exit ${run.status}): ${run.stderr.slice(-2000)}`);
  return JSON.parse(line.slice('@@CHECKSUMS@@ '.length)) as Record<string, TableSummary>;
}

export async function lockItem(workspace: Workspace, table: string): Promise<unknown> {
  return (await new LocalDynamoDb(workspace).getItem({ TableName: table, Key: { pk: { S: 'lock' } } })).Item;
}

export async function watermark(workspace: Workspace, table: string): Promise<string | undefined> {
  const item = (await new LocalDynamoDb(workspace).getItem({ TableName: table, Key: { pk: { S: 'watermark#hourly' } } })).Item as
    | { windowEnd?: { S: string } }
    | undefined;
  return item?.windowEnd?.S;
}
