import * as z from 'zod';

const groupId = z.string().regex(/^sg-[0-9a-f]+$/, 'must be a security group id (sg-…)');

/**
 * The CloudFormation custom-resource event as CDK's Provider framework hands it to `onEvent`, the fields
 * the cleanup reads. CloudFormation passes every property as a string, so the flag is 'true' or 'false'.
 */
export const CleanupEventSchema = z.object({
  RequestType: z.enum(['Create', 'Update', 'Delete'], { message: 'must be Create, Update or Delete' }),
  PhysicalResourceId: z.string().optional(),
  ResourceProperties: z.object({
    VpcId: z.string().regex(/^vpc-[0-9a-f]+$/, 'must be a VPC id (vpc-…)'),
    StackGroupIds: z.array(groupId).min(1, 'must name the stack’s EMR security groups'),
    RemoveEmrDefaultGroups: z.enum(['true', 'false'], { message: "must be 'true' or 'false'" }),
  }),
});

export type CleanupEvent = z.infer<typeof CleanupEventSchema>;
