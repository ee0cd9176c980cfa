/**
 * `--aws-fidelity`: the steps run with their EMR arguments (`--catalog glue`, `s3://` URIs,
 * `--api-key-secret`) against a moto server on loopback, and the Lambdas use their real S3 adapter against
 * it. This module starts that endpoint (local/aws_endpoint.py) with what the synthesized stacks deploy,
 * and says what a step needs added to reach it: endpoint settings, dummy credentials, a region and jars —
 * nothing that changes what the stage does. docs/LOCAL.md, "The two modes", lists what this proves and
 * what still differs from EMR.
 */
import { spawn, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, NoSuchKey, S3Client } from '@aws-sdk/client-s3';
import { S3ObjectStore } from '../../core/aws/s3-object-store';
import { type CloudAssembly, LOCAL_REGION } from '../definition';
import { REPO_ROOT } from './repo';
import { OPENAQ_ARCHIVE_BUCKET, parseS3Uri } from '../../core/layout';
import { Workspace } from './workspace';

/** The Iceberg catalog name the stages register (spark-jobs/aqi_jobs/session.py `CATALOG`). */
const ICEBERG_CATALOG = 'aqi';
/** moto accepts any credentials; these only have to be present for every SDK's default chain. */
const DUMMY_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;
/** Where the Glue tables are kept between commands (moto forgets them when it stops). */
export const GLUE_CATALOG_FILE = 'glue-catalog.json';

export interface AwsStepSettings {
  /** Added to the driver's classpath: Iceberg's AWS bundle, hadoop-aws and the SDK v1 modules S3A loads. */
  jars: string[];
  /** Added as `--conf key=value`: where the Glue, S3FileIO and S3A clients send their requests. */
  conf: Record<string, string>;
}

export interface RunningAwsEndpoint {
  url: string;
  region: string;
  /** The secret's value: the API stand-in accepts only this key, so a step that did not read it gets 401. */
  apiKey: string;
  /** Environment for a spark-submit: dummy credentials, the region, boto3's endpoint for Secrets Manager. */
  stepEnv: Record<string, string>;
  step: AwsStepSettings;
  /** The Lambdas' real S3 adapter, pointed at the endpoint. */
  objects: S3ObjectStore;
  /** An S3 object's text, `undefined` when it does not exist (the run report reads step results with it). */
  readText(uri: string): Promise<string | undefined>;
  /** Writes the buckets and the Glue tables back into the workspace, then stops the endpoint. */
  close(): Promise<void>;
}

export class AwsEndpointError extends Error {
  override readonly name = 'AwsEndpointError';
}

/** `scripts/aws-fidelity-jars.sh`: fetches the pinned jars once (checksummed), a no-op after. */
export function ensureAwsFidelityJars(): string[] {
  execFileSync('bash', [join(REPO_ROOT, 'scripts', 'aws-fidelity-jars.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
  const dir = join(REPO_ROOT, '.venv', 'aws-fidelity-jars');
  return readdirSync(dir)
    .filter((name) => name.endsWith('.jar'))
    .sort()
    .map((name) => join(dir, name));
}

/** The spark-submit additions for an endpoint: nothing here changes a stage argument. */
export function awsStepSettings(url: string, region: string, jars: string[]): AwsStepSettings {
  const catalog = `spark.sql.catalog.${ICEBERG_CATALOG}`;
  return {
    jars,
    conf: {
      // Iceberg's GlueCatalog and S3FileIO (AWS SDK v2): catalog properties, as on EMR, plus the endpoint.
      [`${catalog}.glue.endpoint`]: url,
      [`${catalog}.s3.endpoint`]: url,
      [`${catalog}.s3.path-style-access`]: 'true',
      [`${catalog}.client.region`]: region,
      // s3:// outside Iceberg (results, the locations file, the archive): EMRFS on EMR, S3A here.
      'spark.hadoop.fs.s3.impl': 'org.apache.hadoop.fs.s3a.S3AFileSystem',
      'spark.hadoop.fs.s3a.endpoint': url,
      'spark.hadoop.fs.s3a.endpoint.region': region,
      'spark.hadoop.fs.s3a.path.style.access': 'true',
      'spark.hadoop.fs.s3a.connection.ssl.enabled': 'false',
    },
  };
}

/** What the stacks deploy (or, for the secret, expect) that the endpoint must hold, with local names. */
export interface AwsResources {
  buckets: string[];
  /** Glue `DatabaseInput`s as the template declares them (name, description, location URI). */
  glueDatabases: Record<string, unknown>[];
  apiKeySecretName: string;
}

export interface AwsEndpointOptions {
  workspace: Workspace;
  resources: AwsResources;
  /** Loaded as the stand-in `s3://openaq-data-archive`. @default - no archive bucket (`query`) */
  archiveDir?: string;
  python: string;
  /** The jars from `ensureAwsFidelityJars()`. */
  jars: string[];
  /** The API key the secret holds (a real one for a real API). @default - a random key for the stand-in */
  apiKey?: string;
}

/**
 * The two modes keep their tables in different catalogs (Glue entries in `glue-catalog.json` vs the Hadoop
 * catalog's `version-hint.text`), so neither can read the other's warehouse: refuse to mix them.
 */
export function checkWorkspaceCatalog(workspace: Workspace, lakeBucket: string, awsFidelity: boolean): void {
  const glue = existsSync(join(workspace.root, GLUE_CATALOG_FILE));
  const warehouse = workspace.s3Path(lakeBucket, 'warehouse');
  const hasTables = existsSync(warehouse) && readdirSync(warehouse).length > 0;
  if (glue && !awsFidelity) {
    throw new AwsEndpointError(`workspace ${workspace.root} holds the Glue-catalog tables of an --aws-fidelity run; run with --aws-fidelity, or pass another --workspace`);
  }
  if (!glue && awsFidelity && hasTables) {
    throw new AwsEndpointError(`workspace ${workspace.root} holds the Hadoop-catalog tables of an ordinary run; --aws-fidelity needs its own workspace: pass another --workspace`);
  }
}

const RESOURCES_RECORD = 'aws-resources.json';

/** Kept so `query --aws-fidelity` can start the endpoint without synthesizing the app (~10 s). */
export function recordAwsResources(workspace: Workspace, resources: AwsResources): void {
  mkdirSync(workspace.root, { recursive: true });
  writeFileSync(join(workspace.root, RESOURCES_RECORD), `${JSON.stringify(resources, null, 2)}\n`);
}

export function recordedAwsResources(workspace: Workspace): AwsResources {
  const path = join(workspace.root, RESOURCES_RECORD);
  if (!existsSync(path)) throw new AwsEndpointError(`workspace ${workspace.root} has had no --aws-fidelity run yet (no ${RESOURCES_RECORD}); run a backfill with --aws-fidelity first`);
  return JSON.parse(readFileSync(path, 'utf8')) as AwsResources;
}

/** The buckets, Glue databases and API-key secret the synthesized app deploys (a `LocalApp`'s assembly and machines). */
export function deployedAwsResources(app: { assembly: CloudAssembly; machines: ReadonlyMap<string, { definition: unknown }> }): AwsResources {
  const { assembly } = app;
  const buckets: string[] = [];
  const glueDatabases: Record<string, unknown>[] = [];
  for (const stack of assembly.stackNames()) {
    for (const id of assembly.resourcesOfType(stack, 'AWS::S3::Bucket')) buckets.push(String(assembly.ref(stack, id)));
    for (const id of assembly.resourcesOfType(stack, 'AWS::Glue::Database')) {
      const props = assembly.resolve(stack, assembly.resource(stack, id).Properties) as { DatabaseInput: Record<string, unknown> };
      glueDatabases.push(props.DatabaseInput);
    }
  }
  // The secret is not a stack resource (the operator creates it); its name is what the steps are given.
  const definitions = JSON.stringify([...app.machines.values()].map((m) => m.definition));
  // The step arguments are a States.Array(...) intrinsic or a plain array, depending on the state.
  const secret = /["']--api-key-secret["'],\s*["']([^"']+)["']/.exec(definitions)?.[1];
  if (!secret) throw new AwsEndpointError('no state machine passes --api-key-secret to a step; the AWS-fidelity mode cannot tell which secret to create');
  return { buckets, glueDatabases, apiKeySecretName: secret };
}

export async function startAwsEndpoint(options: AwsEndpointOptions): Promise<RunningAwsEndpoint> {
  const { workspace, resources, archiveDir } = options;
  const apiKey = options.apiKey ?? `local-${randomBytes(8).toString('hex')}`;
  const specDir = mkdtempSync(join(tmpdir(), 'aqi-aws-endpoint-'));
  const specFile = join(specDir, 'spec.json');
  writeFileSync(
    specFile,
    JSON.stringify({
      region: LOCAL_REGION,
      buckets: resources.buckets.map((name) => ({ name, dir: workspace.s3Dir(name) })),
      archive: archiveDir ? { bucket: OPENAQ_ARCHIVE_BUCKET, dir: archiveDir } : undefined,
      glueDatabases: resources.glueDatabases,
      glueCatalogFile: join(workspace.root, GLUE_CATALOG_FILE),
      secrets: [{ name: resources.apiKeySecretName, value: apiKey }],
    }),
  );
  const child = spawn(options.python, [join(REPO_ROOT, 'local', 'aws_endpoint.py'), '--spec', specFile], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, AWS_EC2_METADATA_DISABLED: 'true' },
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let stdout = '';
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const ready = /^READY (\S+)$/m.exec(stdout);
      if (ready) resolve(ready[1]);
    });
    child.once('error', reject);
    void exited.then((code) => reject(new AwsEndpointError(`the local AWS endpoint (moto) exited with code ${code} before it was ready: ${lastLine(stderr)}`)));
  });
  const client = new S3Client({ endpoint: url, region: LOCAL_REGION, forcePathStyle: true, credentials: DUMMY_CREDENTIALS });
  let closed: Promise<void> | undefined;
  const onExit = () => child.kill();
  process.once('exit', onExit);
  return {
    url,
    region: LOCAL_REGION,
    apiKey,
    stepEnv: {
      AWS_ACCESS_KEY_ID: DUMMY_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: DUMMY_CREDENTIALS.secretAccessKey,
      AWS_REGION: LOCAL_REGION,
      AWS_DEFAULT_REGION: LOCAL_REGION,
      // boto3 (the stage's Secrets Manager read) takes its endpoint from here; the JVM clients get confs.
      AWS_ENDPOINT_URL: url,
      AWS_EC2_METADATA_DISABLED: 'true',
    },
    step: awsStepSettings(url, LOCAL_REGION, options.jars),
    objects: new S3ObjectStore(client),
    async readText(uri) {
      const parsed = parseS3Uri(uri);
      if (!parsed) throw new AwsEndpointError(`${uri} is not an s3:// URI`);
      try {
        const out = await client.send(new GetObjectCommand({ Bucket: parsed.bucket, Key: parsed.key }));
        return await out.Body?.transformToString('utf-8');
      } catch (error) {
        if (error instanceof NoSuchKey) return undefined;
        throw error;
      }
    },
    close() {
      closed ??= (async () => {
        child.stdin.end();
        const code = await exited;
        process.off('exit', onExit);
        client.destroy();
        rmSync(specDir, { recursive: true, force: true });
        if (code !== 0 || !/^SYNCED$/m.test(stdout)) {
          throw new AwsEndpointError(`the local AWS endpoint could not write its state back into ${workspace.root} (exit code ${code}): ${lastLine(stderr)}`);
        }
      })();
      return closed;
    },
  };
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop() ?? '(no output)';
}
