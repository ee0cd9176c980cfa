import {
  DeleteSecurityGroupCommand,
  type EC2Client,
  type IpPermission,
  paginateDescribeSecurityGroups,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import type { GroupReferencingRule, SecurityGroupPort, VpcSecurityGroup } from './core';

/** EC2 error codes that mean the thing to remove is already gone (a retried delete, a racing EMR). */
const ALREADY_GONE = new Set(['InvalidGroup.NotFound', 'InvalidPermission.NotFound']);

/** `SecurityGroupPort` on the EC2 API: DescribeSecurityGroups, Revoke…/DeleteSecurityGroup by group id. */
export class Ec2SecurityGroups implements SecurityGroupPort {
  constructor(private readonly ec2: EC2Client) {}

  async listGroups(vpcId: string): Promise<VpcSecurityGroup[]> {
    const groups: VpcSecurityGroup[] = [];
    const pages = paginateDescribeSecurityGroups({ client: this.ec2 }, { Filters: [{ Name: 'vpc-id', Values: [vpcId] }] });
    for await (const page of pages) {
      for (const group of page.SecurityGroups ?? []) {
        if (!group.GroupId) continue;
        groups.push({
          groupId: group.GroupId,
          groupName: group.GroupName ?? '',
          groupReferencingRules: [
            ...referencingRules(group.GroupId, 'ingress', group.IpPermissions),
            ...referencingRules(group.GroupId, 'egress', group.IpPermissionsEgress),
          ],
        });
      }
    }
    return groups;
  }

  async revoke(rule: GroupReferencingRule): Promise<void> {
    const permission: IpPermission = {
      IpProtocol: rule.protocol,
      ...(rule.protocol === '-1' ? {} : { FromPort: rule.fromPort, ToPort: rule.toPort }),
      UserIdGroupPairs: [{ GroupId: rule.referencedGroupId }],
    };
    const input = { GroupId: rule.groupId, IpPermissions: [permission] };
    await ignoringAlreadyGone(() =>
      rule.direction === 'ingress'
        ? this.ec2.send(new RevokeSecurityGroupIngressCommand(input))
        : this.ec2.send(new RevokeSecurityGroupEgressCommand(input)),
    );
  }

  async deleteGroup(groupId: string): Promise<void> {
    await ignoringAlreadyGone(() => this.ec2.send(new DeleteSecurityGroupCommand({ GroupId: groupId })));
  }
}

/** One rule per referenced group: EC2 groups the pairs of a protocol and port range into one permission. */
function referencingRules(groupId: string, direction: GroupReferencingRule['direction'], permissions: IpPermission[] | undefined): GroupReferencingRule[] {
  return (permissions ?? []).flatMap((permission) =>
    (permission.UserIdGroupPairs ?? [])
      .filter((pair) => pair.GroupId !== undefined)
      .map((pair) => ({
        groupId,
        direction,
        protocol: permission.IpProtocol ?? '-1',
        ...(permission.FromPort === undefined ? {} : { fromPort: permission.FromPort }),
        ...(permission.ToPort === undefined ? {} : { toPort: permission.ToPort }),
        referencedGroupId: pair.GroupId as string,
      })),
  );
}

async function ignoringAlreadyGone(call: () => Promise<unknown>): Promise<void> {
  try {
    await call();
  } catch (error) {
    if (error instanceof Error && ALREADY_GONE.has(error.name)) return;
    throw error;
  }
}
