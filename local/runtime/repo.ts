import { resolve } from 'node:path';

/** The checkout the local runtime runs from: where `lambdas/`, `spark-jobs/`, `.venv/` and `cdk.json` are. */
export const REPO_ROOT = resolve(__dirname, '..', '..');
