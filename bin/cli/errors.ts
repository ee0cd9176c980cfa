/** A problem the operator must fix, reported as its message alone: never a stack trace. */
export class CliError extends Error {
  override readonly name = 'CliError';

  constructor(
    message: string,
    /** 2 for bad input (as `backfill plan` documents), 1 for anything else. */
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
  }
}

export const NO_REGION =
  'No AWS region is set. Pass --region <region>, set AWS_REGION, or give the profile a region (aws configure set region <region> --profile <name>).';

const CREDENTIAL_ERRORS = new Set(['CredentialsProviderError', 'ExpiredTokenException', 'UnrecognizedClientException', 'InvalidSignatureException']);

/** Turns what the AWS SDK throws into one line that says what to do. */
export function explainAwsError(error: unknown): CliError | undefined {
  if (!(error instanceof Error)) return undefined;
  if (CREDENTIAL_ERRORS.has(error.name) || /Could not load credentials/.test(error.message)) {
    return new CliError(
      `No usable AWS credentials (${error.message.split('\n')[0]}). Configure them with \`aws configure\`, \`aws sso login\` or AWS_PROFILE, then retry.`,
    );
  }
  if (/Region is missing/i.test(error.message)) return new CliError(NO_REGION);
  if (error.name === 'ProfileNotFound' || /Profile .* (could not be found|not found)/i.test(error.message)) {
    return new CliError(`${error.message.split('\n')[0]}. List the profiles with \`aws configure list-profiles\`.`);
  }
  if (error.name === 'AccessDeniedException' || error.name === 'AccessDenied') {
    return new CliError(`AWS denied the request: ${error.message}`);
  }
  if (error.name === 'ExecutionDoesNotExist' || error.name === 'StateMachineDoesNotExist') {
    return new CliError(`${error.message}: check the ARN and the region.`);
  }
  return undefined;
}
