import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { RUN_OUTCOME_METRIC, WATERMARK_AGE_METRIC } from '../core/metrics';
import { STAGES } from '../core/layout';

/** Namespace of the metrics the finalize Lambda publishes. */
export const METRICS_NAMESPACE = 'AqiPipeline';

export interface PipelineMonitoringProps {
  /**
   * Dashboards are global to the account, not regional, so the name carries the region: a second
   * deployment in another region gets its own.
   */
  readonly dashboardName: string;
  readonly topic: sns.ITopic;
  readonly hourly: sfn.StateMachine;
  /** The "no successful hourly run" alarm fires after this many hours without one. */
  readonly noSuccessHours: number;
  /** The freshness alarm fires when the watermark is older than this many hours. */
  readonly freshnessHours: number;
  /** The skipped-runs alarm fires after this many consecutive hours with a skipped run. */
  readonly skippedRunsHours: number;
}

/**
 * Alarms that page through the SNS topic and the operations dashboard. Other workflows (the backfill)
 * join with `watch(...)`.
 */
export class PipelineMonitoring extends Construct {
  readonly dashboard: cloudwatch.Dashboard;
  private readonly topic: sns.ITopic;

  constructor(scope: Construct, id: string, props: PipelineMonitoringProps) {
    super(scope, id);
    this.topic = props.topic;
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.days(7),
    });

    const noSuccess = new cloudwatch.Alarm(this, 'NoSuccessfulHourlyRun', {
      alarmDescription: `No hourly run succeeded in the last ${props.noSuccessHours} hours (docs/OPERATIONS.md, "No successful hourly run").`,
      metric: props.hourly.metricSucceeded({ period: Duration.hours(1), statistic: 'Sum' }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: props.noSuccessHours,
      datapointsToAlarm: props.noSuccessHours,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    noSuccess.addAlarmAction(new actions.SnsAction(props.topic));

    // Published by plan-hourly on every run (skipped ones too) and by finalize after the watermark moved.
    // Minimum over the hour: one successful run in the hour clears it; missing data (no run at all) breaches.
    const watermarkAge = new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName: WATERMARK_AGE_METRIC,
      dimensionsMap: { Pipeline: 'hourly' },
      statistic: 'Minimum',
      period: Duration.hours(1),
    });
    this.alarm('HourlyDataStale', {
      alarmDescription: `The hourly watermark is more than ${props.freshnessHours} hours old: hours are waiting to be processed (docs/OPERATIONS.md, "Data is stale").`,
      metric: watermarkAge,
      threshold: props.freshnessHours,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    this.alarm('HourlyRunsSkipped', {
      alarmDescription: `Hourly runs found the lock held in each of the last ${props.skippedRunsHours} hours (docs/OPERATIONS.md, "Runs are skipped").`,
      metric: new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: RUN_OUTCOME_METRIC.SKIPPED,
        dimensionsMap: { Pipeline: 'hourly' },
        statistic: 'Sum',
        period: Duration.hours(1),
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: props.skippedRunsHours,
      datapointsToAlarm: props.skippedRunsHours,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.dashboard.addWidgets(new cloudwatch.GraphWidget({ title: 'Hourly watermark age (h)', width: 24, left: [watermarkAge] }));

    this.watch('Hourly', props.hourly);
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Hourly stage durations (s)',
        width: 24,
        left: STAGES.map(
          (stage) =>
            new cloudwatch.Metric({
              namespace: METRICS_NAMESPACE,
              metricName: 'StageDurationSeconds',
              dimensionsMap: { Pipeline: 'hourly', Stage: stage },
              statistic: 'Maximum',
              period: Duration.hours(1),
              label: stage,
            }),
        ),
      }),
      new cloudwatch.GraphWidget({
        title: 'Hourly rows written',
        width: 24,
        left: STAGES.map(
          (stage) =>
            new cloudwatch.Metric({
              namespace: METRICS_NAMESPACE,
              metricName: 'RowsWritten',
              dimensionsMap: { Pipeline: 'hourly', Stage: stage },
              statistic: 'Sum',
              period: Duration.hours(1),
              label: stage,
            }),
        ),
      }),
    );
  }

  /** The functions' errors and throttles in one graph, labelled by function. */
  watchFunctions(functions: readonly lambda.IFunction[]): void {
    const hourly = { period: Duration.hours(1), statistic: 'Sum' };
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Lambda errors and throttles',
        width: 24,
        left: functions.map((fn) => fn.metricErrors({ ...hourly, label: `${fn.node.id} errors` })),
        right: functions.map((fn) => fn.metricThrottles({ ...hourly, label: `${fn.node.id} throttles` })),
      }),
    );
  }

  /** Any error of the function (a throw, a timeout, running out of memory) alarms at once. */
  watchFunction(id: string, fn: lambda.IFunction): void {
    this.alarm(`${id}Errors`, {
      alarmDescription: `The ${id} Lambda function reported an error (docs/OPERATIONS.md, "A Lambda function failed").`,
      metric: fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  /** A message in a dead-letter queue is an event that never reached its target: alarm on the first. */
  watchDeadLetterQueue(id: string, queue: sqs.IQueue, what: string): void {
    this.alarm(`${id}NotEmpty`, {
      alarmDescription: `${what} could not be delivered and waits in ${id} (docs/OPERATIONS.md, "Undelivered events").`,
      metric: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  private alarm(id: string, props: cloudwatch.AlarmProps): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, props);
    alarm.addAlarmAction(new actions.SnsAction(this.topic));
    return alarm;
  }

  /** Failed, timed-out and aborted executions alarm at once; executions go on the dashboard. */
  watch(label: string, stateMachine: sfn.StateMachine): void {
    const period = { period: Duration.minutes(5), statistic: 'Sum' };
    const failures = new cloudwatch.MathExpression({
      expression: 'failed + timedOut + aborted',
      label: `${label} failed, timed out or aborted`,
      usingMetrics: {
        failed: stateMachine.metricFailed(period),
        timedOut: stateMachine.metricTimedOut(period),
        aborted: stateMachine.metricAborted(period),
      },
      period: Duration.minutes(5),
    });
    new cloudwatch.Alarm(this, `${label}ExecutionsFailed`, {
      alarmDescription: `A ${label.toLowerCase()} execution failed, timed out or was aborted (docs/OPERATIONS.md, "A run failed").`,
      metric: failures,
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }).addAlarmAction(new actions.SnsAction(this.topic));
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: `${label} executions`,
        width: 24,
        left: [
          stateMachine.metricStarted({ period: Duration.hours(1), statistic: 'Sum' }),
          stateMachine.metricSucceeded({ period: Duration.hours(1), statistic: 'Sum' }),
          stateMachine.metricFailed({ period: Duration.hours(1), statistic: 'Sum' }),
          stateMachine.metricTimedOut({ period: Duration.hours(1), statistic: 'Sum' }),
          stateMachine.metricAborted({ period: Duration.hours(1), statistic: 'Sum' }),
        ],
      }),
      new cloudwatch.GraphWidget({
        title: `${label} execution time (minutes)`,
        width: 24,
        left: [
          new cloudwatch.MathExpression({
            expression: 'time / 60000',
            label: 'longest execution',
            usingMetrics: { time: stateMachine.metricTime({ period: Duration.hours(1), statistic: 'Maximum' }) },
            period: Duration.hours(1),
          }),
        ],
      }),
    );
  }
}
