import { EC2Client } from '@aws-sdk/client-ec2';
import { instrumentedHandler, loggingTools } from '../shared/powertools';
import { cleanUpSecurityGroups } from './core';
import { Ec2SecurityGroups } from './ec2-security-groups';

// No Tracer: it runs once, when the stack is deleted, and its log says what it revoked and deleted. The
// Tracer's X-Ray SDK would take its bundle, EC2 client included, over 1 MB (docs/BENCHMARKS.md, series f).
const tools = loggingTools('security-group-cleanup');
const deps = {
  groups: new Ec2SecurityGroups(new EC2Client({})),
  log: tools.logger,
};

/** `onEvent` of the stack's EMR security-group cleanup custom resource (lib/security-group-cleanup.ts). */
export const handler = instrumentedHandler(tools, (event) => cleanUpSecurityGroups(event, deps));
