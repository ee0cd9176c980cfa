import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDbTaskError, LocalDynamoDb } from '../../local/adapters/dynamodb-table';
import { evaluateCondition } from '../../local/adapters/dynamodb-expressions';
import { LocalPipelineStateStore } from '../../local/adapters/pipeline-state-store';
import { workspaceAt } from '../../local/runtime/workspace';

/** The lock acquisition exactly as the state machines send it (lib/workflow/lock.ts). */
const acquire = (holder: string, now: number, expiresAt: number) => ({
  TableName: 'pipeline',
  Item: { pk: { S: 'lock' }, holder: { S: holder }, runId: { S: `run-${holder}` }, pipeline: { S: 'hourly' }, acquiredAt: { S: '2024-03-10T06:15:00Z' }, expiresAt: { N: String(expiresAt) } },
  ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
  ExpressionAttributeValues: { ':now': { N: String(now) } },
});

let dir: string;
let db: LocalDynamoDb;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'aqi-ddb-'));
  db = new LocalDynamoDb(workspaceAt(dir));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('local DynamoDB conditional writes', () => {
  test('a free lock is taken; a held, unexpired lock refuses the next taker with ConditionalCheckFailedException', async () => {
    await db.putItem(acquire('exec-a', 1000, 2000));

    const second = db.putItem(acquire('exec-b', 1500, 2500));

    await expect(second).rejects.toThrow(DynamoDbTaskError);
    await expect(db.putItem(acquire('exec-b', 1500, 2500))).rejects.toMatchObject({ name: 'DynamoDB.ConditionalCheckFailedException' });
    expect((await db.getItem({ TableName: 'pipeline', Key: { pk: { S: 'lock' } } })).Item).toMatchObject({ holder: { S: 'exec-a' } });
  });

  test('an expired lock is taken over', async () => {
    await db.putItem(acquire('exec-a', 1000, 2000));

    await db.putItem(acquire('exec-b', 2001, 3000));

    expect((await db.getItem({ TableName: 'pipeline', Key: { pk: { S: 'lock' } } })).Item).toMatchObject({ holder: { S: 'exec-b' } });
  });

  test('of ten concurrent takers exactly one gets the lock', async () => {
    const attempts = Array.from({ length: 10 }, (_, i) => db.putItem(acquire(`exec-${i}`, 1000, 2000)));

    const outcomes = await Promise.allSettled(attempts);

    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
  });

  test('only the holder releases the lock (the port over the same table)', async () => {
    const store = new LocalPipelineStateStore(db, 'pipeline');
    await db.putItem(acquire('exec-a', 1000, 2000));

    expect(await store.releaseLock('exec-b')).toBe(false);
    expect(await store.releaseLock('exec-a')).toBe(true);
    expect(await store.getLock()).toBeUndefined();
  });

  test('watermarks round-trip through the port', async () => {
    const store = new LocalPipelineStateStore(db, 'pipeline');

    await store.putWatermark('hourly', { windowEnd: '2024-03-10T06:00:00Z', runId: 'hourly-20240310T0600Z-1a2b3c4d', updatedAt: '2024-03-10T06:20:00Z' });

    expect(await store.getWatermark('hourly')).toEqual({ windowEnd: '2024-03-10T06:00:00Z', runId: 'hourly-20240310T0600Z-1a2b3c4d', updatedAt: '2024-03-10T06:20:00Z' });
  });
});

describe('condition expressions', () => {
  const item = { pk: { S: 'lock' }, n: { N: '5' } };

  test.each([
    ['attribute_exists(pk) AND n >= :five', true],
    ['NOT (n = :five)', false],
    ['#count <> :five OR begins_with(pk, :lo)', true],
    ['n < :five', false],
  ])('%s is %s', (expression, expected) => {
    expect(evaluateCondition(expression, item, { names: { '#count': 'n' }, values: { ':five': { N: '5' }, ':lo': { S: 'lo' } } })).toBe(expected);
  });

  test('an unsupported function is refused by name', () => {
    expect(() => evaluateCondition('contains(pk, :x)', item, { values: { ':x': { S: 'l' } } })).toThrow(
      "DynamoDB function 'contains' is not supported locally; supported: attribute_exists, attribute_not_exists, begins_with",
    );
  });

  test('a value placeholder missing from ExpressionAttributeValues is named', () => {
    expect(() => evaluateCondition('n = :missing', item, {})).toThrow("ExpressionAttributeValues has no ':missing' (used in 'n = :missing')");
  });
});
