// `vigil status`: the live topology as the sentinels of DIR see it (not as it was started: after a failover the
// roles differ), with the PIDs `vigil up` recorded.
import { liveRows, parseAddr } from '../cluster/inspect.js';
import { isSameProcess } from '../cluster/proc.js';
import { renderTable } from '../cluster/render.js';
import { parse, clusterDir, requireState, upAlive, out } from './common.js';
import { planCluster } from '../cluster/plan.js';
import { getJson } from '../http/group-api.js';
import type { MasterExplain } from '../core/explain.js';

/** "Why no failover" from the first Vigil sentinel's HTTP endpoint that answers; null with --impl redis or none. */
async function explainFrom(s: ReturnType<typeof requireState>): Promise<MasterExplain | null> {
  if (s.options.impl !== 'vigil') return null;
  const plan = planCluster(s.options);
  for (const [i, n] of plan.sentinels.entries()) {
    try {
      const list = (await getJson({ host: n.host, port: plan.sentinelHttpPorts[i] ?? 0 }, '/api/v1/explain', 1000)) as
        MasterExplain[] | undefined;
      const m = Array.isArray(list) ? list.find((x) => x.name === s.options.masterName) : undefined;
      if (m) return m;
    } catch {
      // next sentinel
    }
  }
  return null;
}

/** The explain block of `vigil status`: one line for the master, one per replica that cannot be promoted. */
export function renderExplain(x: MasterExplain): string[] {
  const lines: string[] = [];
  if (x.failoverState !== 'none') lines.push(`Failover: running (${x.failoverState})`);
  else if (x.failoverPossible) lines.push('Failover: would start now');
  else lines.push(`Why no failover: ${x.why.join('; ')}`);
  lines.push(
    `Quorum: ${x.usableSentinels}/${x.voters} usable sentinels, quorum ${x.quorum} ${x.quorumReachable ? 'reachable' : 'NOT reachable'}, majority ${x.majorityReachable ? 'reachable' : 'NOT reachable'}`,
  );
  for (const r of x.replicas) {
    lines.push(
      `  replica ${r.name}: ${r.eligible ? 'can be promoted' : r.reasons.join('; ')}${r.name === x.best ? ' (would be chosen)' : ''}`,
    );
  }
  return lines;
}

export const STATUS_HELP = `vigil status [--dir DIR] [--json]   live topology from the sentinels`;

export async function runStatus(argv: string[]): Promise<number> {
  const { values: v } = parse(argv, { dir: { type: 'string' }, json: { type: 'boolean' } } as const, 'status');
  const dir = clusterDir(v.dir);
  const s = requireState(dir);
  const sentinels = s.processes.filter((p) => p.role === 'sentinel');
  const proxy = s.processes.find((p) => p.role === 'proxy');
  const pids = new Map<string, number>(
    s.processes.filter((p) => isSameProcess(p.pid, p.startTime)).map((p) => [`${p.host}:${p.port}`, p.pid] as const),
  );
  const live = await liveRows(
    sentinels.map((p) => parseAddr(`${p.host}:${p.port}`)),
    s.options.masterName,
    { proxy: proxy ? { host: proxy.host, port: proxy.port } : undefined, pids },
  );
  // Data nodes that were started but that no sentinel lists any more (e.g. killed and forgotten after RESET).
  const listed = new Set<string>(live.rows.map((r) => r.address));
  for (const p of s.processes) {
    const a = `${p.host}:${p.port}`;
    if ((p.role === 'master' || p.role === 'replica') && !listed.has(a)) {
      live.rows.push({
        role: 'data node',
        address: a,
        state: pids.has(a) ? 'running, unknown to the sentinels' : 'not running',
        pid: pids.get(a),
      });
    }
  }
  const explain = await explainFrom(s);
  const upNote = upAlive(s) ? `vigil up pid ${s.upPid}` : `vigil up (pid ${s.upPid}) is not running`;
  if (v.json) {
    out(
      JSON.stringify({
        masterName: s.options.masterName,
        master: live.master ?? null,
        up: upAlive(s),
        rows: live.rows,
        restarts: s.processes
          .filter((p) => (p.restarts ?? 0) > 0)
          .map((p) => ({ name: p.name, address: `${p.host}:${p.port}`, restarts: p.restarts, lastExit: p.lastExit })),
        explain,
        dir,
      }),
    );
  } else {
    out(
      `${s.options.masterName}: master ${live.master ?? 'unknown'}  (${live.reachable}/${sentinels.length} sentinels reachable, ${upNote}, dir ${dir})`,
    );
    out('');
    out(renderTable(live.rows));
    // What `vigil up` had to restart (supervision), with the last unexpected exit.
    const restarted = s.processes.filter((p) => (p.restarts ?? 0) > 0);
    if (restarted.length > 0) {
      out('');
      for (const p of restarted) {
        out(`restarted: ${p.name} ${p.host}:${p.port} ${p.restarts} time(s), last ${p.lastExit ?? 'exit unknown'}`);
      }
    }
    if (explain) {
      out('');
      for (const l of renderExplain(explain)) out(l);
    }
  }
  return live.reachable > 0 ? 0 : 1;
}
