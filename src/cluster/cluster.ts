// LocalCluster: turns a ClusterPlan into running processes (redis-server master + replicas, sentinels, proxy),
// waits until the sentinels see the whole topology, supervises (once ready, a process that dies is restarted with
// back-off and reported), and stops exactly what it started, by PID.
// Every wait has a deadline, watches for its processes dying, and honours an AbortSignal (Ctrl-C mid-start).
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  addr,
  planCluster,
  redisConf,
  sentinelConf,
  type ClusterOptions,
  type ClusterPlan,
  type NodePlan,
} from './plan.js';
import { spawnLogged, procStartTime, isAlive, stopPids, signal } from './proc.js';
import { writeState, type ClusterState, type ProcRecord } from './state.js';
import { masterAddrFrom, pingable, readinessGaps, replicationInfo, sentinelView, proxyState } from './inspect.js';
import type { ClusterSummary } from './render.js';
import type { Launch } from './entry.js';

export class ClusterStartError extends Error {
  readonly code = 'VIGIL_ERR_CLUSTER_START';
}

export class ClusterAbortedError extends Error {
  readonly code = 'VIGIL_ERR_CLUSTER_ABORTED';
}

export interface ClusterLaunchers {
  redisServer: string;
  /** redis-sentinel binary or `node … sentinel-main`: called with the config path appended. */
  sentinel: Launch;
  /** `node … vigil proxy`: called with proxy flags appended; undefined = no proxy. */
  proxy: Launch | undefined;
}

export interface ClusterHooks {
  progress: (line: string) => void;
  /**
   * A process exited while the cluster was meant to be running. Once the cluster is ready it is restarted after
   * `restartInMs` (undefined: during start-up, which then fails).
   */
  onUnexpectedExit: (rec: ProcRecord, how: string, restartInMs?: number) => void;
  /** A supervised process is running again (new PID in rec), or could not be started (error). */
  onRestart?: (rec: ProcRecord, error?: string) => void;
}

interface Running {
  rec: ProcRecord;
  child: ChildProcess;
  exited: boolean;
  how: string;
  /** When this incarnation was started (ms), for the back-off reset. */
  startedAt: number;
}

/**
 * Restart back-off: 250 ms after the first unexpected exit, doubling for each further exit of a process that ran
 * less than RESTART_STABLE_MS, at most RESTART_MAX_MS (so a process that cannot start does not spin).
 */
const RESTART_FIRST_MS = 250;
const RESTART_MAX_MS = 30_000;
const RESTART_STABLE_MS = 30_000;

export function restartDelayMs(quickFailures: number): number {
  return Math.min(RESTART_MAX_MS, RESTART_FIRST_MS * 2 ** Math.max(0, quickFailures));
}

/** Subdirectories `vigil up` creates; only these (and only if they hold our config file) are ever deleted. */
const NODE_DIR = /^(redis|sentinel|proxy)-\d+$/;
const OUR_FILES = ['redis.conf', 'sentinel.conf', 'proxy.args'];

/** Flags passed to `vigil proxy`. One place to adapt if the proxy's CLI changes. */
export function proxyArgs(plan: ClusterPlan, proxy: NodePlan): string[] {
  return [
    '--listen',
    addr(proxy),
    '--master-name',
    plan.options.masterName,
    '--sentinels',
    plan.sentinels.map(addr).join(','),
    ...(plan.proxyHttpPort !== undefined ? ['--http', `${proxy.host}:${plan.proxyHttpPort}`] : []),
  ];
}

export class LocalCluster {
  readonly plan: ClusterPlan;
  readonly state: ClusterState;
  private readonly running = new Map<string, Running>();
  private stopping = false;
  /** Pending restarts (cleared by stop()). */
  private readonly restartTimers = new Set<NodeJS.Timeout>();
  /** Per process name: exits in a row of incarnations that ran less than RESTART_STABLE_MS. */
  private readonly quickFailures = new Map<string, number>();

  constructor(
    options: ClusterOptions,
    private readonly launchers: ClusterLaunchers,
    private readonly hooks: ClusterHooks,
  ) {
    this.plan = planCluster(options);
    const upStartTime = procStartTime(process.pid);
    this.state = {
      version: 1,
      upPid: process.pid,
      ...(upStartTime !== undefined ? { upStartTime } : {}),
      startedAt: new Date().toISOString(),
      ready: false,
      options,
      processes: [],
    };
  }

  summary(): ClusterSummary {
    const p = this.plan;
    return {
      masterName: p.options.masterName,
      master: addr(p.master),
      replicas: p.replicas.map(addr),
      sentinels: p.sentinels.map(addr),
      ...(p.proxy ? { proxy: addr(p.proxy) } : {}),
      dir: p.options.dir,
    };
  }

  /** Starts everything and resolves once ready. On failure or abort the caller must still call stop(). */
  async start(abort: AbortSignal): Promise<ClusterSummary> {
    const p = this.plan;
    const o = p.options;
    const t0 = Date.now();
    const say = this.hooks.progress;
    this.prepareDir();
    this.save();

    say(
      `starting ${1 + p.replicas.length} redis-server, ${p.sentinels.length} ${o.impl === 'vigil' ? 'Vigil' : 'redis-sentinel'} sentinel(s)${p.proxy ? ', proxy' : ''} in ${o.dir}`,
    );
    const data: Running[] = [];
    for (const n of [p.master, ...p.replicas]) {
      mkdirSync(n.dir, { recursive: true });
      writeFileSync(n.confPath, redisConf(n, n === p.master ? undefined : p.master));
      const r = await this.launch(n, this.launchers.redisServer, [n.confPath]);
      data.push(r);
      say(`  ${n.role.padEnd(8)} ${addr(n)}  pid ${r.rec.pid}`);
    }
    await this.until('redis-server to answer PING', 30_000, abort, data, async () =>
      (await Promise.all([p.master, ...p.replicas].map((n) => pingable(n)))).every(Boolean),
    );
    if (p.replicas.length > 0) {
      await this.until(`${p.replicas.length} replica(s) to finish the initial sync`, 60_000, abort, data, async () => {
        const info = await replicationInfo(p.master);
        const online = Object.entries(info).filter(([k, v]) => /^slave\d+$/.test(k) && v.includes('state=online'));
        return online.length >= p.replicas.length;
      });
      say('  replication in sync');
    }

    const sentinels: Running[] = [];
    for (const n of p.sentinels) {
      mkdirSync(n.dir, { recursive: true });
      writeFileSync(n.confPath, sentinelConf(n, p));
      const r = await this.launch(n, this.launchers.sentinel.cmd, [...this.launchers.sentinel.args, n.confPath]);
      sentinels.push(r);
      say(`  sentinel ${addr(n)}  pid ${r.rec.pid}`);
    }
    const all = [...data, ...sentinels];
    await this.until('the sentinels to answer PING', 60_000, abort, all, async () =>
      (await Promise.all(p.sentinels.map((n) => pingable(n)))).every(Boolean),
    );
    say(`  waiting for the sentinels to discover the replicas and each other (hello messages every 2 s)`);
    let lastGaps = '';
    await this.until(
      'every sentinel to see every replica and every other sentinel',
      120_000,
      abort,
      all,
      async () => {
        const gaps = await Promise.all(
          p.sentinels.map(async (s) => {
            try {
              const v = await sentinelView(s, o.masterName);
              const g = readinessGaps(v, {
                master: addr(p.master),
                replicas: p.replicas.map(addr),
                otherSentinels: p.sentinels.filter((x) => x !== s).map(addr),
              });
              return g.length ? `${addr(s)}: ${g.join(', ')}` : '';
            } catch (err) {
              return `${addr(s)}: ${err instanceof Error ? err.message : String(err)}`;
            }
          }),
        );
        const text = gaps.filter(Boolean).join('; ');
        if (text && text !== lastGaps) say(`    still waiting: ${text}`);
        lastGaps = text;
        return text === '';
      },
      250,
    );

    if (p.proxy && this.launchers.proxy) {
      const n = p.proxy;
      mkdirSync(n.dir, { recursive: true });
      const args = proxyArgs(p, n);
      writeFileSync(n.confPath, args.join('\n') + '\n');
      const r = await this.launch(n, this.launchers.proxy.cmd, [...this.launchers.proxy.args, ...args]);
      say(`  proxy    ${addr(n)}  pid ${r.rec.pid}`);
      await this.until('the proxy to reach the master', 60_000, abort, [...all, r], async () =>
        (await proxyState(n)).startsWith('ok'),
      );
    }
    this.state.ready = true;
    this.state.summary = this.summary();
    this.save();
    say(`ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return this.state.summary;
  }

  /** Stops everything still running, sentinels and proxy first (so they do not fail over a stopping master). */
  async stop(): Promise<{ survivors: ProcRecord[] }> {
    this.stopping = true;
    for (const t of this.restartTimers) clearTimeout(t);
    this.restartTimers.clear();
    const alive = (roles: string[]): Running[] =>
      [...this.running.values()].filter((r) => roles.includes(r.rec.role) && !r.exited && isAlive(r.rec.pid));
    const onKill = (pid: number): void => {
      const r = [...this.running.values()].find((x) => x.rec.pid === pid);
      this.hooks.progress(`  ${r?.rec.name ?? 'pid'} (pid ${pid}) ignored SIGTERM: sent SIGKILL`);
    };
    const front = alive(['proxy', 'sentinel']);
    const left1 = await stopPids(
      front.map((r) => r.rec.pid),
      3000,
      onKill,
    );
    const back = alive(['master', 'replica']);
    const left2 = await stopPids(
      back.map((r) => r.rec.pid),
      5000,
      onKill,
    );
    const leftPids = new Set([...left1, ...left2]);
    const survivors = [...this.running.values()].filter((r) => leftPids.has(r.rec.pid)).map((r) => r.rec);
    if (survivors.length === 0) {
      this.state.stoppedAt = new Date().toISOString();
      this.state.ready = false;
      try {
        this.save();
      } catch {
        // DIR removed under us: nothing to record
      }
    }
    return { survivors };
  }

  /** Last resort on process exit: SIGKILL whatever is still alive. Synchronous. */
  killAllNow(): void {
    for (const r of this.running.values()) if (!r.exited && isAlive(r.rec.pid)) signal(r.rec.pid, 'SIGKILL');
  }

  /** The running record for a host:port (the master's PID for `vigil demo`). */
  pidOf(address: string): number | undefined {
    for (const r of this.running.values()) if (`${r.rec.host}:${r.rec.port}` === address && !r.exited) return r.rec.pid;
    return undefined;
  }

  private prepareDir(): void {
    const dir = this.plan.options.dir;
    mkdirSync(dir, { recursive: true });
    for (const name of readdirSync(dir)) {
      const sub = join(dir, name);
      if (NODE_DIR.test(name) && OUR_FILES.some((f) => existsSync(join(sub, f))))
        rmSync(sub, { recursive: true, force: true });
    }
  }

  private save(): void {
    writeState(this.plan.options.dir, this.state);
  }

  private async launch(n: NodePlan, cmd: string, args: string[], previous?: ProcRecord): Promise<Running> {
    mkdirSync(n.dir, { recursive: true });
    const child = await spawnLogged(cmd, args, { cwd: n.dir, logPath: n.logPath });
    const startTime = procStartTime(child.pid);
    const rec: ProcRecord = {
      name: n.name,
      role: n.role,
      host: n.host,
      port: n.port,
      pid: child.pid,
      ...(startTime !== undefined ? { startTime } : {}),
      cmd: [cmd, ...args],
      logPath: n.logPath,
      ...(previous ? { restarts: (previous.restarts ?? 0) + 1 } : {}),
      ...(previous?.lastExit !== undefined ? { lastExit: previous.lastExit } : {}),
    };
    const r: Running = { rec, child, exited: false, how: '', startedAt: Date.now() };
    this.running.set(n.name, r);
    const at = this.state.processes.findIndex((p) => p.name === n.name);
    if (at === -1) this.state.processes.push(rec);
    else this.state.processes[at] = rec;
    this.save();
    child.once('exit', (code, sig) => {
      r.exited = true;
      r.how = sig ? `killed by ${sig}` : `exited with code ${code ?? '?'}`;
      if (this.stopping) return;
      if (!this.state.ready) {
        this.hooks.onUnexpectedExit(rec, r.how);
        return;
      }
      this.supervise(n, r);
    });
    return r;
  }

  /** Supervision (once ready): restart a process that died, with back-off, and record it for `vigil status`. */
  private supervise(n: NodePlan, dead: Running): void {
    const ranMs = Date.now() - dead.startedAt;
    const quick = ranMs < RESTART_STABLE_MS ? (this.quickFailures.get(n.name) ?? 0) : 0;
    this.quickFailures.set(n.name, quick + 1);
    const delayMs = restartDelayMs(quick);
    dead.rec.lastExit = `${dead.how} at ${new Date().toISOString()}`;
    try {
      this.save();
    } catch {
      // DIR removed under us: supervision goes on, the record does not
    }
    this.hooks.onUnexpectedExit(dead.rec, dead.how, delayMs);
    const t = setTimeout(() => {
      this.restartTimers.delete(t);
      void this.restartWhenSafe(n, dead);
    }, delayMs);
    this.restartTimers.add(t);
  }

  /**
   * A redis-server the sentinels still name as master is restarted only after they have failed over to another
   * node (or after down-after + 2 × failover-timeout without one): brought back at once, it would be master
   * again, and empty (no persistence here), before any sentinel saw it down — and its replicas would resync
   * from it and lose the data. Replicas, sentinels and the proxy are restarted at once.
   */
  private async restartWhenSafe(n: NodePlan, dead: Running): Promise<void> {
    const me = addr(n);
    const o = this.plan.options;
    if ((n.role === 'master' || n.role === 'replica') && this.plan.replicas.length > 0) {
      const deadline = Date.now() + o.downAfterMs + 2 * o.failoverTimeoutMs;
      let said = false;
      for (;;) {
        if (this.stopping) return;
        const named = await Promise.all(
          this.plan.sentinels.map((s) => masterAddrFrom(s, o.masterName).catch(() => undefined)),
        );
        const reachable = named.filter((a): a is string => a !== undefined);
        if (reachable.length > 0 && !reachable.includes(me)) break;
        if (Date.now() >= deadline) {
          this.hooks.progress(`  ${n.name}: no failover away from it; restarting it anyway`);
          break;
        }
        if (!said) this.hooks.progress(`  ${n.name} was the master: waiting for the failover before restarting it`);
        said = true;
        await new Promise<void>((resolve) => {
          const w = setTimeout(() => {
            this.restartTimers.delete(w);
            resolve();
          }, 250);
          this.restartTimers.add(w);
        });
      }
    }
    {
      if (this.stopping) return;
      const [cmd, ...args] = dead.rec.cmd;
      this.launch(n, cmd as string, args, dead.rec).then(
        (r) => {
          // stop() began while we were spawning: this one is stopped by stop()'s sweep or right here.
          if (this.stopping) signal(r.rec.pid, 'SIGTERM');
          else this.hooks.onRestart?.(r.rec);
        },
        (err: unknown) => {
          if (this.stopping) return;
          this.hooks.onRestart?.(dead.rec, err instanceof Error ? err.message : String(err));
          // Try again later, as for a process that died at once.
          this.supervise(n, { ...dead, startedAt: Date.now() });
        },
      );
    }
  }

  /**
   * Polls `cond` until true. Fails fast when one of `watch` exits (with the tail of its log) or on abort; fails
   * with `what` after timeoutMs.
   */
  private async until(
    what: string,
    timeoutMs: number,
    abort: AbortSignal,
    watch: Running[],
    cond: () => Promise<boolean>,
    intervalMs = 100,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (abort.aborted) throw new ClusterAbortedError('start-up interrupted');
      const dead = watch.find((r) => r.exited);
      if (dead) {
        throw new ClusterStartError(
          `${dead.rec.name} (pid ${dead.rec.pid}) ${dead.how} during start-up; last log lines:\n${logTail(dead.rec.logPath, 8)}`,
        );
      }
      let ok = false;
      try {
        ok = await cond();
      } catch {
        ok = false;
      }
      if (ok) return;
      if (Date.now() >= deadline) {
        throw new ClusterStartError(
          `timed out after ${timeoutMs / 1000} s waiting for ${what}; logs are in ${this.plan.options.dir}`,
        );
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, intervalMs);
        function done(): void {
          clearTimeout(t);
          abort.removeEventListener('abort', done);
          resolve();
        }
        abort.addEventListener('abort', done, { once: true });
      });
    }
  }
}

export function logTail(path: string, lines: number): string {
  try {
    const text = readFileSync(path, 'utf8').trimEnd().split('\n');
    return text
      .slice(-lines)
      .map((l) => `    ${l}`)
      .join('\n');
  } catch {
    return `    (no log at ${path})`;
  }
}
