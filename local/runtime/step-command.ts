/**
 * Turns an EMR step's `HadoopJarStep` (command-runner.jar running spark-submit, exactly as the state
 * machine sends it) into the local command. Every translation is listed here and in docs/LOCAL.md; the
 * stage's own arguments are otherwise passed through untouched.
 *
 * 1. `spark-submit` (or the EMR step wrapper, `EMR_NODE.stepWrapper`, which only adds YARN cancellation)
 *    → the venv's spark-submit; cancelling kills the local process tree instead; `--master local[N]` replaces YARN; `--deploy-mode` is
 *    dropped (a local master runs the driver in-process); executor/driver sizing flags are replaced by
 *    a local driver memory; `spark.yarn.*` confs are dropped.
 *    `spark.sql.shuffle.partitions=4` and `spark.ui.enabled=false` suit a local master. The driver
 *    JVM maps the venv's class-data archive of Spark's classes when there is one (a faster start).
 * 2. `--jars <Iceberg runtime>` is added (EMR provides it through the `iceberg-defaults` classification).
 * 3. Every `s3://bucket/key` (and `s3a://`) becomes `<workspace>/s3/<bucket>/<key>`, except the OpenAQ
 *    archive bucket, which becomes the local archive directory.
 * 4. `--catalog glue` → `--catalog hadoop` (no Glue here; same table names in the `aqi` catalog).
 * 5. `--api-base-url` → the local API stand-in (or the URL given to `hourly --api-base-url`).
 * 6. `--api-key-secret NAME` is dropped; the key is passed as env `OPENAQ_API_KEY`, as the Stage CLI
 *    contract specifies for local runs.
 *
 * With `aws` set (`--aws-fidelity`, local/runtime/aws-fidelity.ts) 3, 4 and 6 do not apply: every `s3://`
 * URI, `--catalog glue` and `--api-key-secret` reach the stage as EMR sends them, and the step gets the
 * endpoint's confs and jars (`--driver-class-path`) on top of 1, 2 and 5.
 */
import { EMR_NODE } from '../../lib/workflow/emr-node';
import type { AwsStepSettings } from './aws-fidelity';
import { OPENAQ_ARCHIVE_BUCKET, parseS3Uri } from '../../core/layout';
import { Workspace } from './workspace';


export interface LocalStepSettings {
  workspace: Workspace;
  sparkSubmit: string;
  icebergJar: string;
  /** `local[2]`: the machine's cores are shared by concurrent steps. */
  master: string;
  driverMemory: string;
  /** The directory standing in for `s3://openaq-data-archive`. */
  archiveDir: string;
  /** Replaces the step's `--api-base-url` when set. */
  apiBaseUrl?: string;
  /** log4j2 configuration that keeps Spark's INFO chatter out of the streamed output. */
  log4jConfig?: string;
  /** `--aws-fidelity`: keep the step's AWS arguments and point its clients at this endpoint. */
  aws?: AwsStepSettings;
  /**
   * A JVM class-data archive of Spark's driver classes (`scripts/spark-class-archive.sh`): each step's JVM
   * maps it instead of loading those classes again. @default - none, classes load from the jars
   */
  classArchive?: string;
}

export interface StepPlacement {
  /** Where a crashing JVM writes its `hs_err_pid*.log` (the step's log directory, which outlives the cluster). */
  jvmErrorFile?: string;
}

export interface LocalStepCommand {
  command: string;
  args: string[];
  /** The stage and chunk the step runs, for the `[BRONZE 2024-01]` prefix. */
  stage: string;
  chunkId?: string;
  /** Where the stage writes its result JSON (the translated `--result-uri`; with `aws`, the `s3://` URI). */
  resultFile?: string;
}

/** spark-submit options that take no value. */
const SPARK_FLAGS = new Set(['--verbose', '--supervise', '--help', '--version']);
/** Sizing flags meaningful on YARN only; a local master gets `driverMemory`. */
const DROPPED_OPTIONS = new Set(['--master', '--deploy-mode', '--driver-memory', '--executor-memory', '--executor-cores', '--num-executors', '--queue', '--driver-cores']);

export class StepNotRunnableLocally extends Error {
  override readonly name = 'StepNotRunnableLocally';
}

export function localStepCommand(hadoopArgs: readonly string[], settings: LocalStepSettings, placement: StepPlacement = {}): LocalStepCommand {
  const [program, ...rest] = hadoopArgs;
  if (program !== 'spark-submit' && program !== EMR_NODE.stepWrapper) {
    throw new StepNotRunnableLocally(`step runs '${program}' through command-runner.jar; the local runtime runs spark-submit (or ${EMR_NODE.stepWrapper}) steps only`);
  }
  const localPath = (value: string) => (settings.aws ? value : translateUri(value, settings));
  const submitOptions: string[] = ['--master', settings.master, '--driver-memory', settings.driverMemory];
  const jars = [settings.icebergJar];
  let i = 0;
  for (; i < rest.length && rest[i].startsWith('--'); i++) {
    const option = rest[i];
    if (SPARK_FLAGS.has(option)) {
      submitOptions.push(option);
      continue;
    }
    const value = rest[++i];
    if (value === undefined) throw new StepNotRunnableLocally(`spark-submit option '${option}' has no value`);
    if (DROPPED_OPTIONS.has(option)) continue;
    if (option === '--jars') {
      jars.push(...value.split(',').map(localPath));
    } else if (option === '--conf') {
      const eq = value.indexOf('=');
      const key = value.slice(0, eq);
      if (key.startsWith('spark.yarn.')) continue;
      submitOptions.push('--conf', `${key}=${localPath(value.slice(eq + 1))}`);
    } else {
      submitOptions.push(option, value.split(',').map(localPath).join(','));
    }
  }
  // A local master on a laptop: a handful of shuffle partitions (Spark's 200 suits a cluster) and no UI.
  submitOptions.push('--conf', 'spark.sql.shuffle.partitions=4', '--conf', 'spark.ui.enabled=false');
  if (settings.aws) {
    for (const [key, value] of Object.entries(settings.aws.conf)) submitOptions.push('--conf', `${key}=${value}`);
    // On spark-submit's own classpath, not `--jars`: it fetches the s3:// application and `--py-files`
    // through S3A before it loads any `--jars` (EMR's spark-submit has EMRFS there for the same reason).
    submitOptions.push('--driver-class-path', settings.aws.jars.join(':'));
  }
  const javaOptions = [
    settings.log4jConfig ? `-Dlog4j2.configurationFile=file:${settings.log4jConfig}` : undefined,
    // A local step holds a laptop-sized data set in one JVM, which the serial collector suits ("small data
    // sets (up to approximately 100 MB)", https://docs.oracle.com/en/java/javase/17/gctuning/available-collectors.html).
    // G1 grew Silver's heap with the backfill's length; with the serial collector a step's peak RSS stays
    // flat, at the same wall time (docs/BENCHMARKS.md, session 8). EMR keeps the cluster's own collector.
    '-XX:+UseSerialGC',
    placement.jvmErrorFile ? `-XX:ErrorFile=${placement.jvmErrorFile}` : undefined,
    // The archive holds the classpath it was dumped with; the AWS mode's extra driver jars change it.
    settings.classArchive && !settings.aws ? `-XX:SharedArchiveFile=${settings.classArchive}` : undefined,
  ].filter(Boolean);
  if (javaOptions.length > 0) submitOptions.push('--conf', `spark.driver.extraJavaOptions=${javaOptions.join(' ')}`);
  const app = rest[i];
  if (app === undefined) throw new StepNotRunnableLocally('spark-submit has no application file');
  const stageArgs = translateStageArgs(rest.slice(i + 1), settings);
  return {
    command: settings.sparkSubmit,
    args: [...submitOptions, '--jars', jars.join(','), localPath(app), ...stageArgs],
    stage: rest[i + 1] ?? 'step',
    chunkId: valueOf(rest.slice(i + 1), '--chunk-id'),
    resultFile: valueOf(stageArgs, '--result-uri'),
  };
}

function translateStageArgs(args: readonly string[], settings: LocalStepSettings): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const next = args[i + 1];
    if (settings.aws && arg !== '--api-base-url') {
      out.push(arg);
    } else if (arg === '--catalog' && next === 'glue') {
      out.push(arg, 'hadoop');
      i++;
    } else if (arg === '--api-base-url' && next !== undefined && settings.apiBaseUrl) {
      out.push(arg, withVersionPath(settings.apiBaseUrl, next));
      i++;
    } else if (arg === '--api-key-secret' && next !== undefined) {
      i++;
    } else {
      out.push(translateUri(arg, settings));
    }
  }
  return out;
}

/** Keeps the step's `/v3` suffix convention: the replacement names the same API root the stage expects. */
function withVersionPath(replacement: string, original: string): string {
  const version = /\/v\d+\/?$/.exec(original)?.[0];
  const base = replacement.replace(/\/+$/, '');
  if (!version || /\/v\d+$/.test(base)) return base;
  return `${base}${version.replace(/\/$/, '')}`;
}

function translateUri(value: string, settings: LocalStepSettings): string {
  const parsed = parseS3Uri(value);
  if (!parsed) return value;
  if (parsed.bucket === OPENAQ_ARCHIVE_BUCKET) {
    return parsed.key ? `${settings.archiveDir}/${parsed.key}` : settings.archiveDir;
  }
  const path = settings.workspace.s3Path(parsed.bucket, parsed.key);
  // Keep a trailing slash: a warehouse or prefix URI names a directory.
  return value.endsWith('/') && !path.endsWith('/') ? `${path}/` : path;
}

function valueOf(args: readonly string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
}
