import { DynamoDBClient, CreateTableCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { AddJobFlowStepsCommand, EMRClient, RunJobFlowCommand, DescribeClusterCommand } from '@aws-sdk/client-emr';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoPipelineStateStore } from '../../core/aws/dynamodb-state-store';
import { EmrControl } from '../../core/aws/emr-control';
import { S3ObjectStore } from '../../core/aws/s3-object-store';
import { fanIn } from '../../lambdas/fan-in/core';
import { planBackfillRun } from '../../lambdas/plan-backfill/core';
import { CLUSTER_TAG_KEYS } from '../../core/tags';
import { stageResult } from '../core/backfill/fixtures';
import { MOTO_CREDENTIALS, MotoServer } from './moto-server';
import { ThrottlingProxy } from './throttling-proxy';

const REGION = 'us-east-1';
const ARN = 'arn:aws:states:us-east-1:123456789012:execution:Backfill:run-1';
let moto: MotoServer;

const s3At = (endpoint: string) => new S3Client({ region: REGION, endpoint, forcePathStyle: true, credentials: MOTO_CREDENTIALS });
const emrAt = (endpoint: string) => new EMRClient({ region: REGION, endpoint, credentials: MOTO_CREDENTIALS });

beforeAll(async () => {
  moto = await MotoServer.start();
});
afterAll(async () => {
  await moto?.stop();
});
beforeEach(async () => {
  await moto.reset();
});

async function bucketWith(keys: string[], bucket = 'lake'): Promise<S3Client> {
  const s3 = s3At(moto.endpoint);
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  for (let i = 0; i < keys.length; i += 50) {
    await Promise.all(keys.slice(i, i + 50).map((Key) => s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: '{}' }))));
  }
  return s3;
}

describe('S3ObjectStore against moto', () => {
  test('listKeys reads every page: 1,205 keys come back sorted, none from outside the prefix', async () => {
    const keys = Array.from({ length: 1205 }, (_, i) => `runs/backfill/r/results/bronze/${String(i).padStart(4, '0')}.json`);
    const store = new S3ObjectStore(await bucketWith([...keys, 'runs/backfill/other/x.json']));
    expect(await store.listKeys('lake', 'runs/backfill/r/')).toEqual(keys);
  });

  test('getText of a missing key is undefined; of a missing bucket it is an error', async () => {
    const store = new S3ObjectStore(await bucketWith([]));
    expect(await store.getText('lake', 'runs/backfill/none/manifest.json')).toBeUndefined();
    await expect(store.getText('no-such-bucket', 'x')).rejects.toMatchObject({ name: 'NoSuchBucket' });
  });

  test('putText then getText round-trips UTF-8 text', async () => {
    const store = new S3ObjectStore(await bucketWith([]));
    await store.putText('lake', 'config/locations.json', '[{"name":"Ciudad Juárez"}]');
    expect(await store.getText('lake', 'config/locations.json')).toBe('[{"name":"Ciudad Juárez"}]');
  });

  test('S3 SlowDown answers are retried by the SDK: two throttled requests, then the object', async () => {
    const store = new S3ObjectStore(await bucketWith([]));
    await store.putText('lake', 'k.json', '"v"');
    const proxy = await ThrottlingProxy.start(moto.endpoint, 2, 'xml');
    try {
      expect(await new S3ObjectStore(s3At(proxy.endpoint)).getText('lake', 'k.json')).toBe('"v"');
      expect(proxy.throttled).toBe(2);
      expect(proxy.forwarded).toBe(1);
    } finally {
      await proxy.stop();
    }
  });

  test('fan-in over real S3 checks 1,096 planned daily chunks across pages and fails exactly the ones without a result', async () => {
    const store = new S3ObjectStore(await bucketWith([]));
    const s3 = s3At(moto.endpoint);
    await s3.send(new CreateBucketCommand({ Bucket: 'artifacts' }));
    await store.putText('artifacts', 'config/locations.json', JSON.stringify([{ id: 2178, name: 'Del Norte', timezone: 'America/Denver' }]));
    const plan = await planBackfillRun(
      { input: { startDate: '2022-01-01', endDate: '2024-12-31', chunk: 'day' }, executionArn: ARN, executionStartTime: '2025-01-01T00:00:00.000Z' },
      { store, lakeBucket: 'lake', artifactsBucket: 'artifacts', limits: { maxRangeDays: 1096, defaultMaxConcurrency: 4, maxConcurrencyLimit: 16 }, coreInstanceCount: 2,
        timeouts: { bronzeSeconds: 3600, silverSeconds: 3600, goldSeconds: 1800, failedStepRetries: 1 } },
    );
    const missing = new Set(['2022-03-27_2022-03-27', '2023-11-05_2023-11-05', '2024-12-31_2024-12-31']);
    const present = plan.chunkIds.filter((id) => !missing.has(id));
    for (let i = 0; i < present.length; i += 50) {
      await Promise.all(
        present.slice(i, i + 50).map((chunkId) =>
          store.putText('lake', `runs/backfill/${plan.runId}/results/bronze/${chunkId}.json`, JSON.stringify(stageResult({ runId: plan.runId, chunkId }))),
        ),
      );
    }
    const result = await fanIn({ runId: plan.runId, clusterId: 'j-1' }, { store, lakeBucket: 'lake', emrLogUri: 's3://logs/emr/', now: () => new Date() });
    expect(result.chunkCount).toBe(1096);
    expect(result.failedChunks).toEqual([...missing]);
  });
});

describe('DynamoPipelineStateStore against moto: the lock is released only by its holder', () => {
  async function tableWithLock(holder: string) {
    const client = new DynamoDBClient({ region: REGION, endpoint: moto.endpoint, credentials: MOTO_CREDENTIALS });
    await client.send(
      new CreateTableCommand({ TableName: 'state', BillingMode: 'PAY_PER_REQUEST', KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }] }),
    );
    await client.send(
      new PutItemCommand({
        TableName: 'state',
        Item: { pk: { S: 'lock' }, holder: { S: holder }, runId: { S: 'backfill-20250101T0000Z-00000000' }, pipeline: { S: 'backfill' }, acquiredAt: { S: '2025-01-01T00:00:00Z' }, expiresAt: { N: '1900000000' } },
        ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
        ExpressionAttributeValues: { ':now': { N: '1735689600' } },
      }),
    );
    return new DynamoPipelineStateStore('state', client);
  }

  test('another execution cannot release the lock (conditional delete fails) and the lock stays', async () => {
    const store = await tableWithLock(ARN);
    expect(await store.releaseLock('arn:aws:states:us-east-1:123456789012:execution:Hourly:other')).toBe(false);
    expect(await store.getLock()).toEqual({ holder: ARN, runId: 'backfill-20250101T0000Z-00000000', pipeline: 'backfill', acquiredAt: '2025-01-01T00:00:00Z', expiresAt: 1_900_000_000 });
  });

  test('the holder releases it, and a second release finds nothing', async () => {
    const store = await tableWithLock(ARN);
    expect(await store.releaseLock(ARN)).toBe(true);
    expect(await store.getLock()).toBeUndefined();
    expect(await store.releaseLock(ARN)).toBe(false);
  });
});

describe('EmrControl against moto', () => {
  async function clusters(count: number, taggedEvery: number) {
    const emr = emrAt(moto.endpoint);
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const tagged = i % taggedEvery === 0;
      const out = await emr.send(
        new RunJobFlowCommand({
          Name: `c${i}`,
          ReleaseLabel: 'emr-7.9.0',
          Instances: { MasterInstanceType: 'm7g.xlarge', SlaveInstanceType: 'm7g.xlarge', InstanceCount: 1, KeepJobFlowAliveWhenNoSteps: true },
          JobFlowRole: 'EMR_EC2_DefaultRole',
          ServiceRole: 'EMR_DefaultRole',
          Tags: [{ Key: CLUSTER_TAG_KEYS.executionArn, Value: tagged ? ARN : `${ARN}-other-${i}` }],
        }),
      );
      if (tagged) ids.push(out.JobFlowId!);
    }
    return { emr, ids };
  }

  test('finds the clusters tagged with an execution among 55 active ones, across ListClusters pages', async () => {
    const { emr, ids } = await clusters(55, 20);
    const found = await new EmrControl(emr).listActiveClustersTagged(CLUSTER_TAG_KEYS.executionArn, ARN);
    expect(found.map((c) => c.id).sort()).toEqual([...ids].sort());
    expect(ids).toHaveLength(3);
  });

  test('terminates twelve clusters in batches of ten', async () => {
    const { emr, ids } = await clusters(12, 1);
    await new EmrControl(emr).terminateClusters(ids);
    const states = await Promise.all(ids.map(async (id) => (await emr.send(new DescribeClusterCommand({ ClusterId: id }))).Cluster?.Status?.State));
    expect(new Set(states)).toEqual(new Set(['TERMINATED']));
  });

  test('finds a timed-out chunk’s steps by name among 130 active ones, across ListSteps pages (moto pages at 100)', async () => {
    const { emr, ids } = await clusters(1, 1);
    const target = 'bronze 2024-03-01_2024-03-31';
    const names = Array.from({ length: 130 }, (_, i) => (i === 3 || i === 127 ? target : `bronze chunk-${i}`));
    const added: string[] = [];
    for (const name of names) {
      const out = await emr.send(
        new AddJobFlowStepsCommand({ JobFlowId: ids[0], Steps: [{ Name: name, ActionOnFailure: 'CONTINUE', HadoopJarStep: { Jar: 'command-runner.jar', Args: ['spark-submit'] } }] }),
      );
      added.push(out.StepIds![0]);
    }
    const control = new EmrControl(emr);

    expect((await control.listActiveSteps(ids[0], target)).sort()).toEqual([added[3], added[127]].sort());
    expect((await control.listActiveSteps(ids[0])).sort()).toEqual([...added].sort());
    expect(await control.listActiveSteps(ids[0], 'bronze no-such-chunk')).toEqual([]);
  });

  test('EMR ThrottlingException answers are retried by the SDK, then the listing succeeds', async () => {
    const { ids } = await clusters(2, 1);
    const proxy = await ThrottlingProxy.start(moto.endpoint, 2, 'json');
    try {
      const found = await new EmrControl(emrAt(proxy.endpoint)).listActiveClustersTagged(CLUSTER_TAG_KEYS.executionArn, ARN);
      expect(found.map((c) => c.id).sort()).toEqual([...ids].sort());
      expect(proxy.throttled).toBe(2);
    } finally {
      await proxy.stop();
    }
  });
});
