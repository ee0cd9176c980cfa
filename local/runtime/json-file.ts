/**
 * JSON files shared by concurrent local runs (two `npm run local -- hourly` at once are a tested case):
 * read-modify-write under an exclusive lock file, written atomically with a rename.
 */
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { sleep } from './process-tree';

/** A lock older than this was left by a killed process and is broken. */
const STALE_LOCK_MS = 30_000;

export async function withFileLock<T>(path: string, work: () => T | Promise<T>): Promise<T> {
  const lockPath = `${path}.lock`;
  mkdirSync(dirname(path), { recursive: true });
  for (;;) {
    try {
      closeSync(openSync(lockPath, 'wx'));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      try {
        if (Date.now() - statSync(lockPath).mtimeMs > STALE_LOCK_MS) rmSync(lockPath, { force: true });
      } catch {
        // Released between our attempts.
      }
      await sleep(5 + Math.random() * 20);
    }
  }
  try {
    return await work();
  } finally {
    rmSync(lockPath, { force: true });
  }
}

export function readJson<T>(path: string, fallback: T): T {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return fallback;
    throw new Error(`cannot read ${path}: ${(error as Error).message}`);
  }
}

export function writeJsonAtomic(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(tmp, path);
}

/** Read, change and write a JSON file as one step with respect to other local runs. */
export function updateJson<T, R>(path: string, fallback: T, change: (value: T) => R): Promise<R> {
  return withFileLock(path, () => {
    const value = readJson(path, fallback);
    const result = change(value);
    writeJsonAtomic(path, value);
    return result;
  });
}
