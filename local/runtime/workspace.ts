/**
 * The local runtime's workspace (default `.local/`, gitignored): every AWS resource a run touches has a
 * directory here, so a run can be inspected, queried and deleted with `rm -rf`.
 *
 *   s3/<bucket>/<key>            S3 objects (lake, artifacts, logs buckets)
 *   dynamodb/<table>.json        DynamoDB tables (items in DynamoDB JSON)
 *   emr/clusters.json            local EMR clusters and their steps
 *   emr/<clusterId>/             a cluster's scratch space (Spark local dirs), removed on terminate
 *   data/archive/                the generated OpenAQ archive (the default `--archive-uri`)
 */
import { isAbsolute, join, normalize, resolve, sep } from 'node:path';

export interface Workspace {
  readonly root: string;
  s3Dir(bucket: string): string;
  s3Path(bucket: string, key: string): string;
  dynamoDbFile(table: string): string;
  readonly emrDir: string;
  readonly defaultArchiveDir: string;
}

export function workspaceAt(root: string): Workspace {
  const abs = resolve(root);
  return {
    root: abs,
    s3Dir: (bucket) => join(abs, 's3', safeSegment('bucket', bucket)),
    s3Path: (bucket, key) => join(abs, 's3', safeSegment('bucket', bucket), safeKey(key)),
    dynamoDbFile: (table) => join(abs, 'dynamodb', `${safeSegment('table', table)}.json`),
    emrDir: join(abs, 'emr'),
    defaultArchiveDir: join(abs, 'data', 'archive'),
  };
}

function safeSegment(what: string, name: string): string {
  if (name.length === 0 || name.includes('/') || name.includes('\\') || name === '.' || name === '..') {
    throw new Error(`${what} name '${name}' cannot name a local directory: it must be non-empty and contain no '/' or '..'`);
  }
  return name;
}

/** Keys are relative paths under the bucket directory; one that climbs out of it is refused. */
function safeKey(key: string): string {
  const normal = normalize(key);
  if (isAbsolute(normal) || normal === '..' || normal.startsWith(`..${sep}`)) {
    throw new Error(`S3 key '${key}' would resolve outside its bucket directory`);
  }
  return normal;
}
