import * as fs from 'node:fs';
import * as path from 'node:path';
import { type AssetOptions, AssetHashType, type BundlingOptions, DockerImage } from 'aws-cdk-lib';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { LOCATIONS_KEY } from '../core/layout';
import type { LocationConfig } from './config';
import type { SparkJobsPackage } from './workflow/stage-args';

export const SPARK_JOBS_PREFIX = 'spark-jobs/';
const ENTRY_FILE = 'entry.py';
const PACKAGE_DIR = 'aqi_jobs';
/** What EMR nodes install at bootstrap (spark-jobs/emr/): the bootstrap action, its requirements, the step wrapper. */
const EMR_DIR = 'emr';
export const EMR_BOOTSTRAP_FILES = ['bootstrap.sh', 'requirements-emr.txt', 'aqi-spark-submit'] as const;

export interface SparkJobsDeploymentProps {
  readonly bucket: s3.IBucket;
  /** The `spark-jobs/` folder of this repository. */
  readonly sparkJobsDir: string;
  readonly locations: readonly LocationConfig[];
}

/**
 * Ships what EMR steps run: `aqi_jobs` as a zip for `--py-files` (copied as-is, `extract: false`, under a
 * content-hash name so a running step never sees its code change), `entry.py`, the bootstrap files of
 * `spark-jobs/emr/`, and `config/locations.json` from the `locations` context key. Packaging copies files in-process (local
 * bundling), so synth needs neither Docker nor the network.
 */
export class SparkJobsDeployment extends Construct {
  readonly sparkJobs: SparkJobsPackage;

  constructor(scope: Construct, id: string, props: SparkJobsDeploymentProps) {
    super(scope, id);
    // An Asset (not Source.asset) because its object key is a synth-time literal (`<hash>.zip`); the
    // deployment's `objectKeys` would be a custom-resource attribute that cannot cross stacks intact.
    const packageAsset = new s3assets.Asset(this, 'PackageAsset', {
      path: props.sparkJobsDir,
      ...localBundling('aqi-jobs-package', (out) => copyTree(path.join(props.sparkJobsDir, PACKAGE_DIR), path.join(out, PACKAGE_DIR))),
    });
    new s3deploy.BucketDeployment(this, 'Package', {
      destinationBucket: props.bucket,
      destinationKeyPrefix: SPARK_JOBS_PREFIX,
      extract: false,
      prune: false,
      sources: [s3deploy.Source.bucket(packageAsset.bucket, packageAsset.s3ObjectKey)],
    });
    new s3deploy.BucketDeployment(this, 'EntryAndConfig', {
      destinationBucket: props.bucket,
      prune: false,
      sources: [
        s3deploy.Source.asset(props.sparkJobsDir, localBundling('entry-point-and-bootstrap', (out) => {
          const entry = path.join(props.sparkJobsDir, ENTRY_FILE);
          if (!fs.existsSync(entry)) {
            throw new Error(`${entry} does not exist: the EMR steps run it (spark-jobs owns it, see docs/ARCHITECTURE.md "Stage CLI")`);
          }
          fs.mkdirSync(path.join(out, SPARK_JOBS_PREFIX, EMR_DIR), { recursive: true });
          fs.copyFileSync(entry, path.join(out, SPARK_JOBS_PREFIX, ENTRY_FILE));
          for (const file of EMR_BOOTSTRAP_FILES) {
            const source = path.join(props.sparkJobsDir, EMR_DIR, file);
            if (!fs.existsSync(source)) throw new Error(`${source} does not exist: every EMR node installs it at bootstrap (docs/ARCHITECTURE.md, "Python on the cluster")`);
            fs.copyFileSync(source, path.join(out, SPARK_JOBS_PREFIX, EMR_DIR, file));
          }
        })),
        s3deploy.Source.jsonData(LOCATIONS_KEY, props.locations),
      ],
    });
    this.sparkJobs = {
      bucketName: props.bucket.bucketName,
      packageKey: `${SPARK_JOBS_PREFIX}${packageAsset.s3ObjectKey}`,
      entryKey: `${SPARK_JOBS_PREFIX}${ENTRY_FILE}`,
      locationsKey: LOCATIONS_KEY,
      emrFilesPrefix: `${SPARK_JOBS_PREFIX}${EMR_DIR}/`,
    };
  }
}

/** Bundling by copying files in-process; the Docker image is never pulled because `local` succeeds. */
function localBundling(name: string, copy: (outputDir: string) => void): Pick<AssetOptions, 'bundling' | 'assetHashType'> & { bundling: BundlingOptions } {
  return {
    // Both assets bundle from spark-jobs/: hashing the output and naming the bundle (CDK caches bundles by
    // source path and options) keeps them two assets instead of one.
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      image: DockerImage.fromRegistry('unused-local-bundling-only'),
      command: [name],
      local: {
        tryBundle(outputDir: string) {
          copy(outputDir);
          return true;
        },
      },
    },
  };
}

/** Copies a Python package, leaving out bytecode caches. */
function copyTree(from: string, to: string): void {
  if (!fs.existsSync(from)) throw new Error(`${from} does not exist: the EMR steps import it with --py-files`);
  fs.cpSync(from, to, {
    recursive: true,
    filter: (source) => !source.includes('__pycache__') && !source.endsWith('.pyc'),
  });
}
