import type { S3Client } from '@aws-sdk/client-s3';
import { GetObjectCommand, NoSuchKey } from '@aws-sdk/client-s3';
import { type BackfillManifest, parseRunManifest, type RunManifest } from '../../core/manifest';
import { describeRunCost } from '../../core/run-cost';
import type { ApiRequests } from '../../core/stage-result';
import { manifestKey, type Pipeline, runPrefix, STAGES } from '../../core/layout';
import { CliError } from './errors';
import { type ExecutionView, requireS3Uri } from './execution';

/** The manifest `status` reads: the backfill's (fan-in, then backfill-finalize) or the hourly finalize's. */
export type StatusManifest = RunManifest;

export function isBackfillManifest(manifest: StatusManifest | undefined): manifest is BackfillManifest {
  return manifest?.pipeline === 'backfill';
}

export async function readManifest(s3: S3Client, lakeBucket: string, pipeline: Pipeline, runId: string): Promise<StatusManifest | undefined> {
  try {
    const key = manifestKey(pipeline, runId);
    const out = await s3.send(new GetObjectCommand({ Bucket: lakeBucket, Key: key }));
    const text = await out.Body!.transformToString('utf-8');
    try {
      return parseRunManifest(text, `s3://${lakeBucket}/${key}`);
    } catch (problem) {
      throw new CliError(`${(problem as Error).message} The execution itself is in the Step Functions console.`);
    }
  } catch (error) {
    if (error instanceof NoSuchKey) return undefined;
    throw error;
  }
}

/** Stage and chunk progress from the execution history and, once the fan-in wrote it, the manifest. */
export function describeStatus(view: ExecutionView, manifest: StatusManifest | undefined): string {
  const when = view.startDate ? ` (started ${view.startDate.toISOString()}${view.stopDate ? `, stopped ${view.stopDate.toISOString()}` : ''})` : '';
  const lines = [`Execution   ${view.executionArn}`, `Status      ${view.status}${when}`];
  if (view.runId) lines.push(`Run id      ${view.runId}`);
  if (view.window) lines.push(`Window      ${view.window.start} .. ${view.window.end}${view.plan ? ` (${view.plan.chunkCount} chunks)` : ''}`);
  if (view.status === 'RUNNING' && view.currentState) lines.push(`Now in      ${view.currentState}`);
  if (view.chunks) {
    lines.push(`Chunks      ${view.chunks.succeeded + view.chunks.failed} of ${view.chunks.total} done, ${view.chunks.running} running, ${view.chunks.pending} waiting`);
  }
  if (manifest) {
    const failed = isBackfillManifest(manifest) ? manifest.chunks.filter((c) => c.status === 'FAILED') : [];
    const chunks = isBackfillManifest(manifest) ? `, ${manifest.chunks.length - failed.length} of ${manifest.chunks.length} chunks succeeded` : '';
    lines.push(`Manifest    ${manifest.status}${chunks}`);
    for (const stage of STAGES) {
      const record = manifest.stages[stage];
      if (record) lines.push(`${stage.padEnd(12)}${record.status}${record.rowsWritten !== null ? `, ${record.rowsWritten} rows written` : ''}`);
    }
    const api = manifest.stages.bronze?.apiRequests;
    if (api) lines.push(`OpenAQ API  ${describeApiRequests(api)}`);
    for (const chunk of failed) lines.push(`  FAILED    ${chunk.chunkId}: ${chunk.failure ?? 'no reason recorded'}`);
    if (isBackfillManifest(manifest) && manifest.reprocessInput) lines.push(`Reprocess   ${JSON.stringify(manifest.reprocessInput)}`);
    if (isBackfillManifest(manifest)) lines.push(...describeUnreadableSources(manifest));
    if (manifest.cost) lines.push(`Cost        ${describeRunCost(manifest.cost)}`);
  }
  if (view.error && !(isBackfillManifest(manifest) && manifest.reprocessInput)) lines.push(`Error       ${view.error}: ${view.cause ?? ''}`);
  return lines.join('\n');
}

/** Shown per file: a long list is in the manifest, which the line says. */
const UNREADABLE_SHOWN = 5;

/** Archive files the run could not read: each skipped, never counted as empty, with the input that retries it. */
export function describeUnreadableSources(manifest: BackfillManifest): string[] {
  const files = manifest.unreadableSources ?? [];
  if (files.length === 0) return [];
  const more = files.length > UNREADABLE_SHOWN ? `, the first ${UNREADABLE_SHOWN} below; all in the manifest's unreadableSources` : '';
  return [
    `Unreadable  ${files.length} archive file${files.length === 1 ? '' : 's'} skipped${more} (retry each with its input once the file is fixed, docs/OPERATIONS.md)`,
    ...files.slice(0, UNREADABLE_SHOWN).map((f) => `  SKIPPED   ${f.key}: ${f.reason}${f.retryInput ? `; retry ${JSON.stringify(f.retryInput)}` : ''}`),
  ];
}

/** `605 requests (600 /v3/sensors/{id}/hours, 5 /v3/locations/{id}/sensors), 540 s waited for the rate limit, 2 answered 429` */
export function describeApiRequests(api: ApiRequests): string {
  const endpoints = Object.entries(api.byEndpoint)
    .sort(([a, m], [b, n]) => n - m || a.localeCompare(b))
    .map(([endpoint, count]) => `${count} ${endpoint}`);
  const parts = [`${api.requests} requests (${endpoints.join(', ')})`, `${Math.round(api.waitedSeconds)} s waited for the rate limit`];
  if (api.rateLimited > 0) parts.push(`${api.rateLimited} answered 429`);
  if (api.retried > 0) parts.push(`${api.retried} retried`);
  return parts.join(', ');
}

/**
 * The lake bucket of the run: the backfill plan's own URI, or for an hourly run the bucket its steps wrote
 * their results to (`s3://<lake>/runs/hourly/<runId>/...` in the step arguments of its history).
 */
export function lakeBucketOf(view: ExecutionView): string | undefined {
  if (view.plan) return requireS3Uri(view.plan.planUri).bucket;
  if (view.pipeline !== 'hourly' || !view.runId) return undefined;
  const prefix = runPrefix('hourly', view.runId);
  for (const event of view.events ?? []) {
    const text = event.taskScheduledEventDetails?.parameters ?? event.stateEnteredEventDetails?.input;
    for (const uri of text?.match(/s3:\/\/[^"\s]+/g) ?? []) {
      const { bucket, key } = requireS3Uri(uri);
      if (key.startsWith(prefix)) return bucket;
    }
  }
  return undefined;
}
