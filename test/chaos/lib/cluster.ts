// A three-node group for the chaos suite, run INSIDE an anonymous network namespace (see ns.ts): redis-server and
// one sentinel (Vigil's or real redis-sentinel) per node on 127.0.0.11-13, every process bound to its node address
// for listening AND for outgoing connections (bind-source-addr), so nft rules on address pairs cut node links.
// The harness itself talks from 127.0.0.1, which no rule matches: the control path is never cut.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OwnedProcess, vigilSentinelCommand } from '../../harness/harness.js';
import { RespClient } from '../../harness/client.js';
import { requireBinary } from '../../harness/binaries.js';
import { waitFor } from '../../harness/wait.js';

export type Impl = 'vigil' | 'redis';
export const NODE_IPS = ['127.0.0.11', '127.0.0.12', '127.0.0.13'] as const;
export const REDIS_PORT = 6379;
export const SENTINEL_PORT = 26379;
export const MASTER_NAME = 'mymaster';

export interface ClusterTimings {
  downAfterMs: number;
  failoverTimeoutMs: number;
}

/** One query on a fresh connection from 127.0.0.1, bounded in time (a stopped process never answers). */
export async function query(
  host: string,
  port: number,
  args: Array<string | number>,
  timeoutMs = 700,
): Promise<unknown> {
  let c: RespClient | undefined;
  const t = new Promise<never>((_, rej) =>
    setTimeout(() => rej(new Error(`query ${host}:${port} timed out`)), timeoutMs),
  );
  try {
    const run = (async () => {
      c = await RespClient.connect(port, { host, connectTimeoutMs: timeoutMs });
      return c.call(...args);
    })();
    run.catch(() => {});
    return await Promise.race([run, t]);
  } finally {
    c?.close();
  }
}

export function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

export interface NodeProcs {
  idx: number;
  ip: string;
  redisDir: string;
  sentinelDir: string;
  confPath: string;
  logPath: string;
  redis: OwnedProcess;
  sentinel: OwnedProcess;
}

export class ChaosCluster {
  readonly nodes: NodeProcs[] = [];
  /** Wall-clock ms of the cluster's start (events and faults are relative to it). */
  readonly t0 = Date.now();
  private epochTimer: NodeJS.Timeout | undefined;
  /** Highest current-epoch / config-epoch seen on each node's disk, and every regression. */
  private readonly diskEpochs: Array<{ current: number; config: number }> = [];
  readonly epochRegressions: string[] = [];
  private nftTables = 0;

  constructor(
    readonly impl: Impl,
    readonly runDir: string,
    readonly timings: ClusterTimings,
    /** Extra sentinel.conf lines for Vigil only (vigil-* directives). */
    readonly vigilExtra: string[] = [],
  ) {
    for (let i = 0; i < NODE_IPS.length; i++) {
      const ip = NODE_IPS[i] as string;
      const redisDir = join(runDir, `n${i + 1}`, 'redis');
      const sentinelDir = join(runDir, `n${i + 1}`, 'sentinel');
      mkdirSync(redisDir, { recursive: true });
      mkdirSync(sentinelDir, { recursive: true });
      const confPath = join(sentinelDir, 'sentinel.conf');
      const logPath = join(runDir, `n${i + 1}`, 'sentinel.log');
      this.nodes.push({
        idx: i,
        ip,
        redisDir,
        sentinelDir,
        confPath,
        logPath,
        redis: this.redisProc(i, ip, redisDir),
        sentinel: this.sentinelProc(i, ip, sentinelDir, confPath, logPath),
      });
    }
  }

  private redisProc(i: number, ip: string, dir: string): OwnedProcess {
    const args = [
      '--port',
      String(REDIS_PORT),
      '--bind',
      ip,
      '--bind-source-addr',
      ip,
      '--protected-mode',
      'no',
      '--save',
      '',
      '--appendonly',
      'no',
      '--repl-diskless-sync-delay',
      '0',
      '--dir',
      dir,
      '--daemonize',
      'no',
      '--logfile',
      join(dir, '..', 'redis.log'),
    ];
    if (i !== 0) args.push('--replicaof', NODE_IPS[0], String(REDIS_PORT));
    return new OwnedProcess(requireBinary('redis-server'), args, {
      name: `redis n${i + 1}`,
      cwd: dir,
      readyWhen: async () => (await query(ip, REDIS_PORT, ['PING'])) === 'PONG',
      readyTimeoutMs: 15000,
    });
  }

  private sentinelProc(i: number, ip: string, dir: string, confPath: string, logPath: string): OwnedProcess {
    const lines = [
      `port ${SENTINEL_PORT}`,
      `bind ${ip}`,
      `bind-source-addr ${ip}`,
      'protected-mode no',
      `dir ${dir}`,
      `logfile ${logPath}`,
      `sentinel monitor ${MASTER_NAME} ${NODE_IPS[0]} ${REDIS_PORT} 2`,
      `sentinel down-after-milliseconds ${MASTER_NAME} ${this.timings.downAfterMs}`,
      `sentinel failover-timeout ${MASTER_NAME} ${this.timings.failoverTimeoutMs}`,
      ...(this.impl === 'vigil' ? this.vigilExtra : []),
    ];
    writeFileSync(confPath, lines.join('\n') + '\n');
    let cmd: string;
    let args: string[];
    if (this.impl === 'redis') {
      cmd = requireBinary('redis-sentinel');
      args = [confPath];
    } else {
      const v = vigilSentinelCommand();
      cmd = v.cmd;
      args = [...v.args, confPath];
    }
    return new OwnedProcess(cmd, args, {
      name: `${this.impl}-sentinel n${i + 1}`,
      cwd: dir,
      env: { ...process.env, TZ: 'UTC' },
      readyWhen: async () => (await query(ip, SENTINEL_PORT, ['PING'], 1500)) === 'PONG',
      readyTimeoutMs: 30000,
    });
  }

  /** Start every redis (master first), then every sentinel, and wait until the group is fully discovered. */
  async start(): Promise<void> {
    await this.nodes[0]?.redis.start();
    await Promise.all(this.nodes.slice(1).map((n) => n.redis.start()));
    await Promise.all(this.nodes.map((n) => n.sentinel.start()));
    this.epochTimer = setInterval(() => this.sampleEpochs(), 50);
    await waitFor(
      async () => {
        for (const n of this.nodes) {
          const m = (await query(n.ip, SENTINEL_PORT, ['SENTINEL', 'MASTER', MASTER_NAME])) as unknown;
          if (!Array.isArray(m)) return false;
          const f: Record<string, string> = {};
          for (let k = 0; k + 1 < m.length; k += 2) f[String(m[k])] = String(m[k + 1]);
          if (f['num-slaves'] !== '2' || f['num-other-sentinels'] !== '2') return false;
        }
        return true;
      },
      { name: 'every sentinel knows 2 replicas and 2 other sentinels', timeoutMs: 30000, context: () => this.logs() },
    );
  }

  /** The master must see every replica and sentinel connection from that node's own address (bind-source-addr). */
  async assertBinding(): Promise<string[]> {
    const list = String(await query(NODE_IPS[0], REDIS_PORT, ['CLIENT', 'LIST'], 1500));
    const problems: string[] = [];
    const sentinelFrom = new Set<string>();
    for (const line of list.split('\n')) {
      const addr = /addr=([\d.]+):/.exec(line)?.[1];
      const name = /name=(\S*)/.exec(line)?.[1] ?? '';
      if (!addr || !name.startsWith('sentinel-')) continue;
      if (!(NODE_IPS as readonly string[]).includes(addr)) problems.push(`sentinel link not source-bound: ${line}`);
      sentinelFrom.add(addr);
    }
    for (const ip of NODE_IPS)
      if (!sentinelFrom.has(ip)) problems.push(`no sentinel connection from ${ip} on the master`);
    const repl = await this.info(0);
    for (const k of ['slave0', 'slave1']) {
      const ip = /ip=([\d.]+)/.exec(repl?.[k] ?? '')?.[1];
      if (!ip || ip === '127.0.0.1') problems.push(`replica not source-bound: ${repl?.[k] ?? 'missing'}`);
    }
    return problems;
  }

  private sampleEpochs(): void {
    this.nodes.forEach((n, i) => {
      let text: string;
      try {
        text = readFileSync(n.confPath, 'utf8');
      } catch {
        return;
      }
      const cur = /^sentinel current-epoch (\d+)/m.exec(text);
      const cfg = /^sentinel config-epoch \S+ (\d+)/m.exec(text);
      const prev = (this.diskEpochs[i] ??= { current: 0, config: 0 });
      if (cur) {
        const v = Number(cur[1]);
        if (v < prev.current) this.epochRegressions.push(`n${i + 1} current-epoch ${prev.current} -> ${v} on disk`);
        prev.current = Math.max(prev.current, v);
      }
      if (cfg) {
        const v = Number(cfg[1]);
        if (v < prev.config) this.epochRegressions.push(`n${i + 1} config-epoch ${prev.config} -> ${v} on disk`);
        prev.config = Math.max(prev.config, v);
      }
    });
  }

  // ---- faults

  /**
   * Drop packets between every address of `a` and every address of `b` (both directions, or only a -> b).
   * Rules live in this namespace only; heal() deletes them all.
   */
  cut(a: number[], b: number[], oneWay = false): void {
    const table = `chaos${this.nftTables++}`;
    const rules: string[] = [];
    for (const x of a)
      for (const y of b) {
        rules.push(`add rule inet ${table} in ip saddr ${NODE_IPS[x]} ip daddr ${NODE_IPS[y]} drop`);
        if (!oneWay) rules.push(`add rule inet ${table} in ip saddr ${NODE_IPS[y]} ip daddr ${NODE_IPS[x]} drop`);
      }
    nft(
      [
        `add table inet ${table}`,
        `add chain inet ${table} in { type filter hook input priority 0; policy accept; }`,
        ...rules,
      ].join('\n'),
    );
  }

  heal(): void {
    const out = spawnSync('nft', ['list', 'tables'], { encoding: 'utf8' });
    const tables = [...out.stdout.matchAll(/^table inet (chaos\d+)$/gm)].map((m) => m[1]);
    if (tables.length) nft(tables.map((t) => `delete table inet ${t}`).join('\n'));
  }

  /** SIGKILL a sentinel and start it again on the same config file (its log is appended to). */
  async restartSentinel(i: number): Promise<void> {
    const n = this.nodes[i] as NodeProcs;
    await n.sentinel.kill('SIGKILL');
    await n.sentinel.start();
  }

  /** A sentinel's myid, from its config file. */
  myid(i: number): string {
    const text = readFileSync((this.nodes[i] as NodeProcs).confPath, 'utf8');
    return /^sentinel myid (\w+)/m.exec(text)?.[1] ?? '';
  }

  // ---- observation

  async masterAddrFrom(i: number): Promise<string | null> {
    try {
      const r = await query(NODE_IPS[i] as string, SENTINEL_PORT, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', MASTER_NAME]);
      return Array.isArray(r) ? `${String(r[0])}:${String(r[1])}` : null;
    } catch {
      return null;
    }
  }

  async info(i: number, section = 'replication'): Promise<Record<string, string> | null> {
    try {
      const r = await query(NODE_IPS[i] as string, REDIS_PORT, ['INFO', section]);
      return typeof r === 'string' ? parseInfo(r) : null;
    } catch {
      return null;
    }
  }

  /**
   * Converged: every sentinel names the same master, it is role:master, the other two are its replicas with the
   * link up and the same SCARD for `keys` as the master. Returns the master's node index.
   */
  async converged(keys: string[]): Promise<number | null> {
    const addrs = await Promise.all(this.nodes.map((_, i) => this.masterAddrFrom(i)));
    const a = addrs[0];
    if (!a || addrs.some((x) => x !== a)) return null;
    const mi = NODE_IPS.findIndex((ip) => `${ip}:${REDIS_PORT}` === a);
    if (mi < 0) return null;
    const mInfo = await this.info(mi);
    if (mInfo?.role !== 'master' || mInfo.connected_slaves !== '2') return null;
    for (let i = 0; i < this.nodes.length; i++) {
      if (i === mi) continue;
      const r = await this.info(i);
      if (r?.role !== 'slave' || r.master_host !== NODE_IPS[mi] || r.master_link_status !== 'up') return null;
    }
    for (const k of keys) {
      const counts = await Promise.all(
        this.nodes.map((_, i) => query(NODE_IPS[i] as string, REDIS_PORT, ['SCARD', k]).catch(() => -1)),
      );
      if (counts.some((c) => c !== counts[mi])) return null;
    }
    return mi;
  }

  async waitConverged(keys: string[], timeoutMs: number): Promise<number> {
    const r = await waitFor(
      async () => {
        const mi = await this.converged(keys);
        return mi === null ? null : { mi };
      },
      {
        name: 'group converged (one master named by all, both replicas attached and in sync)',
        timeoutMs,
        intervalMs: 200,
      },
    );
    return r.mi;
  }

  async members(i: number, key: string): Promise<Set<string>> {
    const r = await query(NODE_IPS[i] as string, REDIS_PORT, ['SMEMBERS', key], 5000);
    if (!Array.isArray(r)) throw new Error(`SMEMBERS ${key} on n${i + 1}: ${String(r)}`);
    return new Set(r.map(String));
  }

  logText(i: number): string {
    const p = this.nodes[i]?.logPath;
    return p && existsSync(p) ? readFileSync(p, 'utf8') : '';
  }

  logs(): string {
    return this.nodes
      .map((n) => `--- n${n.idx + 1} sentinel log (tail) ---\n${this.logText(n.idx).split('\n').slice(-40).join('\n')}`)
      .join('\n');
  }

  async stop(): Promise<void> {
    if (this.epochTimer) clearInterval(this.epochTimer);
    this.sampleEpochs();
    for (const n of this.nodes) {
      n.sentinel.resume();
      n.redis.resume();
    }
    await Promise.all(this.nodes.flatMap((n) => [n.sentinel.kill('SIGKILL'), n.redis.kill('SIGKILL')]));
    this.heal();
  }
}

function nft(script: string): void {
  const r = spawnSync('nft', ['-f', '-'], { input: script, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`nft failed (${r.status}): ${r.stderr}\n${script}`);
}
