/**
 * Synthesizes the real CDK app (lib/app.ts `buildApp`, as bin/app.ts does) in-process and hands the local
 * runtime what CloudFormation would have deployed: the state machine definitions as plain ASL, the
 * Lambdas with their environments, the janitor rule's targets, and the bucket deployments (spark-jobs
 * package, entry.py, config/locations.json), which it copies into the workspace as CDK would into S3.
 *
 * The only context a local run overrides is `locations` (the generated data set's stations, when given):
 * it is how CDK writes `config/locations.json`, so the local run reads what a deploy would.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { App, CfnElement, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { IConstruct } from 'constructs';
import { buildApp } from '../../lib/app';
import { type AslDefinition, type CfnTemplate, CloudAssembly, DefinitionError, LOCAL_ACCOUNT, LOCAL_REGION } from '../definition';
import type { LocalFunction } from './task-handlers';
import { Workspace } from './workspace';
import { REPO_ROOT } from './repo';


export interface LocalStateMachine {
  /** `hourly` or `backfill`: the id of the workflow construct that owns it. */
  pipeline: string;
  arn: string;
  definition: AslDefinition;
}

export interface LocalApp {
  assembly: CloudAssembly;
  machines: Map<string, LocalStateMachine>;
  resolveFunction(functionNameOrArn: string): LocalFunction;
  /** Functions the app's EventBridge rules send this machine's status change (to `status`) to. */
  statusChangeTargets(stateMachineArn: string, status: string): LocalFunction[];
  /** Physical names the runtime needs beyond the definitions. */
  lakeBucket: string;
  /** Copies every CDK BucketDeployment's sources into the workspace buckets (any number of workspaces). */
  deployBuckets(workspace: Workspace, python: string): void;
}

export interface SynthOptions {
  /** Replaces the `locations` context key (the stations of the data set being run). */
  locations?: { id: number; name: string; timezone: string }[];
}

interface FunctionInfo {
  stack: string;
  logicalId: string;
  folder: string;
}

/**
 * The `lambdas/` folder of a function construct, read from its construct path below the stack: the folder
 * whose words all appear in the path's words, the one with the most words winning (`Backfill/
 * FinalizeBackfill` → `backfill-finalize` before `finalize`; `PlanHourly` → `plan-hourly`). Undefined for
 * CDK's own helper functions; a tie is an error rather than a guess.
 */
function folderOf(construct: IConstruct, folders: readonly string[]): string | undefined {
  const stackId = Stack.of(construct).node.id;
  const words = construct.node.scopes
    .slice(1)
    .map((scope) => scope.node.id)
    .filter((id) => id !== stackId && id !== 'Resource')
    .join('')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(' ');
  const fits = folders.filter((folder) => folder.split('-').every((word) => words.includes(word)));
  const best = Math.max(0, ...fits.map((f) => f.split('-').length));
  const winners = fits.filter((f) => f.split('-').length === best);
  if (winners.length > 1) {
    throw new DefinitionError(`function ${construct.node.path} could be any of lambdas/${winners.join(', lambdas/')}; name its construct after one folder`);
  }
  return winners[0];
}

function lambdaFolders(): string[] {
  return readdirSync(join(REPO_ROOT, 'lambdas')).filter((name) => existsSync(join(REPO_ROOT, 'lambdas', name, 'handler.ts')));
}

export function synthesizeLocalApp(options: SynthOptions = {}): LocalApp {
  const cdkJson = JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  const rawConfig = { ...(cdkJson.context['aqi-pipeline'] as Record<string, unknown>) };
  if (options.locations) rawConfig.locations = options.locations;
  const outdir = mkdtempSync(join(tmpdir(), 'aqi-local-synth-'));
  // The assembly's staged assets feed every deployBuckets() call; they go when the process does.
  process.once('exit', () => rmSync(outdir, { recursive: true, force: true }));
  const app = new App({
    outdir,
    // Only the data-lake stack's assets are bundled (the spark-jobs package); the Lambdas run from source.
    context: { ...cdkJson.context, 'aqi-pipeline': rawConfig, 'aws:cdk:bundling-stacks': ['AqiDataLake'] },
  });
  const cloud = quietly(() => {
    buildApp(app, {
      rawConfig,
      versionsEnv: readFileSync(join(REPO_ROOT, 'spark-jobs', 'versions.env'), 'utf8'),
      sparkJobsDir: join(REPO_ROOT, 'spark-jobs'),
      env: { account: LOCAL_ACCOUNT, region: LOCAL_REGION },
    });
    return app.synth();
  });
  const templates: Record<string, CfnTemplate> = {};
  for (const stack of cloud.stacks) templates[stack.stackName] = stack.template as CfnTemplate;
  const assembly = new CloudAssembly(templates);

  const logicalIdOf = (construct: IConstruct) => {
    const stack = Stack.of(construct);
    return { stack: stack.stackName, logicalId: stack.resolve((construct.node.defaultChild as CfnElement).logicalId) as string };
  };
  const all = app.node.findAll();
  const machines = new Map<string, LocalStateMachine>();
  for (const construct of all.filter((c): c is sfn.StateMachine => c instanceof sfn.StateMachine)) {
    const { stack, logicalId } = logicalIdOf(construct);
    const pipeline = construct.node.scope!.node.id.toLowerCase();
    machines.set(pipeline, { pipeline, arn: assembly.ref(stack, logicalId), definition: assembly.stateMachineDefinition(stack, logicalId) });
  }
  const functions = new Map<string, FunctionInfo>();
  const folders = lambdaFolders();
  for (const construct of all.filter((c): c is lambda.Function => c instanceof lambda.Function)) {
    const { stack, logicalId } = logicalIdOf(construct);
    const folder = folderOf(construct, folders);
    if (!folder) continue; // CDK's own helper functions (bucket deployment, log retention)
    const info = { stack, logicalId, folder };
    functions.set(assembly.ref(stack, logicalId), info);
    functions.set(String(assembly.getAtt(stack, logicalId, 'Arn')), info);
  }
  const localFunction = (info: FunctionInfo): LocalFunction => {
    const props = assembly.resource(info.stack, info.logicalId).Properties ?? {};
    const env = (assembly.resolve(info.stack, (props.Environment as { Variables?: unknown } | undefined)?.Variables ?? {}) ?? {}) as Record<string, string>;
    return { name: info.folder, environment: env };
  };

  const lakeStack = 'AqiDataLake';
  const lakeBucket = assembly.resourcesOfType(lakeStack, 'AWS::S3::Bucket').find((id) => id.startsWith('LakeBucket'));
  if (!lakeBucket) throw new DefinitionError(`the ${lakeStack} stack has no LakeBucket* bucket`);

  return {
    assembly,
    machines,
    lakeBucket: assembly.physicalName(lakeStack, lakeBucket),
    resolveFunction(nameOrArn) {
      const info = functions.get(nameOrArn) ?? functions.get(nameOrArn.split(':').slice(0, 7).join(':'));
      if (!info) throw new DefinitionError(`function '${nameOrArn}' is not one of the app's Lambdas (${[...new Set([...functions.values()].map((f) => f.folder))].join(', ')})`);
      return localFunction(info);
    },
    statusChangeTargets(stateMachineArn, status) {
      const targets: LocalFunction[] = [];
      for (const stack of assembly.stackNames()) {
        for (const id of assembly.resourcesOfType(stack, 'AWS::Events::Rule')) {
          const rule = assembly.resolve(stack, assembly.resource(stack, id).Properties) as {
            EventPattern?: { source?: string[]; detail?: { stateMachineArn?: string[]; status?: string[] } };
            Targets?: { Arn: string }[];
          };
          const pattern = rule.EventPattern;
          if (!pattern?.source?.includes('aws.states')) continue;
          if (pattern.detail?.stateMachineArn && !pattern.detail.stateMachineArn.includes(stateMachineArn)) continue;
          if (pattern.detail?.status && !pattern.detail.status.includes(status)) continue;
          for (const target of rule.Targets ?? []) {
            const info = functions.get(target.Arn);
            if (info) targets.push(localFunction(info));
          }
        }
      }
      return targets;
    },
    deployBuckets(workspace, python) {
      deployBucketDeployments(assembly, outdir, workspace, python);
    },
  };
}

/**
 * Synthesis prints bundling progress and template-validation warnings meant for `cdk synth`; a local run
 * keeps its console for the run itself. They remain visible through `npm run synth`.
 */
function quietly<T>(work: () => T): T {
  const write = process.stderr.write.bind(process.stderr);
  const stdoutWrite = process.stdout.write.bind(process.stdout);
  process.stderr.write = (() => true) as typeof process.stderr.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    return work();
  } finally {
    process.stderr.write = write;
    process.stdout.write = stdoutWrite;
  }
}

interface AssetManifest {
  files: Record<string, { source: { path: string; packaging?: 'zip' | 'file' } }>;
}

function deployBucketDeployments(assembly: CloudAssembly, outdir: string, workspace: Workspace, python: string): void {
  const assets = new Map<string, { path: string; packaging: 'zip' | 'file' }>();
  for (const file of readdirSync(outdir).filter((f) => f.endsWith('.assets.json'))) {
    const manifest = JSON.parse(readFileSync(join(outdir, file), 'utf8')) as AssetManifest;
    for (const [hash, { source }] of Object.entries(manifest.files)) {
      assets.set(hash, { path: resolve(outdir, source.path), packaging: source.packaging ?? 'file' });
    }
  }
  for (const stack of assembly.stackNames()) {
    for (const id of assembly.resourcesOfType(stack, 'Custom::CDKBucketDeployment')) {
      const p = assembly.resolve(stack, assembly.resource(stack, id).Properties) as {
        SourceObjectKeys: string[];
        DestinationBucketName: string;
        DestinationBucketKeyPrefix?: string;
        Extract?: boolean | string;
      };
      const prefix = p.DestinationBucketKeyPrefix ?? '';
      const extract = String(p.Extract ?? 'true') !== 'false';
      for (const key of p.SourceObjectKeys) {
        const asset = assets.get(key.replace(/\.zip$/, ''));
        if (!asset) throw new DefinitionError(`${stack}/${id}: source ${key} is not an asset of the assembly`);
        const target = workspace.s3Path(p.DestinationBucketName, prefix);
        mkdirSync(target, { recursive: true });
        if (extract && asset.packaging === 'zip') {
          cpSync(asset.path, target, { recursive: true });
        } else if (asset.packaging === 'zip') {
          // `extract: false` puts the asset zip itself in the bucket, under its content-hash name.
          const zip = workspace.s3Path(p.DestinationBucketName, `${prefix}${key}`);
          mkdirSync(dirname(zip), { recursive: true });
          rmSync(zip, { force: true });
          execFileSync(resolve(python), ['-m', 'zipfile', '-c', zip, ...readdirSync(asset.path)], { cwd: asset.path });
        } else {
          cpSync(asset.path, workspace.s3Path(p.DestinationBucketName, `${prefix}${key}`));
        }
      }
    }
  }
}
