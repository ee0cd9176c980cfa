/**
 * Stack names as users see them in `cdk deploy`. Their own module, free of aws-cdk-lib, because the
 * operator CLI (`aqi-pipeline doctor`) looks the stacks up by them and must not bundle the CDK.
 */
export const STACK_NAMES = { dataLake: 'AqiDataLake', pipeline: 'AqiPipeline' } as const;
