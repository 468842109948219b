// DIR/state.json: who `vigil up` started (PID + kernel start time), so `vigil down` and `vigil status` work from
// another process, and so nothing is left behind even if `vigil up` itself was killed. Written atomically.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterOptions, NodeRole } from './plan.js';
import type { ClusterSummary } from './render.js';

export const STATE_FILE = 'state.json';

export interface ProcRecord {
  name: string;
  /** Role at start-up. */
  role: NodeRole;
  host: string;
  port: number;
  pid: number;
  /** /proc/PID/stat start time, to tell our process from a recycled PID. */
  startTime?: string;
  cmd: string[];
  logPath: string;
  /** How often `vigil up` restarted it after an unexpected exit (absent = never). */
  restarts?: number;
  /** The last unexpected exit (`killed by SIGKILL at 2026-…`), for `vigil status`. */
  lastExit?: string;
}

export interface ClusterState {
  version: 1;
  /** The supervising `vigil up` process. */
  upPid: number;
  upStartTime?: string;
  startedAt: string;
  /** True once every sentinel sees every replica and every other sentinel. */
  ready: boolean;
  options: ClusterOptions;
  processes: ProcRecord[];
  summary?: ClusterSummary;
  /** Set when everything was stopped; the file stays for the record (logs and PIDs of the last run). */
  stoppedAt?: string;
}

export function statePath(dir: string): string {
  return join(dir, STATE_FILE);
}

export function writeState(dir: string, state: ClusterState): void {
  const p = statePath(dir);
  const tmp = `${p}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state, null, 2) + '\n');
  renameSync(tmp, p);
}

/** undefined when there is no state file; throws ClusterStateError when it exists but is unreadable. */
export function readState(dir: string): ClusterState | undefined {
  let text: string;
  try {
    text = readFileSync(statePath(dir), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ClusterStateError(`cannot read ${statePath(dir)}: ${(err as Error).message}`, { cause: err });
  }
  try {
    const s = JSON.parse(text) as ClusterState;
    if (s.version !== 1 || !Array.isArray(s.processes) || typeof s.upPid !== 'number')
      throw new Error('unexpected shape');
    return s;
  } catch (err) {
    throw new ClusterStateError(`${statePath(dir)} is not a vigil state file (${(err as Error).message})`, {
      cause: err,
    });
  }
}

export class ClusterStateError extends Error {
  readonly code = 'VIGIL_ERR_CLUSTER_STATE';
}
