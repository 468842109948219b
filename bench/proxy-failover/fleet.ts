// A Sentinel-managed Redis fleet for proxy tests and benchmarks: 1 master + N replicas (redis-server) and M
// sentinels (real redis-sentinel or vigil's), all on loopback via the test harness, which owns and kills them.
import { Harness, RespClient, type RedisProc, type SentinelProc, type SentinelImpl } from '../../test/harness/index.js';
import type { Reply } from '../../src/resp/index.js';

export interface FleetOptions {
  replicas?: number;
  sentinels?: number;
  quorum?: number;
  downAfterMs?: number;
  failoverTimeoutMs?: number;
  impl?: SentinelImpl;
  masterName?: string;
}

export interface Fleet {
  h: Harness;
  masterName: string;
  redis: RedisProc[];
  sentinels: SentinelProc[];
  /** `host:port,host:port` of the sentinels. */
  sentinelList: string;
  /** Address a given sentinel reports for the master. */
  masterAddrFrom(s: SentinelProc): Promise<string | null>;
  /** Redis process currently at a port. */
  byPort(port: number): RedisProc | undefined;
  /** Ask a sentinel for SENTINEL FAILOVER. */
  failover(s?: SentinelProc): Promise<Reply>;
}

export async function call(port: number, ...args: Array<string | number>): Promise<Reply> {
  const c = await RespClient.connect(port, { connectTimeoutMs: 1000 });
  try {
    return await c.call(...args.map(String));
  } finally {
    c.close();
  }
}

export function recordField(reply: Reply, key: string): string | undefined {
  if (!Array.isArray(reply)) return undefined;
  for (let i = 0; i + 1 < reply.length; i += 2) if (String(reply[i]) === key) return String(reply[i + 1]);
  return undefined;
}

export async function startFleet(h: Harness, o: FleetOptions = {}): Promise<Fleet> {
  const masterName = o.masterName ?? 'mymaster';
  const nRep = o.replicas ?? 2;
  const nSen = o.sentinels ?? 3;
  const quorum = o.quorum ?? 2;
  const downAfter = o.downAfterMs ?? 1000;
  const master = await h.redis();
  const redis: RedisProc[] = [master];
  for (let i = 0; i < nRep; i++) {
    redis.push(await h.redis({ args: ['--replicaof', master.host, String(master.port)] }));
  }
  const conf = [
    `sentinel monitor ${masterName} ${master.host} ${master.port} ${quorum}`,
    `sentinel down-after-milliseconds ${masterName} ${downAfter}`,
    `sentinel failover-timeout ${masterName} ${o.failoverTimeoutMs ?? 10000}`,
    `sentinel parallel-syncs ${masterName} 1`,
  ].join('\n');
  const sentinels: SentinelProc[] = [];
  for (let i = 0; i < nSen; i++) sentinels.push(await h.sentinel({ conf, impl: o.impl ?? 'redis' }));
  // Wait until every sentinel knows all replicas and the other sentinels: a failover needs both.
  await h.waitFor(
    async () => {
      for (const s of sentinels) {
        const r = await call(s.port, 'SENTINEL', 'MASTER', masterName);
        if (Number(recordField(r, 'num-slaves')) < nRep) return false;
        if (Number(recordField(r, 'num-other-sentinels')) < nSen - 1) return false;
      }
      return true;
    },
    { name: 'sentinels discovered replicas and each other', timeoutMs: 20_000, intervalMs: 200 },
  );
  const fleet: Fleet = {
    h,
    masterName,
    redis,
    sentinels,
    sentinelList: sentinels.map((s) => `${s.host}:${s.port}`).join(','),
    async masterAddrFrom(s) {
      const r = await call(s.port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName);
      return Array.isArray(r) ? `${String(r[0])}:${String(r[1])}` : null;
    },
    byPort(port) {
      return redis.find((r) => r.port === port);
    },
    async failover(s) {
      return call((s ?? sentinels[0]!).port, 'SENTINEL', 'FAILOVER', masterName);
    },
  };
  return fleet;
}

/** Wait until every replica has caught up with the master's offset (so a failover has a good candidate). */
export async function waitReplicasSynced(f: Fleet, masterPort: number): Promise<void> {
  await f.h.waitFor(
    async () => {
      const info = String(await call(masterPort, 'INFO', 'replication'));
      const n = /connected_slaves:(\d+)/.exec(info);
      if (!n || Number(n[1]) < f.redis.length - 1) return false;
      return [...info.matchAll(/slave\d+:.*state=online/g)].length >= f.redis.length - 1;
    },
    { name: 'replicas online', timeoutMs: 15_000, intervalMs: 100 },
  );
}
