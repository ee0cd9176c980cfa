import { gunzipSync } from 'node:zlib';
import { DescribeClusterCommand, type EMRClient, ListStepsCommand, type StepSummary } from '@aws-sdk/client-emr';
import { GetObjectCommand, NoSuchKey, type S3Client } from '@aws-sdk/client-s3';
import { CliError } from './errors';
import { STEP_STDERR_FILE, stepLogKeyPrefix } from '../../core/layout';
import { requireS3Uri } from './execution';

/** Every step of the cluster, all pages read (EMR returns 50 a page, newest first). */
export async function listSteps(emr: EMRClient, clusterId: string): Promise<StepSummary[]> {
  const steps: StepSummary[] = [];
  let marker: string | undefined;
  do {
    const page = await emr.send(new ListStepsCommand({ ClusterId: clusterId, Marker: marker }));
    steps.push(...(page.Steps ?? []));
    marker = page.Marker;
  } while (marker);
  return steps;
}

/** The EMR step name the state machine gives a stage (lib/workflow/stage-step.ts). */
export function stepName(stage: string, chunk: string | undefined): string {
  return chunk ? `${stage} ${chunk}` : stage;
}

/**
 * The step's stderr from the cluster's `LogUri`: `<LogUri><clusterId>/steps/<stepId>/stderr.gz`. EMR
 * uploads step logs about every five minutes, so a running or just-finished step may have none yet.
 */
export async function stepStderr(emr: EMRClient, s3: S3Client, clusterId: string, name: string): Promise<string> {
  const steps = await listSteps(emr, clusterId);
  // Retried steps share a name; the newest attempt is the one to read.
  const step = steps.find((s) => s.Name === name);
  if (!step?.Id) {
    const names = [...new Set(steps.map((s) => s.Name))].join(', ');
    throw new CliError(`No step named "${name}" on cluster ${clusterId}. Steps: ${names || 'none yet'}`);
  }
  const cluster = await emr.send(new DescribeClusterCommand({ ClusterId: clusterId }));
  const logUri = cluster.Cluster?.LogUri;
  if (!logUri) throw new CliError(`Cluster ${clusterId} has no LogUri: its step logs are not kept in S3`);
  const { bucket, key } = requireS3Uri(logUri);
  const logKey = `${stepLogKeyPrefix(key, clusterId, step.Id)}${STEP_STDERR_FILE}`;
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: logKey }));
    return gunzipSync(Buffer.from(await out.Body!.transformToByteArray())).toString('utf8');
  } catch (error) {
    if (error instanceof NoSuchKey) {
      throw new CliError(
        `No log yet for step ${step.Id} (${name}, ${step.Status?.State ?? 'state unknown'}) at s3://${bucket}/${logKey}: EMR uploads step logs about every five minutes. Try again shortly.`,
      );
    }
    throw error;
  }
}
