import { EmfMetricsSink } from '../../../core/aws/emf-metrics';
import { jsonLinesWrittenBy } from '../../lambdas/shared/written-json-lines';

describe('EmfMetricsSink', () => {
  it('writes one EMF document per dimension set, in the namespace given and without a service dimension', async () => {
    // GIVEN
    const sink = new EmfMetricsSink('finalize');
    // WHEN
    const documents = await jsonLinesWrittenBy(() =>
      sink.putMetrics('AqiPipeline', [
        { name: 'RunSucceeded', value: 1, unit: 'Count', dimensions: { Pipeline: 'hourly' } },
        { name: 'RunDurationSeconds', value: 312.5, unit: 'Seconds', dimensions: { Pipeline: 'hourly' } },
        { name: 'StageDurationSeconds', value: 100, unit: 'Seconds', dimensions: { Pipeline: 'hourly', Stage: 'bronze' } },
        { name: 'RowsWritten', value: 8, unit: 'Count', dimensions: { Pipeline: 'hourly', Stage: 'bronze' } },
      ]),
    );
    // THEN
    expect(documents).toHaveLength(2);
    const [run, bronze] = documents as { _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: unknown[] }[] } }[];
    expect(run._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: 'AqiPipeline',
        Dimensions: [['Pipeline']],
        Metrics: [
          { Name: 'RunSucceeded', Unit: 'Count' },
          { Name: 'RunDurationSeconds', Unit: 'Seconds' },
        ],
      },
    ]);
    expect(run).toMatchObject({ Pipeline: 'hourly', RunSucceeded: 1, RunDurationSeconds: 312.5 });
    expect(run).not.toHaveProperty('service');
    expect(bronze._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['Pipeline', 'Stage']]);
    expect(bronze).toMatchObject({ Pipeline: 'hourly', Stage: 'bronze', StageDurationSeconds: 100, RowsWritten: 8 });
  });
});
