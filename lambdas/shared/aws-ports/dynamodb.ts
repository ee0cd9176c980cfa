import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoPipelineStateStore } from '../../../core/aws/dynamodb-state-store';
import { type AwsPort, traced } from '../lambda-handler';

export const dynamoDbState: AwsPort<'state'> = (tools) => (tableName) =>
  new DynamoPipelineStateStore(tableName, traced(tools, new DynamoDBClient({})));
