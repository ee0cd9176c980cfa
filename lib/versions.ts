/** Reads spark-jobs/versions.env, the home of the toolchain versions (docs/ARCHITECTURE.md, "Versions"). */

/** `KEY=value` lines; `#` starts a comment. */
export function readVersion(versionsEnv: string, key: string): string {
  for (const line of versionsEnv.split('\n')) {
    const match = /^\s*([A-Z0-9_]+)\s*=\s*(\S+)\s*$/.exec(line);
    if (match?.[1] === key && match[2] !== undefined) return match[2];
  }
  throw new Error(`spark-jobs/versions.env has no ${key}=... line`);
}
