/**
 * Child processes that can be killed as a whole tree. spark-submit starts a JVM, which starts the Python
 * driver, which may start workers: each step runs in its own process group, and a kill signals the group
 * and every descendant found in /proc (in case one moved to another group).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface GroupProcess {
  readonly pid: number;
  readonly exited: Promise<ExitStatus>;
}

export interface SpawnGroupOptions {
  env: NodeJS.ProcessEnv;
  cwd: string;
  onLine: (stream: 'stdout' | 'stderr', line: string) => void;
}

/**
 * Why this machine cannot run local EMR steps, or `undefined` when it can. Stopping a step (a cancel, a
 * timeout, a terminated cluster) must find spark-submit's JVM and Python descendants, which this module
 * reads from Linux's /proc; elsewhere a cancelled step could leave Spark running, so the local runtime
 * refuses to start rather than leak processes (docs/LOCAL.md, "Requirements").
 */
export function processTreeProblem(platform: NodeJS.Platform = process.platform, hasProcfs: () => boolean = () => existsSync('/proc/self/stat')): string | undefined {
  if (platform === 'linux' && hasProcfs()) return undefined;
  const where = platform === 'linux' ? 'this Linux has no /proc mounted' : `this is ${platform}`;
  return (
    `The local runtime runs EMR steps on Linux only: it stops Spark's process trees through /proc, and ${where}. ` +
    'Run it in a Linux container or VM (e.g. a devcontainer with Node 20+, Python 3.11 and Java 17); the CDK app, the tests of lib/ and lambdas/, and the aqi-pipeline CLI work anywhere.'
  );
}

export function spawnGroup(command: string, args: readonly string[], options: SpawnGroupOptions): GroupProcess {
  const child: ChildProcess = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    detached: true, // its own process group, so the whole tree can be signalled at once
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const streamsClosed: Promise<void>[] = [];
  for (const name of ['stdout', 'stderr'] as const) {
    const stream = child[name]!;
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    lines.on('line', (line) => options.onLine(name, line));
    streamsClosed.push(new Promise((resolve) => lines.once('close', () => resolve())));
  }
  const exited = new Promise<ExitStatus>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      // Drain the pipes before reporting the exit so the last lines (the error) are never lost.
      void Promise.all(streamsClosed).then(() => resolve({ code, signal }));
    });
  });
  if (child.pid === undefined) {
    return { pid: -1, exited };
  }
  return { pid: child.pid, exited };
}

/** Every live descendant of `pid` (children, grandchildren, ...), read from /proc. */
export function descendantsOf(pid: number): number[] {
  const parentOf = new Map<number, number>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Field 4 (ppid) follows the command name, which is parenthesised and may contain spaces.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parentOf.set(Number(entry), ppid);
    } catch {
      // The process exited while we were reading: it needs no killing.
    }
  }
  const found: number[] = [];
  const frontier = [pid];
  while (frontier.length > 0) {
    const parent = frontier.pop()!;
    for (const [child, ppid] of parentOf) {
      if (ppid === parent && !found.includes(child)) {
        found.push(child);
        frontier.push(child);
      }
    }
  }
  return found;
}

/** Whether the process exists and is not a zombie (in a container, PID 1 may never reap orphans). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  return !isZombie(pid);
}

function signalTree(pid: number, pids: readonly number[], signal: NodeJS.Signals): void {
  for (const target of [-pid, pid, ...pids]) {
    try {
      process.kill(target, signal);
    } catch {
      // Already gone.
    }
  }
}

/**
 * SIGTERM to the tree (the stage's handler stops before its next commit), then SIGKILL to whatever is
 * still alive after `graceMs`. Resolves when no process of the tree is left.
 */
export async function killTree(pid: number, graceMs = 5_000): Promise<void> {
  const tree = descendantsOf(pid);
  signalTree(pid, tree, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  const alive = () => [pid, ...tree].filter(isAlive);
  while (alive().length > 0 && Date.now() < deadline) await sleep(100);
  if (alive().length > 0) {
    signalTree(pid, [...tree, ...descendantsOf(pid)], 'SIGKILL');
    while (alive().length > 0) await sleep(50);
  }
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
