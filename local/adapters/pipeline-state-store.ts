/** The `PipelineStateStore` port over a local DynamoDB table: the Lambdas' own store, same items and calls. */
import { type PipelineItemTable, PipelineTableStore } from '../../core/aws/dynamodb-state-store';
import { DynamoDbTaskError, LocalDynamoDb } from './dynamodb-table';

type Read = Awaited<ReturnType<PipelineItemTable['getItem']>>['Item'];

export class LocalPipelineStateStore extends PipelineTableStore {
  constructor(db: LocalDynamoDb, tableName: string) {
    super(
      {
        // The local table is always consistent; it ignores ConsistentRead.
        getItem: async ({ TableName, Key }) => ({ Item: (await db.getItem({ TableName, Key })).Item as Read }),
        putItem: (input) => db.putItem(input),
        deleteItem: (input) => db.deleteItem(input),
        isConditionFailure: (error) => error instanceof DynamoDbTaskError && error.name === 'DynamoDB.ConditionalCheckFailedException',
      },
      tableName,
    );
  }
}
