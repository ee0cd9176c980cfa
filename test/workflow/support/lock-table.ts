import { taskError } from './interpreter';

type AttributeValue = { S?: string; N?: string };
type Item = Record<string, AttributeValue>;

interface PutItemRequest {
  Item: Item;
  ConditionExpression?: string;
  ExpressionAttributeValues?: Record<string, AttributeValue>;
}

interface KeyRequest {
  Key: Item;
  ConditionExpression?: string;
  ExpressionAttributeValues?: Record<string, AttributeValue>;
}

/**
 * The pipeline table as the DynamoDB service integrations see it: PutItem / GetItem / DeleteItem with
 * the lock's two condition expressions evaluated for real. Any other expression fails the test, so a
 * change to the lock's conditions cannot slip past these tests unevaluated.
 */
export class LockTable {
  readonly items = new Map<string, Item>();

  putItem = (input: unknown) => {
    const request = input as PutItemRequest;
    const pk = request.Item.pk?.S as string;
    this.check(request.ConditionExpression, this.items.get(pk), request.ExpressionAttributeValues ?? {});
    this.items.set(pk, request.Item);
    return {};
  };

  getItem = (input: unknown) => {
    const item = this.items.get((input as KeyRequest).Key.pk?.S as string);
    return item === undefined ? {} : { Item: item };
  };

  deleteItem = (input: unknown) => {
    const request = input as KeyRequest;
    const pk = request.Key.pk?.S as string;
    this.check(request.ConditionExpression, this.items.get(pk), request.ExpressionAttributeValues ?? {});
    this.items.delete(pk);
    return {};
  };

  private check(expression: string | undefined, item: Item | undefined, values: Record<string, AttributeValue>): void {
    let ok: boolean;
    switch (expression) {
      case undefined:
        ok = true;
        break;
      case 'attribute_not_exists(pk) OR expiresAt < :now':
        ok = item === undefined || Number(item.expiresAt?.N) < Number(values[':now']?.N);
        break;
      case 'holder = :me':
        ok = item !== undefined && item.holder?.S === values[':me']?.S;
        break;
      default:
        throw new Error(`LockTable does not evaluate condition "${expression}"`);
    }
    if (!ok) throw taskError('DynamoDB.ConditionalCheckFailedException', 'The conditional request failed');
  }
}
