// The control-plane shell for one master: links to every sentinel (a command link for polling and a pub/sub
// link for events), ROLE checks, the tick timer, and the executor that turns Router effects into DataPlane calls.
// All decisions live in router.ts; this file only moves observations in and effects out.
import { RespConn } from '../link/link.js';
import { RespErrorReply, type Reply } from '../resp/index.js';
import {
  type Addr,
  addrKey,
  masterReportFromRecord,
  recordFromFlat,
  replicaAddrsFromRecords,
  type MasterReport,
} from './events.js';
import { Router, type Effect, type Observation, type RouterSnapshot } from './router.js';
import type { DataPlane } from './dataplane.js';

/** The channels we act on (or log). `+failover-state-*` and `-failover-abort-*` are patterns. */
export const SENTINEL_PATTERNS = [
  '+switch-master',
  '+try-failover',
  '+failover-state-*',
  '+odown',
  '-odown',
  '+failover-end',
  '+failover-end-for-timeout',
  '-failover-abort-*',
  '+elected-leader',
  '+selected-slave',
  '+promoted-slave',
  '+new-epoch',
  '+config-update-from',
] as const;

export interface ControlOptions {
  masterName: string;
  sentinels: Addr[];
  sentinelUsername?: string | undefined;
  sentinelPassword?: string | undefined;
  /** Credentials for ROLE checks on the Redis servers, if they require AUTH. */
  redisUsername?: string | undefined;
  redisPassword?: string | undefined;
  /** TLS for the links to the sentinels / for the ROLE checks on the Redis servers (client traffic is L4). */
  sentinelTls?: import('node:tls').ConnectionOptions | undefined;
  redisTls?: import('node:tls').ConnectionOptions | undefined;
  /** Source address of the sentinel links and ROLE checks (`--bind-source-addr`). */
  bindSourceAddr?: string | undefined;
  quorum?: number | undefined;
  pollIntervalMs: number;
  maxFailoverMs: number;
  /** See RouterOptions.failClosedAfterMs (0 = keep routing without a sentinel quorum). */
  failClosedAfterMs?: number | undefined;
  fastPath: boolean;
  roleTimeoutMs: number;
  tickMs: number;
  onLog: (level: 'info' | 'warn', msg: string, fields: { [k: string]: unknown }) => void;
}

export interface SentinelLinkStatus {
  id: string;
  cmdUp: boolean;
  pubsubUp: boolean;
  lastError: string | null;
}

class SentinelLink {
  cmd: RespConn | null = null;
  pubsub: RespConn | null = null;
  lastError: string | null = null;
  private stopped = false;
  private readonly retryMs = { cmd: 100, pubsub: 100 };
  private polling = false;
  private repoll = false;
  /**
   * Per area, the failures logged since it last worked: a link that keeps failing logs each distinct reason once
   * (at most 8), and one line when it works again.
   */
  private readonly logged = new Map<'cmd' | 'pubsub' | 'poll', Set<string>>();

  constructor(
    readonly id: string,
    private readonly addr: Addr,
    private readonly ctl: Control,
  ) {}

  start(): void {
    void this.open('cmd');
    void this.open('pubsub');
  }

  stop(): void {
    this.stopped = true;
    this.cmd?.close();
    this.pubsub?.close();
  }

  /**
   * Opens the command link (polling) or the pub/sub link (events), keeps it in this[which] until it closes and
   * then reconnects with backoff.
   */
  private async open(which: 'cmd' | 'pubsub'): Promise<void> {
    if (this.stopped) return;
    try {
      const conn = await RespConn.open(this.addr.host, this.addr.port, {
        connectTimeoutMs: 1000,
        callTimeoutMs: 1000,
        username: this.ctl.opts.sentinelUsername,
        password: this.ctl.opts.sentinelPassword,
        tls: this.ctl.opts.sentinelTls,
        localAddress: this.ctl.opts.bindSourceAddr,
      });
      if (this.stopped) {
        conn.close();
        return;
      }
      this[which] = conn;
      void conn.closed.then((err) => {
        if (this[which] !== conn || this.stopped) return;
        this[which] = null;
        this.failed(which, `link closed: ${err.message}`);
        if (which === 'cmd') this.ctl.observe({ kind: 'sentinel-down', sentinel: this.id });
        this.retry(which);
      });
      if (which === 'cmd') {
        this.ok('cmd');
        this.retryMs.cmd = 100;
        this.ctl.observe({ kind: 'sentinel-up', sentinel: this.id });
      } else {
        await conn.subscribe('psubscribe', SENTINEL_PATTERNS, (channel, payload) =>
          this.ctl.observe({ kind: 'event', sentinel: this.id, channel, payload }),
        );
        this.ok('pubsub');
        this.retryMs.pubsub = 100;
      }
      // The first state, or events missed while a link was down: poll to catch up.
      void this.poll();
    } catch (err) {
      this.failed(which, `${which === 'cmd' ? 'connect' : 'subscribe'}: ${errText(err)}`);
      this.retry(which);
    }
  }

  private retry(which: 'cmd' | 'pubsub'): void {
    if (this.stopped) return;
    const t = setTimeout(() => void this.open(which), this.retryMs[which]);
    t.unref();
    this.retryMs[which] = Math.min(this.retryMs[which] * 2, 1000);
  }

  /** SENTINEL MASTER + SENTINEL REPLICAS, pipelined, reported as one observation. */
  async poll(): Promise<void> {
    const conn = this.cmd;
    if (!conn) return;
    if (this.polling) {
      // An event asked for fresh state while a poll is in flight: poll again right after it.
      this.repoll = true;
      return;
    }
    this.polling = true;
    try {
      const name = this.ctl.opts.masterName;
      const [m, r] = await Promise.all([
        conn.callRaw('SENTINEL', 'MASTER', name),
        conn.callRaw('SENTINEL', 'REPLICAS', name),
      ]);
      this.ctl.observe({ kind: 'report', sentinel: this.id, master: toMasterReport(m), replicas: toReplicaList(r) });
      // An error reply (NOAUTH, no such master name, ...) leaves the proxy without a master: say so.
      const bad = m instanceof RespErrorReply ? m : r instanceof RespErrorReply ? r : null;
      if (bad) this.failed('poll', `SENTINEL MASTER/REPLICAS ${name}: ${bad.message}`);
      else this.ok('poll');
    } catch (err) {
      this.failed('poll', `poll: ${errText(err)}`);
    } finally {
      this.polling = false;
      if (this.repoll) {
        this.repoll = false;
        void this.poll();
      }
    }
  }

  private failed(area: 'cmd' | 'pubsub' | 'poll', msg: string): void {
    this.lastError = msg;
    let seen = this.logged.get(area);
    if (!seen) this.logged.set(area, (seen = new Set()));
    if (seen.has(msg) || seen.size >= 8) return;
    seen.add(msg);
    this.ctl.opts.onLog('warn', 'sentinel link problem', { sentinel: this.id, error: msg });
  }

  private ok(area: 'cmd' | 'pubsub' | 'poll'): void {
    const seen = this.logged.get(area);
    if (!seen) return;
    this.logged.delete(area);
    this.ctl.opts.onLog('info', 'sentinel link recovered', { sentinel: this.id, was: [...seen].join('; ') });
  }

  status(): SentinelLinkStatus {
    return { id: this.id, cmdUp: this.cmd !== null, pubsubUp: this.pubsub !== null, lastError: this.lastError };
  }
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function pairs(reply: Reply): Map<string, string> | null {
  if (Array.isArray(reply)) return recordFromFlat(reply) as Map<string, string>;
  if (reply instanceof Map) {
    const m = new Map<string, string>();
    for (const [k, v] of reply) m.set(String(k), String(v));
    return m;
  }
  return null;
}

function toMasterReport(reply: Reply): MasterReport | null {
  if (reply instanceof RespErrorReply) return null;
  const rec = pairs(reply);
  return rec ? masterReportFromRecord(rec) : null;
}

function toReplicaList(reply: Reply): Addr[] | null {
  if (!Array.isArray(reply)) return null;
  const recs = [];
  for (const item of reply) {
    const rec = pairs(item);
    if (rec) recs.push(rec);
  }
  return replicaAddrsFromRecords(recs);
}

export class Control {
  readonly router: Router;
  private readonly links: SentinelLink[];
  private tickTimer: NodeJS.Timeout | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private readonly roleTimers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(
    readonly opts: ControlOptions,
    private readonly plane: DataPlane,
  ) {
    const ids = opts.sentinels.map(addrKey);
    this.router = new Router(
      {
        masterName: opts.masterName,
        sentinels: ids,
        ...(opts.quorum !== undefined ? { quorum: opts.quorum } : {}),
        maxFailoverMs: opts.maxFailoverMs,
        reportMaxAgeMs: Math.max(3 * opts.pollIntervalMs, 1500),
        fastPath: opts.fastPath,
        fastRoleRetryMs: 20,
        roleRetryMs: 100,
        failClosedAfterMs: opts.failClosedAfterMs ?? 0,
      },
      Date.now(),
    );
    this.links = opts.sentinels.map((a, i) => new SentinelLink(ids[i] ?? addrKey(a), a, this));
  }

  start(): void {
    for (const l of this.links) l.start();
    this.tickTimer = setInterval(() => this.apply(this.router.tick(Date.now())), this.opts.tickMs);
    this.tickTimer.unref();
    this.pollTimer = setInterval(() => this.pollAll(), this.opts.pollIntervalMs);
    this.pollTimer.unref();
  }

  stop(): void {
    this.stopped = true;
    for (const l of this.links) l.stop();
    if (this.tickTimer) clearInterval(this.tickTimer);
    if (this.pollTimer) clearInterval(this.pollTimer);
    for (const t of this.roleTimers) clearTimeout(t);
    this.roleTimers.clear();
  }

  observe(obs: Observation): void {
    if (this.stopped) return;
    this.apply(this.router.observe(obs, Date.now()));
  }

  snapshot(): RouterSnapshot & { sentinels: SentinelLinkStatus[] } {
    return { ...this.router.snapshot(), sentinels: this.links.map((l) => l.status()) };
  }

  private pollAll(): void {
    for (const l of this.links) void l.poll();
  }

  private apply(effects: Effect[]): void {
    for (const e of effects) {
      switch (e.kind) {
        case 'gate':
          this.plane.setGate(e.open, e.reason);
          this.opts.onLog('info', e.open ? 'gate open' : 'gate closed: holding clients', { reason: e.reason });
          break;
        case 'route':
          this.plane.setRoute(e.to);
          break;
        case 'check-role':
          this.scheduleRole(e.addr, e.token, e.delayMs);
          break;
        case 'poll':
          this.pollAll();
          break;
        case 'log':
          this.opts.onLog(e.level, e.msg, e.fields);
          break;
      }
    }
  }

  private scheduleRole(addr: Addr, token: number, delayMs: number): void {
    const run = (): void => {
      void checkRole(addr, {
        timeoutMs: this.opts.roleTimeoutMs,
        username: this.opts.redisUsername,
        password: this.opts.redisPassword,
        tls: this.opts.redisTls,
        localAddress: this.opts.bindSourceAddr,
      }).then((role) => this.observe({ kind: 'role', token, addr, role }));
    };
    if (delayMs <= 0) {
      run();
      return;
    }
    const t = setTimeout(() => {
      this.roleTimers.delete(t);
      run();
    }, delayMs);
    t.unref();
    this.roleTimers.add(t);
  }
}

/** One-shot `ROLE` on addr: returns 'master' | 'slave' | 'sentinel' | 'error:<why>'. */
export async function checkRole(
  addr: Addr,
  opts: {
    timeoutMs: number;
    username?: string | undefined;
    password?: string | undefined;
    tls?: import('node:tls').ConnectionOptions | undefined;
    localAddress?: string | undefined;
  },
): Promise<string> {
  let conn: RespConn | undefined;
  try {
    conn = await RespConn.open(addr.host, addr.port, {
      connectTimeoutMs: opts.timeoutMs,
      callTimeoutMs: opts.timeoutMs,
      username: opts.username,
      password: opts.password,
      tls: opts.tls,
      localAddress: opts.localAddress,
    });
    const r = await conn.callRaw('ROLE');
    if (Array.isArray(r) && typeof r[0] === 'string') return r[0];
    if (r instanceof RespErrorReply) return `error:${r.message}`;
    return 'error:unexpected ROLE reply';
  } catch (err) {
    return `error:${err instanceof Error ? err.message : String(err)}`;
  } finally {
    conn?.close();
  }
}
