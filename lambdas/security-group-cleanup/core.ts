import { ERROR_NAMES } from '../../core/errors';
import { parseInput } from '../../core/input';
import type { Logger } from '../../core/ports';
import { CleanupEventSchema } from './schema';

/**
 * The names EMR gives the default managed security groups it creates in a VPC when a cluster is launched
 * without managed groups of its own (EMR Management Guide, "Working with Amazon EMR-managed security
 * groups", https://docs.aws.amazon.com/emr/latest/ManagementGuide/emr-man-sec-groups.html).
 */
export const EMR_DEFAULT_GROUP_NAMES: readonly string[] = [
  'ElasticMapReduce-master',
  'ElasticMapReduce-slave',
  'ElasticMapReduce-Master-Private',
  'ElasticMapReduce-Slave-Private',
  'ElasticMapReduce-ServiceAccess',
];

/**
 * The physical id of the cleanup resource. Constant on purpose: a changed id would make CloudFormation
 * delete the old resource during an update, and the cleanup would revoke rules under running clusters.
 */
export const CLEANUP_RESOURCE_ID = 'aqi-pipeline-emr-security-group-cleanup';

/** One rule of a security group that names another security group as its source or destination. */
export interface GroupReferencingRule {
  /** The group the rule belongs to. */
  readonly groupId: string;
  readonly direction: 'ingress' | 'egress';
  /** `-1` for all protocols, else `tcp`, `udp`, `icmp` or a protocol number. */
  readonly protocol: string;
  readonly fromPort?: number;
  readonly toPort?: number;
  /** The group the rule references. */
  readonly referencedGroupId: string;
}

/** A security group of the VPC with the rules that reference groups (CIDR and prefix-list rules never block a delete). */
export interface VpcSecurityGroup {
  readonly groupId: string;
  readonly groupName: string;
  readonly groupReferencingRules: readonly GroupReferencingRule[];
}

export interface SecurityGroupPort {
  listGroups(vpcId: string): Promise<VpcSecurityGroup[]>;
  /** Revokes exactly this group reference; a rule or group already gone counts as revoked. */
  revoke(rule: GroupReferencingRule): Promise<void>;
  /** Deletes the group; a group already gone counts as deleted. */
  deleteGroup(groupId: string): Promise<void>;
}

export interface CleanupPlan {
  readonly revocations: readonly GroupReferencingRule[];
  /** EMR's default groups to delete after the revocations (the stack deletes its own groups itself). */
  readonly deletions: readonly string[];
}

export interface CleanupOptions {
  readonly stackGroupIds: readonly string[];
  /** Only in a VPC the stack owns: in a shared VPC EMR's default groups may serve other clusters. */
  readonly removeEmrDefaultGroups: boolean;
}

/**
 * What must go before CloudFormation can delete the stack's security groups (and, in its own VPC, the
 * VPC): a group that any rule references cannot be deleted, and EMR adds rules to the primary, core and
 * service-access groups that reference each other. So every rule in the VPC that references a group
 * about to be deleted is revoked, wherever it lives; EMR's default groups are deleted when asked.
 */
export function planCleanup(groups: readonly VpcSecurityGroup[], options: CleanupOptions): CleanupPlan {
  const stackGroups = new Set(options.stackGroupIds);
  const emrDefaults = options.removeEmrDefaultGroups
    ? groups.filter((g) => EMR_DEFAULT_GROUP_NAMES.includes(g.groupName) && !stackGroups.has(g.groupId)).map((g) => g.groupId)
    : [];
  const doomed = new Set([...stackGroups, ...emrDefaults]);
  const revocations = groups.flatMap((g) => g.groupReferencingRules.filter((rule) => doomed.has(rule.referencedGroupId)));
  return { revocations, deletions: emrDefaults };
}

export interface CleanupResult {
  readonly PhysicalResourceId: string;
  readonly Data: { readonly RevokedRules: string; readonly DeletedGroups: string };
}

export interface CleanupDeps {
  readonly groups: SecurityGroupPort;
  readonly log: Logger;
}

/**
 * The custom resource's `onEvent`: nothing on Create and Update; on Delete, the plan above, applied.
 * A failure names the rule or group and what to do, and fails the stack deletion before CloudFormation
 * spends its retries on groups that cannot be deleted yet.
 */
export async function cleanUpSecurityGroups(rawEvent: unknown, deps: CleanupDeps): Promise<CleanupResult> {
  const event = parseInput(CleanupEventSchema, rawEvent, ERROR_NAMES.invalidSecurityGroupCleanupEvent, 'security group cleanup event');
  if (event.RequestType !== 'Delete') return result([], []);

  const { VpcId: vpcId, StackGroupIds: stackGroupIds, RemoveEmrDefaultGroups } = event.ResourceProperties;
  const groups = await deps.groups.listGroups(vpcId);
  const plan = planCleanup(groups, { stackGroupIds, removeEmrDefaultGroups: RemoveEmrDefaultGroups === 'true' });
  for (const rule of plan.revocations) {
    await attempt(() => deps.groups.revoke(rule), `revoke the ${describeRule(rule)}`);
  }
  for (const groupId of plan.deletions) {
    await attempt(() => deps.groups.deleteGroup(groupId), `delete EMR's default security group ${groupId}`);
  }
  deps.log.info('revoked the rules referencing the EMR security groups', {
    vpcId,
    stackGroupIds,
    revokedRules: plan.revocations.map(describeRule),
    deletedGroups: plan.deletions,
  });
  return result(plan.revocations.map(describeRule), [...plan.deletions]);
}

function result(revoked: string[], deleted: string[]): CleanupResult {
  return { PhysicalResourceId: CLEANUP_RESOURCE_ID, Data: { RevokedRules: revoked.join(', '), DeletedGroups: deleted.join(', ') } };
}

export function describeRule(rule: GroupReferencingRule): string {
  const ports = rule.protocol === '-1' ? 'all traffic' : `${rule.protocol} ${rule.fromPort ?? '*'}-${rule.toPort ?? '*'}`;
  return `${rule.direction} rule of ${rule.groupId} (${ports}) referencing ${rule.referencedGroupId}`;
}

async function attempt(action: () => Promise<void>, what: string): Promise<void> {
  try {
    await action();
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw new Error(
      `could not ${what} (${reason}). The stack's EMR security groups cannot be deleted while it stands: ` +
        'make sure no cluster of the pipeline is still running (aws emr list-clusters --active), then retry ' +
        '`npx cdk destroy AqiPipeline`, or revoke it by hand (docs/DEPLOYING.md, "Destroying").',
    );
  }
}
