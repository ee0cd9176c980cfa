import {
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateVpcCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  type IpPermission,
} from '@aws-sdk/client-ec2';
import { CLEANUP_RESOURCE_ID, cleanUpSecurityGroups } from '../../lambdas/security-group-cleanup/core';
import { Ec2SecurityGroups } from '../../lambdas/security-group-cleanup/ec2-security-groups';
import { silentLogger } from '../support/silent-logger';
import { MOTO_CREDENTIALS, MotoServer } from './moto-server';

let moto: MotoServer;
let ec2: EC2Client;

beforeAll(async () => {
  moto = await MotoServer.start();
  ec2 = new EC2Client({ region: 'us-east-1', endpoint: moto.endpoint, credentials: MOTO_CREDENTIALS });
}, 60_000);

afterAll(async () => {
  ec2?.destroy();
  await moto?.stop();
});

beforeEach(() => moto.reset());

const group = async (vpcId: string, name: string) =>
  (await ec2.send(new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: name, Description: name }))).GroupId as string;
const allFrom = (groupId: string): IpPermission => ({ IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: groupId }] });
const tcpWith = (groupId: string, port: number): IpPermission => ({ IpProtocol: 'tcp', FromPort: port, ToPort: port, UserIdGroupPairs: [{ GroupId: groupId }] });
const ingress = (groupId: string, permission: IpPermission) => ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [permission] }));
const egress = (groupId: string, permission: IpPermission) => ec2.send(new AuthorizeSecurityGroupEgressCommand({ GroupId: groupId, IpPermissions: [permission] }));

/** A VPC after EMR clusters ran in it: the rules EMR adds to the custom managed groups, and more. */
async function vpcAfterClusters() {
  const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc?.VpcId as string;
  const primary = await group(vpcId, 'AqiPipeline-EmrPrimary');
  const core = await group(vpcId, 'AqiPipeline-EmrCore');
  const service = await group(vpcId, 'AqiPipeline-EmrServiceAccess');
  const emrDefault = await group(vpcId, 'ElasticMapReduce-Slave-Private');
  const bastion = await group(vpcId, 'bastion');
  await ingress(primary, allFrom(core));
  await ingress(primary, allFrom(primary));
  await ingress(primary, tcpWith(service, 8443));
  await ingress(core, allFrom(primary));
  await ingress(core, tcpWith(service, 8443));
  await ingress(service, tcpWith(primary, 9443));
  await egress(service, tcpWith(primary, 8443));
  await egress(service, tcpWith(core, 8443));
  await ingress(emrDefault, allFrom(emrDefault));
  await egress(bastion, tcpWith(primary, 22));
  await ingress(bastion, { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '203.0.113.0/24' }] });
  return { vpcId, primary, core, service, emrDefault, bastion };
}

async function groupsOf(vpcId: string) {
  const out = await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }));
  return out.SecurityGroups ?? [];
}

const referencedIds = (permissions: IpPermission[] | undefined) => (permissions ?? []).flatMap((p) => (p.UserIdGroupPairs ?? []).map((pair) => pair.GroupId));

const deleteEvent = (vpcId: string, stackGroupIds: string[]) => ({
  RequestType: 'Delete',
  PhysicalResourceId: CLEANUP_RESOURCE_ID,
  ResourceProperties: { VpcId: vpcId, StackGroupIds: stackGroupIds, RemoveEmrDefaultGroups: 'true' },
});

describe('the security group cleanup against moto EC2 over loopback', () => {
  test("after the delete no rule in the VPC references the stack's groups, EMR's default group is gone, other rules stay", async () => {
    const vpc = await vpcAfterClusters();
    const stackGroups = [vpc.primary, vpc.core, vpc.service];

    await cleanUpSecurityGroups(deleteEvent(vpc.vpcId, stackGroups), { groups: new Ec2SecurityGroups(ec2), log: silentLogger });

    const after = await groupsOf(vpc.vpcId);
    const ids = after.map((g) => g.GroupId);
    expect(ids).not.toContain(vpc.emrDefault);
    expect(ids).toEqual(expect.arrayContaining([...stackGroups, vpc.bastion]));
    for (const g of after) {
      expect(referencedIds(g.IpPermissions)).toEqual([]);
      expect(referencedIds(g.IpPermissionsEgress)).toEqual([]);
    }
    const bastion = after.find((g) => g.GroupId === vpc.bastion);
    expect(bastion?.IpPermissions).toEqual([expect.objectContaining({ IpProtocol: 'tcp', FromPort: 22, IpRanges: [expect.objectContaining({ CidrIp: '203.0.113.0/24' })] })]);
  }, 60_000);

  test('a retried delete (CloudFormation retries a failed one) finds nothing left and succeeds', async () => {
    const vpc = await vpcAfterClusters();
    const deps = { groups: new Ec2SecurityGroups(ec2), log: silentLogger };
    const event = deleteEvent(vpc.vpcId, [vpc.primary, vpc.core, vpc.service]);
    await cleanUpSecurityGroups(event, deps);

    const again = await cleanUpSecurityGroups(event, deps);

    expect(again.Data).toEqual({ RevokedRules: '', DeletedGroups: '' });
  }, 60_000);

  test('a rule or group that vanished between listing and revoking counts as done', async () => {
    const vpc = await vpcAfterClusters();
    const groups = new Ec2SecurityGroups(ec2);
    const rule = { groupId: vpc.core, direction: 'ingress' as const, protocol: '-1', referencedGroupId: vpc.primary };
    await groups.revoke(rule);

    await expect(groups.revoke(rule)).resolves.toBeUndefined();
    await groups.deleteGroup(vpc.emrDefault);
    await expect(groups.deleteGroup(vpc.emrDefault)).resolves.toBeUndefined();
  }, 60_000);
});
