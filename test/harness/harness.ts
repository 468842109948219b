// Owned processes and the Harness that creates them. Every process is tracked by PID and killed by PID:
// by Harness.cleanup() (call it from after()), and synchronously on process exit as a last resort.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SENTINEL_NODE_FLAGS } from '../../src/cli/node-flags.js';
import { RespClient } from './client.js';
import { freePort } from './ports.js';
import { requireBinary } from './binaries.js';
import { waitFor } from './wait.js';

export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const LOG_TAIL_LINES = 60;

const live = new Set<OwnedProcess>();
process.on('exit', () => {
  for (const p of live) p.killNow('SIGKILL');
});
// The test runner ends a timed-out file with a signal: still leave nothing behind.
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(sig, () => {
    for (const p of live) p.killNow('SIGKILL');
    process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1));
  });
}

export interface SpawnOptions {
  name: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Resolve start() only once this returns truthy (polled with a deadline). */
  readyWhen?: () => unknown;
  readyTimeoutMs?: number;
}

/** A child process we started. Its stdout+stderr are kept (tail) for failure reports. */
export class OwnedProcess {
  private child: ChildProcess | undefined;
  private lines: string[] = [];
  private partial = '';
  exitCode: number | null = null;
  exitSignal: NodeJS.Signals | null = null;
  private exitPromise: Promise<void> = Promise.resolve();

  constructor(
    readonly cmd: string,
    readonly args: string[],
    readonly opts: SpawnOptions,
  ) {}

  get pid(): number {
    return this.child?.pid ?? -1;
  }

  get running(): boolean {
    return this.child !== undefined && this.exitCode === null && this.exitSignal === null;
  }

  async start(): Promise<this> {
    this.exitCode = null;
    this.exitSignal = null;
    const child = spawn(this.cmd, this.args, {
      cwd: this.opts.cwd,
      env: this.opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    live.add(this);
    const onData = (b: Buffer): void => this.collect(b.toString('utf8'));
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('error', (err) => this.collect(`[harness] spawn error: ${err.message}\n`));
    this.exitPromise = new Promise((res) => {
      child.on('exit', (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
        live.delete(this);
        res();
      });
    });
    if (this.opts.readyWhen) {
      const ready = this.opts.readyWhen;
      await waitFor(
        async () => {
          if (!this.running)
            throw new Error(`${this.opts.name} exited (code ${this.exitCode}, signal ${this.exitSignal})`);
          return ready();
        },
        {
          name: `${this.opts.name} ready`,
          timeoutMs: this.opts.readyTimeoutMs ?? 15000,
          context: () => this.logTail(),
        },
      ).catch((err: unknown) => {
        this.killNow('SIGKILL');
        throw err;
      });
    }
    return this;
  }

  private collect(text: string): void {
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop() ?? '';
    this.lines.push(...parts);
    if (this.lines.length > LOG_TAIL_LINES * 4) this.lines = this.lines.slice(-LOG_TAIL_LINES);
  }

  /** All output lines kept so far (bounded), for tests that look for a log line. */
  output(): string[] {
    return this.partial ? [...this.lines, this.partial] : [...this.lines];
  }

  logTail(n = LOG_TAIL_LINES): string {
    const out = this.output().slice(-n);
    return `--- ${this.opts.name} (pid ${this.pid}) last ${out.length} lines ---\n${out.join('\n')}`;
  }

  /** Send a signal by PID (no-op if it already exited). */
  killNow(sig: NodeJS.Signals = 'SIGKILL'): void {
    if (!this.running) return;
    try {
      process.kill(this.pid, sig);
    } catch {
      /* already gone */
    }
  }

  /** Signal and wait for exit (SIGKILL after graceMs if a gentler signal did not end it). */
  async kill(sig: NodeJS.Signals = 'SIGKILL', graceMs = 5000): Promise<void> {
    if (!this.running) return;
    if (sig !== 'SIGKILL') this.killNow('SIGCONT');
    this.killNow(sig);
    const timer = setTimeout(() => this.killNow('SIGKILL'), graceMs);
    await this.exitPromise;
    clearTimeout(timer);
  }

  pause(): void {
    this.killNow('SIGSTOP');
  }

  resume(): void {
    this.killNow('SIGCONT');
  }

  waitExit(): Promise<void> {
    return this.exitPromise;
  }
}

async function pingable(port: number, host: string): Promise<boolean> {
  const c = await RespClient.connect(port, { host, connectTimeoutMs: 500 });
  try {
    const r = await c.call('PING');
    // LOADING or NOAUTH still means the server is up and speaking RESP.
    return r === 'PONG' || r instanceof Error;
  } finally {
    c.close();
  }
}

/** Strict readiness: the server (or a proxy in front of one) answers PING with PONG, after AUTH if a password is given. */
export async function answersPong(port: number, opts: { host?: string; password?: string } = {}): Promise<boolean> {
  const c = await RespClient.connect(port, { host: opts.host ?? '127.0.0.1', connectTimeoutMs: 500 });
  try {
    if (opts.password) await c.call('AUTH', opts.password);
    return (await c.call('PING')) === 'PONG';
  } finally {
    c.close();
  }
}

export type SentinelImpl = 'redis' | 'vigil';

interface ServerProcBase {
  host: string;
  port: number;
  dir: string;
  proc: OwnedProcess;
  get pid(): number;
  logTail(): string;
  kill(sig?: NodeJS.Signals): Promise<void>;
  pause(): void;
  resume(): void;
  /** Start again on the same port and dir (after kill). */
  restart(): Promise<void>;
  /** A fresh client connection (closed by the caller, or by Harness.cleanup()). */
  client(proto?: 2 | 3): Promise<RespClient>;
}

export type RedisProc = ServerProcBase;
export interface SentinelProc extends ServerProcBase {
  impl: SentinelImpl;
  confPath: string;
}

export interface RedisOptions {
  /** Extra `--directive value` arguments, e.g. ['--replicaof', '127.0.0.1', '6379']. */
  args?: string[];
  port?: number;
  /** Password to use for the readiness PING (when --requirepass is among args). */
  password?: string;
}

export interface SentinelOptions {
  /** sentinel.conf content; the harness adds `--port` on the command line. */
  conf: string;
  impl: SentinelImpl;
  port?: number;
  /** Extra command-line arguments after the config path. */
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** Node options for a Vigil sentinel (e.g. --cpu-prof, which NODE_OPTIONS refuses). */
  nodeArgs?: string[];
}

/** The command line that runs our sentinel: from source by default, compiled with VIGIL_USE_DIST=1. */
export function vigilSentinelCommand(): { cmd: string; args: string[] } {
  if (process.env.VIGIL_USE_DIST === '1')
    return { cmd: process.execPath, args: [...SENTINEL_NODE_FLAGS, join(REPO_ROOT, 'bin/vigil-sentinel')] };
  // Absolute loader URL: the process runs with its temp dir as cwd, where a bare 'tsx' does not resolve.
  const tsx = pathToFileURL(join(REPO_ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
  return {
    cmd: process.execPath,
    args: [...SENTINEL_NODE_FLAGS, '--import', tsx, join(REPO_ROOT, 'src/cli/sentinel-main.ts')],
  };
}

export class Harness {
  private readonly procs: OwnedProcess[] = [];
  private readonly dirs: string[] = [];
  private readonly clients: RespClient[] = [];
  readonly host = '127.0.0.1';

  tempDir(prefix = 'vigil-test-'): string {
    const d = mkdtempSync(join(tmpdir(), prefix));
    this.dirs.push(d);
    return d;
  }

  /** Start any owned process. */
  async spawn(cmd: string, args: string[], opts: SpawnOptions): Promise<OwnedProcess> {
    const p = new OwnedProcess(cmd, args, opts);
    this.procs.push(p);
    return p.start();
  }

  async redis(opts: RedisOptions = {}): Promise<RedisProc> {
    requireBinary('redis-server');
    const port = opts.port ?? (await freePort());
    const dir = this.tempDir('vigil-redis-');
    const args = [
      '--port',
      String(port),
      '--bind',
      this.host,
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
      '--logfile',
      '',
      '--protected-mode',
      'no',
      ...(opts.args ?? []),
    ];
    const ready = (): Promise<boolean> =>
      answersPong(port, { host: this.host, ...(opts.password ? { password: opts.password } : {}) });
    return this.serverProc('redis-server', args, port, dir, `redis-server:${port}`, ready, undefined);
  }

  async sentinel(opts: SentinelOptions): Promise<SentinelProc> {
    const port = opts.port ?? (await freePort());
    const dir = this.tempDir(`vigil-sentinel-${opts.impl}-`);
    const confPath = join(dir, 'sentinel.conf');
    writeFileSync(confPath, opts.conf.endsWith('\n') ? opts.conf : `${opts.conf}\n`);
    let cmd: string;
    let prefix: string[];
    if (opts.impl === 'redis') {
      cmd = requireBinary('redis-sentinel');
      prefix = [];
    } else {
      ({ cmd, args: prefix } = vigilSentinelCommand());
      // Right after SENTINEL_NODE_FLAGS (which lead the list), so that a flag given here overrides them (V8
      // takes the last occurrence).
      const n = SENTINEL_NODE_FLAGS.length;
      prefix = [...prefix.slice(0, n), ...(opts.nodeArgs ?? []), ...prefix.slice(n)];
    }
    const args = [...prefix, confPath, '--port', String(port), ...(opts.args ?? [])];
    const proc = await this.serverProc(
      cmd,
      args,
      port,
      dir,
      `${opts.impl}-sentinel:${port}`,
      () => pingable(port, this.host),
      opts.env,
    );
    return Object.assign(proc, { impl: opts.impl, confPath });
  }

  private async serverProc(
    cmd: string,
    args: string[],
    port: number,
    dir: string,
    name: string,
    ready: () => Promise<boolean>,
    env: NodeJS.ProcessEnv | undefined,
  ): Promise<ServerProcBase> {
    const spawnOpts: SpawnOptions = { name, cwd: dir, readyWhen: ready, readyTimeoutMs: 20000 };
    if (env) spawnOpts.env = { ...process.env, ...env };
    const proc = await this.spawn(cmd, args, spawnOpts);
    const host = this.host;
    const clients = this.clients;
    return {
      host,
      port,
      dir,
      proc,
      get pid() {
        return proc.pid;
      },
      logTail: () => proc.logTail(),
      kill: (sig: NodeJS.Signals = 'SIGKILL') => proc.kill(sig),
      pause: () => proc.pause(),
      resume: () => proc.resume(),
      restart: async () => {
        await proc.kill('SIGKILL');
        await proc.start();
      },
      client: async (proto: 2 | 3 = 2) => {
        const c = await RespClient.connect(port, { host, proto });
        clients.push(c);
        return c;
      },
    };
  }

  /** Log tails of every process this harness started (for failure messages). */
  logs(): string {
    return this.procs.map((p) => p.logTail()).join('\n');
  }

  /** waitFor that appends every process's log tail to the timeout error. */
  waitFor<T>(cond: () => T | Promise<T>, opts: { name: string; timeoutMs: number; intervalMs?: number }) {
    return waitFor(cond, { ...opts, context: () => this.logs() });
  }

  /** Kill every owned process by PID, close clients, remove temp dirs. Safe to call twice. */
  async cleanup(): Promise<void> {
    for (const c of this.clients.splice(0)) c.close();
    await Promise.all(this.procs.map((p) => p.kill('SIGKILL')));
    this.procs.length = 0;
    if (process.env.VIGIL_KEEP_TEST_DIRS !== '1') {
      for (const d of this.dirs.splice(0)) rmSync(d, { recursive: true, force: true });
    }
  }
}

/** Read a file that a process under test wrote (e.g. a rewritten sentinel.conf). */
export function readText(path: string): string {
  return readFileSync(path, 'utf8');
}
