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

/** What the store writes: string attributes only (`expiresAt` is written by the state machine). */
type Written = Record<string, { S: string }>;
/** What it reads back: the string and number attributes of an item. */
type Read = Record<string, { S?: string; N?: string } | undefined>;

/**
 * The three item calls the store makes, in DynamoDB's own request shapes, so one store serves both the
 * SDK client (here) and the local runtime's JSON tables (local/adapters/pipeline-state-store.ts).
 */
export interface PipelineItemTable {
  getItem(input: { TableName: string; Key: Written; ConsistentRead: boolean }): Promise<{ Item?: Read }>;
  putItem(input: { TableName: string; Item: Written }): Promise<unknown>;
  deleteItem(input: { TableName: string; Key: Written; ConditionExpression: string; ExpressionAttributeValues: Written }): Promise<unknown>;
  /** Whether a rejected call failed its `ConditionExpression` (the SDK and the local table say it differently). */
  isConditionFailure(error: unknown): boolean;
}

/** The pipeline table (partition key `pk`), as docs/ARCHITECTURE.md "Lock and watermarks" lays it out. */
export class PipelineTableStore implements PipelineStateStore {
  constructor(
    private readonly table: PipelineItemTable,
    private readonly tableName: string,
  ) {}

  async getWatermark(pipeline: string): Promise<WatermarkRecord | undefined> {
    const item = await this.get(watermarkPk(pipeline));
    if (item === undefined) return undefined;
    const record: WatermarkRecord = { windowEnd: text(item, 'windowEnd'), runId: text(item, 'runId'), updatedAt: text(item, 'updatedAt') };
    if (item.catchUpExecutionArn?.S !== undefined) {
      record.catchUp = { executionArn: text(item, 'catchUpExecutionArn'), windowEnd: text(item, 'catchUpWindowEnd') };
    }
    return record;
  }

  async putWatermark(pipeline: string, record: WatermarkRecord): Promise<void> {
    await this.table.putItem({
      TableName: this.tableName,
      Item: {
        pk: { S: watermarkPk(pipeline) },
        windowEnd: { S: record.windowEnd },
        runId: { S: record.runId },
        updatedAt: { S: record.updatedAt },
        ...(record.catchUp && {
          catchUpExecutionArn: { S: record.catchUp.executionArn },
          catchUpWindowEnd: { S: record.catchUp.windowEnd },
        }),
      },
    });
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
      await this.table.deleteItem({
        TableName: this.tableName,
        Key: { pk: { S: LOCK_PK } },
        ConditionExpression: 'holder = :me',
        ExpressionAttributeValues: { ':me': { S: holder } },
      });
      return true;
    } catch (error) {
      if (this.table.isConditionFailure(error)) return false;
      throw error;
    }
  }

  private async get(pk: string): Promise<Read | undefined> {
    const out = await this.table.getItem({ TableName: this.tableName, Key: { pk: { S: pk } }, ConsistentRead: true });
    return out.Item;
  }
}

/** The store over DynamoDB itself, through the AWS SDK. */
export class DynamoPipelineStateStore extends PipelineTableStore {
  constructor(tableName: string, client: DynamoDBClient = new DynamoDBClient({})) {
    super(
      {
        getItem: (input) => client.send(new GetItemCommand(input)),
        putItem: (input) => client.send(new PutItemCommand(input)),
        deleteItem: (input) => client.send(new DeleteItemCommand(input)),
        isConditionFailure: (error) => error instanceof ConditionalCheckFailedException,
      },
      tableName,
    );
  }
}

function text(item: Read, key: string): string {
  return item[key]?.S ?? '';
}
