import { Fn, Tags } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { EMR_MANAGED_POLICY_TAG } from '../core/tags';
import type { NetworkConfig } from './config';

/**
 * Where EMR clusters run: private subnets only. A new VPC has one NAT gateway, because hourly Bronze
 * calls the OpenAQ API on the internet, and an S3 gateway endpoint so lake traffic never crosses the NAT.
 * Only the private subnets carry the EMR managed-policy tag. Existing subnets must already route to S3 and
 * to the internet, and carry that tag (docs/DEPLOYING.md).
 */
export class PipelineNetwork extends Construct {
  readonly subnetIds: string[];
  /** The VPC the subnets belong to (the stack's EMR security groups are created in it). */
  readonly vpc: ec2.IVpc;
  /** Whether the stack created the VPC (`new-vpc`) rather than being given subnets of an existing one. */
  readonly ownsVpc: boolean;

  constructor(scope: Construct, id: string, config: NetworkConfig) {
    super(scope, id);
    if (config.mode === 'existing-subnets') {
      this.subnetIds = [...config.subnetIds];
      this.ownsVpc = false;
      this.vpc = ec2.Vpc.fromVpcAttributes(this, 'ExistingVpc', { vpcId: config.vpcId, availabilityZones: Fn.getAzs() });
      return;
    }
    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: config.maxAzs,
      natGateways: 1,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'emr', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
      ],
      gatewayEndpoints: { S3: { service: ec2.GatewayVpcEndpointAwsService.S3 } },
      flowLogs: {
        rejected: {
          destination: ec2.FlowLogDestination.toCloudWatchLogs(
            new logs.LogGroup(this, 'FlowLogs', { retention: logs.RetentionDays.ONE_MONTH }),
          ),
          trafficType: ec2.FlowLogTrafficType.REJECT,
        },
      },
    });
    // AmazonEMRServicePolicy_v2 only launches instances into tagged subnets and security groups
    // (statement CreateInTaggedNetwork); the public subnets stay untagged so EMR can never use them.
    for (const subnet of vpc.privateSubnets) Tags.of(subnet).add(EMR_MANAGED_POLICY_TAG.key, EMR_MANAGED_POLICY_TAG.value);
    this.vpc = vpc;
    this.ownsVpc = true;
    this.subnetIds = vpc.privateSubnets.map((subnet) => subnet.subnetId);
  }
}
