import {
  CLEANUP_RESOURCE_ID,
  cleanUpSecurityGroups,
  type GroupReferencingRule,
  planCleanup,
  type SecurityGroupPort,
  type VpcSecurityGroup,
} from '../../../lambdas/security-group-cleanup/core';
import { PipelineError } from '../../../core/errors';
import { silentLogger } from '../../support/silent-logger';

const PRIMARY = 'sg-0000000000000000a';
const CORE = 'sg-0000000000000000b';
const SERVICE = 'sg-0000000000000000c';
const EMR_DEFAULT_MASTER = 'sg-0000000000000000d';
const BASTION = 'sg-0000000000000000e';
const STACK_GROUPS = [PRIMARY, CORE, SERVICE];

const rule = (groupId: string, direction: 'ingress' | 'egress', referencedGroupId: string, port?: number): GroupReferencingRule => ({
  groupId,
  direction,
  protocol: port === undefined ? '-1' : 'tcp',
  ...(port === undefined ? {} : { fromPort: port, toPort: port }),
  referencedGroupId,
});

/** The rules EMR adds to custom managed groups in private subnets (EMR Management Guide), plus others. */
function vpcAfterClusters(): VpcSecurityGroup[] {
  return [
    { groupId: PRIMARY, groupName: 'AqiPipeline-EmrPrimary', groupReferencingRules: [rule(PRIMARY, 'ingress', CORE), rule(PRIMARY, 'ingress', PRIMARY), rule(PRIMARY, 'ingress', SERVICE, 8443)] },
    { groupId: CORE, groupName: 'AqiPipeline-EmrCore', groupReferencingRules: [rule(CORE, 'ingress', PRIMARY), rule(CORE, 'ingress', CORE), rule(CORE, 'ingress', SERVICE, 8443)] },
    { groupId: SERVICE, groupName: 'AqiPipeline-EmrServiceAccess', groupReferencingRules: [rule(SERVICE, 'egress', PRIMARY, 8443), rule(SERVICE, 'egress', CORE, 8443), rule(SERVICE, 'ingress', PRIMARY, 9443)] },
    { groupId: EMR_DEFAULT_MASTER, groupName: 'ElasticMapReduce-Master-Private', groupReferencingRules: [rule(EMR_DEFAULT_MASTER, 'ingress', EMR_DEFAULT_MASTER)] },
    // Someone's bastion that may reach the primary node, and a rule unrelated to the pipeline.
    { groupId: BASTION, groupName: 'bastion', groupReferencingRules: [rule(BASTION, 'egress', PRIMARY, 22), rule(BASTION, 'egress', EMR_DEFAULT_MASTER, 22), rule(BASTION, 'ingress', BASTION)] },
  ];
}

describe('planCleanup', () => {
  test("revokes every rule in the VPC that references one of the stack's groups, wherever the rule lives", () => {
    const plan = planCleanup(vpcAfterClusters(), { stackGroupIds: STACK_GROUPS, removeEmrDefaultGroups: false });

    expect(plan.revocations).toEqual([
      rule(PRIMARY, 'ingress', CORE),
      rule(PRIMARY, 'ingress', PRIMARY),
      rule(PRIMARY, 'ingress', SERVICE, 8443),
      rule(CORE, 'ingress', PRIMARY),
      rule(CORE, 'ingress', CORE),
      rule(CORE, 'ingress', SERVICE, 8443),
      rule(SERVICE, 'egress', PRIMARY, 8443),
      rule(SERVICE, 'egress', CORE, 8443),
      rule(SERVICE, 'ingress', PRIMARY, 9443),
      rule(BASTION, 'egress', PRIMARY, 22),
    ]);
    expect(plan.deletions).toEqual([]);
  });

  test("in the stack's own VPC also deletes EMR's default groups, after revoking the rules that reference them", () => {
    const plan = planCleanup(vpcAfterClusters(), { stackGroupIds: STACK_GROUPS, removeEmrDefaultGroups: true });

    expect(plan.deletions).toEqual([EMR_DEFAULT_MASTER]);
    expect(plan.revocations).toEqual(expect.arrayContaining([rule(EMR_DEFAULT_MASTER, 'ingress', EMR_DEFAULT_MASTER), rule(BASTION, 'egress', EMR_DEFAULT_MASTER, 22)]));
    expect(plan.revocations).not.toContainEqual(rule(BASTION, 'ingress', BASTION));
  });

  test('a VPC where no cluster ever ran needs nothing', () => {
    const untouched = STACK_GROUPS.map((groupId) => ({ groupId, groupName: groupId, groupReferencingRules: [] }));

    expect(planCleanup(untouched, { stackGroupIds: STACK_GROUPS, removeEmrDefaultGroups: true })).toEqual({ revocations: [], deletions: [] });
  });
});

/** The VPC's groups in memory: revoking removes the rule, deleting removes the group; calls are recorded. */
class MemoryGroups implements SecurityGroupPort {
  readonly calls: string[] = [];
  failOn: string | undefined;

  constructor(public groups: VpcSecurityGroup[]) {}

  async listGroups(vpcId: string): Promise<VpcSecurityGroup[]> {
    this.calls.push(`list ${vpcId}`);
    return this.groups;
  }

  async revoke(target: GroupReferencingRule): Promise<void> {
    if (this.failOn === target.groupId) throw Object.assign(new Error('You are not authorized to perform this operation.'), { name: 'UnauthorizedOperation' });
    this.calls.push(`revoke ${target.groupId} ${target.direction} ${target.referencedGroupId}`);
    this.groups = this.groups.map((g) => ({ ...g, groupReferencingRules: g.groupReferencingRules.filter((r) => JSON.stringify(r) !== JSON.stringify(target)) }));
  }

  async deleteGroup(groupId: string): Promise<void> {
    this.calls.push(`delete ${groupId}`);
    this.groups = this.groups.filter((g) => g.groupId !== groupId);
  }
}

const deleteEvent = (properties: Record<string, unknown> = {}) => ({
  RequestType: 'Delete',
  PhysicalResourceId: CLEANUP_RESOURCE_ID,
  ResourceProperties: { ServiceToken: 'arn:aws:lambda:…', VpcId: 'vpc-0abc1234', StackGroupIds: STACK_GROUPS, RemoveEmrDefaultGroups: 'true', ...properties },
});

describe('cleanUpSecurityGroups, the custom resource handler', () => {
  test("on Delete leaves no rule referencing the stack's groups, and deletes EMR's default groups last", async () => {
    const groups = new MemoryGroups(vpcAfterClusters());

    const out = await cleanUpSecurityGroups(deleteEvent(), { groups, log: silentLogger });

    const remaining = groups.groups.flatMap((g) => g.groupReferencingRules);
    expect(remaining).toEqual([rule(BASTION, 'ingress', BASTION)]);
    expect(groups.groups.map((g) => g.groupId)).toEqual([PRIMARY, CORE, SERVICE, BASTION]);
    expect(groups.calls[0]).toBe('list vpc-0abc1234');
    expect(groups.calls.at(-1)).toBe(`delete ${EMR_DEFAULT_MASTER}`);
    expect(out.PhysicalResourceId).toBe(CLEANUP_RESOURCE_ID);
    expect(out.Data.DeletedGroups).toBe(EMR_DEFAULT_MASTER);
    expect(out.Data.RevokedRules).toContain(`egress rule of ${BASTION} (tcp 22-22) referencing ${PRIMARY}`);
  });

  test.each(['Create', 'Update'])('on %s touches nothing and keeps the constant physical id (a new id would delete the old resource)', async (requestType) => {
    const groups = new MemoryGroups(vpcAfterClusters());

    const out = await cleanUpSecurityGroups({ ...deleteEvent(), RequestType: requestType }, { groups, log: silentLogger });

    expect(groups.calls).toEqual([]);
    expect(out).toEqual({ PhysicalResourceId: CLEANUP_RESOURCE_ID, Data: { RevokedRules: '', DeletedGroups: '' } });
  });

  test('a refused revoke fails the delete with the rule, the reason and what to do', async () => {
    const groups = new MemoryGroups(vpcAfterClusters());
    groups.failOn = SERVICE;

    await expect(cleanUpSecurityGroups(deleteEvent(), { groups, log: silentLogger })).rejects.toThrow(
      `could not revoke the egress rule of ${SERVICE} (tcp 8443-8443) referencing ${PRIMARY} (UnauthorizedOperation: You are not authorized to perform this operation.). ` +
        "The stack's EMR security groups cannot be deleted while it stands: make sure no cluster of the pipeline is still running",
    );
  });

  test('a malformed event is refused naming the field and the value, before any EC2 call', async () => {
    const groups = new MemoryGroups(vpcAfterClusters());

    const attempt = cleanUpSecurityGroups(deleteEvent({ StackGroupIds: ['default'], RemoveEmrDefaultGroups: true }), { groups, log: silentLogger });

    await expect(attempt).rejects.toThrow(PipelineError);
    await expect(attempt).rejects.toThrow(
      'invalid security group cleanup event: ResourceProperties.StackGroupIds.0: must be a security group id (sg-…) (got "default"); ' +
        "ResourceProperties.RemoveEmrDefaultGroups: must be 'true' or 'false' (got true)",
    );
    expect(groups.calls).toEqual([]);
  });
});
