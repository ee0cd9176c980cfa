import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import type { Pipeline } from '../../core/layout';
import { CLUSTER_TAG_KEYS, COST_ALLOCATION_TAG, EMR_MANAGED_POLICY_TAG } from '../../core/tags';
import { EMR_NODE } from './emr-node';
import { emrApiRetry } from './retries';
import { PATHS } from './state-paths';

const JsonPath = sfn.JsonPath;

/** Everything about a pipeline cluster that does not change between executions. */
export interface EmrClusterBlueprint {
  /** e.g. `emr-7.9.0` (spark-jobs/versions.env). */
  readonly releaseLabel: string;
  readonly primaryInstanceType: string;
  readonly coreInstanceType: string;
  readonly coreInstanceCount: number;
  /** Last-resort net: EMR terminates a cluster idle for this long even if every other layer failed. */
  readonly idleTimeout: Duration;
  /** `s3://<logs bucket>/emr/` */
  readonly logUri: string;
  /** Name of the EMR security configuration (encryption at rest). */
  readonly securityConfigurationName: string;
  /** Private subnets; EMR picks one with capacity (instance fleets). */
  readonly subnetIds: string[];
  readonly serviceRole: iam.IRole;
  /** The EC2 instance role; an instance profile of the same name must exist (EMR takes the profile name). */
  readonly instanceRole: iam.IRole;
  /** How long createCluster may take before the run gives up. @default 30 minutes */
  readonly createTimeout?: Duration;
  /** The bootstrap action every node runs: pinned Python packages and the step wrapper. */
  readonly bootstrap: ClusterBootstrap;
  /**
   * Security groups the stack owns and EMR manages the rules of. Without them EMR creates its own, outside
   * the stack, and they keep the VPC from being deleted on `cdk destroy`.
   * @default - EMR creates default managed security groups
   */
  readonly securityGroups?: EmrManagedSecurityGroups;
}

/** `spark-jobs/emr/bootstrap.sh` and the S3 prefix it installs from. */
export interface ClusterBootstrap {
  /** `s3://<artifacts>/spark-jobs/emr/bootstrap.sh` */
  readonly scriptUri: string;
  /** `s3://<artifacts>/spark-jobs/emr/` (holds requirements-emr.txt and aqi-spark-submit) */
  readonly filesPrefixUri: string;
}

export interface EmrManagedSecurityGroups {
  readonly primary: string;
  readonly core: string;
  /** Required by EMR for clusters in private subnets. */
  readonly serviceAccess: string;
}

/**
 * The cluster's software configuration. `spark.pyspark.python` is the interpreter of the executors and,
 * through `spark.pyspark.driver.python`, of the driver: in cluster deploy mode the driver's PythonRunner
 * starts in the YARN application master and reads both from the Spark configuration (docs/ARCHITECTURE.md,
 * "Python on the cluster").
 */
export function clusterConfigurations(): tasks.EmrCreateCluster.ConfigurationProperty[] {
  return [
    { classification: 'iceberg-defaults', properties: { 'iceberg.enabled': 'true' } },
    {
      classification: 'spark-defaults',
      properties: { 'spark.pyspark.python': EMR_NODE.python, 'spark.pyspark.driver.python': EMR_NODE.python },
    },
  ];
}

/** What a workflow chooses per execution. */
export interface CreateClusterOptions {
  readonly pipeline: Pipeline;
  /**
   * Steps EMR runs at once. A number, or `JsonPath.numberAt('$.plan.cluster.stepConcurrency')` so a plan
   * Lambda can size it. @default 1
   */
  readonly stepConcurrencyLevel?: number;
  /**
   * Managed scaling bounds in instance-fleet units; numbers or `JsonPath.numberAt(...)`.
   * @default - no managed scaling: the fleet stays at `coreInstanceCount`
   */
  readonly managedScaling?: { readonly minimumUnits: number; readonly maximumUnits: number };
  /**
   * Core nodes: a number, `JsonPath.numberAt(...)` so the plan sizes it, or 0 for a single-node cluster (no
   * core fleet: the primary runs the steps' containers itself).
   * @default - the blueprint's core count
   */
  readonly coreInstanceCount?: number;
  /**
   * Where the capacity comes from. Spot core capacity takes any of `spotInstanceTypes` (one fleet unit
   * each) and falls back to On-Demand after `spotTimeoutMinutes`; the primary stays On-Demand.
   * @default - everything On-Demand
   */
  readonly capacity?: ClusterCapacity;
}

/** `backfill.capacity` of the config. */
export interface ClusterCapacity {
  readonly coreMarket: 'ON_DEMAND' | 'SPOT';
  readonly primaryMarket: 'ON_DEMAND' | 'SPOT';
  readonly spotInstanceTypes: readonly string[];
  readonly spotTimeoutMinutes: number;
}

/**
 * The `createCluster.sync` task both workflows start their EMR work with. Output: `$.cluster.ClusterId`.
 * Tags carry the execution ARN (the janitor's search key) and the run id. Retries EMR API throttling only.
 *
 * Usage: `const create = createClusterTask(this, 'Create cluster', blueprint, { pipeline: 'backfill',
 * stepConcurrencyLevel: JsonPath.numberAt('$.plan.maxConcurrency') });` then
 * `create.addCatch(teardown.beforeClusterEntry, { resultPath: PATHS.error })`.
 */
export function createClusterTask(
  scope: Construct,
  id: string,
  blueprint: EmrClusterBlueprint,
  options: CreateClusterOptions,
): tasks.EmrCreateCluster {
  const spotCore = options.capacity?.coreMarket === 'SPOT';
  const task = new tasks.EmrCreateCluster(scope, id, {
    name: JsonPath.format('aqi-{}', JsonPath.stringAt(PATHS.runId)),
    releaseLabel: blueprint.releaseLabel,
    applications: [{ name: 'Spark' }],
    configurations: clusterConfigurations(),
    bootstrapActions: [
      {
        name: 'aqi-pipeline python and step wrapper',
        scriptBootstrapAction: {
          path: blueprint.bootstrap.scriptUri,
          args: [blueprint.bootstrap.filesPrefixUri, EMR_NODE.python, EMR_NODE.stepWrapper],
        },
      },
    ],
    logUri: blueprint.logUri,
    securityConfiguration: blueprint.securityConfigurationName,
    serviceRole: blueprint.serviceRole,
    clusterRole: blueprint.instanceRole,
    autoTerminationPolicyIdleTimeout: blueprint.idleTimeout,
    stepConcurrencyLevel: options.stepConcurrencyLevel ?? 1,
    managedScalingPolicy: options.managedScaling && {
      computeLimits: {
        unitType: tasks.EmrCreateCluster.ComputeLimitsUnitType.INSTANCE_FLEET_UNITS,
        minimumCapacityUnits: options.managedScaling.minimumUnits,
        maximumCapacityUnits: options.managedScaling.maximumUnits,
        // Managed scaling limits cover core and task nodes only; with Spot core capacity none of it
        // may be On-Demand (a Spot fleet still falls back to On-Demand at launch after its timeout).
        ...(spotCore ? { maximumOnDemandCapacityUnits: 0 } : {}),
      },
    },
    instances: {
      ec2SubnetIds: blueprint.subnetIds,
      emrManagedMasterSecurityGroup: blueprint.securityGroups?.primary,
      emrManagedSlaveSecurityGroup: blueprint.securityGroups?.core,
      serviceAccessSecurityGroup: blueprint.securityGroups?.serviceAccess,
      instanceFleets: clusterFleets(blueprint, options),
    },
    tags: {
      [COST_ALLOCATION_TAG.key]: COST_ALLOCATION_TAG.value,
      [CLUSTER_TAG_KEYS.executionArn]: JsonPath.executionId,
      [CLUSTER_TAG_KEYS.runId]: JsonPath.stringAt(PATHS.runId),
      [CLUSTER_TAG_KEYS.pipeline]: options.pipeline,
      [EMR_MANAGED_POLICY_TAG.key]: EMR_MANAGED_POLICY_TAG.value,
    },
    integrationPattern: sfn.IntegrationPattern.RUN_JOB,
    taskTimeout: sfn.Timeout.duration(blueprint.createTimeout ?? Duration.minutes(30)),
    resultSelector: { 'ClusterId.$': '$.ClusterId' },
    resultPath: PATHS.cluster,
  });
  task.addRetry(emrApiRetry());
  return task;
}

/**
 * The primary fleet (one On-Demand node of the primary type, unless configured otherwise) and, unless the
 * cluster is single-node, the core fleet: On-Demand of the core type, or Spot over `spotInstanceTypes`.
 */
function clusterFleets(blueprint: EmrClusterBlueprint, options: CreateClusterOptions): tasks.EmrCreateCluster.InstanceFleetConfigProperty[] {
  const { MASTER, CORE } = tasks.EmrCreateCluster.InstanceRoleType;
  const primarySpot = options.capacity?.primaryMarket === 'SPOT';
  const primary: tasks.EmrCreateCluster.InstanceFleetConfigProperty = {
    instanceFleetType: MASTER,
    name: 'master',
    ...(primarySpot ? { targetSpotCapacity: 1 } : { targetOnDemandCapacity: 1 }),
    instanceTypeConfigs: [{ instanceType: blueprint.primaryInstanceType }],
  };
  const count = options.coreInstanceCount ?? blueprint.coreInstanceCount;
  if (count === 0) return [primary];
  const capacity = options.capacity;
  if (capacity?.coreMarket !== 'SPOT') {
    return [primary, { instanceFleetType: CORE, name: 'core', targetOnDemandCapacity: count, instanceTypeConfigs: [{ instanceType: blueprint.coreInstanceType }] }];
  }
  return [
    primary,
    {
      instanceFleetType: CORE,
      name: 'core',
      targetSpotCapacity: count,
      instanceTypeConfigs: capacity.spotInstanceTypes.map((instanceType) => ({ instanceType, weightedCapacity: 1 })),
      launchSpecifications: {
        spotSpecification: {
          allocationStrategy: tasks.EmrCreateCluster.SpotAllocationStrategy.PRICE_CAPACITY_OPTIMIZED,
          timeoutAction: tasks.EmrCreateCluster.SpotTimeoutAction.SWITCH_TO_ON_DEMAND,
          timeout: Duration.minutes(capacity.spotTimeoutMinutes),
        },
      },
    },
  ];
}

/** Terminates the run's cluster and waits until it is gone. Retries EMR API throttling only. */
export function terminateClusterTask(scope: Construct, id: string): tasks.EmrTerminateCluster {
  const task = new tasks.EmrTerminateCluster(scope, id, {
    clusterId: JsonPath.stringAt(PATHS.clusterId),
    integrationPattern: sfn.IntegrationPattern.RUN_JOB,
    taskTimeout: sfn.Timeout.duration(Duration.minutes(30)),
    resultPath: JsonPath.DISCARD,
  });
  task.addRetry(emrApiRetry());
  return task;
}

/** The instance profile EMR needs, named like the role because `JobFlowRole` takes the profile name. */
export function instanceProfileFor(scope: Construct, id: string, role: iam.Role): iam.CfnInstanceProfile {
  return new iam.CfnInstanceProfile(scope, id, { roles: [role.roleName], instanceProfileName: role.roleName });
}
