/**
 * The CDK app entry, and the only place that reads context and environment. `cdk.json` runs it with tsx.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigError } from '../lib/config';
import { buildApp } from '../lib/app';

const repoRoot = path.resolve(__dirname, '..');
const app = new App();
// cdk-nag 3 checks through CDK's policy validation: every `cdk synth` and `cdk deploy` prints its report,
// and an unacknowledged finding fails synthesis (the acknowledgements are in lib/compliance.ts).
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
try {
  buildApp(app, {
    rawConfig: app.node.tryGetContext('aqi-pipeline'),
    versionsEnv: fs.readFileSync(path.join(repoRoot, 'spark-jobs', 'versions.env'), 'utf8'),
    sparkJobsDir: path.join(repoRoot, 'spark-jobs'),
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
