import { ConfigError, parsePipelineConfig } from '../../lib/config';
import { readVersion } from '../../lib/versions';
import { PRICE_TABLES } from '../../lib/pricing';

const defaults = { releaseLabel: 'emr-7.9.0' };
const minimal = { locations: [{ id: 2178, name: 'Del Norte', timezone: 'America/Denver' }] };

function errorOf(raw: unknown): string {
  try {
    parsePipelineConfig(raw, defaults);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('parsePipelineConfig', () => {
  test.each([
    [{ freshnessAlarmHours: -1 }, 'aqi-pipeline.hourly.freshnessAlarmHours: must be at least 1; got -1'],
    [{ skippedRunsAlarmHours: 0 }, 'aqi-pipeline.hourly.skippedRunsAlarmHours: must be at least 1; got 0'],
    [{ backfillAfterGapHours: -24 }, 'aqi-pipeline.hourly.backfillAfterGapHours: must be at least 1; got -24'],
    [
      { backfillAfterGapHours: 60 },
      'aqi-pipeline.hourly.backfillAfterGapHours: must be at least hourly.maxWindowHours (72) and 48 (a catch-up backfill leaves the last two days to the hourly runs), i.e. at least 72; got 60',
    ],
    [
      { maxWindowHours: 3 },
      'aqi-pipeline.hourly.maxWindowHours: must exceed hourly.lateDataMarginHours (3), or a catching-up run would re-read only the margin and never advance; got 3',
    ],
  ])('rejects hourly %j at synth, naming the key, the rule and the value', (hourly, message) => {
    expect(errorOf({ ...minimal, hourly })).toContain(message);
  });

  test.each([
    [{ hourly: { silverQualityGate: { maxRejectedShare: -0.1 } } }, 'aqi-pipeline.hourly.silverQualityGate.maxRejectedShare: must be a share from 0 to 1, e.g. 0.2; got -0.1'],
    [{ backfill: { silverQualityGate: { maxRejectedShare: 20 } } }, 'aqi-pipeline.backfill.silverQualityGate.maxRejectedShare: must be a share from 0 to 1, e.g. 0.2; got 20'],
    [{ hourly: { silverQualityGate: { silentLocationHours: -24 } } }, 'aqi-pipeline.hourly.silverQualityGate.silentLocationHours: must be at least 0; got -24'],
    [{ backfill: { silverQualityGate: { enabled: 'no' } } }, 'aqi-pipeline.backfill.silverQualityGate.enabled: must be true or false; got "no"'],
  ])('rejects a bad Silver quality gate %j at synth, naming the key and the value', (config, message) => {
    expect(errorOf({ ...minimal, ...config })).toContain(message);
  });

  test('the Silver quality gate can be switched off per pipeline and keeps its defaults elsewhere', () => {
    const config = parsePipelineConfig({ ...minimal, backfill: { silverQualityGate: { enabled: false } } }, defaults);
    expect([config.hourly.silverQualityGate, config.backfill.silverQualityGate]).toEqual([
      { enabled: true, maxRejectedShare: 0.2, silentLocationHours: 24 },
      { enabled: false, maxRejectedShare: 0.2, silentLocationHours: 24 },
    ]);
  });

  test('rejects a backfill range whose longest run would outlast the one-year Step Functions execution limit', () => {
    expect(errorOf({ ...minimal, backfill: { maxRangeDays: 3000 }, stageTimeoutSeconds: { bronze: 7200 } })).toContain(
      "aqi-pipeline.backfill.maxRangeDays: with stageTimeoutSeconds and emr.stepRetries as configured, the longest backfill (3000 daily chunks one at a time) could run 501 days, past Step Functions' one-year execution limit; lower backfill.maxRangeDays or stageTimeoutSeconds.bronze; got 3000",
    );
  });

  test('fills every default the issue specifies from a config that only lists locations', () => {
    const config = parsePipelineConfig(minimal, defaults);
    expect(config).toEqual({
      locations: minimal.locations,
      scheduleMinute: 15,
      scheduleEnabled: true,
      emr: {
        releaseLabel: 'emr-7.9.0',
        primaryInstanceType: 'm7g.xlarge',
        coreInstanceType: 'm7g.xlarge',
        coreInstanceCount: 2,
        idleTimeoutSeconds: 1800,
        inTransitEncryptionCertificates: '',
        stepRetries: 1,
      },
      stageTimeoutSeconds: { bronze: 3600, silver: 3600, gold: 1800 },
      hourly: {
        lateDataMarginHours: 3,
        maxWindowHours: 72,
        noSuccessAlarmHours: 3,
        backfillAfterGapHours: 168,
        freshnessAlarmHours: 3,
        skippedRunsAlarmHours: 2,
        silverQualityGate: { enabled: true, maxRejectedShare: 0.2, silentLocationHours: 24 },
        sizing: { mode: 'auto', primaryOnlyMaxLocationHours: 20_000, locationHoursPerCoreInstance: 20_000, maxCoreInstances: 4 },
      },
      backfill: {
        maxRangeDays: 1096,
        defaultMaxConcurrency: 4,
        maxConcurrencyLimit: 16,
        silverQualityGate: { enabled: true, maxRejectedShare: 0.2, silentLocationHours: 24 },
        capacity: { coreMarket: 'ON_DEMAND', primaryMarket: 'ON_DEMAND', spotInstanceTypes: ['m7g.xlarge', 'm6g.xlarge', 'r7g.xlarge'], spotTimeoutMinutes: 10 },
      },
      pricing: { region: 'us-east-1' },
      notificationEmail: '',
      openaqApiKeySecretName: 'aqi-pipeline/openaq-api-key',
      openaqApiBaseUrl: 'https://api.openaq.org',
      network: { mode: 'new-vpc', maxAzs: 2 },
    });
  });

  test('the default EMR release comes from the caller (spark-jobs/versions.env), not from this module', () => {
    expect(parsePipelineConfig(minimal, { releaseLabel: 'emr-7.10.0' }).emr.releaseLabel).toBe('emr-7.10.0');
  });

  test('accepts existing subnets', () => {
    const network = { mode: 'existing-subnets', vpcId: 'vpc-0abc1234', subnetIds: ['subnet-0abc1234', 'subnet-0def5678'] };
    expect(parsePipelineConfig({ ...minimal, network }, defaults).network).toEqual(network);
  });

  test.each([
    [{ ...minimal, scheduleMinute: 60 }, 'aqi-pipeline.scheduleMinute: must be at most 59; got 60'],
    [{ ...minimal, scheduleEnabled: 'no' }, 'aqi-pipeline.scheduleEnabled: must be true or false; got "no"'],
    [{ ...minimal, emr: { coreInstanceCount: 0 } }, 'aqi-pipeline.emr.coreInstanceCount: must be at least 1; got 0'],
    [
      { ...minimal, emr: { releaseLabel: 'emr-6.15.0' } },
      'aqi-pipeline.emr.releaseLabel: must be an EMR 7.x release label such as emr-7.9.0 (Spark 3.5, as spark-jobs pins); got "emr-6.15.0"',
    ],
    [{ ...minimal, stageTimeoutSeconds: { gold: 30 } }, 'aqi-pipeline.stageTimeoutSeconds.gold: must be at least 60; got 30'],
    [
      { locations: [{ id: 2178, name: 'Del Norte', timezone: 'Mars/Olympus' }] },
      'aqi-pipeline.locations.0.timezone: must be an IANA time zone such as America/Denver; got "Mars/Olympus"',
    ],
    [{ locations: [] }, 'aqi-pipeline.locations: must list at least one location; got []'],
    [{ ...minimal, notificationEmail: 'ops' }, 'aqi-pipeline.notificationEmail: must be an e-mail address, or "" for none; got "ops"'],
    [{ ...minimal, network: { mode: 'default-vpc' } }, 'aqi-pipeline.network.mode: mode must be "new-vpc" or "existing-subnets"; got "default-vpc"'],
    [
      { ...minimal, network: { mode: 'existing-subnets', vpcId: 'vpc-0abc1234', subnetIds: ['sn-1'] } },
      'aqi-pipeline.network.subnetIds.0: must be a subnet id such as subnet-0abc1234; got "sn-1"',
    ],
    [
      { ...minimal, emr: { inTransitEncryptionCertificates: 's3://certs/bundle.tar' } },
      'aqi-pipeline.emr.inTransitEncryptionCertificates: must be an s3://bucket/key.zip URI of the PEM certificates zip, or "" for none; got "s3://certs/bundle.tar"',
    ],
    [{ ...minimal, scheduleMinutes: 15 }, 'aqi-pipeline: Unrecognized key: "scheduleMinutes"; allowed keys are documented in docs/DEPLOYING.md'],
  ])('rejects %j naming the key, the value and what is allowed', (raw, message) => {
    expect(errorOf(raw)).toContain(message);
  });

  test('a missing context object is named, with where to look', () => {
    expect(errorOf(undefined)).toBe('cdk.json context "aqi-pipeline" is missing; see docs/DEPLOYING.md for its keys');
  });

  test('the default backfill concurrency may not exceed its limit', () => {
    expect(errorOf({ ...minimal, backfill: { defaultMaxConcurrency: 8, maxConcurrencyLimit: 4 } })).toContain(
      'aqi-pipeline.backfill.defaultMaxConcurrency: must not exceed backfill.maxConcurrencyLimit (4); got 8',
    );
  });
});

describe('parsePipelineConfig: instance types, prices and markets', () => {
  const PRICED = 'm5.2xlarge, m5.xlarge, m6g.2xlarge, m6g.xlarge, m7g.2xlarge, m7g.4xlarge, m7g.xlarge, r7g.xlarge';

  test('an instance type the price table does not know fails synth naming the key, the table and the types it prices', () => {
    expect(errorOf({ ...minimal, emr: { coreInstanceType: 'm7g.huge' } })).toBe(
      'invalid configuration in cdk.json context:\n' +
        '  aqi-pipeline.emr.coreInstanceType: "m7g.huge" is not an instance type the price table lib/pricing/us-east-1.json ' +
        `(prices as of 2026-11-30) knows; allowed: ${PRICED}. Choose one of them, or add its EC2 and EMR prices with their source to the table.`,
    );
  });

  test('a price table without a configured type fails synth for each key that names it', () => {
    const table = { ...PRICE_TABLES['us-east-1']!, instances: { 'm6g.xlarge': { ec2OnDemand: 0.154, ec2Spot: 0.0616, emr: 0.0385 } } };
    let message = '';
    try {
      parsePipelineConfig(minimal, { ...defaults, priceTables: { 'us-east-1': table } });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('aqi-pipeline.emr.primaryInstanceType: "m7g.xlarge" is not an instance type the price table lib/pricing/us-east-1.json');
    expect(message).toContain('aqi-pipeline.emr.coreInstanceType: "m7g.xlarge" is not an instance type the price table lib/pricing/us-east-1.json');
    expect(message).toContain('allowed: m6g.xlarge.');
  });

  test('a Spot backfill checks its Spot types against the table too', () => {
    expect(errorOf({ ...minimal, backfill: { capacity: { coreMarket: 'SPOT', spotInstanceTypes: ['m7g.xlarge', 'c7g.xlarge'] } } })).toContain(
      'aqi-pipeline.backfill.capacity.spotInstanceTypes.1: "c7g.xlarge" is not an instance type the price table',
    );
  });

  test('a region without a price table names the regions that have one', () => {
    expect(errorOf({ ...minimal, pricing: { region: 'eu-west-1' } })).toBe(
      'invalid configuration in cdk.json context:\n  aqi-pipeline.pricing.region: no price table for "eu-west-1"; tables exist for us-east-1 ' +
        '(lib/pricing/<region>.json). Choose one, or add the region\'s table with its date and sources.',
    );
  });

  test('Spot core capacity without an On-Demand primary fails synth', () => {
    expect(errorOf({ ...minimal, backfill: { capacity: { coreMarket: 'SPOT', primaryMarket: 'SPOT' } } })).toBe(
      'invalid configuration in cdk.json context:\n  aqi-pipeline.backfill.capacity.primaryMarket: must be "ON_DEMAND" when ' +
        'backfill.capacity.coreMarket is "SPOT" (a reclaimed Spot primary ends the whole cluster, and every chunk with it); got "SPOT"',
    );
  });

  test.each([
    [{ backfill: { capacity: { coreMarket: 'spot' } } }, 'aqi-pipeline.backfill.capacity.coreMarket: must be one of ON_DEMAND, SPOT; got "spot"'],
    [{ backfill: { capacity: { spotInstanceTypes: [] } } }, 'aqi-pipeline.backfill.capacity.spotInstanceTypes: must list at least one instance type; got []'],
    [{ hourly: { sizing: { mode: 'small' } } }, 'aqi-pipeline.hourly.sizing.mode: must be one of auto, primary-only, primary-and-core; got "small"'],
    [{ hourly: { sizing: { maxCoreInstances: 0 } } }, 'aqi-pipeline.hourly.sizing.maxCoreInstances: must be at least 1; got 0'],
  ])('rejects %j naming the key, the value and what is allowed', (extra, message) => {
    expect(errorOf({ ...minimal, ...extra })).toContain(message);
  });

  test('an accepted Spot backfill keeps an On-Demand primary by default', () => {
    const config = parsePipelineConfig({ ...minimal, backfill: { capacity: { coreMarket: 'SPOT' } } }, defaults);
    expect(config.backfill.capacity).toEqual({ coreMarket: 'SPOT', primaryMarket: 'ON_DEMAND', spotInstanceTypes: ['m7g.xlarge', 'm6g.xlarge', 'r7g.xlarge'], spotTimeoutMinutes: 10 });
  });
});

describe('readVersion', () => {
  test('reads a key of versions.env, ignoring comments', () => {
    expect(readVersion('# EMR\nEMR_RELEASE_LABEL=emr-7.9.0\nSPARK_VERSION=3.5.5\n', 'EMR_RELEASE_LABEL')).toBe('emr-7.9.0');
  });

  test('names the key that is missing', () => {
    expect(() => readVersion('SPARK_VERSION=3.5.5', 'EMR_RELEASE_LABEL')).toThrow('spark-jobs/versions.env has no EMR_RELEASE_LABEL=... line');
  });
});
