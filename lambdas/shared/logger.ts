/**
 * One JSON object per line, so CloudWatch Logs Insights can filter on fields. Never pass secrets or
 * whole events here: callers log identifiers and counts.
 */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export function createLogger(component: string, write: (line: string) => void = (l) => console.log(l)): Logger {
  const emit = (level: string, message: string, fields?: Record<string, unknown>) =>
    write(JSON.stringify({ level, component, message, ...fields, timestamp: new Date().toISOString() }));
  return {
    info: (message, fields) => emit('INFO', message, fields),
    warn: (message, fields) => emit('WARN', message, fields),
    error: (message, fields) => emit('ERROR', message, fields),
  };
}

/** For cores under test and for callers that do not want output. */
export const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };
