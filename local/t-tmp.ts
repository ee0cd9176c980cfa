import { copyFileSync } from 'node:fs';
import { installPromiseWithResolvers } from './polyfills';
import { prepareApp, runPipeline } from './runtime/local-run';
import { workspaceAt } from './runtime/workspace';
installPromiseWithResolvers();
(async () => {
  const ws = workspaceAt('.local');
  const app = prepareApp(ws, ws.defaultArchiveDir);
  // Experiment only, until lib/spark-jobs-deployment.ts deploys entry.py (asset hash collision).
  copyFileSync('spark-jobs/entry.py', ws.s3Path('aqidatalake-artifactsbucket', 'spark-jobs/entry.py'));
  const r = await runPipeline('hourly', { scheduledTime: process.argv[2] }, { app, streamStepOutput: false });
  console.log(JSON.stringify(r.outcome.output ?? r.outcome.error).slice(0, 1500));
})();
