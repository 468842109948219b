// `vigil status`: the live topology as the sentinels of DIR see it (not as it was started: after a failover the
// roles differ), with the PIDs `vigil up` recorded.
import { liveRows, parseAddr } from '../cluster/inspect.js';
import { isSameProcess } from '../cluster/proc.js';
import { renderTable } from '../cluster/render.js';
import { parse, clusterDir, requireState, upAlive, out } from './common.js';

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
  }
  return live.reachable > 0 ? 0 : 1;
}
