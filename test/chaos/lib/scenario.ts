// Runs one scenario against one implementation, inside the namespace: start the group, run the writers, apply
// the scenario's faults, heal, wait for convergence, then check the history and the event logs.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OwnedProcess, REPO_ROOT } from '../../harness/harness.js';
import { pathToFileURL } from 'node:url';
import { waitFor } from '../../harness/wait.js';
import {
  ChaosCluster,
  MASTER_NAME,
  NODE_IPS,
  SENTINEL_PORT,
  query,
  type ClusterTimings,
  type Impl,
} from './cluster.js';
import { ACTING, checkElections, parseLog, type LogEvent } from './events.js';
import { SetWriter, checkSet, type SetCheck } from './writer.js';

export interface Check {
  id: string;
  ok: boolean;
  detail: string;
}

export interface ScenarioResult {
  scenario: string;
  impl: Impl;
  failedOver: boolean;
  /** ms from the fault to the first +switch-master (null: none). */
  timeToNewMasterMs: number | null;
  finalMaster: number | null;
  acked: SetCheck | null;
  waited: SetCheck | null;
  leaders: Record<string, number[]>;
  notes: string[];
  checks: Check[];
  /** Failed checks that this implementation fails by design (the redis-sentinel baseline records them). */
  byDesign: string[];
  /** Vigil's known issue for this scenario, if any (its run is a TODO). */
  knownIssue: string | null;
  durationMs: number;
}

export interface Ctx {
  cluster: ChaosCluster;
  /** Record that `nodes`' sentinels are cut off from a majority from now until `until()` is called. */
  minority(nodes: number[]): () => void;
  note(text: string): void;
  /** Add a scenario-specific check to the result. */
  check(id: string, ok: boolean, detail: string): void;
  sleep(ms: number): Promise<void>;
  /** Events of every node's log so far. */
  events(): LogEvent[];
  /** Wait for the first event (at or after `since`) matching `pred`. */
  waitEvent(pred: (e: LogEvent) => boolean, timeoutMs: number, since?: number): Promise<LogEvent>;
  /** The node whose sentinel logged +elected-leader most recently (after `since`). */
  waitLeader(timeoutMs: number, since: number): Promise<number>;
}

export interface Scenario {
  name: string;
  tier: 'fast' | 'all';
  title: string;
  /** Clients go through Sentinel discovery (ioredis) or through Vigil's proxy. */
  via?: 'sentinel' | 'proxy';
  /** true: must fail over; false: must not; 'any': either is fine. */
  expectFailover: boolean | 'any';
  timings?: Partial<ClusterTimings>;
  vigilExtra?: string[];
  /** Checks redis-sentinel fails by design: its baseline records them instead of failing. */
  redisByDesign?: string[];
  /** Upper bound on the acknowledged-lost percentage for Vigil (none: measured and reported only). */
  vigilAckedLostMaxPct?: number;
  /**
   * A known Vigil bug this scenario exposes (issue text): Vigil's run is reported as a node:test TODO, so it runs
   * and its failures show, without failing the suite. Remove once fixed.
   */
  vigilKnownIssue?: string;
  /** Unshare a mount namespace too (disk scenarios). */
  mountNs?: boolean;
  convergeTimeoutMs?: number;
  /** Let the writers run this long before the fault (default: until 50 writes are acknowledged). */
  warmupMs?: number;
  /** Before anything starts (e.g. mount a tmpfs over a sentinel's dir). */
  prepare?(cluster: ChaosCluster): void;
  run(ctx: Ctx): Promise<void>;
}

export const DEFAULT_TIMINGS: ClusterTimings = { downAfterMs: 2000, failoverTimeoutMs: 6000 };

/** Unmount (in this private mount namespace) everything mounted under dir, innermost first. */
function unmountUnder(dir: string): void {
  const mounts = readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1] ?? '')
    .filter((m) => m.startsWith(dir + '/'))
    .reverse();
  for (const m of mounts) spawnSync('umount', [m]);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function startProxy(): OwnedProcess {
  const tsx = pathToFileURL(join(REPO_ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
  const sentinels = NODE_IPS.map((ip) => `${ip}:${SENTINEL_PORT}`).join(',');
  return new OwnedProcess(
    process.execPath,
    [
      '--import',
      tsx,
      join(REPO_ROOT, 'src/cli/proxy.ts'),
      '--sentinels',
      sentinels,
      '--master-name',
      MASTER_NAME,
      '--listen',
      '127.0.0.1:6390',
    ],
    {
      name: 'vigil proxy',
      readyWhen: async () => (await query('127.0.0.1', 6390, ['PING'], 1000)) === 'PONG',
      readyTimeoutMs: 30000,
    },
  );
}

export async function runScenario(sc: Scenario, impl: Impl): Promise<ScenarioResult> {
  const started = Date.now();
  const runDir = mkdtempSync(join(tmpdir(), `vigil-chaos-${sc.name}-${impl}-`));
  const timings = { ...DEFAULT_TIMINGS, ...sc.timings };
  const cluster = new ChaosCluster(impl, runDir, timings, sc.vigilExtra ?? []);
  const checks: Check[] = [];
  const notes: string[] = [];
  const minorities: Array<{ nodes: number[]; from: number; to: number }> = [];
  const check = (id: string, ok: boolean, detail: string): void => {
    checks.push({ id, ok, detail });
  };
  const allEvents = (): LogEvent[] =>
    cluster.nodes.flatMap((n) => parseLog(n.idx, cluster.logText(n.idx))).sort((a, b) => a.at - b.at);
  const ctx: Ctx = {
    cluster,
    minority(nodes) {
      const m = { nodes, from: Date.now(), to: Infinity };
      minorities.push(m);
      return () => {
        m.to = Date.now();
      };
    },
    note: (t) => notes.push(t),
    check,
    sleep,
    events: allEvents,
    async waitEvent(pred, timeoutMs, since = 0) {
      return waitFor(() => allEvents().find((e) => e.at >= since && pred(e)), {
        name: 'sentinel event',
        timeoutMs,
        intervalMs: 10,
      });
    },
    async waitLeader(timeoutMs, since) {
      const e = await ctx.waitEvent((x) => x.type === '+elected-leader', timeoutMs, since);
      return e.node;
    },
  };
  let proxy: OwnedProcess | undefined;
  const writers: SetWriter[] = [];
  let result: ScenarioResult | undefined;
  try {
    sc.prepare?.(cluster);
    await cluster.start();
    const binding = await cluster.assertBinding();
    check('binding', binding.length === 0, binding.join('; ') || 'every link leaves from its node address');
    let target: ConstructorParameters<typeof SetWriter>[0] = {
      sentinels: NODE_IPS.map((host) => ({ host, port: SENTINEL_PORT })),
      name: MASTER_NAME,
    };
    if (sc.via === 'proxy') {
      proxy = startProxy();
      await proxy.start();
      target = { host: '127.0.0.1', port: 6390 };
    }
    const acked = new SetWriter(target, 'a', false);
    const waited = new SetWriter(target, 'w', true);
    writers.push(acked, waited);
    for (const w of writers) w.start();
    await waitFor(
      () => acked.ops.filter((o) => o.type === 'ok').length >= 50 && waited.ops.some((o) => o.type === 'ok'),
      {
        name: 'writers acknowledged before the fault',
        timeoutMs: 15000,
      },
    );
    if (sc.warmupMs) await sleep(sc.warmupMs);
    const faultAt = Date.now();
    await sc.run(ctx);
    const healedAt = Date.now();
    for (const n of cluster.nodes) {
      if (!n.sentinel.running) notes.push(`n${n.idx + 1} sentinel not running after the faults`);
    }
    let finalMaster: number | null = null;
    try {
      finalMaster = await cluster.waitConverged([], sc.convergeTimeoutMs ?? 40000);
      check('converged', true, `converged on n${finalMaster + 1} ${Date.now() - healedAt} ms after the heal`);
    } catch (err) {
      check('converged', false, (err as Error).message.split('\n')[0] ?? 'not converged');
    }
    // Keep writing one more second on the converged group, then stop and let the replicas catch up.
    await sleep(1000);
    for (const w of writers) await w.stop();
    writers.length = 0;
    let ackedCheck: SetCheck | null = null;
    let waitCheck: SetCheck | null = null;
    if (finalMaster !== null) {
      try {
        finalMaster = await cluster.waitConverged(['a', 'w'], 15000);
        ackedCheck = checkSet('a', acked.ops, await cluster.members(finalMaster, 'a'), faultAt);
        waitCheck = checkSet('w', waited.ops, await cluster.members(finalMaster, 'w'), faultAt);
      } catch (err) {
        check('converged', false, `data: ${(err as Error).message.split('\n')[0]}`);
      }
    }
    const events = allEvents();
    const switches = events.filter((e) => e.type === '+switch-master' && e.at >= faultAt);
    const failedOver = switches.length > 0 || (finalMaster !== null && finalMaster !== 0);
    const first = switches[0];
    const timeToNewMasterMs = first ? first.at - faultAt : null;
    if (sc.expectFailover !== 'any')
      check(
        'failover',
        failedOver === sc.expectFailover,
        `${failedOver ? 'failed over' : 'no failover'} (expected ${sc.expectFailover ? 'a failover' : 'none'})`,
      );
    const elections = checkElections(cluster.nodes.map((n) => events.filter((e) => e.node === n.idx)));
    check(
      'one-leader-per-epoch',
      elections.violations.length === 0,
      elections.violations.join('; ') || JSON.stringify(elections.leaders),
    );
    await cluster.stop();
    check(
      'epochs-monotonic-on-disk',
      cluster.epochRegressions.length === 0,
      cluster.epochRegressions.join('; ') || 'no regression',
    );
    const acting = events.filter(
      (e) => ACTING.has(e.type) && minorities.some((m) => m.nodes.includes(e.node) && e.at >= m.from && e.at <= m.to),
    );
    check(
      'no-failover-without-majority',
      acting.length === 0,
      acting.map((e) => `n${e.node + 1} ${e.type} at +${e.at - faultAt} ms`).join('; ') || 'minority never acted',
    );
    if (ackedCheck && waitCheck) {
      check(
        'no-unexpected-values',
        ackedCheck.unexpected + waitCheck.unexpected === 0,
        `${ackedCheck.unexpected + waitCheck.unexpected}`,
      );
      check(
        'failed-not-present',
        ackedCheck.failedButPresent + waitCheck.failedButPresent === 0,
        `${ackedCheck.failedButPresent + waitCheck.failedButPresent} definite failures present`,
      );
      check(
        'wait-confirmed-lost-0',
        waitCheck.lost === 0,
        `${waitCheck.lost} of ${waitCheck.ok} WAIT-confirmed writes lost`,
      );
      if (sc.vigilAckedLostMaxPct !== undefined && impl === 'vigil')
        check(
          'acked-lost-bound',
          ackedCheck.lostPct <= sc.vigilAckedLostMaxPct,
          `${ackedCheck.lostPct} % of acknowledged writes lost (bound ${sc.vigilAckedLostMaxPct} %)`,
        );
    }
    result = {
      scenario: sc.name,
      impl,
      failedOver,
      timeToNewMasterMs,
      finalMaster,
      acked: ackedCheck,
      waited: waitCheck,
      leaders: elections.leaders,
      notes,
      checks,
      byDesign: impl === 'redis' ? (sc.redisByDesign ?? []) : [],
      knownIssue: impl === 'vigil' ? (sc.vigilKnownIssue ?? null) : null,
      durationMs: Date.now() - started,
    };
    return result;
  } finally {
    for (const w of writers) await w.stop().catch(() => {});
    await proxy?.kill('SIGKILL');
    await cluster.stop();
    if (sc.mountNs) unmountUnder(runDir);
    const failed = !result || result.checks.some((c) => !c.ok);
    if (failed || process.env.VIGIL_KEEP_TEST_DIRS === '1') {
      process.stderr.write(`chaos: run dir kept: ${runDir}\n`);
      if (failed) process.stderr.write(cluster.logs() + '\n');
    } else {
      try {
        rmSync(runDir, { recursive: true, force: true });
      } catch (err) {
        process.stderr.write(`chaos: could not remove ${runDir}: ${(err as Error).message}\n`);
      }
    }
  }
}
