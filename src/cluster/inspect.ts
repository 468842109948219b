// Asking the sentinels what they see: the readiness check of `vigil up` and the live table of `vigil status`.
// Only SENTINEL MASTER / REPLICAS / SENTINELS / GET-MASTER-ADDR-BY-NAME and PING/INFO on data nodes.
import { RespConn, fieldsOf, infoFields } from '../link/link.js';
import { replyToString, type Reply } from '../resp/index.js';
import type { TableRow } from './render.js';

export interface Addr {
  host: string;
  port: number;
}

export function parseAddr(a: string): Addr {
  const i = a.lastIndexOf(':');
  return { host: a.slice(0, i), port: Number(a.slice(i + 1)) };
}

export interface SentinelView {
  sentinel: string;
  master: Record<string, string>;
  replicas: Array<Record<string, string>>;
  sentinels: Array<Record<string, string>>;
}

const BAD_FLAGS = ['s_down', 'o_down', 'disconnected'];

export function flagsOk(flags: string | undefined): boolean {
  if (!flags) return false;
  const f = flags.split(',');
  return !BAD_FLAGS.some((b) => f.includes(b));
}

export function recAddr(r: Record<string, string>): string {
  return `${r.ip ?? '?'}:${r.port ?? '?'}`;
}

/** One round trip per question to one sentinel. Throws if it is unreachable or does not know the master. */
export async function sentinelView(s: Addr, masterName: string, timeoutMs = 1500): Promise<SentinelView> {
  const c = await RespConn.open(s.host, s.port, { connectTimeoutMs: timeoutMs, callTimeoutMs: timeoutMs });
  try {
    const [master, replicas, sentinels] = await Promise.all([
      c.call('SENTINEL', 'MASTER', masterName),
      c.call('SENTINEL', 'REPLICAS', masterName),
      c.call('SENTINEL', 'SENTINELS', masterName),
    ]);
    const list = (r: Reply): Array<Record<string, string>> => (Array.isArray(r) ? r.map(fieldsOf) : []);
    return {
      sentinel: `${s.host}:${s.port}`,
      master: fieldsOf(master),
      replicas: list(replicas),
      sentinels: list(sentinels),
    };
  } finally {
    c.close();
  }
}

export async function masterAddrFrom(s: Addr, masterName: string, timeoutMs = 1000): Promise<string | undefined> {
  const c = await RespConn.open(s.host, s.port, { connectTimeoutMs: timeoutMs, callTimeoutMs: timeoutMs });
  try {
    const r = await c.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName);
    if (!Array.isArray(r) || r.length !== 2) return undefined;
    return `${replyToString(r[0] as Reply)}:${replyToString(r[1] as Reply)}`;
  } finally {
    c.close();
  }
}

/** What is still missing before a sentinel is fully connected; empty when it sees everything expected. */
export function readinessGaps(
  v: SentinelView,
  expect: { master: string; replicas: string[]; otherSentinels: string[] },
): string[] {
  const gaps: string[] = [];
  if (recAddr(v.master) !== expect.master) gaps.push(`monitors ${recAddr(v.master)} instead of ${expect.master}`);
  else if (!flagsOk(v.master.flags) || v.master.flags !== 'master') gaps.push(`master flags ${v.master.flags ?? '?'}`);
  const okReplicas = new Set(
    v.replicas.filter((r) => flagsOk(r.flags) && r['master-link-status'] === 'ok').map(recAddr),
  );
  const missingReplicas = expect.replicas.filter((a) => !okReplicas.has(a));
  if (missingReplicas.length)
    gaps.push(`replicas ${expect.replicas.length - missingReplicas.length}/${expect.replicas.length}`);
  const okSentinels = new Set(v.sentinels.filter((r) => flagsOk(r.flags)).map(recAddr));
  const missingSentinels = expect.otherSentinels.filter((a) => !okSentinels.has(a));
  if (missingSentinels.length) {
    gaps.push(
      `other sentinels ${expect.otherSentinels.length - missingSentinels.length}/${expect.otherSentinels.length}`,
    );
  }
  return gaps;
}

/** Live topology rows for `vigil status`: data nodes as the first reachable sentinel sees them, every sentinel. */
export async function liveRows(
  sentinels: Addr[],
  masterName: string,
  extra: { proxy?: Addr | undefined; pids?: Map<string, number> } = {},
): Promise<{ rows: TableRow[]; master: string | undefined; reachable: number }> {
  const views = await Promise.all(
    sentinels.map(async (s) => {
      try {
        return { s, view: await sentinelView(s, masterName) };
      } catch (err) {
        return { s, error: err instanceof Error ? err.message : String(err) };
      }
    }),
  );
  const pid = (a: string): number | undefined => extra.pids?.get(a);
  const rows: TableRow[] = [];
  const first = views.find((v) => v.view)?.view;
  // The master according to the majority of reachable sentinels (they can disagree for a moment after a switch).
  const votes = new Map<string, number>();
  for (const v of views) if (v.view) votes.set(recAddr(v.view.master), (votes.get(recAddr(v.view.master)) ?? 0) + 1);
  const master = [...votes.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  if (first) {
    const m = first.master;
    const agree = votes.get(master ?? '') ?? 0;
    const reachable = views.filter((v) => v.view).length;
    const state = [
      stateWord(m.flags),
      `${m.name ?? masterName}, quorum ${m.quorum ?? '?'}, config-epoch ${m['config-epoch'] ?? '?'}`,
      agree < reachable ? `(${reachable - agree} sentinel(s) disagree)` : '',
    ];
    rows.push({
      role: 'master',
      address: master ?? recAddr(m),
      state: state.filter(Boolean).join('  '),
      pid: pid(master ?? ''),
    });
    for (const r of first.replicas) {
      const link = r['master-link-status'] === 'ok' ? 'replicating' : `link ${r['master-link-status'] ?? '?'}`;
      rows.push({
        role: 'replica',
        address: recAddr(r),
        state: `${stateWord(r.flags)}  ${link}, offset ${r['slave-repl-offset'] ?? '?'}, priority ${r['slave-priority'] ?? '?'}`,
        pid: pid(recAddr(r)),
      });
    }
  }
  for (const v of views) {
    const a = `${v.s.host}:${v.s.port}`;
    if (v.view) {
      const okPeers = v.view.sentinels.filter((p) => flagsOk(p.flags)).length;
      const sees = `sees master ${recAddr(v.view.master)}, ${v.view.replicas.length} replica(s), ${okPeers}/${sentinels.length - 1} other sentinel(s)`;
      rows.push({ role: 'sentinel', address: a, state: `ok  ${sees}`, pid: pid(a) });
    } else {
      rows.push({ role: 'sentinel', address: a, state: `down  ${v.error ?? ''}`, pid: pid(a) });
    }
  }
  if (extra.proxy) {
    const a = `${extra.proxy.host}:${extra.proxy.port}`;
    rows.push({ role: 'proxy', address: a, state: await proxyState(extra.proxy), pid: pid(a) });
  }
  return { rows, master, reachable: views.filter((v) => v.view).length };
}

function stateWord(flags: string | undefined): string {
  if (!flags) return '?';
  const f = flags.split(',');
  if (f.includes('o_down')) return 'o_down';
  if (f.includes('s_down')) return 's_down';
  if (f.includes('disconnected')) return 'disconnected';
  if (f.includes('failover_in_progress')) return 'failing-over';
  return 'ok';
}

/** A proxy is healthy when a client connected through it reaches a master. */
export async function proxyState(p: Addr): Promise<string> {
  try {
    const c = await RespConn.open(p.host, p.port, { connectTimeoutMs: 1000, callTimeoutMs: 1500 });
    try {
      const info = infoFields(replyToString(await c.call('INFO', 'replication')));
      return info.role === 'master' ? 'ok  forwards to the master' : `role ${info.role ?? '?'} behind the proxy`;
    } finally {
      c.close();
    }
  } catch (err) {
    return `down  ${err instanceof Error ? err.message : String(err)}`;
  }
}

/** PING a data node or sentinel; true on +PONG. */
export async function pingable(a: Addr, timeoutMs = 500): Promise<boolean> {
  try {
    const c = await RespConn.open(a.host, a.port, { connectTimeoutMs: timeoutMs, callTimeoutMs: timeoutMs });
    try {
      return (await c.call('PING')) === 'PONG';
    } finally {
      c.close();
    }
  } catch {
    return false;
  }
}

/** INFO replication of a data node as key/value pairs. */
export async function replicationInfo(a: Addr, timeoutMs = 1000): Promise<Record<string, string>> {
  const c = await RespConn.open(a.host, a.port, { connectTimeoutMs: timeoutMs, callTimeoutMs: timeoutMs });
  try {
    return infoFields(replyToString(await c.call('INFO', 'replication')));
  } finally {
    c.close();
  }
}
