// `vigil up`: a local HA cluster in one command. Starts the processes, waits until the sentinels see the whole
// topology, prints how to connect (or one JSON line with --json), then supervises until Ctrl-C, SIGTERM or
// `vigil down`, and stops everything it started, by PID.
import { createServer } from 'node:net';
import { LocalCluster, ClusterAbortedError, type ClusterLaunchers } from '../cluster/cluster.js';
import { DEFAULTS, HOST, checkOptions, portCount, type ClusterOptions, type SentinelImpl } from '../cluster/plan.js';
import { ensureBinaries } from '../cluster/binaries.js';
import { vigilSentinelLaunch, vigilProxyLaunch, type Launch } from '../cluster/entry.js';
import { readState } from '../cluster/state.js';
import { isSameProcess } from '../cluster/proc.js';
import { liveRows, parseAddr } from '../cluster/inspect.js';
import { renderTable, renderConnectionHelp, type ClusterSummary } from '../cluster/render.js';
import { EventWatch, type SentinelEvent } from '../cluster/events.js';
import { UserError, parse, intFlag, clusterDir, out, err } from './common.js';
import { startGroupDashboard } from '../http/group-api.js';

export const UP_HELP = `vigil up [options]      start 1 master + replicas, sentinels and the proxy on 127.0.0.1
  --dir DIR               configs, data, logs and state (default ./.vigil)
  --base-port N           first port; master, replicas, sentinels, proxy follow consecutively
                          (default: the first free block from ${DEFAULTS.basePort})
  --replicas N            default ${DEFAULTS.replicas}
  --sentinels N           default ${DEFAULTS.sentinels} (quorum = majority)
  --master-name NAME      default ${DEFAULTS.masterName}
  --down-after MS         sentinel down-after-milliseconds (default ${DEFAULTS.downAfterMs})
  --failover-timeout MS   sentinel failover-timeout (default ${DEFAULTS.failoverTimeoutMs})
  --impl vigil|redis      sentinel implementation: Vigil's (default) or the real redis-sentinel
  --no-proxy              do not start the proxy
  --json                  print one JSON line when ready (progress goes to stderr)`;

const OPTIONS = {
  dir: { type: 'string' },
  'base-port': { type: 'string' },
  replicas: { type: 'string' },
  sentinels: { type: 'string' },
  'master-name': { type: 'string' },
  'down-after': { type: 'string' },
  'failover-timeout': { type: 'string' },
  impl: { type: 'string' },
  'no-proxy': { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

export async function runUp(argv: string[]): Promise<number> {
  const { values: v } = parse(argv, OPTIONS, 'up');
  const json = v.json === true;
  const note = (line: string): void => err(`vigil: ${line}`);
  const { options, launchers } = await clusterConfig(v, note);
  const dir = options.dir;

  let stopRequested: NodeJS.Signals | undefined;
  const abort = new AbortController();
  let wake: () => void = () => {};
  const stopped = new Promise<void>((resolve) => (wake = resolve));
  const cluster = new LocalCluster(options, launchers, {
    progress: (line) => err(line),
    onUnexpectedExit: (rec, how, restartInMs) =>
      note(
        restartInMs === undefined
          ? `${rec.name} (${rec.role} ${rec.host}:${rec.port}, pid ${rec.pid}) ${how}`
          : `${rec.name} (${rec.role} ${rec.host}:${rec.port}, pid ${rec.pid}) ${how}; restarting in ${restartInMs} ms`,
      ),
    onRestart: (rec, error) =>
      note(
        error === undefined
          ? `${rec.name} restarted (${rec.host}:${rec.port}, pid ${rec.pid}, restart ${rec.restarts ?? 1})`
          : `${rec.name} could not be restarted: ${error}; trying again`,
      ),
  });
  process.on('exit', () => cluster.killAllNow());
  const onSignal = (sig: NodeJS.Signals): void => {
    if (stopRequested) return note(`already stopping (${stopRequested})…`);
    stopRequested = sig;
    abort.abort();
    wake();
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, onSignal);

  let summary: ClusterSummary;
  try {
    summary = await cluster.start(abort.signal);
  } catch (e) {
    const interrupted = e instanceof ClusterAbortedError;
    note(
      interrupted
        ? `interrupted by ${stopRequested ?? 'signal'} during start-up: stopping what was started`
        : (e as Error).message,
    );
    if (v.debug && !interrupted) err((e as Error).stack ?? '');
    await stopAll(cluster, note);
    return interrupted ? 128 + (stopRequested === 'SIGINT' ? 2 : stopRequested === 'SIGHUP' ? 1 : 15) : 1;
  }

  // The dashboard (Vigil's sentinels only: it reads their HTTP endpoints), on loopback.
  let dashboard: Awaited<ReturnType<typeof startGroupDashboard>> | undefined;
  if (options.impl === 'vigil') {
    try {
      dashboard = await startGroupDashboard(
        cluster.plan.sentinels.map((n, i) => ({ host: n.host, port: cluster.plan.sentinelHttpPorts[i] ?? 0 })),
        { host: HOST, port: cluster.plan.dashboardPort },
      );
      summary = { ...summary, dashboard: { url: dashboard.endpoint.url } };
    } catch (e) {
      note(`dashboard not started: ${(e as Error).message}`);
    }
  }

  let watch: EventWatch | undefined;
  if (json) {
    out(JSON.stringify(summary));
  } else {
    const pids = new Map(cluster.state.processes.map((p) => [`${p.host}:${p.port}`, p.pid]));
    const live = await liveRows(summary.sentinels.map(parseAddr), summary.masterName, {
      proxy: summary.proxy ? parseAddr(summary.proxy) : undefined,
      pids,
    });
    out('');
    out(renderTable(live.rows));
    out('');
    const http =
      cluster.plan.proxy && cluster.plan.proxyHttpPort !== undefined
        ? `${cluster.plan.proxy.host}:${cluster.plan.proxyHttpPort}`
        : undefined;
    out(renderConnectionHelp(summary, { proxyHttp: http }));
    out('');
    out(
      `Running. Stop with Ctrl-C or \`vigil down --dir ${dir}\`. Status: \`vigil status --dir ${dir}\`. Logs: ${dir}/*/*.log`,
    );
  }
  // Narrate the important events while running (to stderr in --json mode: stdout carries only the JSON line).
  if (!stopRequested) {
    try {
      const say = json ? err : out;
      watch = (await EventWatch.start(summary.sentinels.map(parseAddr), narrator(say))).watch;
    } catch {
      // narration is best effort
    }
  }
  // Child handles keep the event loop alive today; this makes it explicit.
  const keepAlive = setInterval(() => {}, 3_600_000);
  if (!stopRequested) await stopped;
  clearInterval(keepAlive);
  watch?.close();
  await dashboard?.close();
  note(`${stopRequested ?? 'stop'} received: stopping the cluster`);
  const ok = await stopAll(cluster, note);
  for (const s of signals) process.removeListener(s, onSignal);
  return ok ? 0 : 1;
}

/** Flags shared by `vigil up` and `vigil demo`. */
export interface ClusterFlags {
  dir?: string | undefined;
  'base-port'?: string | undefined;
  replicas?: string | undefined;
  sentinels?: string | undefined;
  'master-name'?: string | undefined;
  'down-after'?: string | undefined;
  'failover-timeout'?: string | undefined;
  impl?: string | undefined;
  'no-proxy'?: boolean | undefined;
}

/**
 * Validates the flags, refuses a DIR that is in use, finds (or installs) the binaries and a free block of ports.
 * Starts nothing.
 */
export async function clusterConfig(
  v: ClusterFlags,
  note: (line: string) => void,
): Promise<{ options: ClusterOptions; launchers: ClusterLaunchers }> {
  const impl = (v.impl ?? process.env.VIGIL_SENTINEL_IMPL ?? 'vigil') as SentinelImpl;
  if (impl !== 'vigil' && impl !== 'redis')
    throw new UserError(`--impl must be 'vigil' or 'redis', got '${String(impl)}'`, 2);
  const dir = clusterDir(v.dir);
  const numbers = {
    replicas: intFlag(v.replicas, 'replicas', DEFAULTS.replicas),
    sentinels: intFlag(v.sentinels, 'sentinels', DEFAULTS.sentinels),
    downAfterMs: intFlag(v['down-after'], 'down-after', DEFAULTS.downAfterMs),
    failoverTimeoutMs: intFlag(v['failover-timeout'], 'failover-timeout', DEFAULTS.failoverTimeoutMs),
  };
  refuseIfRunning(dir);

  const bins = ensureBinaries(impl === 'redis' ? ['redis-server', 'redis-sentinel'] : ['redis-server'], note);
  let sentinel: Launch;
  if (impl === 'redis') {
    sentinel = { cmd: bins['redis-sentinel'] as string, args: [] };
  } else {
    const l = vigilSentinelLaunch();
    if ('missing' in l) throw new UserError(`${l.missing}; or use the real one with \`--impl redis\``);
    sentinel = l;
  }
  let proxy: Launch | undefined;
  if (v['no-proxy'] !== true) {
    const l = vigilProxyLaunch();
    if ('missing' in l) note(`proxy skipped: ${l.missing}`);
    else proxy = l;
  }

  const base: Omit<ClusterOptions, 'basePort'> = {
    dir,
    ...numbers,
    masterName: v['master-name'] ?? DEFAULTS.masterName,
    impl,
    proxy: proxy !== undefined,
  };
  const requested = v['base-port'] === undefined ? undefined : intFlag(v['base-port'], 'base-port', 0);
  const problem = checkOptions({ ...base, basePort: requested ?? DEFAULTS.basePort });
  if (problem) throw new UserError(problem, 2);
  const basePort = await choosePorts(requested, portCount(base));
  return {
    options: { ...base, basePort },
    launchers: { redisServer: bins['redis-server'] as string, sentinel, proxy },
  };
}

export async function stopAll(cluster: LocalCluster, note: (l: string) => void): Promise<boolean> {
  const { survivors } = await cluster.stop();
  if (survivors.length) {
    note(`could not stop ${survivors.map((s) => `${s.name} (pid ${s.pid})`).join(', ')}: kill them by PID`);
    return false;
  }
  note('stopped');
  return true;
}

/** Events worth a line while the cluster runs; the rest are visible with `redis-cli -p <sentinel> PSUBSCRIBE '*'`. */
const NARRATE = new Set([
  '+sdown',
  '-sdown',
  '+odown',
  '-odown',
  '+switch-master',
  '+failover-end',
  '+convert-to-slave',
  '+tilt',
  '-tilt',
]);

function narrator(say: (l: string) => void): (e: SentinelEvent) => void {
  // Every sentinel publishes its own copy; say each distinct event once per few seconds.
  const seen = new Map<string, number>();
  return (e) => {
    if (!NARRATE.has(e.event) && !e.event.startsWith('-failover-abort')) return;
    const key = `${e.event} ${e.payload.replace(/ #quorum.*/, '')}`;
    const now = Date.now();
    const last = seen.get(key);
    seen.set(key, now);
    if (last !== undefined && now - last < 5000) return;
    say(`vigil: event ${e.event} ${e.payload} (from sentinel ${e.sentinel})`);
  };
}

function refuseIfRunning(dir: string): void {
  let s;
  try {
    s = readState(dir);
  } catch (e) {
    throw new UserError(`${(e as Error).message}: move it away or use another --dir`);
  }
  if (!s) return;
  if (isSameProcess(s.upPid, s.upStartTime)) {
    throw new UserError(
      `a cluster is already running in ${dir} (vigil up pid ${s.upPid}): stop it with \`vigil down --dir ${dir}\` or use another --dir`,
    );
  }
  const left = s.processes.filter((p) => isSameProcess(p.pid, p.startTime));
  if (left.length) {
    throw new UserError(
      `${left.length} process(es) of an earlier \`vigil up\` in ${dir} are still running: run \`vigil down --dir ${dir}\` first`,
    );
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: HOST, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

async function allFree(base: number, n: number): Promise<boolean> {
  for (let p = base; p < base + n; p++) if (!(await portFree(p))) return false;
  return true;
}

/** The requested block must be free; otherwise the first free block of n ports from the default, in steps of 10. */
async function choosePorts(requested: number | undefined, n: number): Promise<number> {
  if (requested !== undefined) {
    for (let p = requested; p < requested + n; p++) {
      if (!(await portFree(p)))
        throw new UserError(`port ${p} on ${HOST} is in use: pick another --base-port (needs ${n} consecutive ports)`);
    }
    return requested;
  }
  const step = Math.max(10, Math.ceil(n / 10) * 10);
  for (let base = DEFAULTS.basePort; base + n <= 60000; base += step) if (await allFree(base, n)) return base;
  throw new UserError('no block of free ports found on 127.0.0.1: pass --base-port');
}
