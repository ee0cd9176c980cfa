/** The `PipelineStateStore` port over a local DynamoDB table: same items, same conditional release. */
import type { LockRecord, PipelineStateStore, WatermarkRecord } from '../../lambdas/shared/ports';
import { DynamoDbTaskError, LocalDynamoDb } from './dynamodb-table';

const LOCK_PK = 'lock';
const watermarkPk = (pipeline: string) => `watermark#${pipeline}`;

export class LocalPipelineStateStore implements PipelineStateStore {
  constructor(
    private readonly db: LocalDynamoDb,
    private readonly tableName: string,
  ) {}

  async getWatermark(pipeline: string): Promise<WatermarkRecord | undefined> {
    const item = await this.get(watermarkPk(pipeline));
    return item && { windowEnd: text(item, 'windowEnd'), runId: text(item, 'runId'), updatedAt: text(item, 'updatedAt') };
  }

  async putWatermark(pipeline: string, record: WatermarkRecord): Promise<void> {
    await this.db.putItem({
      TableName: this.tableName,
      Item: { pk: { S: watermarkPk(pipeline) }, windowEnd: { S: record.windowEnd }, runId: { S: record.runId }, updatedAt: { S: record.updatedAt } },
    });
  }

  async getLock(): Promise<LockRecord | undefined> {
    const item = await this.get(LOCK_PK);
    return (
      item && {
        holder: text(item, 'holder'),
        runId: text(item, 'runId'),
        pipeline: text(item, 'pipeline'),
        acquiredAt: text(item, 'acquiredAt'),
        expiresAt: Number((item.expiresAt as { N?: string } | undefined)?.N ?? 0),
      }
    );
  }

  async releaseLock(holder: string): Promise<boolean> {
    try {
      await this.db.deleteItem({
        TableName: this.tableName,
        Key: { pk: { S: LOCK_PK } },
        ConditionExpression: 'holder = :me',
        ExpressionAttributeValues: { ':me': { S: holder } },
      });
      return true;
    } catch (error) {
      if (error instanceof DynamoDbTaskError && error.name === 'DynamoDB.ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  private async get(pk: string): Promise<Record<string, unknown> | undefined> {
    const out = await this.db.getItem({ TableName: this.tableName, Key: { pk: { S: pk } } });
    return out.Item as Record<string, unknown> | undefined;
  }
}

function text(item: Record<string, unknown>, key: string): string {
  return (item[key] as { S?: string } | undefined)?.S ?? '';
}
