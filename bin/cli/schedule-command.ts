import {
  GetScheduleCommand,
  type GetScheduleCommandOutput,
  ListSchedulesCommand,
  type SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { CliError } from './errors';

/** The one EventBridge Scheduler schedule whose target is the hourly state machine (CDK names it). */
export async function findHourlySchedule(scheduler: SchedulerClient, hourlyArn: string): Promise<GetScheduleCommandOutput> {
  const found: { Name: string; GroupName?: string }[] = [];
  let nextToken: string | undefined;
  do {
    const page = await scheduler.send(new ListSchedulesCommand({ NextToken: nextToken }));
    for (const s of page.Schedules ?? []) if (s.Target?.Arn === hourlyArn && s.Name) found.push({ Name: s.Name, GroupName: s.GroupName });
    nextToken = page.NextToken;
  } while (nextToken);
  if (found.length !== 1) {
    throw new CliError(`${found.length} schedules start ${hourlyArn} (expected 1): deploy the pipeline stack with npx cdk deploy AqiPipeline`);
  }
  return scheduler.send(new GetScheduleCommand(found[0]));
}

/**
 * Sets the schedule's state. UpdateSchedule replaces the whole schedule, so every other field is sent back
 * as GetSchedule returned it. The next `cdk deploy` sets the state from `scheduleEnabled` again.
 */
export async function setScheduleState(scheduler: SchedulerClient, schedule: GetScheduleCommandOutput, state: 'ENABLED' | 'DISABLED'): Promise<void> {
  await scheduler.send(
    new UpdateScheduleCommand({
      Name: schedule.Name,
      GroupName: schedule.GroupName,
      ScheduleExpression: schedule.ScheduleExpression,
      ScheduleExpressionTimezone: schedule.ScheduleExpressionTimezone,
      StartDate: schedule.StartDate,
      EndDate: schedule.EndDate,
      Description: schedule.Description,
      FlexibleTimeWindow: schedule.FlexibleTimeWindow,
      Target: schedule.Target,
      KmsKeyArn: schedule.KmsKeyArn,
      ActionAfterCompletion: schedule.ActionAfterCompletion,
      State: state,
    }),
  );
}
