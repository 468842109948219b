// Shared set-up for the sentinel integration tests: real redis-servers (one master, N replicas) and a group of
// sentinels (ours, real redis-sentinel, or a mix) watching them, plus small query helpers.
import { Harness, RespClient } from '../harness/index.js';
import type { RedisProc, SentinelImpl, SentinelProc } from '../harness/index.js';
import { RespErrorReply, type Reply } from '../../src/resp/types.js';

export interface Cluster {
  h: Harness;
  master: RedisProc;
  replicas: RedisProc[];
  sentinels: SentinelProc[];
  all: RedisProc[];
}

export interface ClusterOptions {
  replicas?: number;
  impls?: SentinelImpl[];
  quorum?: number;
  downAfterMs?: number;
  failoverTimeoutMs?: number;
  extraConf?: string;
}

export async function startCluster(h: Harness, o: ClusterOptions = {}): Promise<Cluster> {
  const master = await h.redis();
  const replicas: RedisProc[] = [];
  for (let i = 0; i < (o.replicas ?? 2); i++) {
    replicas.push(await h.redis({ args: ['--replicaof', master.host, String(master.port)] }));
  }
  const sentinels: SentinelProc[] = [];
  for (const impl of o.impls ?? ['vigil', 'vigil', 'vigil']) {
    const conf = [
      `sentinel monitor mymaster ${master.host} ${master.port} ${o.quorum ?? 2}`,
      `sentinel down-after-milliseconds mymaster ${o.downAfterMs ?? 1000}`,
      `sentinel failover-timeout mymaster ${o.failoverTimeoutMs ?? 6000}`,
      o.extraConf ?? '',
    ].join('\n');
    sentinels.push(await h.sentinel({ conf, impl }));
  }
  return { h, master, replicas, sentinels, all: [master, ...replicas] };
}

export async function call(port: number, ...args: string[]): Promise<Reply> {
  const c = await RespClient.connect(port, { connectTimeoutMs: 1000 });
  try {
    return await c.call(...args);
  } finally {
    c.close();
  }
}

/** Record (flat array or map) → plain object of strings. */
export function record(r: Reply): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(r)) {
    for (let i = 0; i + 1 < r.length; i += 2) out[String(r[i])] = String(r[i + 1]);
  } else if (r instanceof Map) {
    for (const [k, v] of r) out[String(k)] = String(v);
  }
  return out;
}

export async function masterAddr(s: SentinelProc): Promise<string> {
  const r = await call(s.port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster');
  return Array.isArray(r) ? `${String(r[0])}:${String(r[1])}` : '';
}

export async function role(port: number): Promise<string> {
  const r = await call(port, 'ROLE');
  return Array.isArray(r) ? String(r[0]) : '';
}

export async function replicasOf(s: SentinelProc): Promise<Array<Record<string, string>>> {
  const r = await call(s.port, 'SENTINEL', 'REPLICAS', 'mymaster');
  return Array.isArray(r) ? r.map(record) : [];
}

export async function sentinelsOf(s: SentinelProc): Promise<Array<Record<string, string>>> {
  const r = await call(s.port, 'SENTINEL', 'SENTINELS', 'mymaster');
  return Array.isArray(r) ? r.map(record) : [];
}

/** Collect every event a sentinel publishes (PSUBSCRIBE *). */
export async function collectEvents(s: SentinelProc): Promise<{ events: Array<[string, string]>; close(): void }> {
  const c = await RespClient.connect(s.port);
  const events: Array<[string, string]> = [];
  c.onPush((m) => {
    if (String(m[0]) === 'pmessage') events.push([String(m[2]), String(m[3])]);
  });
  await c.call('PSUBSCRIBE', '*');
  return { events, close: () => c.close() };
}

/** Wait until every live sentinel reports `addr` and the group is discovered. */
export async function waitConverged(
  cl: Cluster,
  addr: string,
  sentinels = cl.sentinels,
  timeoutMs = 15000,
): Promise<void> {
  await cl.h.waitFor(
    async () => {
      for (const s of sentinels) if ((await masterAddr(s)) !== addr) return false;
      return true;
    },
    { name: `all sentinels report ${addr}`, timeoutMs, intervalMs: 100 },
  );
}

export async function waitDiscovered(cl: Cluster, timeoutMs = 15000): Promise<void> {
  const n = cl.sentinels.length - 1;
  await cl.h.waitFor(
    async () => {
      for (const s of cl.sentinels) {
        if ((await sentinelsOf(s)).length !== n) return false;
        if ((await replicasOf(s)).length !== cl.replicas.length) return false;
      }
      return true;
    },
    { name: 'sentinels discovered each other and the replicas', timeoutMs, intervalMs: 100 },
  );
}

export const addrOf = (p: { host: string; port: number }): string => `${p.host}:${p.port}`;

/**
 * SENTINEL FAILOVER, asked again until it is accepted. A replica that was just discovered or re-pointed is not yet
 * promotable — the sentinel answers -NOGOODSLAVE (redis-sentinel too) until the replica's link is up and its first
 * INFO has arrived — and a test that asks once right after discovery fails on a slow machine. Only -NOGOODSLAVE is
 * retried; any other reply fails at once.
 */
export async function failoverAccepted(h: Harness, port: number, ...args: string[]): Promise<void> {
  const cmd = ['SENTINEL', 'FAILOVER', ...(args.length ? args : ['mymaster'])];
  let last: Reply = null;
  await h.waitFor(
    async () => {
      last = await call(port, ...cmd);
      return !(last instanceof RespErrorReply && last.code === 'NOGOODSLAVE');
    },
    { name: `${cmd.join(' ')} accepted`, timeoutMs: 15000, intervalMs: 200 },
  );
  if (last !== 'OK') throw new Error(`${cmd.join(' ')} answered ${String(last)}`);
}
