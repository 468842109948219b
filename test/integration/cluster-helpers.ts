// Test helpers for `vigil up` as a child process: start it, read its one JSON line, read its state file, stop it,
// and make sure — on every path — that nothing it started is left running (each recorded PID is checked and, as a
// last resort, SIGKILLed by PID). Sentinel implementation: VIGIL_TEST_SENTINEL_IMPL=vigil|redis (default redis
// until Vigil's sentinel is complete).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { missingBinaries, waitFor } from '../harness/index.js';
import { readState, type ClusterState } from '../../src/cluster/state.js';
import { isSameProcess, isAlive } from '../../src/cluster/proc.js';
import type { ClusterSummary } from '../../src/cluster/render.js';

export const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const IMPL = process.env.VIGIL_TEST_SENTINEL_IMPL === 'vigil' ? 'vigil' : 'redis';
export const VIGIL_SRC = [process.execPath, '--import', 'tsx', join(REPO, 'src/cli/vigil.ts')] as const;
export const VIGIL_BIN = [process.execPath, join(REPO, 'bin/vigil')] as const;
/** Short enough for quick failovers, long enough not to trip on a loaded 2-core machine. */
export const TEST_DOWN_AFTER_MS = 3000;

/** The `skip` of a suite that starts a cluster: the binaries `vigil up --impl IMPL` needs, if any is missing. */
export function missingClusterBinaries(): false | string {
  return missingBinaries('redis-server', ...(IMPL === 'redis' ? ['redis-sentinel'] : []));
}

const everyDir = new Set<string>();
const everyChild = new Set<ChildProcess>();

/** Last resort when the test process exits on any path: kill by PID whatever a cluster recorded. */
process.on('exit', () => {
  for (const c of everyChild) if (c.exitCode === null && c.signalCode === null && c.pid) tryKill(c.pid, 'SIGKILL');
  for (const d of everyDir) for (const p of recordedAlive(d)) tryKill(p.pid, 'SIGKILL');
});

function tryKill(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // gone
  }
}

export function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'vigil-cluster-'));
  everyDir.add(d);
  return d;
}

/** Recorded processes of DIR that are still the processes vigil started. */
export function recordedAlive(dir: string): Array<{ pid: number; name: string }> {
  let s: ClusterState | undefined;
  try {
    s = readState(dir);
  } catch {
    return [];
  }
  if (!s) return [];
  return s.processes.filter((p) => isSameProcess(p.pid, p.startTime)).map((p) => ({ pid: p.pid, name: p.name }));
}

export interface UpProcess {
  child: ChildProcess;
  dir: string;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the parsed JSON line (only with --json). */
  summary: () => Promise<ClusterSummary>;
}

/** Starts `vigil up` (from source by default) with `--dir` and `--impl` filled in. */
export function startUp(args: string[], opts: { dir?: string; cmd?: readonly string[] } = {}): UpProcess {
  const dir = opts.dir ?? tempDir();
  everyDir.add(dir);
  const cmd = opts.cmd ?? VIGIL_SRC;
  const child = spawn(cmd[0] as string, [...cmd.slice(1), 'up', '--dir', dir, '--impl', IMPL, ...args], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  everyChild.add(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
    child.once('exit', (code, signal) => res({ code, signal })),
  );
  let parsed: Promise<ClusterSummary> | undefined;
  const summary = (): Promise<ClusterSummary> =>
    (parsed ??= waitFor(
      () => {
        if (child.exitCode !== null) throw new Error(`vigil up exited with ${child.exitCode}`);
        const line = out.split('\n')[0];
        return out.includes('\n') && line ? (JSON.parse(line) as ClusterSummary) : undefined;
      },
      {
        name: 'vigil up --json to print its JSON line',
        timeoutMs: 180_000,
        intervalMs: 100,
        context: () => `stderr:\n${err}`,
      },
    ));
  return { child, dir, stdout: () => out, stderr: () => err, exited, summary };
}

/**
 * Stops a cluster on every path: SIGTERM to `vigil up` and wait; then SIGKILL `up` if needed and every recorded
 * process still alive; then removes its directory. Returns what had to be force-killed (a test can assert it is
 * empty).
 */
export async function cleanup(up: UpProcess | undefined): Promise<string[]> {
  if (!up) return [];
  const forced: string[] = [];
  if (up.child.exitCode === null && up.child.signalCode === null) {
    up.child.kill('SIGTERM');
    const done = await Promise.race([
      up.exited.then(() => true),
      new Promise((r) => setTimeout(() => r(false), 20_000)),
    ]);
    if (!done) {
      forced.push(`vigil up (pid ${up.child.pid})`);
      up.child.kill('SIGKILL');
      await up.exited;
    }
  }
  for (const p of recordedAlive(up.dir)) {
    forced.push(`${p.name} (pid ${p.pid})`);
    tryKill(p.pid, 'SIGKILL');
  }
  removeDir(up.dir);
  return forced;
}

export function removeDir(dir: string): void {
  if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  everyDir.delete(dir);
}

/** Runs a vigil subcommand to completion (e.g. down, status). */
export function runVigil(
  args: string[],
  cmd: readonly string[] = VIGIL_SRC,
): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd[0] as string, [...cmd.slice(1), ...args], { cwd: REPO, encoding: 'utf8', timeout: 150_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Every PID recorded in the state file of DIR (whether alive or not). */
export function recordedPids(dir: string): number[] {
  return readState(dir)?.processes.map((p) => p.pid) ?? [];
}

export async function waitAllGone(pids: number[], what: string): Promise<void> {
  await waitFor(() => pids.every((p) => !isAlive(p)), {
    name: `${what}: pids ${pids.join(', ')} gone`,
    timeoutMs: 15_000,
    intervalMs: 50,
    context: () => `alive: ${pids.filter(isAlive).join(', ')}`,
  });
}

export function masterPid(dir: string, address: string): number {
  const s = readState(dir);
  const rec = s?.processes.find((p) => `${p.host}:${p.port}` === address);
  if (!rec) throw new Error(`no recorded process for ${address} in ${dir}`);
  return rec.pid;
}
