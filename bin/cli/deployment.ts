import {
  type CloudFormationClient,
  DescribeStacksCommand,
  ListStackResourcesCommand,
  type StackResourceSummary,
} from '@aws-sdk/client-cloudformation';
import { DefinitionError, stateMachineDefinitions, type AslDefinition, type CfnTemplate } from '../../local/definition';

/** A deployed stack as CloudFormation describes it. */
export interface DeployedStack {
  readonly name: string;
  readonly stackId: string;
  readonly status: string;
  /** Output key → value. */
  readonly outputs: Readonly<Record<string, string>>;
  /** Logical id → resource type and physical id. */
  readonly resources: Readonly<Record<string, { readonly type: string; readonly physicalId: string }>>;
}

/** The stack, or undefined when CloudFormation says it does not exist. */
export async function readStack(cfn: CloudFormationClient, name: string): Promise<DeployedStack | undefined> {
  let described;
  try {
    described = (await cfn.send(new DescribeStacksCommand({ StackName: name }))).Stacks?.[0];
  } catch (error) {
    if (error instanceof Error && /does not exist/.test(error.message)) return undefined;
    throw error;
  }
  if (!described?.StackId) return undefined;
  const summaries: StackResourceSummary[] = [];
  let nextToken: string | undefined;
  do {
    const page = await cfn.send(new ListStackResourcesCommand({ StackName: name, NextToken: nextToken }));
    summaries.push(...(page.StackResourceSummaries ?? []));
    nextToken = page.NextToken;
  } while (nextToken);
  return {
    name,
    stackId: described.StackId,
    status: described.StackStatus ?? 'UNKNOWN',
    outputs: Object.fromEntries((described.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? ''])),
    resources: Object.fromEntries(
      summaries.filter((r) => r.LogicalResourceId && r.PhysicalResourceId).map((r) => [r.LogicalResourceId!, { type: r.ResourceType ?? '', physicalId: r.PhysicalResourceId! }]),
    ),
  };
}

/** States CloudFormation leaves a stack in after a deploy that worked (create or update, rollback-free). */
export const HEALTHY_STACK_STATUSES = new Set(['CREATE_COMPLETE', 'UPDATE_COMPLETE']);

/** The physical id of the stack's one resource of that type; undefined when there is not exactly one. */
export function onlyResourceOfType(stack: DeployedStack, type: string): string | undefined {
  const found = Object.values(stack.resources).filter((r) => r.type === type);
  return found.length === 1 ? found[0].physicalId : undefined;
}

/** Region, account and partition from a stack ARN: arn:<partition>:cloudformation:<region>:<account>:stack/... */
function pseudoOf(stack: DeployedStack) {
  const [, partition, , region, account] = stack.stackId.split(':');
  return { 'AWS::Partition': partition, 'AWS::Region': region, 'AWS::AccountId': account, 'AWS::StackName': stack.name };
}

/**
 * What `Ref` and `Fn::GetAtt X.Arn` return for the deployed resources, from their physical ids and the
 * documented return values of each type (Ref of a Lambda, role, table or bucket is its name; of a topic
 * or state machine its ARN; of a queue its URL; of a VPC security group its id). Other attributes stay
 * unresolved, and a definition using them shows as a difference naming the placeholder.
 */
export function physicalValues(stacks: readonly DeployedStack[]): Record<string, string> {
  const values: Record<string, string> = {};
  for (const stack of stacks) {
    const { 'AWS::Partition': partition, 'AWS::Region': region, 'AWS::AccountId': account } = pseudoOf(stack);
    const arn = (service: string, resource: string) => `arn:${partition}:${service}:${region}:${account}:${resource}`;
    for (const [logicalId, { type, physicalId }] of Object.entries(stack.resources)) {
      values[logicalId] = physicalId;
      const attributeArn: Record<string, string | undefined> = {
        'AWS::Lambda::Function': arn('lambda', `function:${physicalId}`),
        'AWS::IAM::Role': `arn:${partition}:iam::${account}:role/${physicalId}`,
        'AWS::DynamoDB::Table': arn('dynamodb', `table/${physicalId}`),
        'AWS::S3::Bucket': `arn:${partition}:s3:::${physicalId}`,
        'AWS::KMS::Key': arn('kms', `key/${physicalId}`),
        'AWS::SQS::Queue': arn('sqs', physicalId.split('/').pop() ?? physicalId),
        'AWS::SNS::Topic': physicalId,
        'AWS::StepFunctions::StateMachine': physicalId,
      };
      if (attributeArn[type] !== undefined) values[`${logicalId}.Arn`] = attributeArn[type]!;
      // A VPC security group's physical id is its group id (sg-...), which GroupId returns.
      if (type === 'AWS::EC2::SecurityGroup') values[`${logicalId}.GroupId`] = physicalId;
    }
  }
  return values;
}

/**
 * The state machine definitions of the locally synthesized pipeline template, resolved against what is
 * deployed: the same logical ids, the deployed physical ids, the deployed stack's region and account.
 */
export function expectedDefinitions(local: { pipeline: CfnTemplate; dataLake: CfnTemplate }, deployed: { pipeline: DeployedStack; dataLake: DeployedStack }): Record<string, AslDefinition> {
  return stateMachineDefinitions(local.pipeline, {
    values: physicalValues([deployed.dataLake, deployed.pipeline]),
    exportingTemplates: [local.dataLake],
    pseudo: pseudoOf(deployed.pipeline),
  });
}

export { DefinitionError };

/** The first place two JSON documents differ, as a path and both values; undefined when equal. */
export function firstDifference(expected: unknown, actual: unknown, at = '$'): string | undefined {
  if (typeof expected !== typeof actual || Array.isArray(expected) !== Array.isArray(actual) || (expected === null) !== (actual === null)) {
    return `${at}: local ${JSON.stringify(expected)}, deployed ${JSON.stringify(actual)}`;
  }
  if (expected !== null && typeof expected === 'object') {
    const e = expected as Record<string, unknown>;
    const a = actual as Record<string, unknown>;
    for (const key of new Set([...Object.keys(e), ...Object.keys(a)])) {
      const path = Array.isArray(expected) ? `${at}[${key}]` : `${at}.${key}`;
      if (!(key in a)) return `${path}: only in the local synth`;
      if (!(key in e)) return `${path}: only in the deployed definition`;
      const difference = firstDifference(e[key], a[key], path);
      if (difference) return difference;
    }
    return undefined;
  }
  return expected === actual ? undefined : `${at}: local ${JSON.stringify(expected)}, deployed ${JSON.stringify(actual)}`;
}
