import { type App, type Environment, Tags } from 'aws-cdk-lib';
import { parsePipelineConfig, type PipelineConfig } from './config';
import { COST_ALLOCATION_TAG } from '../core/tags';
import { tagCostAllocation } from './cost-allocation-tags';
import { DataLakeStack, EMR_LOG_PREFIX } from './data-lake-stack';
import { PipelineStack } from './pipeline-stack';
import { STACK_NAMES } from './stack-names';
import { readVersion } from './versions';

export interface AppInputs {
  /** The `aqi-pipeline` context object from cdk.json (or `-c`). */
  readonly rawConfig: unknown;
  /** Text of spark-jobs/versions.env: the default EMR release label comes from it. */
  readonly versionsEnv: string;
  readonly sparkJobsDir: string;
  readonly env?: Environment;
}

export interface AqiPipelineApp {
  readonly config: PipelineConfig;
  readonly dataLake: DataLakeStack;
  readonly pipeline: PipelineStack;
}

export { STACK_NAMES };

/**
 * Tags on every resource of both stacks, for cost allocation and for finding what belongs to the
 * pipeline (the EMR clusters the state machines create carry their own run tags, lib/workflow/emr-cluster.ts).
 */
export const APP_TAGS = { [COST_ALLOCATION_TAG.key]: COST_ALLOCATION_TAG.value, 'managed-by': 'aws-cdk' } as const;

/** Builds both stacks from already-read inputs; bin/app.ts reads them, tests pass their own. */
export function buildApp(app: App, inputs: AppInputs): AqiPipelineApp {
  const config = parsePipelineConfig(inputs.rawConfig, { releaseLabel: readVersion(inputs.versionsEnv, 'EMR_RELEASE_LABEL') });
  const dataLake = new DataLakeStack(app, STACK_NAMES.dataLake, {
    env: inputs.env,
    description: 'aqi-pipeline data lake (stateful, retained): buckets, key, Glue databases, lock table',
    locations: config.locations,
    sparkJobsDir: inputs.sparkJobsDir,
  });
  const pipeline = new PipelineStack(app, STACK_NAMES.pipeline, {
    env: inputs.env,
    description: 'aqi-pipeline orchestration (stateless): state machines, Lambdas, EMR roles, schedule, alarms',
    config,
    lake: {
      key: dataLake.key,
      lakeBucket: dataLake.lakeBucket,
      artifactsBucket: dataLake.artifactsBucket,
      logsBucket: dataLake.logsBucket,
      table: dataLake.table,
      sparkJobs: dataLake.sparkJobs,
      emrLogPrefix: EMR_LOG_PREFIX,
    },
  });
  for (const [key, value] of Object.entries(APP_TAGS)) Tags.of(app).add(key, value);
  Tags.of(dataLake).add('component', 'data-lake');
  Tags.of(pipeline).add('component', 'orchestration');
  tagCostAllocation(dataLake, 'shared');
  return { config, dataLake, pipeline };
}
