import * as path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { acknowledgePipelineFunction } from './compliance';

/** The repository root: Lambda entries live in `lambdas/<name>/handler.ts`. */
const REPO_ROOT = path.resolve(__dirname, '..');

export interface PipelineFunctionProps {
  /** Folder under `lambdas/`. */
  readonly name: string;
  readonly description: string;
  readonly environment?: Record<string, string>;
  /** @default 1 minute */
  readonly timeout?: Duration;
  /** cdk-nag findings the function's own statements add, with their reasons. */
  readonly acknowledgements?: Record<string, string>;
}

/**
 * A TypeScript Lambda of this repository, bundled by the esbuild in devDependencies (never Docker), with
 * the AWS SDK bundled at the versions package-lock.json pins rather than whatever the runtime ships.
 */
export class PipelineFunction extends nodejs.NodejsFunction {
  constructor(scope: Construct, id: string, props: PipelineFunctionProps) {
    super(scope, id, {
      entry: path.join(REPO_ROOT, 'lambdas', props.name, 'handler.ts'),
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
      description: props.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 512,
      timeout: props.timeout ?? Duration.minutes(1),
      tracing: lambda.Tracing.ACTIVE,
      // Powertools reads its log level here: change it on the function to debug without a deploy.
      environment: { NODE_OPTIONS: '--enable-source-maps', POWERTOOLS_LOG_LEVEL: 'INFO', ...props.environment },
      logGroup: new logs.LogGroup(scope, `${id}Logs`, { retention: logs.RetentionDays.THREE_MONTHS }),
      bundling: {
        minify: true,
        sourceMap: true,
        // `--enable-source-maps` makes Node parse the map at cold start. Stack traces need only its
        // mappings, not a copy of every source file: without them CancelSteps' map is 0.9 MB, not 2.6 MB,
        // and a cold module load about 0.8× as long (docs/BENCHMARKS.md, session 6).
        sourcesContent: false,
        target: 'node22',
        // The ES module builds of the SDK and Powertools tree-shake: a function's bundle is ~20% smaller
        // (finalize 1.35 MB → 1.10 MB minified) and loads faster than from their CommonJS builds.
        mainFields: ['module', 'main'],
        // Every function bundles the SDK versions package-lock.json pins; NodejsFunction would otherwise
        // leave `@aws-sdk/*` to the runtime's copy, whose version this project does not choose.
        externalModules: [],
        forceDockerBundling: false,
      },
    });
    acknowledgePipelineFunction(this, props.acknowledgements);
  }
}
