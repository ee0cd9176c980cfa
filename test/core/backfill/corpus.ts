import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface MalformedInput {
  readonly file: string;
  readonly input: unknown;
  readonly message: string;
  /** Present when only one path can detect the problem. */
  readonly checkedBy?: string;
}

const DIR = join(__dirname, '..', '..', 'fixtures', 'backfill-inputs');

/** The malformed-input corpus, with `{today}` resolved to the UTC date the check runs on. */
export function malformedInputs(today: string): MalformedInput[] {
  return readdirSync(DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => {
      const entry = JSON.parse(readFileSync(join(DIR, file), 'utf8')) as Omit<MalformedInput, 'file'>;
      return { ...entry, file, message: entry.message.replace('{today}', today) };
    });
}
