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
 */

export const PIPELINES = ['hourly', 'backfill'] as const;
export type Pipeline = (typeof PIPELINES)[number];

export const STAGES = ['bronze', 'silver', 'gold'] as const;
export type Stage = (typeof STAGES)[number];

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
