import type { S3Client } from '@aws-sdk/client-s3';
import { GetObjectCommand, NoSuchKey } from '@aws-sdk/client-s3';
import type { BackfillManifest } from '../../lambdas/fan-in/manifest';
import { describeRunCost } from '../../lambdas/shared/run-cost';
import { manifestKey } from '../../lambdas/shared/layout';
import { type ExecutionView, parseS3Uri } from './execution';

export async function readManifest(s3: S3Client, lakeBucket: string, runId: string): Promise<BackfillManifest | undefined> {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: lakeBucket, Key: manifestKey('backfill', runId) }));
    return JSON.parse(await out.Body!.transformToString('utf-8')) as BackfillManifest;
  } catch (error) {
    if (error instanceof NoSuchKey) return undefined;
    throw error;
  }
}

/** Stage and chunk progress from the execution history and, once the fan-in wrote it, the manifest. */
export function describeStatus(view: ExecutionView, manifest: BackfillManifest | undefined): string {
  const when = view.startDate ? ` (started ${view.startDate.toISOString()}${view.stopDate ? `, stopped ${view.stopDate.toISOString()}` : ''})` : '';
  const lines = [`Execution   ${view.executionArn}`, `Status      ${view.status}${when}`];
  if (view.runId) lines.push(`Run id      ${view.runId}`);
  if (view.window) lines.push(`Window      ${view.window.start} .. ${view.window.end}${view.plan ? ` (${view.plan.chunkCount} chunks)` : ''}`);
  if (view.status === 'RUNNING' && view.currentState) lines.push(`Now in      ${view.currentState}`);
  if (view.chunks) {
    lines.push(`Chunks      ${view.chunks.succeeded + view.chunks.failed} of ${view.chunks.total} done, ${view.chunks.running} running, ${view.chunks.pending} waiting`);
  }
  if (manifest) {
    const failed = manifest.chunks.filter((c) => c.status === 'FAILED');
    lines.push(`Manifest    ${manifest.status}, ${manifest.chunks.length - failed.length} of ${manifest.chunks.length} chunks succeeded`);
    for (const stage of ['silver', 'gold'] as const) {
      const outcome = manifest.stages[stage];
      if (outcome) lines.push(`${stage.padEnd(12)}${outcome.status}${outcome.rowsWritten !== null ? `, ${outcome.rowsWritten} rows written` : ''}`);
    }
    for (const chunk of failed) lines.push(`  FAILED    ${chunk.chunkId}: ${chunk.failure ?? 'no reason recorded'}`);
    if (manifest.reprocessInput) lines.push(`Reprocess   ${JSON.stringify(manifest.reprocessInput)}`);
    if (manifest.cost) lines.push(`Cost        ${describeRunCost(manifest.cost)}`);
  }
  if (view.error && !manifest?.reprocessInput) lines.push(`Error       ${view.error}: ${view.cause ?? ''}`);
  return lines.join('\n');
}

export function lakeBucketOf(view: ExecutionView): string | undefined {
  return view.plan ? parseS3Uri(view.plan.planUri).bucket : undefined;
}
