import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';

type LogItem = Parameters<Logger['printLog']>[1];

/**
 * Powertools' Logger, the one the Lambdas use on AWS, writing its JSON lines to a file instead of
 * stdout, so a local run's Lambda logs have the same fields as CloudWatch's and stay out of the CLI's
 * output. `printLog` is the one protected method Powertools routes every entry through.
 */
export class FileLogger extends Logger {
  constructor(
    private readonly file: string,
    serviceName: string,
  ) {
    super({ serviceName });
    mkdirSync(dirname(file), { recursive: true });
  }

  protected override printLog(_logLevel: number, log: LogItem): void {
    appendFileSync(this.file, `${JSON.stringify(log.getAttributes())}\n`);
  }
}
