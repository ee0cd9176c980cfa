import { EMRClient } from '@aws-sdk/client-emr';
import { EmrControl } from '../../../core/aws/emr-control';
import { EmrClusterUsage } from '../../../core/aws/emr-usage';
import { type AwsPort, traced } from '../lambda-handler';

export const emrClusterUsage: AwsPort<'clusterUsage'> = (tools) => () => new EmrClusterUsage(traced(tools, new EMRClient({})));
export const emrClusters: AwsPort<'clusters'> = (tools) => () => new EmrControl(traced(tools, new EMRClient({})));
