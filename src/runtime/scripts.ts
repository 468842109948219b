// notification-script / client-reconfig-script execution with Redis's rules (sentinel.c:740-1012):
// a queue of at most 256 jobs, at most 16 running, retry on exit code 1 or death by signal up to 10 times with
// a doubling delay (SCRIPT-RETRY-DELAY), SIGKILL after SCRIPT-MAX-RUNTIME, `-script-error` / `-script-timeout`.
import type { ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import type { Out } from '../resp/types.js';
import type { LogLevel, Timings } from '../core/types.js';

// node:child_process (and the dgram, net and socket-list modules it loads) only once a script runs: most
// sentinels have no scripts, and the modules cost ~0.5 MB of RSS (issue 17).
let childProcess: typeof import('node:child_process') | undefined;
function spawn(path: string, args: string[], opts: { stdio: 'ignore' }): ChildProcess {
  childProcess ??= createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
  return childProcess.spawn(path, args, opts);
}

const QUEUE_MAX = 256;
const MAX_RUNNING = 16;
const MAX_RETRY = 10;

interface Job {
  argv: string[];
  retryNum: number;
  /** ms: when it started (running) or when it may start (scheduled). */
  startAt: number;
  child: ChildProcess | null;
  pid: number;
  killTimer: NodeJS.Timeout | null;
}

export interface ScriptEvents {
  event(level: LogLevel, type: string, payload: string): void;
}

export class ScriptRunner {
  private readonly jobs: Job[] = [];
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly timings: Timings,
    private readonly events: ScriptEvents,
  ) {}

  get running(): number {
    return this.jobs.filter((j) => j.child !== null).length;
  }

  get queued(): number {
    return this.jobs.length;
  }

  schedule(argv: string[]): void {
    if (this.stopped) return;
    if (this.jobs.length >= QUEUE_MAX) {
      const idx = this.jobs.findIndex((j) => j.child === null);
      if (idx !== -1) this.jobs.splice(idx, 1);
    }
    this.jobs.push({ argv, retryNum: 0, startAt: Date.now(), child: null, pid: 0, killTimer: null });
    this.runPending();
  }

  runPending(): void {
    if (this.stopped) return;
    const now = Date.now();
    for (const job of this.jobs) {
      if (this.running >= MAX_RUNNING) break;
      if (job.child !== null || job.startAt > now) continue;
      this.start(job);
    }
    this.armTimer();
  }

  private armTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const waiting = this.jobs.filter((j) => j.child === null);
    if (waiting.length === 0) return;
    const next = Math.min(...waiting.map((j) => j.startAt));
    this.timer = setTimeout(() => this.runPending(), Math.max(0, next - Date.now()));
    this.timer.unref();
  }

  private start(job: Job): void {
    const [path, ...args] = job.argv;
    if (path === undefined) return;
    job.startAt = Date.now();
    this.events.event('debug', '+script-child', String(job.pid));
    let child: ChildProcess;
    try {
      child = spawn(path, args, { stdio: 'ignore' });
    } catch {
      this.events.event('warning', '-script-error', `${path} 99 0`);
      this.remove(job);
      return;
    }
    job.child = child;
    job.pid = child.pid ?? 0;
    job.killTimer = setTimeout(() => {
      this.events.event('warning', '-script-timeout', `${path} ${job.pid}`);
      child.kill('SIGKILL');
    }, this.timings.scriptMaxRuntimeMs);
    job.killTimer.unref();
    child.on('error', () => {
      // A failed exec behaves like Redis's child exiting with code 2.
      this.finished(job, 2, null);
    });
    child.on('exit', (code, signal) => this.finished(job, code ?? 0, signal));
  }

  private finished(job: Job, code: number, signal: NodeJS.Signals | null): void {
    if (job.child === null) return;
    if (job.killTimer) clearTimeout(job.killTimer);
    job.child = null;
    const path = job.argv[0] ?? '';
    this.events.event('debug', '-script-child', `${job.pid} ${code} ${signal ?? 0}`);
    if ((code === 1 || signal !== null) && job.retryNum < MAX_RETRY) {
      job.retryNum++;
      job.startAt = Date.now() + this.timings.scriptRetryDelayMs * 2 ** (job.retryNum - 1);
    } else {
      if (code !== 0 || signal !== null)
        this.events.event('warning', '-script-error', `${path} ${signal ?? 0} ${code}`);
      this.remove(job);
    }
    this.runPending();
  }

  private remove(job: Job): void {
    const i = this.jobs.indexOf(job);
    if (i !== -1) this.jobs.splice(i, 1);
  }

  /** SENTINEL PENDING-SCRIPTS. */
  pendingScripts(): Out {
    const now = Date.now();
    const bulk = (v: string | number): Out => ({ t: 'bulk', v: String(v) });
    return {
      t: 'array',
      v: this.jobs.map((j) => ({
        t: 'map',
        v: [
          [bulk('argv'), { t: 'array', v: j.argv.map((a) => bulk(a)) }],
          [bulk('flags'), bulk(j.child !== null ? 'running' : 'scheduled')],
          [bulk('pid'), bulk(j.pid)],
          j.child !== null
            ? [bulk('run-time'), bulk(now - j.startAt)]
            : [bulk('run-delay'), bulk(Math.max(0, j.startAt - now))],
          [bulk('retry-num'), bulk(j.retryNum)],
        ],
      })),
    };
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    for (const j of this.jobs) if (j.killTimer) clearTimeout(j.killTimer);
  }
}
