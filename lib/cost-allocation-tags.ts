import { Tags } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { Pipeline } from '../core/layout';
import { CLUSTER_TAG_KEYS, COST_ALLOCATION_TAG } from '../core/tags';

/** What a resource serves: one pipeline, or both (the lake, the network, the janitor). */
export type CostScope = Pipeline | 'shared';

/**
 * Tags every taggable resource under `scope` with the project and what it serves, so Cost Explorer can
 * split the bill by `project` and `aqi-pipeline:pipeline` once the keys are activated as cost-allocation
 * tags (docs/COSTS.md). A pipeline's own tag outranks its stack's `shared` by priority,
 * not by the order aspects happen to run in.
 */
export function tagCostAllocation(scope: IConstruct, pipeline: CostScope): void {
  Tags.of(scope).add(COST_ALLOCATION_TAG.key, COST_ALLOCATION_TAG.value);
  Tags.of(scope).add(CLUSTER_TAG_KEYS.pipeline, pipeline, { priority: pipeline === 'shared' ? SHARED_PRIORITY : PIPELINE_PRIORITY });
}

/** CDK's default tag priority, and one above it. */
const SHARED_PRIORITY = 100;
const PIPELINE_PRIORITY = 200;
