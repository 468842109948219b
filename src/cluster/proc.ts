// Process plumbing for the local cluster: spawn with output to a log file, identify a PID safely across
// processes (PID + kernel start time from /proc, so a recycled PID is never mistaken for ours), stop by PID.
// Never kills by name.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';

export class ClusterProcError extends Error {
  readonly code = 'VIGIL_ERR_CLUSTER_PROC';
}

/**
 * Starts `cmd args` in its own process group (so a terminal Ctrl-C reaches only `vigil up`, which then stops
 * everything in order), stdout and stderr appended to logPath. Resolves once the process exists.
 */
export async function spawnLogged(
  cmd: string,
  args: string[],
  opts: { cwd: string; logPath: string; env?: NodeJS.ProcessEnv },
): Promise<ChildProcess & { pid: number }> {
  const fd = openSync(opts.logPath, 'a');
  let child: ChildProcess;
  try {
    child = spawn(cmd, args, {
      cwd: opts.cwd,
      stdio: ['ignore', fd, fd],
      detached: true,
      env: opts.env ?? process.env,
    });
  } finally {
    closeSync(fd);
  }
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', () => resolve());
    child.once('error', (err) => reject(new ClusterProcError(`cannot start ${cmd}: ${err.message}`, { cause: err })));
  });
  // After 'spawn' an 'error' can still come from kill(); keep a listener so it never crashes the CLI.
  child.on('error', () => {});
  if (child.pid === undefined) throw new ClusterProcError(`cannot start ${cmd}: no pid`);
  return child as ChildProcess & { pid: number };
}

/** Field 22 of /proc/PID/stat (start time in clock ticks since boot); undefined if unreadable. */
export function procStartTime(pid: number): string | undefined {
  const stat = readProcStat(pid);
  if (!stat) return undefined;
  // The command name (field 2) is in parentheses and may contain spaces: split after the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return rest[19]; // fields 3.. start at index 0, so field 22 is index 19
}

function readProcStat(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
}

/** Alive = exists and is not a zombie (an exited child nobody reaped yet counts as gone). */
export function isAlive(pid: number): boolean {
  const stat = readProcStat(pid);
  if (stat !== undefined) return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  if (process.platform === 'linux') return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * True when PID is alive and is the process we recorded: same kernel start time. Without /proc (not Linux) the
 * start time cannot be read and only liveness is checked.
 */
export function isSameProcess(pid: number, startTime: string | undefined): boolean {
  if (!isAlive(pid)) return false;
  if (startTime === undefined) return true;
  const now = procStartTime(pid);
  return now === undefined || now === startTime;
}

export function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

/** Polls until none of the PIDs is alive or the deadline passes; returns the ones still alive. */
export async function waitGone(pids: number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const alive = pids.filter(isAlive);
    if (alive.length === 0 || Date.now() >= deadline) return alive;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * SIGTERM, wait up to graceMs, then SIGKILL (reported through onKill) and wait again. Returns PIDs that survived
 * even SIGKILL.
 */
export async function stopPids(pids: number[], graceMs: number, onKill?: (pid: number) => void): Promise<number[]> {
  for (const pid of pids) signal(pid, 'SIGTERM');
  const left = await waitGone(pids, graceMs);
  for (const pid of left) {
    onKill?.(pid);
    signal(pid, 'SIGKILL');
  }
  return waitGone(left, 2000);
}
