/**
 * Local DynamoDB tables as JSON files (`<workspace>/dynamodb/<table>.json`), driven with the Step
 * Functions DynamoDB integration's parameters. Conditions are evaluated for real under a file lock, so
 * two concurrent runs contending for the pipeline lock behave as they do against DynamoDB.
 */
import { Workspace } from '../runtime/workspace';
import { readJson, updateJson } from '../runtime/json-file';
import { ExpressionContext, Item, applyUpdate, evaluateCondition } from './dynamodb-expressions';

/** The table's partition key attribute (docs/ARCHITECTURE.md, "Lock and watermarks"). */
export const PARTITION_KEY = 'pk';

interface ItemRequest {
  TableName: string;
  ConditionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: ExpressionContext['values'];
  ReturnValues?: string;
}

export class DynamoDbTaskError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/** What the Step Functions integration returns beside the API's own fields. */
function sdkMetadata(): Record<string, unknown> {
  return { SdkHttpMetadata: { HttpStatusCode: 200 }, SdkResponseMetadata: { RequestId: 'local' } };
}

export class LocalDynamoDb {
  constructor(private readonly workspace: Workspace) {}

  async putItem(params: ItemRequest & { Item: Item }): Promise<Record<string, unknown>> {
    const key = keyOf(params.Item, params.TableName);
    return this.change(params, key, (items, current) => {
      items[key] = params.Item;
      return params.ReturnValues === 'ALL_OLD' && current ? { Attributes: current } : {};
    });
  }

  async deleteItem(params: ItemRequest & { Key: Item }): Promise<Record<string, unknown>> {
    const key = keyOf(params.Key, params.TableName);
    return this.change(params, key, (items, current) => {
      delete items[key];
      return params.ReturnValues === 'ALL_OLD' && current ? { Attributes: current } : {};
    });
  }

  async updateItem(params: ItemRequest & { Key: Item; UpdateExpression: string }): Promise<Record<string, unknown>> {
    const key = keyOf(params.Key, params.TableName);
    return this.change(params, key, (items, current) => {
      const item: Item = { ...(current ?? params.Key) };
      applyUpdate(params.UpdateExpression, item, { names: params.ExpressionAttributeNames, values: params.ExpressionAttributeValues });
      items[key] = item;
      return params.ReturnValues === 'ALL_NEW' ? { Attributes: item } : {};
    });
  }

  async getItem(params: { TableName: string; Key: Item }): Promise<Record<string, unknown>> {
    const key = keyOf(params.Key, params.TableName);
    const item = readJson<Record<string, Item>>(this.workspace.dynamoDbFile(params.TableName), {})[key];
    return { ...(item ? { Item: item } : {}), ...sdkMetadata() };
  }

  /** Every item of the table (for `status` and the tests). */
  scan(table: string): Item[] {
    return Object.values(readJson<Record<string, Item>>(this.workspace.dynamoDbFile(table), {}));
  }

  private async change(
    params: ItemRequest,
    key: string,
    write: (items: Record<string, Item>, current: Item | undefined) => Record<string, unknown>,
  ): Promise<Record<string, unknown>> {
    let failed = false;
    const result = await updateJson<Record<string, Item>, Record<string, unknown>>(this.workspace.dynamoDbFile(params.TableName), {}, (items) => {
      const current = items[key];
      if (params.ConditionExpression) {
        const context = { names: params.ExpressionAttributeNames, values: params.ExpressionAttributeValues };
        if (!evaluateCondition(params.ConditionExpression, current, context)) {
          failed = true;
          return {};
        }
      }
      return write(items, current);
    });
    if (failed) {
      // The name Step Functions gives this error: what the definitions' Catch (lock held → skip) matches.
      throw new DynamoDbTaskError('DynamoDB.ConditionalCheckFailedException', 'The conditional request failed (Service: DynamoDb, Status Code: 400, Error Code: ConditionalCheckFailedException)');
    }
    return { ...result, ...sdkMetadata() };
  }
}

function keyOf(item: Item, table: string): string {
  const pk = item[PARTITION_KEY] as { S?: string } | undefined;
  if (!pk || typeof pk.S !== 'string') {
    throw new DynamoDbTaskError('DynamoDB.ValidationException', `table ${table} is keyed by the string attribute '${PARTITION_KEY}'; the item has ${JSON.stringify(pk ?? null)}`);
  }
  return pk.S;
}
