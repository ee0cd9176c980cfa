import { type CfnElement, CustomResource, Duration, Stack } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { acknowledge } from './compliance';
import { PipelineFunction } from './pipeline-functions';

export interface EmrSecurityGroupCleanupProps {
  readonly vpc: ec2.IVpc;
  /** The stack's EMR-managed security groups (primary, core, service access). */
  readonly groupIds: readonly string[];
  /** True only when the stack owns the VPC: in a shared VPC, EMR's default groups may serve other clusters. */
  readonly removeEmrDefaultGroups: boolean;
}

/** The custom resource type in the template (and in `cdk destroy`'s progress output). */
export const CLEANUP_RESOURCE_TYPE = 'Custom::EmrSecurityGroupCleanup';

/**
 * Makes `cdk destroy` possible although EMR edits the stack's security groups: at cluster launch EMR adds
 * rules to the primary, core and service-access groups that reference one another, and a group that a
 * rule references cannot be deleted. This resource depends on the groups, so CloudFormation deletes it
 * first; its Lambda then revokes every rule in the VPC that references one of them (and, in the stack's
 * own VPC, deletes EMR's default `ElasticMapReduce-*` groups). Create and Update do nothing.
 *
 * A Provider-framework Lambda rather than `AwsCustomResource`: the rules to revoke are only known at
 * delete time (describe, then one revoke per rule), and `AwsCustomResource` makes one fixed SDK call.
 * Its EC2 permissions are confined to security groups of this VPC (`ec2:Vpc`).
 */
export class EmrSecurityGroupCleanup extends Construct {
  readonly resource: CustomResource;
  readonly handler: PipelineFunction;

  constructor(scope: Construct, id: string, props: EmrSecurityGroupCleanupProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const securityGroupsOfThisVpc = {
      resources: [stack.formatArn({ service: 'ec2', resource: 'security-group', resourceName: '*' })],
      conditions: { StringEquals: { 'ec2:Vpc': stack.formatArn({ service: 'ec2', resource: 'vpc', resourceName: props.vpc.vpcId }) } },
    };
    this.handler = new PipelineFunction(this, 'Handler', {
      name: 'security-group-cleanup',
      description: 'On stack delete: revokes the rules referencing the EMR security groups so CloudFormation can delete them',
      timeout: Duration.minutes(5),
      acknowledgements: {
        'AwsSolutions-IAM5[Resource::*]':
          'ec2:DescribeSecurityGroups and X-Ray PutTraceSegments/PutTelemetryRecords have no resource-level permissions',
        'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:security-group/*]':
          'Rules to revoke are only known at delete time; every EC2 write is confined to groups of this VPC by ec2:Vpc',
      },
    });
    this.handler.addToRolePolicy(new iam.PolicyStatement({ sid: 'FindReferencingRules', actions: ['ec2:DescribeSecurityGroups'], resources: ['*'] }));
    this.handler.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'RevokeRulesInThisVpc',
        actions: ['ec2:RevokeSecurityGroupIngress', 'ec2:RevokeSecurityGroupEgress'],
        ...securityGroupsOfThisVpc,
      }),
    );
    if (props.removeEmrDefaultGroups) {
      this.handler.addToRolePolicy(
        new iam.PolicyStatement({ sid: 'DeleteEmrDefaultGroupsInThisVpc', actions: ['ec2:DeleteSecurityGroup'], ...securityGroupsOfThisVpc }),
      );
    }

    const provider = new cr.Provider(this, 'Provider', {
      onEventHandler: this.handler,
      logGroup: new logs.LogGroup(this, 'ProviderLogs', { retention: logs.RetentionDays.THREE_MONTHS }),
    });
    const handlerLogicalId = stack.getLogicalId(this.handler.node.defaultChild as CfnElement);
    acknowledge(provider, {
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]':
        "CDK's Provider framework function: only CloudWatch Logs write access for its own log group",
      [`AwsSolutions-IAM5[Resource::<${handlerLogicalId}.Arn>:*]`]:
        "CDK's Provider framework may invoke the cleanup function's versions and aliases (one function ARN)",
    });
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: CLEANUP_RESOURCE_TYPE,
      properties: {
        VpcId: props.vpc.vpcId,
        StackGroupIds: [...props.groupIds],
        RemoveEmrDefaultGroups: String(props.removeEmrDefaultGroups),
      },
    });
    // Deleted before the function, its role and policy: the cleanup runs while it still may.
    this.resource.node.addDependency(this.handler);
  }
}
