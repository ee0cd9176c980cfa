import { EC2Client } from '@aws-sdk/client-ec2';
import { functionTools, instrumentedHandler } from '../shared/powertools';
import { cleanUpSecurityGroups } from './core';
import { Ec2SecurityGroups } from './ec2-security-groups';

const tools = functionTools('security-group-cleanup');
const deps = {
  groups: new Ec2SecurityGroups(tools.tracer.captureAWSv3Client(new EC2Client({}))),
  log: tools.logger,
};

/** `onEvent` of the stack's EMR security-group cleanup custom resource (lib/security-group-cleanup.ts). */
export const handler = instrumentedHandler(tools, (event) => cleanUpSecurityGroups(event, deps));
