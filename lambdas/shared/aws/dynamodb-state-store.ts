import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { LockRecord, PipelineStateStore, WatermarkRecord } from '../ports';

const LOCK_PK = 'lock';
const watermarkPk = (pipeline: string) => `watermark#${pipeline}`;

/** The pipeline table (partition key `pk`), as docs/ARCHITECTURE.md "Lock and watermarks" lays it out. */
export class DynamoPipelineStateStore implements PipelineStateStore {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBClient = new DynamoDBClient({}),
  ) {}

  async getWatermark(pipeline: string): Promise<WatermarkRecord | undefined> {
    const item = await this.get(watermarkPk(pipeline));
    if (item === undefined) return undefined;
    return { windowEnd: text(item, 'windowEnd'), runId: text(item, 'runId'), updatedAt: text(item, 'updatedAt') };
  }

  async putWatermark(pipeline: string, record: WatermarkRecord): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: {
          pk: { S: watermarkPk(pipeline) },
          windowEnd: { S: record.windowEnd },
          runId: { S: record.runId },
          updatedAt: { S: record.updatedAt },
        },
      }),
    );
  }

  async getLock(): Promise<LockRecord | undefined> {
    const item = await this.get(LOCK_PK);
    if (item === undefined) return undefined;
    return {
      holder: text(item, 'holder'),
      runId: text(item, 'runId'),
      pipeline: text(item, 'pipeline'),
      acquiredAt: text(item, 'acquiredAt'),
      expiresAt: Number(item.expiresAt?.N ?? 0),
    };
  }

  async releaseLock(holder: string): Promise<boolean> {
    try {
      await this.client.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: { pk: { S: LOCK_PK } },
          ConditionExpression: 'holder = :me',
          ExpressionAttributeValues: { ':me': { S: holder } },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  private async get(pk: string) {
    const out = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: { pk: { S: pk } }, ConsistentRead: true }),
    );
    return out.Item;
  }
}

function text(item: Record<string, { S?: string }>, key: string): string {
  return item[key]?.S ?? '';
}
