import { Token, Tokenization } from 'aws-cdk-lib';
import { JsonPath } from 'aws-cdk-lib/aws-stepfunctions';
import { chunkResultKey, type Pipeline, s3Uri, type Stage, type StageMode, stageResultKey, WAREHOUSE_PREFIX } from '../../core/layout';
import { EMR_NODE } from './emr-node';
import { PATHS } from './state-paths';

/** Where the deployed spark-jobs package lives (written by the data-lake stack's deployment). */
export interface SparkJobsPackage {
  readonly bucketName: string;
  /** Key of the zip with `aqi_jobs/` at its root, for `--py-files`. */
  readonly packageKey: string;
  /** Key of `entry.py`. */
  readonly entryKey: string;
  /** Key of `config/locations.json`. */
  readonly locationsKey: string;
  /** Prefix (ending in `/`) of `bootstrap.sh`, `requirements-emr.txt` and `aqi-spark-submit`. */
  readonly emrFilesPrefix: string;
}

/** Where Bronze hourly reads from: the OpenAQ API, the key fetched on the cluster from Secrets Manager. */
export interface ApiSource {
  readonly kind: 'api';
  readonly apiBaseUrl: string;
  readonly apiKeySecretName: string;
}

/** Where Bronze backfill reads from: the OpenAQ archive bucket. */
export interface ArchiveSource {
  readonly kind: 'archive';
  readonly archiveUri: string;
}

/**
 * One invocation of the Stage CLI (docs/ARCHITECTURE.md, "Stage CLI"). Values that vary per execution are
 * JSONPath expressions (`$.plan.window.start`); everything else is fixed at synth time.
 */
export interface StageInvocation {
  readonly pipeline: Pipeline;
  readonly stage: Stage;
  /** `hourly`, `backfill`, `incremental` or `range`, per the Stage CLI table. */
  readonly mode: StageMode;
  /** JSONPath of the window start. @default - no `--start` (incremental modes) */
  readonly startPath?: string;
  /** JSONPath of the window end. @default - no `--end` */
  readonly endPath?: string;
  /**
   * JSONPath of the chunk id, for per-chunk Bronze steps of a backfill; the result then goes to
   * `runs/<pipeline>/<runId>/results/bronze/<chunkId>.json`.
   * @default - a whole-run stage, result at `runs/<pipeline>/<runId>/results/<stage>.json`
   */
  readonly chunkIdPath?: string;
  /** Required for Bronze. @default - no `--source` */
  readonly source?: ApiSource | ArchiveSource;
  /** JSONPath of the run id. @default PATHS.runId */
  readonly runIdPath?: string;
  /**
   * JSONPath of the `--locations-uri` value, for a run that ingests its own set of locations (a
   * backfill's `locations` subset, frozen by its plan).
   * @default - the deployment's `config/locations.json` (`SparkJobsPackage.locationsKey`)
   */
  readonly locationsUriPath?: string;
  /**
   * Spark properties set per execution: property name → JSONPath of its value (a string or a number),
   * passed as `--conf <name>=<value>` before `--py-files`, e.g.
   * `{ 'spark.dynamicAllocation.maxExecutors': '$.executorsPerStep' }`.
   * @default - only the fixed `SPARK_SUBMIT_PREFIX` settings
   */
  readonly sparkConfPaths?: Readonly<Record<string, string>>;
  /** Silver only: its quality gate's limits (`silverQualityLimits`). @default - no gate */
  readonly qualityLimits?: SilverQualityLimits;
}

/**
 * Silver's quality-gate limits as Stage CLI flags (`--max-rejected-share`, `--silent-location-hours`);
 * an absent limit leaves that rule off.
 */
export interface SilverQualityLimits {
  readonly maxRejectedShare?: number;
  readonly silentLocationHours?: number;
}

/** The limits a pipeline's `silverQualityGate` config turns on: none when disabled, hours 0 = rule off. */
export function silverQualityLimits(gate: { enabled: boolean; maxRejectedShare: number; silentLocationHours: number }): SilverQualityLimits {
  if (!gate.enabled) return {};
  return {
    maxRejectedShare: gate.maxRejectedShare,
    ...(gate.silentLocationHours > 0 && { silentLocationHours: gate.silentLocationHours }),
  };
}

export interface StageArgsContext {
  readonly sparkJobs: SparkJobsPackage;
  readonly lakeBucketName: string;
}

/**
 * spark-submit settings every stage shares, run through the step wrapper (which adds a per-step
 * `spark.yarn.tags` and kills the tagged YARN application when EMR cancels the step). Cluster deploy mode
 * because EMR only runs an S3-hosted Python entry point that way; one YARN attempt because the state
 * machine owns retries (a second YARN attempt would double the step's run time before the step's own
 * timeout could act).
 */
export const SPARK_SUBMIT_PREFIX: readonly string[] = [
  EMR_NODE.stepWrapper,
  '--deploy-mode',
  'cluster',
  '--conf',
  'spark.yarn.maxAppAttempts=1',
];

/**
 * The `Args` of an EMR step running one stage, as a `States.Array(...)` expression so the per-execution
 * parts (run id, window, result URI) are filled in by Step Functions. The only place step arguments are
 * built; the hourly and backfill workflows both call it.
 */
export function stageStepArgs(ctx: StageArgsContext, inv: StageInvocation): string[] {
  const runId = JsonPath.stringAt(inv.runIdPath ?? PATHS.runId);
  const values: string[] = [
    ...SPARK_SUBMIT_PREFIX,
    ...sparkConfArgs(inv.sparkConfPaths ?? {}),
    '--py-files',
    s3Uri(ctx.sparkJobs.bucketName, ctx.sparkJobs.packageKey),
    s3Uri(ctx.sparkJobs.bucketName, ctx.sparkJobs.entryKey),
    inv.stage,
    '--run-id',
    runId,
    '--mode',
    inv.mode,
  ];
  if (inv.startPath !== undefined) values.push('--start', JsonPath.stringAt(inv.startPath));
  if (inv.endPath !== undefined) values.push('--end', JsonPath.stringAt(inv.endPath));
  if (inv.chunkIdPath !== undefined) values.push('--chunk-id', JsonPath.stringAt(inv.chunkIdPath));
  values.push(
    '--warehouse',
    s3Uri(ctx.lakeBucketName, WAREHOUSE_PREFIX),
    '--catalog',
    'glue',
    '--result-uri',
    resultUri(ctx.lakeBucketName, inv, runId),
  );
  if (inv.source?.kind === 'api') {
    values.push('--source', 'api', '--api-base-url', inv.source.apiBaseUrl, '--api-key-secret', inv.source.apiKeySecretName);
  } else if (inv.source?.kind === 'archive') {
    values.push('--source', 'archive', '--archive-uri', inv.source.archiveUri);
  }
  values.push(...qualityArgs(inv));
  values.push(
    '--locations-uri',
    inv.locationsUriPath !== undefined ? JsonPath.stringAt(inv.locationsUriPath) : s3Uri(ctx.sparkJobs.bucketName, ctx.sparkJobs.locationsKey),
  );
  return asJsonPathList(JsonPath.array(...values));
}

function qualityArgs(inv: StageInvocation): string[] {
  const limits = inv.qualityLimits ?? {};
  if (Object.keys(limits).length > 0 && inv.stage !== 'silver') {
    throw new Error(`qualityLimits: only the silver stage has a quality gate; got it for ${inv.stage}`);
  }
  return [
    ...(limits.maxRejectedShare !== undefined ? ['--max-rejected-share', String(limits.maxRejectedShare)] : []),
    ...(limits.silentLocationHours !== undefined ? ['--silent-location-hours', String(limits.silentLocationHours)] : []),
  ];
}

/**
 * A Spark property name: dotted words. Anything else would be a typo on the command line, and braces,
 * quotes or backslashes would change the meaning of the `States.Format` template the name is put in.
 */
const SPARK_PROPERTY_NAME = /^spark(\.[A-Za-z0-9_-]+)+$/;

/** `--conf name=<value at path>` per property, the value filled in per execution by `States.Format`. */
function sparkConfArgs(confPaths: Readonly<Record<string, string>>): string[] {
  return Object.entries(confPaths).flatMap(([name, path]) => {
    if (!SPARK_PROPERTY_NAME.test(name)) {
      throw new Error(`sparkConfPaths: "${name}" is not a Spark property name; allowed: dotted words starting with "spark.", e.g. "spark.dynamicAllocation.maxExecutors"`);
    }
    return ['--conf', JsonPath.format(`${name}={}`, JsonPath.stringAt(path))];
  });
}

/** The result URI as a `States.Format` over the layout's own key function, so the layout stays the one source. */
function resultUri(lakeBucketName: string, inv: StageInvocation, runId: string): string {
  const placeholder = '{}';
  if (inv.chunkIdPath !== undefined) {
    const template = s3Uri(lakeBucketName, chunkResultKey(inv.pipeline, placeholder, placeholder));
    return JsonPath.format(template, runId, JsonPath.stringAt(inv.chunkIdPath));
  }
  return JsonPath.format(s3Uri(lakeBucketName, stageResultKey(inv.pipeline, placeholder, inv.stage)), runId);
}

/**
 * `EmrAddStep` takes `args: string[]`; a `States.Array(...)` token must be handed over as a list token
 * so CDK renders `"Args.$": "States.Array(...)"` rather than a one-element list.
 */
function asJsonPathList(expression: string): string[] {
  const token = Tokenization.reverseString(expression).firstToken;
  if (token === undefined) throw new Error(`internal: ${expression} is not a JSONPath token`);
  return Token.asList(token);
}
