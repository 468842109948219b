// A monitored topology for the differential / compat / mixed-fleet tests: 1 master + N replicas (real
// redis-server) and a group of sentinels (real redis-sentinel or ours, per sentinel), started through the
// harness so every process is killed by PID on every path. Test-only code.
import type { Harness, RedisProc, SentinelProc, SentinelImpl } from './index.js';
import { WireClient, items, record, text, type Frame } from './wire.js';
import { makeLabels, type Labels } from './normalise.js';

export interface FleetOptions {
  /** One entry per sentinel: which implementation runs it. */
  impls: SentinelImpl[];
  masterName?: string;
  replicas?: number;
  quorum?: number;
  downAfterMs?: number;
  failoverTimeoutMs?: number;
  /** requirepass on the data nodes and the sentinels (+ masterauth, auth-pass). */
  password?: string;
  /** Extra lines appended to every sentinel.conf. */
  extraConf?: string[];
}

export interface Fleet {
  masterName: string;
  master: RedisProc;
  replicas: RedisProc[];
  sentinels: SentinelProc[];
  password: string | undefined;
  /** myid of each sentinel (same index as `sentinels`). */
  myids: string[];
}

export function sentinelConf(masterName: string, masterPort: number, o: FleetOptions): string {
  const lines = [
    `sentinel monitor ${masterName} 127.0.0.1 ${masterPort} ${o.quorum ?? 2}`,
    `sentinel down-after-milliseconds ${masterName} ${o.downAfterMs ?? 2000}`,
    `sentinel failover-timeout ${masterName} ${o.failoverTimeoutMs ?? 10000}`,
  ];
  if (o.password !== undefined) {
    lines.push(`requirepass ${o.password}`, `sentinel auth-pass ${masterName} ${o.password}`);
  }
  lines.push(...(o.extraConf ?? []));
  return `${lines.join('\n')}\n`;
}

/** Connect to a server, authenticate if needed, optionally switch to RESP3. */
export async function wire(
  port: number,
  opts: { password?: string | undefined; proto?: 2 | 3 } = {},
): Promise<WireClient> {
  const c = await WireClient.connect(port);
  try {
    if (opts.proto === 3) {
      const args = ['HELLO', '3'];
      if (opts.password !== undefined) args.push('AUTH', 'default', opts.password);
      const r = await c.call(...args);
      if (r.t === 'error') throw new Error(`HELLO 3 failed: ${r.v}`);
    } else if (opts.password !== undefined) {
      const r = await c.call('AUTH', opts.password);
      if (r.t === 'error') throw new Error(`AUTH failed: ${r.v}`);
    }
  } catch (err) {
    c.close();
    throw err;
  }
  return c;
}

/** One command on a fresh connection. */
export async function once(port: number, args: string[], password?: string): Promise<Frame> {
  const c = await wire(port, { password });
  try {
    return await c.call(...args);
  } finally {
    c.close();
  }
}

export async function startDataNodes(
  h: Harness,
  n: number,
  password?: string,
): Promise<{ master: RedisProc; replicas: RedisProc[] }> {
  const auth = password === undefined ? [] : ['--requirepass', password, '--masterauth', password];
  const pw = password === undefined ? {} : { password };
  const master = await h.redis({ args: auth, ...pw });
  const replicas = await Promise.all(
    Array.from({ length: n }, () =>
      h.redis({ args: [...auth, '--replicaof', '127.0.0.1', String(master.port)], ...pw }),
    ),
  );
  await h.waitFor(
    async () => {
      const info = text(await once(master.port, ['INFO', 'replication'], password)) ?? '';
      return (info.match(/^slave\d+:.*state=online/gm) ?? []).length === n;
    },
    { name: `${n} replicas online`, timeoutMs: 15000, intervalMs: 100 },
  );
  return { master, replicas };
}

/** Start data nodes and sentinels; resolves once every sentinel sees every replica and every other sentinel. */
export async function startFleet(h: Harness, o: FleetOptions): Promise<Fleet> {
  const masterName = o.masterName ?? 'mymaster';
  const { master, replicas } = await startDataNodes(h, o.replicas ?? 2, o.password);
  const conf = sentinelConf(masterName, master.port, o);
  const sentinels = await Promise.all(o.impls.map((impl) => h.sentinel({ conf, impl })));
  const fleet: Fleet = { masterName, master, replicas, sentinels, password: o.password, myids: [] };
  await waitConverged(h, fleet);
  fleet.myids = await Promise.all(
    sentinels.map(async (s) => text(await once(s.port, ['SENTINEL', 'MYID'], o.password)) ?? ''),
  );
  return fleet;
}

/** Why a sentinel's view is not yet converged, or '' when it is. */
export async function convergenceGap(fleet: Fleet, s: SentinelProc): Promise<string> {
  const c = await wire(s.port, { password: fleet.password });
  try {
    const m = await c.call('SENTINEL', 'MASTER', fleet.masterName);
    if (m.t === 'error') return `MASTER: ${m.v}`;
    const mr = record(m);
    if (mr.flags !== 'master') return `master flags ${mr.flags}`;
    const reps = items(await c.call('SENTINEL', 'REPLICAS', fleet.masterName)).map(record);
    const wantReps = fleet.replicas.length;
    if (reps.length !== wantReps) return `${reps.length}/${wantReps} replicas`;
    for (const r of reps) {
      if (r.flags !== 'slave' || r['master-link-status'] !== 'ok' || r['role-reported'] !== 'slave') {
        return `replica ${r.name} flags=${r.flags} link=${r['master-link-status']}`;
      }
    }
    const sens = items(await c.call('SENTINEL', 'SENTINELS', fleet.masterName)).map(record);
    const wantSens = fleet.sentinels.length - 1;
    if (sens.length !== wantSens) return `${sens.length}/${wantSens} sentinels`;
    for (const r of sens) if (r.flags !== 'sentinel') return `sentinel ${r.name} flags=${r.flags}`;
    return '';
  } finally {
    c.close();
  }
}

export async function waitConverged(h: Harness, fleet: Fleet, timeoutMs = 25000): Promise<void> {
  let last = '';
  await h.waitFor(
    async () => {
      for (const s of fleet.sentinels) {
        const gap = await convergenceGap(fleet, s);
        if (gap) {
          last = `${s.impl}-sentinel:${s.port}: ${gap}`;
          throw new Error(last);
        }
      }
      return true;
    },
    {
      name: `fleet converged (every sentinel sees ${fleet.replicas.length} replicas and ${fleet.sentinels.length - 1} peers)`,
      timeoutMs,
      intervalMs: 200,
    },
  );
}

/** Labels for normalising replies of this fleet: ports and myids become role names. */
export function fleetLabels(fleet: Fleet, extra: Array<[string | number, string]> = []): Labels {
  const entries: Array<[string | number, string]> = [[fleet.master.port, '{M}']];
  fleet.replicas.forEach((r, i) => entries.push([r.port, `{R${i + 1}}`]));
  fleet.sentinels.forEach((s, i) => entries.push([s.port, `{S${i + 1}}`]));
  fleet.myids.forEach((id, i) => entries.push([id, `{S${i + 1}-id}`]));
  return makeLabels([...entries, ...extra]);
}

/** Which impls a parametrised suite runs against: env var value redis|vigil|both (default both). */
export function implsFromEnv(varName: string, dflt: 'redis' | 'vigil' | 'both' = 'both'): SentinelImpl[] {
  const v = (process.env[varName] ?? dflt).toLowerCase();
  if (v === 'redis') return ['redis'];
  if (v === 'vigil') return ['vigil'];
  if (v === 'both') return ['redis', 'vigil'];
  throw new Error(`${varName} must be redis, vigil or both (got ${JSON.stringify(v)})`);
}
