import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BackfillSettings } from '../../core/backfill/settings';
import { readVersion } from '../../lib/versions';
import { CONFIG_CONTEXT_KEY, parsePipelineConfig, type PipelineConfig } from '../../lib/config';

/**
 * The repository the CLI runs from: the nearest folder up from this file holding cdk.json. The same
 * whether the CLI runs from its TypeScript (bin/cli/) or from its bundle (bin/dist/).
 */
export const REPO_ROOT = repositoryRoot(__dirname);

function repositoryRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'cdk.json'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(from, '..', '..');
  }
}

/**
 * The deployment's configuration, read from `cdk.json` the way the CDK app reads it, so `backfill plan`
 * and `backfill start` judge an input by the same limits and locations the deployed plan Lambda has.
 */
export function readPipelineConfig(cdkJsonPath = path.join(REPO_ROOT, 'cdk.json')): PipelineConfig {
  const cdkJson = JSON.parse(fs.readFileSync(cdkJsonPath, 'utf8')) as { context?: Record<string, unknown> };
  const versionsEnv = fs.readFileSync(path.join(REPO_ROOT, 'spark-jobs', 'versions.env'), 'utf8');
  return parsePipelineConfig(cdkJson.context?.[CONFIG_CONTEXT_KEY], { releaseLabel: readVersion(versionsEnv, 'EMR_RELEASE_LABEL') });
}

export function backfillSettings(config: PipelineConfig): BackfillSettings {
  return { ...config.backfill, coreInstanceCount: config.emr.coreInstanceCount, locations: config.locations };
}
