// Public entry of the master-following proxy: `startProxy(options)` wires one Router+Control+DataPlane per
// master name (one listener each), an optional HTTP endpoint, and a logger. Used by `vigil proxy` and `vigil up`.
import { pino } from 'pino';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { availableParallelism } from 'node:os';
import { type Addr, addrKey, parseHostPort, parseSentinelList } from './events.js';
import { DataPlane } from './dataplane.js';
import { Control } from './control.js';
import { type ProxyStats, startHttp } from './metrics.js';

export { Router, type Observation, type Effect, type RouterOptions, type RouterSnapshot } from './router.js';
export type { ProxyStats, MasterStats } from './metrics.js';
export type { Addr } from './events.js';
export { parseHostPort, parseSentinelList } from './events.js';

export interface ProxyMasterOptions {
  /** Master name as configured in the sentinels (`sentinel monitor <name> ...`). */
  name: string;
  /** host:port (or Addr) this master's clients connect to. Port 0 picks a free port. */
  listen: string | Addr;
  /** Sentinels for this master; default: the top-level list. */
  sentinels?: string | Addr[];
  /** Agreeing sentinels needed to follow a new address; default a majority of this master's sentinels. */
  quorum?: number;
}

export interface ProxyOptions {
  /** `host:port,host:port` (JAMBONES_REDIS_SENTINELS form) or a list. */
  sentinels?: string | Addr[];
  masters: ProxyMasterOptions[];
  sentinelUsername?: string;
  sentinelPassword?: string;
  /** Credentials for the proxy's own ROLE checks on Redis servers (client traffic is passed through as is). */
  redisUsername?: string;
  redisPassword?: string;
  /**
   * TLS for the control plane: the links to the sentinels (`sentinelTls`) and the proxy's ROLE checks on the
   * Redis servers (`redisTls`). Client traffic is forwarded at L4, so a TLS client's bytes pass through untouched
   * (and `mux`, which reads RESP, cannot be combined with TLS clients).
   */
  sentinelTls?: import('node:tls').ConnectionOptions;
  redisTls?: import('node:tls').ConnectionOptions;
  /** host:port for /health, /metrics, /stats. */
  http?: string | Addr;
  /** Longest a client is held (new connection) or frozen (existing session) without a confirmed master. */
  maxHoldMs?: number;
  /** Failover signals without a switch for this long reopen the gate to the confirmed master. */
  maxFailoverMs?: number;
  /** Safety-net poll period of every sentinel. */
  pollIntervalMs?: number;
  /** ROLE fast path on +failover-state-wait-promotion (default true). */
  fastPath?: boolean;
  /** 0 = never close idle clients (default). */
  idleTimeoutMs?: number;
  /**
   * Source IP of every connection the proxy opens: to Redis (client sessions, the --mux connection, ROLE checks)
   * and to the sentinels. Default: the kernel's choice. Like Redis's and Sentinel's `bind-source-addr`.
   */
  bindSourceAddr?: string;
  connectTimeoutMs?: number;
  keepAliveMs?: number;
  /**
   * Multiplex clients that send only simple stateless commands onto one upstream connection per master
   * (fewer syscalls, much higher throughput for many non-pipelined clients). Clients that send anything else
   * (AUTH, SELECT, MULTI, SUBSCRIBE, blocking commands, ...) get their own connection. Default false (pure L4).
   */
  mux?: boolean;
  /**
   * Native pump threads that forward open sessions (default: 2, or 1 on a one-core machine); 0 forwards in
   * JavaScript. Falls back to JavaScript (with a warning) when the addon is not built.
   */
  pumpThreads?: number;
  /**
   * Stop forwarding once fewer than a quorum of sentinels has answered for this long (ms); clients then get the
   * max-hold error until a quorum is back. 0 (default) keeps routing to the last confirmed master.
   */
  failClosedAfterMs?: number;
  /**
   * Most client connections per listener; more are answered `-ERR max number of clients reached` and closed.
   * Default: 10000 (Redis's maxclients default), lowered so that every listener's clients fit in the process's
   * open-file limit (two descriptors per client).
   */
  maxClients?: number;
  /** Receives one structured record per log line; default prints JSON lines to stderr. */
  log?: (rec: LogRecord) => void;
  logFormat?: 'json' | 'text';
}

export interface LogRecord {
  ts: string;
  level: 'info' | 'warn';
  msg: string;
  [k: string]: unknown;
}

export interface ProxyHandle {
  /** Address of the first listener (the only one with `vigil proxy --master-name`). */
  readonly address: Addr;
  readonly listeners: ReadonlyArray<{ masterName: string; address: Addr }>;
  readonly httpAddress: Addr | null;
  stats(): ProxyStats;
  /** Resolves once the first master of every listener is routed (or rejects after timeoutMs). */
  ready(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export class ProxyConfigError extends Error {
  readonly code = 'VIGIL_ERR_PROXY_CONFIG';
  constructor(message: string) {
    super(message);
    this.name = 'ProxyConfigError';
  }
}

function toAddr(v: string | Addr, what: string): Addr {
  if (typeof v !== 'string') return v;
  try {
    return parseHostPort(v);
  } catch (err) {
    throw new ProxyConfigError(`${what}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function toSentinels(v: string | Addr[] | undefined, what: string): Addr[] {
  if (v === undefined)
    throw new ProxyConfigError(`${what}: no sentinels given (use --sentinels host:port[,host:port...])`);
  if (typeof v !== 'string') return v;
  try {
    return parseSentinelList(v);
  } catch (err) {
    throw new ProxyConfigError(`${what}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * JSON lines through pino on stderr: `{"level":"info","time":"<ISO>","pid":N,"msg":"...",<fields>}` (written
 * synchronously, so lines are in order and none is lost at exit).
 */
export function jsonLogger(dest: number = 2): (rec: LogRecord) => void {
  const logger = pino(
    {
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    pino.destination({ fd: dest, sync: true }),
  );
  return (rec) => {
    const { ts: _ts, level, msg, ...fields } = rec;
    if (level === 'warn') logger.warn(fields, msg);
    else logger.info(fields, msg);
  };
}

export function defaultLogger(format: 'json' | 'text'): (rec: LogRecord) => void {
  if (format === 'json') return jsonLogger();
  return (rec) => {
    const { ts, level, msg, ...rest } = rec;
    const kv = Object.entries(rest)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    process.stderr.write(`${process.pid}:P ${ts} ${level === 'warn' ? '#' : '*'} ${msg}${kv ? ' ' + kv : ''}\n`);
  };
}

/** The soft RLIMIT_NOFILE of this process (from /proc/self/limits), or null where that cannot be read. */
export function openFileLimit(): number | null {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Descriptors kept for sentinel links, ROLE checks, HTTP and Node itself; each client session holds two. */
const FD_RESERVE = 128;
const FDS_PER_CLIENT = 2;

/** How many clients per listener the open-file limit can hold. */
function clientsThatFit(nofile: number, listeners: number): number {
  return Math.floor((nofile - FD_RESERVE) / FDS_PER_CLIENT / listeners);
}

/** maxClients per listener: the configured value, else 10000 cut to what the open-file limit can hold. */
function clientLimit(options: ProxyOptions, nofile: number | null): number {
  if (options.maxClients !== undefined) return options.maxClients;
  if (nofile === null) return 10_000;
  return Math.max(1, Math.min(10_000, clientsThatFit(nofile, options.masters.length)));
}

export async function startProxy(options: ProxyOptions): Promise<ProxyHandle> {
  if (options.masters.length === 0) throw new ProxyConfigError('no masters configured');
  const log = options.log ?? defaultLogger(options.logFormat ?? 'json');
  const nofile = openFileLimit();
  const maxClients = clientLimit(options, nofile);
  const maxHoldMs = options.maxHoldMs ?? 5000;
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  const startedAt = Date.now();
  const units: Array<{ masterName: string; listen: Addr; plane: DataPlane; control: Control; address: Addr }> = [];
  const names = new Set<string>();
  try {
    for (const m of options.masters) {
      if (!m.name) throw new ProxyConfigError('a master entry has no name');
      const listen = toAddr(m.listen, `master '${m.name}' listen`);
      const sentinels = toSentinels(m.sentinels ?? options.sentinels, `master '${m.name}'`);
      const key = `${m.name}@${sentinels.map(addrKey).join(',')}`;
      if (names.has(key)) throw new ProxyConfigError(`master '${m.name}' is configured twice`);
      names.add(key);
      const onLog = (level: 'info' | 'warn', msg: string, fields: { [k: string]: unknown }): void =>
        log({ ts: new Date().toISOString(), level, msg, master: m.name, ...fields });
      const plane = new DataPlane({
        masterName: m.name,
        listen,
        maxHoldMs,
        connectTimeoutMs: options.connectTimeoutMs ?? 1000,
        redialDelayMs: 100,
        idleTimeoutMs: options.idleTimeoutMs ?? 0,
        keepAliveMs: options.keepAliveMs ?? 30_000,
        bindSourceAddr: options.bindSourceAddr,
        mux: options.mux ?? false,
        pumpThreads: options.pumpThreads ?? Math.min(2, availableParallelism()),
        maxClients,
        onLog,
      });
      const address = await plane.listen().catch((err: unknown) => {
        throw new ProxyConfigError(
          `cannot listen on ${addrKey(listen)} for '${m.name}': ${err instanceof Error ? err.message : String(err)}`,
        );
      });
      const control = new Control(
        {
          masterName: m.name,
          sentinels,
          sentinelUsername: options.sentinelUsername,
          sentinelPassword: options.sentinelPassword,
          redisUsername: options.redisUsername,
          redisPassword: options.redisPassword,
          sentinelTls: options.sentinelTls,
          redisTls: options.redisTls,
          bindSourceAddr: options.bindSourceAddr,
          quorum: m.quorum,
          pollIntervalMs,
          maxFailoverMs: options.maxFailoverMs ?? 60_000,
          failClosedAfterMs: options.failClosedAfterMs ?? 0,
          fastPath: options.fastPath ?? true,
          roleTimeoutMs: 500,
          tickMs: 50,
          onLog,
        },
        plane,
      );
      units.push({ masterName: m.name, listen, plane, control, address });
      const { forwarding, pumpThreads } = plane.stats();
      onLog('info', 'listening', {
        listen: addrKey(address),
        sentinels: sentinels.map(addrKey),
        forwarding,
        pumpThreads,
        maxClients,
      });
      if (nofile !== null && maxClients > clientsThatFit(nofile, options.masters.length))
        onLog('warn', 'max clients exceed what the open-file limit can hold', {
          maxClients,
          openFileLimit: nofile,
          fix: 'raise the limit (ulimit -n, LimitNOFILE=) or lower --max-clients',
        });
    }
  } catch (err) {
    for (const u of units) await u.plane.close();
    throw err;
  }
  for (const u of units) u.control.start();

  const stats = (): ProxyStats => ({
    startedAt,
    masters: units.map((u) => ({
      masterName: u.masterName,
      listen: u.address,
      router: u.control.snapshot(),
      plane: u.plane.stats(),
    })),
  });

  let http: { server: Server; address: Addr } | null = null;
  if (options.http !== undefined) {
    const at = toAddr(options.http, 'http');
    try {
      http = await startHttp(at, stats);
    } catch (err) {
      for (const u of units) {
        u.control.stop();
        await u.plane.close();
      }
      throw new ProxyConfigError(
        `cannot listen on ${addrKey(at)} for http: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }

  const first = units[0];
  if (!first) throw new ProxyConfigError('no masters configured');
  let closed = false;
  return {
    address: first.address,
    listeners: units.map((u) => ({ masterName: u.masterName, address: u.address })),
    httpAddress: http?.address ?? null,
    stats,
    async ready(timeoutMs = 10_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!units.every((u) => u.control.router.isGateOpen())) {
        if (Date.now() > deadline) {
          const s = stats()
            .masters.map((m) => `${m.masterName}: ${m.router.gateReason}`)
            .join('; ');
          throw new ProxyConfigError(`proxy not ready after ${timeoutMs} ms (${s})`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      for (const u of units) u.control.stop();
      await Promise.all(units.map((u) => u.plane.close()));
      if (http) {
        const srv = http.server;
        srv.closeAllConnections();
        await new Promise<void>((r) => srv.close(() => r()));
      }
    },
  };
}
