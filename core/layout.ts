/**
 * The S3 layout of the lake and artifacts buckets: the one place that knows where things live.
 * The state machines (lib/), the Lambdas and the local runtime all derive keys from here.
 *
 *   lake bucket
 *     warehouse/                                   Iceberg warehouse (Glue catalog on AWS)
 *     landing/                                     reserved for raw drops
 *     runs/<pipeline>/<runId>/manifest.json        run manifest (finalize / fan-in)
 *     runs/<pipeline>/<runId>/results/<stage>.json stage result of a whole-run stage
 *     runs/<pipeline>/<runId>/results/bronze/<chunkId>.json  backfill chunk result
 *     runs/<pipeline>/<runId>/locations.json       the locations a run ingests (a backfill's subset)
 *   artifacts bucket
 *     spark-jobs/...                               aqi_jobs.zip and entry.py (deployed by CDK)
 *     config/locations.json                        the configured locations
 *   logs bucket (the clusters' EMR `LogUri`)
 *     <LogUri><clusterId>/steps/<stepId>/          what EMR uploads of a step: stdout.gz, stderr.gz, ...
 *   s3://openaq-data-archive/                      OpenAQ's public archive, read by backfills
 */

export const PIPELINES = ['hourly', 'backfill'] as const;
export type Pipeline = (typeof PIPELINES)[number];

export const STAGES = ['bronze', 'silver', 'gold'] as const;
export type Stage = (typeof STAGES)[number];

/**
 * Each stage's `--mode` values, as the Stage CLI names them (`aqi_jobs.stage.MODES`, held equal by
 * test/core/stage-modes.test.ts): Bronze reads the archive by days (backfill) or the API by hours
 * (hourly); Silver and Gold take what changed (incremental) or recompute a range of days (range).
 */
export const STAGE_MODES = {
  bronze: ['backfill', 'hourly'],
  silver: ['incremental', 'range'],
  gold: ['incremental', 'range'],
} as const satisfies Record<Stage, readonly string[]>;
export type StageMode = (typeof STAGE_MODES)[Stage][number];

export const WAREHOUSE_PREFIX = 'warehouse/';
export const LANDING_PREFIX = 'landing/';
export const RUNS_PREFIX = 'runs/';
export const LOCATIONS_KEY = 'config/locations.json';

/** Iceberg namespaces (Glue databases on AWS) per stage. */
export const DATABASES: Readonly<Record<Stage, string>> = {
  bronze: 'aqi_bronze',
  silver: 'aqi_silver',
  gold: 'aqi_gold',
};

/** Where every run record of one pipeline lives: `runs/<pipeline>/`. */
export function pipelineRunsPrefix(pipeline: Pipeline): string {
  return `${RUNS_PREFIX}${pipeline}/`;
}

export function runPrefix(pipeline: Pipeline, runId: string): string {
  return `${pipelineRunsPrefix(pipeline)}${runId}/`;
}

export function manifestKey(pipeline: Pipeline, runId: string): string {
  return `${runPrefix(pipeline, runId)}manifest.json`;
}

export function stageResultKey(pipeline: Pipeline, runId: string, stage: Stage): string {
  return `${runPrefix(pipeline, runId)}results/${stage}.json`;
}

export function chunkResultPrefix(pipeline: Pipeline, runId: string): string {
  return `${runPrefix(pipeline, runId)}results/bronze/`;
}

export function chunkResultKey(pipeline: Pipeline, runId: string, chunkId: string): string {
  return `${chunkResultPrefix(pipeline, runId)}${chunkId}.json`;
}

/**
 * The locations document of one run, in the shape of `config/locations.json`: a backfill freezes the
 * subset it was asked for here at plan time and passes it to its Bronze steps as `--locations-uri`.
 */
export function runLocationsKey(pipeline: Pipeline, runId: string): string {
  return `${runPrefix(pipeline, runId)}locations.json`;
}

export function s3Uri(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}

/** `s3://bucket/key` (or `s3a://`, `s3n://`) → its parts; `undefined` for anything else. */
export function parseS3Uri(uri: string): { bucket: string; key: string } | undefined {
  const match = /^s3[an]?:\/\/([^/]+)\/?(.*)$/.exec(uri);
  return match ? { bucket: match[1], key: match[2] } : undefined;
}

/** OpenAQ's public archive (us-east-1, anonymous read): backfills read it, the EMR instance role is granted it. */
export const OPENAQ_ARCHIVE_BUCKET = 'openaq-data-archive';

/** Where the OpenAQ archive keeps a location-day (OpenAQ's `records/csv.gz` layout; docs/LOCAL.md). */
export const ARCHIVE_RECORDS_PREFIX = 'records/csv.gz/';

/** `records/csv.gz/locationid=2178/year=2024/month=03/location-2178-20240310.csv.gz` */
export function archiveKey(locationId: number, day: string): string {
  const [year, month, dom] = day.split('-');
  return `${ARCHIVE_RECORDS_PREFIX}locationid=${locationId}/year=${year}/month=${month}/location-${locationId}-${year}${month}${dom}.csv.gz`;
}

const ARCHIVE_KEY_PATTERN = /locationid=(\d+)\/year=(\d{4})\/month=(\d{2})\/location-\1-(\d{4})(\d{2})(\d{2})\.csv\.gz$/;

/** The location and local day an archive key holds, or `undefined` for any other key. */
export function parseArchiveKey(key: string): { locationId: number; day: string } | undefined {
  const match = ARCHIVE_KEY_PATTERN.exec(key);
  if (!match) return undefined;
  return { locationId: Number(match[1]), day: `${match[4]}-${match[5]}-${match[6]}` };
}

/**
 * The folder EMR uploads a step's logs to, as a key under the cluster's `LogUri` key prefix:
 * `<prefix><clusterId>/steps/<stepId>/` (EMR management guide, "Configure cluster logging and debugging").
 */
export function stepLogKeyPrefix(logUriPrefix: string, clusterId: string, stepId: string): string {
  const prefix = logUriPrefix === '' || logUriPrefix.endsWith('/') ? logUriPrefix : `${logUriPrefix}/`;
  return `${prefix}${clusterId}/steps/${stepId}/`;
}

/** The same folder as an `s3://` URI, from the cluster's `LogUri`. */
export function stepLogUri(emrLogUri: string, clusterId: string, stepId: string): string {
  const parsed = parseS3Uri(emrLogUri);
  if (parsed === undefined) throw new Error(`EMR LogUri ${JSON.stringify(emrLogUri)} is not an s3:// URI`);
  return s3Uri(parsed.bucket, stepLogKeyPrefix(parsed.key, clusterId, stepId));
}

/** The step's driver output (in cluster mode, the spark-submit client's): the file `logs` prints. */
export const STEP_STDERR_FILE = 'stderr.gz';
