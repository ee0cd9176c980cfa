import { Logger } from '@aws-lambda-powertools/logger';

/** The Lambdas' logger with every level off, for cores under test. */
export const silentLogger = new Logger({ logLevel: 'SILENT' });
