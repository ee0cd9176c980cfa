import { Tags } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { EMR_MANAGED_POLICY_TAG } from '../lambdas/shared/tags';
import type { NetworkConfig } from './config';

/**
 * Where EMR clusters run: private subnets only. A new VPC has one NAT gateway, because hourly Bronze
 * calls the OpenAQ API on the internet, and an S3 gateway endpoint so lake traffic never crosses the NAT.
 * Existing subnets must already route to S3 and to the internet, and carry the EMR managed-policy tag
 * (docs/DEPLOYING.md).
 */
export class PipelineNetwork extends Construct {
  readonly subnetIds: string[];

  constructor(scope: Construct, id: string, config: NetworkConfig) {
    super(scope, id);
    if (config.mode === 'existing-subnets') {
      this.subnetIds = [...config.subnetIds];
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
    // AmazonEMRServicePolicy_v2 only launches into, and creates security groups in, tagged networks.
    Tags.of(vpc).add(EMR_MANAGED_POLICY_TAG.key, EMR_MANAGED_POLICY_TAG.value);
    this.subnetIds = vpc.privateSubnets.map((subnet) => subnet.subnetId);
  }
}
