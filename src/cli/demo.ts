// `vigil demo`: a failover you can watch. Uses the running cluster in DIR or starts one, writes through the
// sentinels with ioredis every few ms, kills the master with SIGKILL (by the PID `vigil up` recorded), narrates the
// sentinels' events with elapsed ms, and reports the write gap and the acknowledged writes the new master lacks.
import { performance } from 'node:perf_hooks';
import { LocalCluster } from '../cluster/cluster.js';
import { EventWatch, formatEvent, type SentinelEvent } from '../cluster/events.js';
import { masterAddrFrom, parseAddr } from '../cluster/inspect.js';
import { isSameProcess, signal } from '../cluster/proc.js';
import { readState, type ClusterState } from '../cluster/state.js';
import { FailoverTracker, sentinelLabels, STORY_EVENTS } from '../cluster/timeline.js';
import { parse, clusterDir, upAlive, out, err, UserError, intFlag } from './common.js';
import { clusterConfig, stopAll } from './up.js';

export const DEMO_HELP = `vigil demo [--dir DIR] [--interval MS] [--impl vigil|redis] [--down-after MS]
                          kill the master under a live writer and narrate the failover
                          (uses the cluster running in DIR, or starts one and stops it afterwards)`;

interface Write {
  seq: number;
  key: string;
  /** performance.now() when sent and when answered; reported relative to the kill. */
  sentAt: number;
  doneAt?: number;
  ok?: boolean;
  error?: string;
}

/** The part of ioredis the demo uses (ioredis is a devDependency; imported at run time). */
interface DemoClient {
  set(key: string, value: string): Promise<unknown>;
  mget(keys: string[]): Promise<Array<string | null>>;
  on(event: 'error', cb: (e: Error) => void): unknown;
  disconnect(): void;
}

export async function runDemo(argv: string[]): Promise<number> {
  const { values: v } = parse(
    argv,
    {
      dir: { type: 'string' },
      interval: { type: 'string' },
      impl: { type: 'string' },
      'down-after': { type: 'string' },
      'base-port': { type: 'string' },
    } as const,
    'demo',
  );
  const intervalMs = intFlag(v.interval, 'interval', 50);
  if (intervalMs < 5) throw new UserError('--interval must be at least 5 (milliseconds)', 2);
  const Redis = await loadIoredis();
  const dir = clusterDir(v.dir);
  const note = (line: string): void => err(`vigil: ${line}`);

  // Use the running cluster, or start our own.
  let state = readState(dir);
  let own: LocalCluster | undefined;
  let killedPid: number | undefined;
  if (state && upAlive(state) && state.ready) {
    out(`Using the cluster running in ${dir} (vigil up pid ${state.upPid}).`);
  } else {
    const { options, launchers } = await clusterConfig({ ...v, 'no-proxy': true }, note);
    own = new LocalCluster(options, launchers, {
      progress: (l) => err(l),
      onUnexpectedExit: (rec, how) => {
        if (rec.pid !== killedPid) note(`${rec.name} (pid ${rec.pid}) ${how}`);
      },
    });
    const cluster = own;
    process.on('exit', () => cluster.killAllNow());
    const abort = new AbortController();
    const onSig = (): void => abort.abort();
    process.once('SIGINT', onSig);
    process.once('SIGTERM', onSig);
    try {
      await own.start(abort.signal);
    } catch (e) {
      await stopAll(own, note);
      throw e;
    } finally {
      process.removeListener('SIGINT', onSig);
      process.removeListener('SIGTERM', onSig);
    }
    state = own.state;
  }
  try {
    return await demo(state, Redis, intervalMs, (pid) => (killedPid = pid));
  } finally {
    if (own) {
      out('');
      out('Stopping the demo cluster (start one with `vigil up` and run `vigil demo` next to it to keep it).');
      await stopAll(own, note);
    }
  }
}

type RedisCtor = new (opts: Record<string, unknown>) => DemoClient;

async function loadIoredis(): Promise<RedisCtor> {
  try {
    const mod = await import('ioredis');
    return mod.Redis as unknown as RedisCtor;
  } catch {
    throw new UserError(
      'vigil demo writes with ioredis, which is not installed: run `npm ci` in the vigil checkout (or `npm install ioredis`)',
    );
  }
}

async function demo(
  state: ClusterState,
  Redis: RedisCtor,
  intervalMs: number,
  onKill: (pid: number) => void,
): Promise<number> {
  const name = state.options.masterName;
  const sentinels = state.processes.filter((p) => p.role === 'sentinel').map((p) => `${p.host}:${p.port}`);
  const labels = sentinelLabels(sentinels);
  let oldMaster: string | undefined;
  for (const a of sentinels) {
    try {
      oldMaster = await masterAddrFrom(parseAddr(a), name);
      if (oldMaster) break;
    } catch {
      // next sentinel
    }
  }
  if (!oldMaster)
    throw new UserError(`no sentinel knows the master ${name}: check \`vigil status --dir ${state.options.dir}\``);
  const rec = state.processes.find((p) => `${p.host}:${p.port}` === oldMaster && isSameProcess(p.pid, p.startTime));
  if (!rec)
    throw new UserError(
      `the master ${oldMaster} is not a process vigil started (or it is already down): nothing to kill`,
    );

  const client = new Redis({
    sentinels: sentinels.map(parseAddr),
    name,
    // A write either completes within 1 s or counts as failed, like an application with a client-side timeout.
    commandTimeout: 1000,
  });
  let lastClientError = '';
  client.on('error', (e) => (lastClientError = e.message));

  const runId = Math.random().toString(36).slice(2, 8);
  const writes: Write[] = [];
  let killAt = 0;
  const rel = (t: number): number => Math.round(t - killAt);
  let killed = false;
  let firstFailAfterKill: Write | undefined;
  let firstOkAfterKill: Write | undefined;
  let wake: () => void = () => {};

  out(`Writing to ${name} through the sentinels with ioredis, one SET every ${intervalMs} ms (1 s timeout).`);
  let seq = 0;
  const writer = setInterval(() => {
    const w: Write = { seq: ++seq, key: `vigil:demo:${runId}:${seq}`, sentAt: performance.now() };
    writes.push(w);
    client.set(w.key, String(w.seq)).then(
      () => {
        w.doneAt = performance.now();
        w.ok = true;
        if (killed && !firstOkAfterKill) {
          firstOkAfterKill = w;
          out(`${`${rel(w.doneAt)} ms`.padStart(9)}  writer: writes succeed again`);
        }
        wake();
      },
      (e: unknown) => {
        w.doneAt = performance.now();
        w.ok = false;
        w.error = e instanceof Error ? e.message : String(e);
        if (killed && !firstFailAfterKill) {
          firstFailAfterKill = w;
          out(
            `${`${rel(w.doneAt)} ms`.padStart(9)}  writer: first failed write (sent at ${rel(w.sentAt)} ms: ${w.error})`,
          );
        }
      },
    );
  }, intervalMs);

  const tracker = new FailoverTracker(name, oldMaster);
  const { watch, unreachable } = await EventWatch.start(sentinels.map(parseAddr), (e: SentinelEvent) => {
    if (!killed) return;
    tracker.observe(e);
    if (STORY_EVENTS.has(e.event) || e.event.startsWith('-failover-abort')) out(formatEvent(e, labels.get(e.sentinel)));
    wake();
  });
  for (const u of unreachable) err(`vigil: not watching ${u.sentinel}: ${u.error}`);

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  try {
    // Warm-up: the writer must be working before we break anything.
    const warmDeadline = Date.now() + 15_000;
    while (writes.filter((w) => w.ok).length < 20) {
      if (Date.now() > warmDeadline)
        throw new UserError(`the writer could not write through the sentinels (${lastClientError || 'no reply'})`);
      await sleep(100);
    }
    const warm = writes.filter((w) => w.ok).length;
    out(`  writer: ${warm} writes acknowledged by the master ${oldMaster}`);
    out('');
    out(
      `Killing the master: kill -9 ${rec.pid} (${oldMaster}). down-after-milliseconds is ${state.options.downAfterMs}, so the sentinels`,
    );
    out(`notice after ~${(state.options.downAfterMs / 1000).toFixed(1)} s. Elapsed times count from the kill:`);
    onKill(rec.pid);
    killAt = performance.now();
    watch.resetClock();
    killed = true;
    signal(rec.pid, 'SIGKILL');
    out(`${'0 ms'.padStart(9)}  kill -9 ${rec.pid}`);

    // Done when a sentinel switched and the writer has written for a while on the new master.
    const deadline = Date.now() + state.options.downAfterMs + 2 * state.options.failoverTimeoutMs + 15_000;
    const settled = (): boolean => {
      if (!tracker.newMaster || !firstOkAfterKill) return false;
      const after = firstOkAfterKill.doneAt ?? 0;
      return writes.filter((w) => w.ok && (w.doneAt ?? 0) > after).length >= Math.max(10, Math.ceil(1000 / intervalMs));
    };
    while (!settled() && !tracker.abort && Date.now() < deadline) await sleep(200);
  } finally {
    clearInterval(writer);
    watch.close();
  }
  // Let in-flight writes finish (bounded by the 1 s command timeout).
  const drainDeadline = Date.now() + 2500;
  while (writes.some((w) => w.ok === undefined) && Date.now() < drainDeadline) await sleep(50);

  out('');
  if (tracker.abort) out(`The failover aborted: ${tracker.abort.event} ${tracker.abort.payload}`);
  if (!tracker.newMaster) {
    client.disconnect();
    throw new UserError(`no failover happened in time: check the sentinel logs in ${state.options.dir}`);
  }
  const acked = writes.filter((w) => w.ok);
  const failed = writes.filter((w) => w.ok === false);
  const lastBefore = acked.filter((w) => (w.doneAt ?? 0) <= killAt).at(-1);
  const firstAfter = acked.find((w) => (w.doneAt ?? 0) > killAt);
  // Acknowledged writes the new master does not have: asynchronous replication's window at the moment of the kill.
  const missing: Write[] = [];
  for (let i = 0; i < acked.length; i += 500) {
    const chunk = acked.slice(i, i + 500);
    const vals = await client.mget(chunk.map((w) => w.key));
    chunk.forEach((w, j) => {
      if (vals[j] !== String(w.seq)) missing.push(w);
    });
  }
  client.disconnect();
  const switchTimes = [...tracker.switched.values()].map((x) => x.atMs);
  out('Result:');
  out(`  new master:        ${tracker.newMaster} (was ${oldMaster})`);
  out(
    `  failover:          ${Math.min(...switchTimes)} ms from the kill to the first +switch-master` +
      (tracker.firstOf.has('+odown') ? ` (+odown at ${tracker.firstOf.get('+odown')} ms)` : ''),
  );
  if (lastBefore?.doneAt !== undefined && firstAfter?.doneAt !== undefined) {
    const a = rel(lastBefore.doneAt);
    const b = rel(firstAfter.doneAt);
    out(`  write gap:         ${b - a} ms without an acknowledged write (last at ${a} ms, next at +${b} ms)`);
  }
  out(`  writes:            ${writes.length} sent, ${acked.length} acknowledged, ${failed.length} failed or timed out`);
  out(
    `  writes lost:       ${missing.length} of ${acked.length} acknowledged writes are missing on the new master` +
      (missing.length
        ? ` (seq ${missing
            .slice(0, 10)
            .map((w) => w.seq)
            .join(', ')}${missing.length > 10 ? ', …' : ''})`
        : ''),
  );
  out(`  The old master stays down; if it restarts, the sentinels turn it into a replica (+convert-to-slave).`);
  return 0;
}
