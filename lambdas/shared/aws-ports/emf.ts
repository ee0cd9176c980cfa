import { EmfMetricsSink } from '../../../core/aws/emf-metrics';
import type { AwsPort } from '../lambda-handler';

export const emfMetrics: AwsPort<'metrics'> = (_tools, functionName) => () => new EmfMetricsSink(functionName);
