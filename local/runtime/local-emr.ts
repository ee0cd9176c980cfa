/**
 * A local stand-in for the EMR service as Step Functions drives it: a cluster is a workspace directory and
 * a registry entry; a step is a real `spark-submit` child process in its own process group, its output
 * streamed live with a `[STAGE chunk]` prefix and kept in the cluster's `LogUri` layout.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, rmSync, writeFileSync, WriteStream } from 'node:fs';
import { join } from 'node:path';
import { updateJson, readJson } from './json-file';
import { GroupProcess, isAlive, killTree, processTreeProblem, spawnGroup } from './process-tree';
import { LocalStepSettings, localStepCommand } from './step-command';
import { parseS3Uri, stepLogKeyPrefix } from '../../core/layout';

export type ClusterState = 'WAITING' | 'RUNNING' | 'TERMINATING' | 'TERMINATED' | 'TERMINATED_WITH_ERRORS';
export type StepState = 'PENDING' | 'RUNNING' | 'COMPLETED' | 'CANCELLED' | 'FAILED' | 'INTERRUPTED';

export interface LocalStepRecord {
  id: string;
  name: string;
  state: StepState;
  args: string[];
  command: string[];
  pid?: number;
  logDir: string;
  createdAt: string;
  startedAt?: string;
  endedAt?: string;
  exitCode?: number | null;
  failure?: { reason: string; message: string; logFile: string };
}

export interface LocalClusterRecord {
  id: string;
  arn: string;
  name: string;
  state: ClusterState;
  tags: Record<string, string>;
  logUri?: string;
  stepConcurrencyLevel: number;
  /** The instance fleets the createCluster request asked for: what the AWS cluster would have run. */
  fleets?: LocalFleetRecord[];
  createdAt: string;
  terminatedAt?: string;
  steps: LocalStepRecord[];
}

/** One `Instances.InstanceFleets` entry of a createCluster request, as RunJobFlow takes it. */
export interface LocalFleetRecord {
  fleetType: string;
  onDemand: number;
  spot: number;
  instanceTypes: string[];
}

type Registry = Record<string, LocalClusterRecord>;

export interface StepActivity {
  clusterId: string;
  stepId: string;
  name: string;
  /** `BRONZE 2024-01` */
  label: string;
  stdoutFile: string;
  stderrFile: string;
  stage: string;
  chunkId?: string;
  resultFile?: string;
}

export interface StepObserver {
  stepStarted?(step: StepActivity): void;
  stepLine?(step: StepActivity, stream: 'stdout' | 'stderr', line: string): void;
  stepEnded?(step: StepActivity, state: StepState, seconds: number, failure?: LocalStepRecord['failure']): void;
}

/** Named like the errors the real integrations raise, so the definitions' Retry/Catch match them. */
export class EmrTaskError extends Error {
  constructor(name: string, cause: string) {
    super(cause);
    this.name = name;
  }
}

export interface LocalEmrOptions {
  step: LocalStepSettings;
  region: string;
  account: string;
  observer?: StepObserver;
  /** Extra environment for spark-submit (e.g. `OPENAQ_API_KEY`). */
  env?: NodeJS.ProcessEnv;
  /** The venv's python, for PySpark's driver and workers. */
  python: string;
  /**
   * Reads an `s3://` object (`--aws-fidelity`, where results live in the endpoint's S3): a step's result is
   * copied next to its logs before observers hear that it ended, so they read it like a local result.
   */
  readS3Text?: (uri: string) => Promise<string | undefined>;
}

export class LocalEmr {
  private readonly registryFile: string;
  private readonly running = new Map<string, GroupProcess>();
  private readonly slots = new Map<string, { free: number; waiting: (() => void)[] }>();

  constructor(private readonly options: LocalEmrOptions) {
    const unsupported = processTreeProblem();
    if (unsupported) throw new Error(unsupported);
    this.registryFile = join(options.step.workspace.emrDir, 'clusters.json');
  }

  clusters(): LocalClusterRecord[] {
    return Object.values(readJson<Registry>(this.registryFile, {}));
  }

  cluster(clusterId: string): LocalClusterRecord | undefined {
    return readJson<Registry>(this.registryFile, {})[clusterId];
  }

  /** `elasticmapreduce:createCluster(.sync)`: the cluster is ready at once (WAITING). */
  async createCluster(params: Record<string, unknown>): Promise<{ ClusterId: string; ClusterArn: string }> {
    const id = `j-${emrId()}`;
    const arn = `arn:aws:elasticmapreduce:${this.options.region}:${this.options.account}:cluster/${id}`;
    const tags: Record<string, string> = {};
    for (const tag of (params.Tags as { Key: string; Value: string }[] | undefined) ?? []) tags[tag.Key] = tag.Value;
    const level = Number(params.StepConcurrencyLevel ?? 1);
    mkdirSync(this.clusterDir(id), { recursive: true });
    await updateJson<Registry, void>(this.registryFile, {}, (registry) => {
      registry[id] = {
        id,
        arn,
        name: String(params.Name ?? id),
        state: 'WAITING',
        tags,
        logUri: typeof params.LogUri === 'string' ? params.LogUri : undefined,
        stepConcurrencyLevel: Number.isInteger(level) && level > 0 ? level : 1,
        fleets: requestedFleets(params),
        createdAt: new Date().toISOString(),
        steps: [],
      };
    });
    return { ClusterId: id, ClusterArn: arn };
  }

  /**
   * `elasticmapreduce:addStep.sync`: runs the step to completion. Resolves with the step's description
   * when spark-submit exits 0; rejects with `States.TaskFailed` (the cause is the step description,
   * with the log file) otherwise. `signal` (abort, timeout, cancel) kills the whole process tree.
   */
  async addStep(params: Record<string, unknown>, signal: AbortSignal): Promise<Record<string, unknown>> {
    const clusterId = String(params.ClusterId);
    const cluster = this.cluster(clusterId);
    if (!cluster || cluster.state.startsWith('TERMINAT')) {
      throw new EmrTaskError('EMR.InvalidRequestException', `Cluster id '${clusterId}' is not valid: ${cluster ? `it is ${cluster.state}` : 'no such cluster'}`);
    }
    const stepConfig = params.Step as { Name: string; ActionOnFailure?: string; HadoopJarStep: { Jar: string; Args: string[] } };
    // A stopped execution submits nothing more. aws-local-stepfunctions' Retry wait ends at once on abort and
    // re-runs the task; recording that attempt as a second CANCELLED step would count each step twice.
    if (signal.aborted) {
      throw new EmrTaskError('States.TaskFailed', `step '${stepConfig.Name}' was not submitted: the execution was stopped`);
    }
    const args = stepConfig.HadoopJarStep.Args ?? [];
    const stepId = `s-${emrId()}`;
    const logDir = this.stepLogDir(cluster, stepId);
    const local = localStepCommand(args, this.options.step, { jvmErrorFile: join(logDir, 'hs_err_pid%p.log') });
    mkdirSync(logDir, { recursive: true });
    const record: LocalStepRecord = {
      id: stepId,
      name: stepConfig.Name,
      state: 'PENDING',
      args,
      command: [local.command, ...local.args],
      logDir,
      createdAt: new Date().toISOString(),
    };
    await this.updateStep(clusterId, record);
    const activity: StepActivity = {
      clusterId,
      stepId,
      name: stepConfig.Name,
      label: [local.stage.toUpperCase(), local.chunkId].filter(Boolean).join(' '),
      stdoutFile: join(logDir, 'stdout'),
      stderrFile: join(logDir, 'stderr'),
      stage: local.stage,
      chunkId: local.chunkId,
      resultFile: local.resultFile,
    };

    await this.acquireSlot(cluster, signal);
    try {
      if (signal.aborted) return await this.finish(record, activity, 'CANCELLED', null, stepConfig);
      return await this.run(record, activity, local.command, local.args, signal, stepConfig);
    } finally {
      this.releaseSlot(clusterId);
    }
  }

  private async run(
    record: LocalStepRecord,
    activity: StepActivity,
    command: string,
    args: string[],
    signal: AbortSignal,
    stepConfig: { Name: string; ActionOnFailure?: string; HadoopJarStep: { Jar: string; Args: string[] } },
  ): Promise<Record<string, unknown>> {
    const logs: Record<'stdout' | 'stderr', WriteStream> = {
      stdout: createWriteStream(activity.stdoutFile),
      stderr: createWriteStream(activity.stderrFile),
    };
    let lastError = '';
    const child = spawnGroup(command, args, {
      cwd: this.clusterDir(activity.clusterId),
      env: {
        ...process.env,
        ...this.options.env,
        PYSPARK_PYTHON: this.options.python,
        PYSPARK_DRIVER_PYTHON: this.options.python,
        SPARK_LOCAL_DIRS: join(this.clusterDir(activity.clusterId), 'spark-tmp'),
      },
      onLine: (stream, line) => {
        logs[stream].write(`${line}\n`);
        if (isErrorLine(line)) lastError = line.trim();
        this.options.observer?.stepLine?.(activity, stream, line);
      },
    });
    this.running.set(record.id, child);
    record.state = 'RUNNING';
    record.pid = child.pid;
    record.startedAt = new Date().toISOString();
    await this.updateStep(activity.clusterId, record);
    this.options.observer?.stepStarted?.(activity);

    const onAbort = () => void killTree(child.pid);
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
    try {
      const exit = await child.exited;
      record.exitCode = exit.code;
      if (signal.aborted) return await this.finish(record, activity, 'CANCELLED', null, stepConfig);
      if (exit.code === 0) return await this.finish(record, activity, 'COMPLETED', null, stepConfig);
      const reason = exit.signal ? `spark-submit was killed by ${exit.signal}` : `spark-submit exited with code ${exit.code}`;
      return await this.finish(record, activity, 'FAILED', { reason, message: lastError || reason, logFile: activity.stderrFile }, stepConfig);
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.running.delete(record.id);
      await Promise.all(Object.values(logs).map((s) => new Promise((resolve) => s.end(resolve))));
    }
  }

  private async copyS3Result(record: LocalStepRecord, activity: StepActivity): Promise<void> {
    if (!activity.resultFile || !parseS3Uri(activity.resultFile) || !this.options.readS3Text) return;
    const uri = activity.resultFile;
    activity.resultFile = join(record.logDir, 'result.json');
    try {
      const text = await this.options.readS3Text(uri);
      if (text !== undefined) writeFileSync(activity.resultFile, text);
    } catch (error) {
      // The report then shows no row count; the step's own state is what the execution acts on.
      writeFileSync(activity.resultFile, JSON.stringify({ error: `could not read ${uri}: ${(error as Error).message}` }));
    }
  }

  private async finish(
    record: LocalStepRecord,
    activity: StepActivity,
    state: StepState,
    failure: LocalStepRecord['failure'] | null,
    stepConfig: { Name: string; ActionOnFailure?: string; HadoopJarStep: { Jar: string; Args: string[] } },
  ): Promise<Record<string, unknown>> {
    record.state = state;
    record.endedAt = new Date().toISOString();
    if (failure) record.failure = failure;
    await this.updateStep(activity.clusterId, record);
    await this.copyS3Result(record, activity);
    const seconds = record.startedAt ? (Date.parse(record.endedAt) - Date.parse(record.startedAt)) / 1000 : 0;
    this.options.observer?.stepEnded?.(activity, state, seconds, failure ?? undefined);
    const description = {
      Step: {
        Id: record.id,
        Name: record.name,
        ActionOnFailure: stepConfig.ActionOnFailure ?? 'CONTINUE',
        Config: { Jar: stepConfig.HadoopJarStep.Jar, Args: record.args, Properties: {} },
        Status: {
          State: state,
          StateChangeReason: {},
          ...(failure ? { FailureDetails: { Reason: failure.reason, Message: failure.message, LogFile: failure.logFile } } : {}),
          Timeline: { CreationDateTime: record.createdAt, StartDateTime: record.startedAt, EndDateTime: record.endedAt },
        },
      },
    };
    if (state === 'COMPLETED') return description;
    throw new EmrTaskError('States.TaskFailed', JSON.stringify(description));
  }

  /** `elasticmapreduce:cancelStep`: kills a pending or running step. */
  async cancelStep(clusterId: string, stepId: string): Promise<{ CancelStepsInfoList: { StepId: string; Status: string; Reason: string }[] }> {
    const step = this.cluster(clusterId)?.steps.find((s) => s.id === stepId);
    const running = this.running.get(stepId);
    if (running) await killTree(running.pid);
    else if (step?.pid && step.state === 'RUNNING' && isAlive(step.pid)) await killTree(step.pid);
    const status = step && (step.state === 'PENDING' || step.state === 'RUNNING') ? 'SUBMITTED' : 'FAILED';
    return { CancelStepsInfoList: [{ StepId: stepId, Status: status, Reason: step ? `step was ${step.state}` : 'no such step' }] };
  }

  /** `elasticmapreduce:terminateCluster(.sync)`: kills every step still running, removes the scratch space. */
  async terminateCluster(clusterId: string): Promise<Record<string, never>> {
    const cluster = this.cluster(clusterId);
    if (!cluster) throw new EmrTaskError('EMR.InvalidRequestException', `Cluster id '${clusterId}' is not valid: no such cluster`);
    for (const step of cluster.steps) {
      const running = this.running.get(step.id);
      if (running) await killTree(running.pid);
      else if (step.pid && step.state === 'RUNNING' && isAlive(step.pid)) await killTree(step.pid);
    }
    await updateJson<Registry, void>(this.registryFile, {}, (registry) => {
      const entry = registry[clusterId];
      if (!entry || entry.state.startsWith('TERMINATED')) return;
      entry.state = 'TERMINATED';
      entry.terminatedAt = new Date().toISOString();
      for (const step of entry.steps) {
        if (step.state === 'RUNNING' || step.state === 'PENDING') step.state = 'CANCELLED';
      }
    });
    rmSync(this.clusterDir(clusterId), { recursive: true, force: true });
    return {};
  }

  /** Clusters not yet terminated that carry the tag (the janitor's view). */
  listActiveClustersTagged(key: string, value: string): LocalClusterRecord[] {
    return this.clusters().filter((c) => !c.state.startsWith('TERMINAT') && c.tags[key] === value);
  }

  /** Pids of steps this process still runs: none may be left when an execution ends. */
  runningPids(): number[] {
    return [...this.running.values()].map((p) => p.pid);
  }

  private clusterDir(clusterId: string): string {
    return join(this.options.step.workspace.emrDir, clusterId);
  }

  private stepLogDir(cluster: LocalClusterRecord, stepId: string): string {
    const logUri = cluster.logUri ? parseS3Uri(cluster.logUri) : undefined;
    if (logUri) {
      return this.options.step.workspace.s3Path(logUri.bucket, stepLogKeyPrefix(logUri.key, cluster.id, stepId).replace(/\/$/, ''));
    }
    return join(this.clusterDir(cluster.id), '..', 'logs', cluster.id, 'steps', stepId);
  }

  private updateStep(clusterId: string, step: LocalStepRecord): Promise<void> {
    return updateJson<Registry, void>(this.registryFile, {}, (registry) => {
      const cluster = registry[clusterId];
      if (!cluster) return;
      const at = cluster.steps.findIndex((s) => s.id === step.id);
      if (at >= 0) cluster.steps[at] = { ...step };
      else cluster.steps.push({ ...step });
      const active = cluster.steps.some((s) => s.state === 'RUNNING');
      if (!cluster.state.startsWith('TERMINAT')) cluster.state = active ? 'RUNNING' : 'WAITING';
    });
  }

  /** EMR runs at most `StepConcurrencyLevel` steps at once; the rest stay PENDING. */
  private acquireSlot(cluster: LocalClusterRecord, signal: AbortSignal): Promise<void> {
    let slot = this.slots.get(cluster.id);
    if (!slot) {
      slot = { free: cluster.stepConcurrencyLevel, waiting: [] };
      this.slots.set(cluster.id, slot);
    }
    if (slot.free > 0) {
      slot.free--;
      return Promise.resolve();
    }
    const s = slot;
    return new Promise((resolve) => {
      const grant = () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      // An aborted waiter still takes and returns a slot, which keeps the accounting simple.
      const onAbort = () => {
        s.waiting.splice(s.waiting.indexOf(grant), 1);
        s.free--;
        resolve();
      };
      s.waiting.push(grant);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private releaseSlot(clusterId: string): void {
    const slot = this.slots.get(clusterId);
    if (!slot) return;
    const next = slot.waiting.shift();
    if (next) next();
    else slot.free++;
  }
}

/**
 * A line worth quoting as the reason a step failed: not Spark's own log lines (`HH:MM:SS INFO|WARN ...`),
 * not a stack frame. Python and the stage CLI write their one-line errors to either stream.
 */
export function isErrorLine(line: string): boolean {
  const text = line.trim();
  if (!text) return false;
  // A JVM crash banner is all '#' lines; only its fatal-error lines say what happened.
  if (text.startsWith('#')) return /fatal error|SIG[A-Z]+ \(0x/.test(text);
  if (/^\d{2}:\d{2}:\d{2} (INFO|WARN|DEBUG|TRACE) /.test(text)) return false;
  if (/^(at |File "|\^|~|\.\.\.)/.test(text)) return false;
  return true;
}

const EMR_ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

function emrId(): string {
  return [...randomBytes(13)].map((b) => EMR_ID_ALPHABET[b % EMR_ID_ALPHABET.length]).join('');
}

function requestedFleets(params: Record<string, unknown>): LocalFleetRecord[] {
  const instances = params.Instances as { InstanceFleets?: Record<string, unknown>[] } | undefined;
  return (instances?.InstanceFleets ?? []).map((fleet) => ({
    fleetType: String(fleet.InstanceFleetType),
    onDemand: Number(fleet.TargetOnDemandCapacity ?? 0),
    spot: Number(fleet.TargetSpotCapacity ?? 0),
    instanceTypes: ((fleet.InstanceTypeConfigs as { InstanceType: string }[] | undefined) ?? []).map((c) => c.InstanceType),
  }));
}
