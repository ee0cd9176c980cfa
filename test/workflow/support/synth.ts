import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, type Environment } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { type AqiPipelineApp, buildApp } from '../../../lib/app';
import { CONFIG_CONTEXT_KEY } from '../../../lib/config';
import type { CfnTemplate } from '../../../local/definition';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

/** cdk.json's context: the same feature flags and default configuration `cdk synth` uses. */
export function cdkJsonContext(): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8')).context;
}

export function defaultRawConfig(): Record<string, unknown> {
  return structuredClone(cdkJsonContext()[CONFIG_CONTEXT_KEY] as Record<string, unknown>);
}

export interface SynthesizedApp extends AqiPipelineApp {
  readonly app: App;
  readonly dataLakeTemplate: Template;
  readonly pipelineTemplate: Template;
  readonly dataLakeJson: CfnTemplate;
  readonly pipelineJson: CfnTemplate;
}

/**
 * Synthesizes both stacks as `cdk synth` would, minus asset bundling (esbuild and the spark-jobs copy
 * are exercised by `npx cdk synth`; skipping them keeps each test file's synth to a few seconds).
 * Call once per test file (in `beforeAll`) and share the result. `bundlingStacks` opts stacks back in.
 */
export function synthesize(
  rawConfig: unknown = defaultRawConfig(),
  options: { bundlingStacks?: string[]; env?: Environment } = {},
): SynthesizedApp {
  const context: Record<string, unknown> = { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': options.bundlingStacks ?? [] };
  delete context[CONFIG_CONTEXT_KEY];
  // CDK's built-in CloudFormation validation only warns and costs ~5 s of CPU per synth; `npx cdk synth`
  // keeps it on, tests assert on the templates themselves.
  const app = new App({ context, builtinCloudFormationValidation: false });
  const built = buildApp(app, {
    rawConfig,
    versionsEnv: fs.readFileSync(path.join(REPO_ROOT, 'spark-jobs', 'versions.env'), 'utf8'),
    sparkJobsDir: path.join(REPO_ROOT, 'spark-jobs'),
    env: options.env,
  });
  const dataLakeTemplate = Template.fromStack(built.dataLake);
  const pipelineTemplate = Template.fromStack(built.pipeline);
  return {
    ...built,
    app,
    dataLakeTemplate,
    pipelineTemplate,
    dataLakeJson: dataLakeTemplate.toJSON() as CfnTemplate,
    pipelineJson: pipelineTemplate.toJSON() as CfnTemplate,
  };
}
