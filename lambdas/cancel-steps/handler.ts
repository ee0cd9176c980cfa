import { EmrControl } from '../shared/aws/emr-control';
import { createLogger } from '../shared/logger';
import { cancelActiveSteps } from './core';

const emr = new EmrControl();
const log = createLogger('cancel-steps');

export async function handler(event: unknown) {
  return cancelActiveSteps(event, emr, log);
}
