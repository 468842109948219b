// Deterministic simulation of a sentinel group: N production SentinelRuntimes (src/runtime/runtime.ts, each with
// its SentinelCore) and M simulated redis-servers on one manual clock. The runtime is the one the daemon runs:
// the simulation injects its clock, rng, timers, transport (links that deliver through the scheduler) and disk
// (a config write takes 1-20 ms and lands atomically at its end), so the Ready contract (effects that depend on
// durable state are held until it is on disk) is what is tested, not a second executor. A seeded scheduler injects
// message latency and loss, network partitions, server crashes, sentinel crashes (restarted from what is on
// disk; a write in flight has landed or not, at random), crashes between the start and the end of a config write
// (then a restart 50-1550 ms later), clock jumps (each sentinel reads the shared clock through its own offset) and
// process stalls (nothing a stalled sentinel receives is handled until it resumes); the last two must put a
// sentinel in TILT. Everything is driven by the seed: a failing seed replays exactly with the command
// `replayCommand` prints.
//
// Invariants, checked as the simulation runs (each names the step that checks it):
//  I1 at most one leader per epoch, and no sentinel votes for two run ids in one epoch, over what became
//     visible: +vote-for-leader / +elected-leader as the runtime releases them, and every vote a peer replies
//     (mutation check: with the runtime's holding removed, 83 of seeds 1-1000 fail, 9 of them on I1);
//  I2 no promotion without majority authorisation: when a sentinel sends SLAVEOF NO ONE, a majority of all
//     sentinels (and at least quorum) have voted for it in its failover epoch, and it was elected (every send);
//  I3 epochs never go backwards: current-epoch and the master's config-epoch and leader-epoch, in memory within
//     one incarnation (after every step), on disk from flush to flush, and across restarts; a sentinel never
//     dies with a vote that is not on disk (every step / flush / crash / restart);
//  I4 one address per config-epoch, over all sentinels and all time (after every step); two live sentinels on
//     the same side of the network never disagree on the master address for longer than CONVERGE_BOUND_MS
//     (sampled every 250 ms); after healing all agree and that address is the only server in the master role;
//  I5 a master reachable by a majority is never failed over without SDOWN: a sentinel sees a master SDOWN only if
//     it really could not reach it recently (every +sdown); a failover starts only with SDOWN and ODOWN locally,
//     with at least quorum sentinels having actually been SDOWN within the 5 s their reports count, and never
//     while so many sentinels could reach the master for that whole window that the rest cannot make up the
//     quorum (every +try-failover);
//  I6 no fence while a majority is reachable: a +vigil-fence only when the fencer could not have talked to a
//     majority of the sentinels within the fence delay (every +vigil-fence).
import { newMasterConfig } from '../../src/config/master.js';
import type { MasterConfig, PersistedState } from '../../src/config/types.js';
import type { SentinelCore } from '../../src/core/sentinel.js';
import type { Effect, ReplyTag } from '../../src/core/types.js';
import type { LinkHandlers, LinkOptions } from '../../src/link/link.js';
import type { Out, Reply } from '../../src/resp/types.js';
import { RespErrorReply } from '../../src/resp/types.js';
import type { LinkLike } from '../../src/runtime/runtime.js';
import { SentinelRuntime } from '../../src/runtime/runtime.js';
import type { ClientContext } from '../../src/server/host.js';

export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = (seed * 2654435761) >>> 0 || 1;
  }
  next(): number {
    // xorshift32
    let x = this.s;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    this.s = x;
    return x / 0x100000000;
  }
  int(n: number): number {
    return n <= 1 ? 0 : Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

type Task = { at: number; seq: number; fn: () => void };

class Scheduler {
  private heap: Task[] = [];
  private seq = 0;
  now = 0;
  at(at: number, fn: () => void): void {
    const t = { at: Math.max(at, this.now), seq: this.seq++, fn };
    const h = this.heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (less(h[i]!, h[p]!)) {
        [h[i], h[p]] = [h[p]!, h[i]!];
        i = p;
      } else break;
    }
  }
  runUntil(t: number): void {
    const h = this.heap;
    while (h.length > 0 && h[0]!.at <= t) {
      const top = h[0]!;
      const last = h.pop()!;
      if (h.length > 0) {
        h[0] = last;
        let i = 0;
        for (;;) {
          const l = 2 * i + 1;
          const r = l + 1;
          let m = i;
          if (l < h.length && less(h[l]!, h[m]!)) m = l;
          if (r < h.length && less(h[r]!, h[m]!)) m = r;
          if (m === i) break;
          [h[i], h[m]] = [h[m]!, h[i]!];
          i = m;
        }
      }
      this.now = top.at;
      top.fn();
    }
    this.now = t;
  }
}
const less = (a: Task, b: Task): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq);

interface Node {
  port: number;
  alive: boolean;
  role: 'master' | 'slave';
  masterPort: number;
  offset: number;
  runId: string;
  part: number;
  /** Set by a fence (CONFIG SET min-replicas-to-write). */
  minReplicasToWrite: number;
}

type Target = { kind: 'node'; port: number } | { kind: 'sentinel'; idx: number };

interface SimLink {
  owner: number;
  /** The runtime's callbacks for this connection. */
  handlers: LinkHandlers<ReplyTag>;
  target: Target;
  linkKind: 'cmd' | 'pubsub';
  open: boolean;
  up: boolean;
  /** incarnation of the owner sentinel that opened it */
  gen: number;
}

interface Sentinel {
  idx: number;
  port: number;
  runId: string;
  /** The production runtime of this incarnation (null while crashed); `core` is its core. */
  rt: SentinelRuntime | null;
  core: SentinelCore | null;
  gen: number;
  persisted: PersistedState;
  /** The state a config write in flight is writing (a crash leaves the old file or this one). */
  flushing: PersistedState | null;
  part: number;
  /** This sentinel's clock reads the simulated time plus this (clock jumps). */
  clockOffsetMs: number;
  /** The process is stalled (SIGSTOP, VM pause) until this simulated time: nothing it receives is handled. */
  frozenUntil: number;
  /** I3/I4: the epochs and master address this incarnation last showed. */
  seen: {
    currentEpoch: number;
    configEpoch: number;
    leaderEpoch: number;
    addrEpoch: number;
    host: string;
    port: number;
  };
}

export interface SimOptions {
  seed: number;
  /** Default 3. */
  sentinels?: number;
  /** Default 2. */
  replicas?: number;
  /** Default: a majority of the sentinels. */
  quorum?: number;
  /** Simulated time with faults injected, ms. */
  chaosMs?: number;
  /** Simulated time after everything is healed, before the final convergence check, ms. */
  healMs?: number;
  /** Probability that a command (or its reply) is lost. */
  lossRate?: number;
  /** Inject clock jumps and process stalls, both of which must put a sentinel in TILT (default true). */
  clockJumps?: boolean;
  /** Inject crashes between the start and the end of a config write (default true). */
  flushCrashes?: boolean;
  /** Probability that a config write is cut by a crash (default SIM_DEFAULTS.flushCrashRate). */
  flushCrashRate?: number;
  /**
   * The liveness class (L1): every sentinel ticks every 100 ms in lockstep from t=0; after discovery the master
   * and a minority of the sentinels are cut off for LOCKSTEP_CUT_MS, and no other fault is injected (no flush
   * crashes unless asked for).
   */
  lockstep?: boolean;
  /** Probability that a config write fails during the fault phase (the runtime drops what waited for it). */
  diskErrorRate?: number;
  verbose?: boolean;
  /** Record every sentinel runtime's core inputs (core/trace.ts): one line sink per sentinel and generation. */
  trace?: (sentinel: number, gen: number, line: string) => void;
}

export const SIM_DEFAULTS = {
  sentinels: 3,
  replicas: 2,
  chaosMs: 20_000,
  healMs: 45_000,
  lossRate: 0.02,
  flushCrashRate: 0.05,
} as const;

/** Longest two sentinels that can talk may disagree on the master address (hello every 2 s, link recovery). */
export const CONVERGE_BOUND_MS = 12_000;

/** L1: the majority promotes within down-after + this of the cut (ODOWN, an election, a promotion, or a retry). */
export const L1_BOUND_MS = 3000;
/** Lockstep class: how long the master and the minority stay cut off (issue 13's measured case: 15 s). */
export const LOCKSTEP_CUT_MS = 15_000;

/** How long the healed group must stay settled before a run ends early (covers stale-flag re-failovers). */
export const SETTLED_MS = 10_000;

/** The command that replays one run exactly (same seed, same options). */
export function replayCommand(o: SimOptions): string {
  const parts = ['npm run sim --', `--seed ${o.seed}`];
  parts.push(
    `--sentinels ${o.sentinels ?? SIM_DEFAULTS.sentinels}`,
    `--loss ${o.lossRate ?? (o.lockstep ? 0 : SIM_DEFAULTS.lossRate)}`,
  );
  if (o.replicas !== undefined && o.replicas !== SIM_DEFAULTS.replicas) parts.push(`--replicas ${o.replicas}`);
  if (o.quorum !== undefined) parts.push(`--quorum ${o.quorum}`);
  if (o.chaosMs !== undefined && o.chaosMs !== SIM_DEFAULTS.chaosMs) parts.push(`--chaos-ms ${o.chaosMs}`);
  if (o.healMs !== undefined && o.healMs !== SIM_DEFAULTS.healMs) parts.push(`--heal-ms ${o.healMs}`);
  if (o.clockJumps === false) parts.push('--no-clock-jumps');
  if (o.lockstep) parts.push('--lockstep');
  if (o.diskErrorRate) parts.push(`--disk-errors ${o.diskErrorRate}`);
  if (o.flushCrashes === false && !o.lockstep) parts.push('--no-flush-crashes');
  if (o.flushCrashes === true && o.lockstep) parts.push('--flush-crashes');
  if (o.flushCrashRate !== undefined && o.flushCrashRate !== SIM_DEFAULTS.flushCrashRate)
    parts.push(`--flush-crash-rate ${o.flushCrashRate}`);
  parts.push('--verbose');
  return parts.join(' ');
}

export interface SimResult {
  seed: number;
  violations: string[];
  /** Elections won. */
  failovers: number;
  /** Replicas promoted (SLAVEOF NO ONE sent). */
  promotions: number;
  /** Times a sentinel entered TILT. */
  tilts: number;
  /** +vigil-fence events (I6). */
  fences: number;
  finalMaster: string;
  events: number;
  /** Longest disagreement seen between two sentinels that could talk, ms (I4). */
  maxDisagreeMs: number;
  /** Simulated time the run took, ms. */
  simulatedMs: number;
  /** Lockstep class: time from the cut to the promotion on the majority side, ms (null: none). */
  l1Ms: number | null;
}

const HOST = '10.0.0.1';
/** Sentinel clocks read wall-clock-like values (simulated t=0 is this), as Redis's failover gates assume. */
const CLOCK_BASE_MS = 1_767_225_600_000;

export function runSimulation(o: SimOptions): SimResult {
  const rng = new Rng(o.seed);
  const sched = new Scheduler();
  const violations: string[] = [];
  const violate = (what: string): void => {
    if (violations.length < 50) violations.push(`t=${sched.now} ${what}`);
  };
  const nSent = o.sentinels ?? SIM_DEFAULTS.sentinels;
  const majority = Math.floor(nSent / 2) + 1;
  const quorum = o.quorum ?? majority;
  // The lockstep class loses nothing by default: "a majority can talk" (a lost SLAVEOF is a stalled link).
  const lossRate = o.lossRate ?? (o.lockstep ? 0 : SIM_DEFAULTS.lossRate);
  const chaosMs = o.chaosMs ?? SIM_DEFAULTS.chaosMs;
  const healMs = o.healMs ?? SIM_DEFAULTS.healMs;
  const clockJumps = o.clockJumps ?? true;
  const lockstep = o.lockstep ?? false;
  const flushCrashes = o.flushCrashes ?? !lockstep;
  const flushCrashRate = o.flushCrashRate ?? SIM_DEFAULTS.flushCrashRate;
  const diskErrorRate = o.diskErrorRate ?? 0;
  const nodes: Node[] = [];
  for (let i = 0; i <= (o.replicas ?? SIM_DEFAULTS.replicas); i++) {
    nodes.push({
      port: 6379 + i,
      alive: true,
      role: i === 0 ? 'master' : 'slave',
      masterPort: 6379,
      offset: 0,
      runId: rid(rng),
      part: 0,
      minReplicasToWrite: 0,
    });
  }
  const nodeByPort = (p: number): Node | undefined => nodes.find((n) => n.port === p);
  /** Every open link, for crashes; each sentinel also indexes its current incarnation's links by id. */
  const links = new Set<SimLink>();
  /** Up pubsub links per node port: who receives a PUBLISH on that node. */
  const subscribers = new Map<number, Set<SimLink>>();
  const sentinels: Sentinel[] = [];
  const votes = new Map<string, string>(); // `${sentinelRunId}/${epoch}` → voted runid
  const leaders = new Map<number, string>(); // epoch → leader runid
  const maxVotedEpoch = new Map<string, number>();
  /** I4: the master address that goes with each config-epoch. */
  const addrByConfigEpoch = new Map<number, string>();
  /** I5: `${sentinelIdx}/${port}` → last time that sentinel could not reach that node as a master. */
  const brokenAt = new Map<string, number>();
  /** I5: `${sentinelIdx}/${port}` → last time that sentinel's core had its master at that port SDOWN. */
  const sdownAt = new Map<string, number>();
  /** I6: `${a}/${b}` → last time sentinels a and b could not talk (other side, or one of them down). */
  const peerBrokenAt = new Map<string, number>();
  let failovers = 0;
  let promotions = 0;
  let tilts = 0;
  let fences = 0;
  let eventCount = 0;
  let maxDisagreeMs = 0;
  /** Lockstep class: from the cut to the promotion on the majority side, ms (null: none within the cut). */
  let l1Ms: number | null = null;

  // The lockstep class uses the issue-13 group (down-after 2000, failover-timeout 10000).
  const baseMaster: MasterConfig = newMasterConfig('mymaster', HOST, 6379, quorum, {
    downAfterMs: lockstep ? 2000 : 1000,
    failoverTimeoutMs: lockstep ? 10_000 : 3000,
  });
  // I5: a sentinel's SDOWN report counts for ASK-PERIOD × 5 after its reply (plus message latency).
  const reportValidMs = 5 * 1000 + 100;
  // Ground truth: that SDOWN needed down-after without a reply, and a sentinel may keep seeing a master down for
  // a while after it became reachable again: a cmd link that lost its traffic in a partition is force-closed only
  // once it is MIN-LINK-RECONNECT-PERIOD (15 s) old, then reconnected within a PING-PERIOD.
  const sdownWindowMs = baseMaster.downAfterMs + 15_000 + 1000 + 100;
  const reachWindowMs = sdownWindowMs + reportValidMs;

  const partOf = (t: Target): number =>
    t.kind === 'node' ? (nodeByPort(t.port)?.part ?? 0) : (sentinels[t.idx]?.part ?? 0);
  const targetAlive = (t: Target): boolean =>
    t.kind === 'node' ? (nodeByPort(t.port)?.alive ?? false) : sentinels[t.idx]?.core != null;
  const reachable = (owner: number, t: Target): boolean => (sentinels[owner]?.part ?? 0) === partOf(t);
  const lat = (): number => 1 + rng.int(5);

  /** I5 bookkeeping: call before and after anything that changes who can reach which master. */
  function markBroken(): void {
    for (const a of sentinels) {
      for (const b of sentinels) {
        if (a !== b && (a.part !== b.part || !a.core || !b.core)) peerBrokenAt.set(`${a.idx}/${b.idx}`, sched.now);
      }
    }
    for (const s of sentinels) {
      for (const n of nodes) {
        if (!n.alive || n.role !== 'master' || n.part !== s.part) brokenAt.set(`${s.idx}/${n.port}`, sched.now);
      }
    }
  }

  /** The production runtime for one incarnation, on injected clock, rng, timers, transport and disk. */
  function makeRuntime(s: Sentinel): SentinelRuntime {
    const st = s.persisted;
    const masters: MasterConfig[] = st.masters.map((pm) => {
      const cur = pm.promotedReplica ?? { host: pm.host, port: pm.port };
      const mc: MasterConfig = { ...pm, host: cur.host, port: cur.port };
      mc.knownReplicas = pm.knownReplicas.map((r) =>
        r.host === cur.host && r.port === cur.port ? { host: pm.host, port: pm.port } : r,
      );
      delete (mc as { promotedReplica?: unknown }).promotedReplica;
      return mc;
    });
    const gen = s.gen;
    return new SentinelRuntime({
      globals: { ...st, myid: s.runId },
      masters,
      port: s.port,
      logger: {
        log: (level, text) => {
          if (o.verbose && level === 'warning' && s.gen === gen) console.log(`${sched.now} S${s.idx} LOG ${text}`);
        },
        enabled: () => false,
        setLevel: () => undefined,
      },
      clock: { now: () => CLOCK_BASE_MS + sched.now + s.clockOffsetMs },
      rng: { int: (n) => rng.int(n) },
      timers: {
        set: (fn, ms) => {
          const h = { cancelled: false };
          sched.at(sched.now + ms, () => fireTimer(s, gen, h, fn));
          return h;
        },
        clear: (h) => {
          (h as { cancelled: boolean }).cancelled = true;
        },
      },
      transport: (lo, handlers) => connect(s, lo, handlers),
      ...(o.trace ? { trace: (line: string) => o.trace!(s.idx, gen, line) } : {}),
      persister: (state, done) => persist(s, state, done),
      observer: {
        produced: (batch) => {
          check(s, batch);
          checkState(s);
        },
        released: (e) => released(s, e),
      },
      exit: () => undefined,
      // Lockstep: every sentinel ticks every 100 ms from t=0, so all see the same timeouts expire together.
      ...(lockstep ? { tickPeriodMs: () => 100 } : {}),
    });
  }

  /** A timer fires late while its process is stalled (Node runs timers first when it resumes). */
  function fireTimer(s: Sentinel, gen: number, h: { cancelled: boolean }, fn: () => void): void {
    if (h.cancelled || s.gen !== gen || !s.rt) return;
    if (sched.now < s.frozenUntil) return sched.at(s.frozenUntil, () => fireTimer(s, gen, h, fn));
    fn();
  }

  /** What an effect was about when the core produced it (the runtime may release it later, after its flush). */
  const producedIn = new WeakMap<Effect, { epoch: number; forced: boolean }>();
  /** The effect the runtime is carrying out right now (the transport's send belongs to it). */
  let releasing: Effect | null = null;

  /** I1: one vote per sentinel per epoch (across restarts: the run id survives them), as announced or replied. */
  function sawVote(s: Sentinel, runid: string, ep: number, how: 'announced' | 'replied' | 'on disk'): void {
    const announced = how === 'announced';
    const key = `${s.runId}/${ep}`;
    const prev = votes.get(key);
    if (prev !== undefined && prev !== runid) violate(`I1 S${s.idx} voted twice in epoch ${ep}: ${prev} then ${runid}`);
    votes.set(key, runid);
    // A reply may reach the candidate after a later vote's flush (it waited for every pending flush): only the
    // announcements are ordered.
    if (announced && ep < (maxVotedEpoch.get(s.runId) ?? 0))
      violate(`I3 S${s.idx} voted in epoch ${ep} after voting in a later one`);
    // What became visible (for I3's "no visible vote missing from disk at a crash").
    if (how !== 'on disk') maxVotedEpoch.set(s.runId, Math.max(ep, maxVotedEpoch.get(s.runId) ?? 0));
  }

  /** I1 on what became visible: votes and elections, checked as the runtime releases them. */
  function released(s: Sentinel, e: Effect): void {
    releasing = e;
    if (e.t !== 'event') return;
    if (o.verbose) console.log(`${sched.now} S${s.idx} ${e.type} ${e.payload}`);
    if (e.type === '+vote-for-leader') {
      const [runid = '', epochS = '0'] = e.payload.split(' ');
      sawVote(s, runid, Number(epochS), 'announced');
    } else if (e.type === '+elected-leader') {
      // I1: at most one leader per epoch.
      const at = producedIn.get(e);
      if (!at || at.forced) return;
      const prev = leaders.get(at.epoch);
      if (prev !== undefined && prev !== s.runId)
        violate(`I1 two leaders in epoch ${at.epoch}: ${prev} and ${s.runId}`);
      leaders.set(at.epoch, s.runId);
      failovers++;
    }
  }

  function check(s: Sentinel, effects: Effect[]): void {
    for (const e of effects) {
      if (e.t === 'send' && e.cmd[0] === 'SLAVEOF' && e.cmd[1] === 'NO') {
        const m = s.core?.masters.get('mymaster');
        if (m) producedIn.set(e, { epoch: m.failoverEpoch, forced: m.forceFailover });
      }
      if (e.t !== 'event') continue;
      eventCount++;
      switch (e.type) {
        case '+elected-leader': {
          const m = s.core?.masters.get('mymaster');
          if (m) producedIn.set(e, { epoch: m.failoverEpoch, forced: m.forceFailover });
          break;
        }
        case '+try-failover': {
          // I5: only a master this sentinel sees SDOWN and ODOWN, and not one that too many sentinels can reach.
          const m = s.core?.masters.get('mymaster');
          if (!m || m.forceFailover) break;
          if (!m.sdown || !m.odown) violate(`I5 S${s.idx} started a failover of ${m.port} without SDOWN+ODOWN`);
          // The quorum is made of real SDOWN states: enough sentinels saw this master SDOWN recently enough for
          // their reports to count.
          if (m.sdown) sdownAt.set(`${s.idx}/${m.port}`, sched.now); // SDOWN may be from this very step
          let sawDown = 0;
          for (const t of sentinels)
            if (sched.now - (sdownAt.get(`${t.idx}/${m.port}`) ?? -Infinity) <= reportValidMs) sawDown++;
          if (sawDown < quorum)
            violate(`I5 S${s.idx} started a failover of ${m.port} with only ${sawDown} sentinels having seen it SDOWN`);
          // Ground truth: not a master that so many sentinels could reach that the others cannot make up the quorum.
          markBroken();
          let reaching = 0;
          for (const t of sentinels)
            if (sched.now - (brokenAt.get(`${t.idx}/${m.port}`) ?? 0) > reachWindowMs) reaching++;
          if (nSent - reaching < quorum) {
            violate(
              `I5 S${s.idx} started a failover of ${m.port} although ${reaching}/${nSent} sentinels reached it for ${reachWindowMs} ms`,
            );
          }
          break;
        }
        case '+tilt':
          tilts++;
          break;
        case '+vigil-fence': {
          // I6: no fence while a majority is reachable. Ground truth as for I5: a link that lost its traffic in
          // a partition may stay stuck until it is force-closed (MIN-LINK-RECONNECT-PERIOD), so only a majority
          // that could talk (awake, alive, same side) for that whole window plus the fence delay is a violation.
          markBroken();
          const windowMs = baseMaster.downAfterMs / 2 + 200 + 15_000 + 1000 + 100;
          let reach = 1;
          for (const t of sentinels) {
            if (t === s) continue;
            const broken = Math.max(peerBrokenAt.get(`${s.idx}/${t.idx}`) ?? 0, t.frozenUntil);
            if (sched.now - broken > windowMs) reach++;
          }
          fences++;
          if (reach >= majority)
            violate(`I6 S${s.idx} fenced although ${reach}/${nSent} sentinels could talk for ${windowMs} ms`);
          break;
        }
        case '+sdown': {
          // I5 at the source: a sentinel sees a master SDOWN only if it really could not reach it recently (a
          // clock jump must not do it: that is what TILT is for).
          const m = s.core?.masters.get('mymaster');
          if (!m || !e.payload.startsWith('master ')) break;
          markBroken();
          const reachedMs = sched.now - (brokenAt.get(`${s.idx}/${m.port}`) ?? 0);
          if (reachedMs > sdownWindowMs)
            violate(`I5 S${s.idx} saw master ${m.port} SDOWN although it reached it for ${reachedMs} ms`);
          break;
        }
        default:
          break;
      }
    }
  }

  /** I2: a promotion needs a majority (and quorum) of all sentinels' votes in the promoter's failover epoch. */
  function checkPromotion(s: Sentinel, at: { epoch: number; forced: boolean } | undefined): void {
    promotions++;
    if (!at || at.forced) return;
    const ep = at.epoch;
    let granted = 0;
    for (const t of sentinels) if (votes.get(`${t.runId}/${ep}`) === s.runId) granted++;
    if (granted < majority || granted < quorum) {
      violate(`I2 S${s.idx} promoted a replica in epoch ${ep} with ${granted}/${nSent} votes (quorum ${quorum})`);
    }
    if (leaders.get(ep) !== s.runId) violate(`I2 S${s.idx} promoted a replica in epoch ${ep} without being elected`);
  }

  /** I3 and I4 after every step of one sentinel. */
  function checkState(s: Sentinel): void {
    const core = s.core;
    if (!core) return;
    const m = core.masters.get('mymaster');
    if (!m) return;
    const seen = s.seen;
    if (core.currentEpoch < seen.currentEpoch)
      violate(`I3 S${s.idx} current-epoch went back ${seen.currentEpoch} → ${core.currentEpoch}`);
    if (m.configEpoch < seen.configEpoch)
      violate(`I3 S${s.idx} config-epoch went back ${seen.configEpoch} → ${m.configEpoch}`);
    if (m.leaderEpoch < seen.leaderEpoch)
      violate(`I3 S${s.idx} leader-epoch went back ${seen.leaderEpoch} → ${m.leaderEpoch}`);
    seen.currentEpoch = core.currentEpoch;
    seen.configEpoch = m.configEpoch;
    seen.leaderEpoch = m.leaderEpoch;
    if (m.sdown) sdownAt.set(`${s.idx}/${m.port}`, sched.now);
    const a = core.currentMasterAddr(m);
    if (seen.addrEpoch === m.configEpoch && seen.host === a.host && seen.port === a.port) return;
    seen.addrEpoch = m.configEpoch;
    seen.host = a.host;
    seen.port = a.port;
    const addr = `${a.host}:${a.port}`;
    const known = addrByConfigEpoch.get(m.configEpoch);
    if (known === undefined) addrByConfigEpoch.set(m.configEpoch, addr);
    else if (known !== addr)
      violate(`I4 S${s.idx} has ${addr} for config-epoch ${m.configEpoch}, another sentinel had ${known}`);
  }

  /**
   * The disk: a write takes 1-20 ms of simulated time and lands atomically at its end (rename); the runtime hears
   * of it once the process is awake. A crash while it is in flight leaves the old file or the new one. With
   * `flushCrashes`, a write now and then is followed by a crash before it ends (and a quick restart).
   */
  function persist(s: Sentinel, state: PersistedState, done: (err?: Error) => void): void {
    const gen = s.gen;
    s.flushing = state;
    const ms = 1 + rng.int(20);
    // Not a write that records newly discovered sentinels: losing one shrinks the voters a restarted sentinel
    // counts, a weakness of Redis's design (votes are counted over the sentinels known) that is out of scope here.
    if (flushCrashes && sched.now < chaosMs && !addsSentinels(s, state) && rng.chance(flushCrashRate)) {
      sched.at(sched.now + rng.int(ms), () => {
        if (s.gen !== gen || !s.rt) return;
        if (o.verbose) console.log(`${sched.now} S${s.idx} crashes during a config write`);
        markBroken();
        crashSentinel(s);
        markBroken();
        sched.at(sched.now + 50 + rng.int(1500), () => {
          if (s.rt) return;
          markBroken();
          startSentinel(s);
          markBroken();
        });
      });
    }
    const fails = diskErrorRate > 0 && sched.now < chaosMs && rng.chance(diskErrorRate);
    sched.at(sched.now + ms, () => {
      if (s.gen !== gen) return;
      if (fails) {
        // The write failed (EIO, ENOSPC): the old file stays and the runtime is told.
        if (s.flushing === state) s.flushing = null;
        sched.at(
          sched.now,
          whenAwake(s, () => {
            if (s.gen === gen) done(new Error('EIO'));
          }),
        );
        return;
      }
      commit(s, state);
      sched.at(
        sched.now,
        whenAwake(s, () => {
          if (s.gen === gen) done();
        }),
      );
    });
  }

  function addsSentinels(s: Sentinel, state: PersistedState): boolean {
    const known = new Set((s.persisted.masters[0]?.knownSentinels ?? []).map((k) => k.runId));
    return (state.masters[0]?.knownSentinels ?? []).some((k) => !known.has(k.runId));
  }

  /** I3 on disk: epochs never decrease from one write to the next. */
  function commit(s: Sentinel, after: PersistedState): void {
    if (s.flushing === after) s.flushing = null;
    const before = s.persisted;
    if (after.currentEpoch < before.currentEpoch)
      violate(`I3 S${s.idx} persisted current-epoch went back ${before.currentEpoch} → ${after.currentEpoch}`);
    const mb = before.masters[0];
    const ma = after.masters[0];
    if (mb && ma) {
      if (ma.configEpoch < mb.configEpoch)
        violate(`I3 S${s.idx} persisted config-epoch went back ${mb.configEpoch} → ${ma.configEpoch}`);
      if (ma.leaderEpoch < mb.leaderEpoch)
        violate(`I3 S${s.idx} persisted leader-epoch went back ${mb.leaderEpoch} → ${ma.leaderEpoch}`);
    }
    s.persisted = after;
    // A vote on disk counts as cast even if its announcement was dropped (a write before it failed).
    if (ma?.leader !== undefined && ma.leaderEpoch > 0) sawVote(s, ma.leader, ma.leaderEpoch, 'on disk');
  }

  function closeLink(l: SimLink): void {
    l.open = false;
    links.delete(l);
    if (l.linkKind === 'pubsub' && l.target.kind === 'node') subscribers.get(l.target.port)?.delete(l);
  }

  /** The simulated transport the runtime connects through. */
  function connect(s: Sentinel, lo: LinkOptions, handlers: LinkHandlers<ReplyTag>): LinkLike {
    let target: Target | null = null;
    if (lo.host === HOST && nodeByPort(lo.port)) target = { kind: 'node', port: lo.port };
    const si = sentinels.findIndex((x) => x.port === lo.port);
    if (lo.host === HOST && si !== -1) target = { kind: 'sentinel', idx: si };
    if (!target) {
      violate(`S${s.idx} connects to unknown address ${lo.host}:${lo.port}`);
      return { send: () => undefined, close: () => undefined };
    }
    const l: SimLink = {
      owner: s.idx,
      handlers,
      target,
      linkKind: lo.pubsub ? 'pubsub' : 'cmd',
      open: true,
      up: false,
      gen: s.gen,
    };
    links.add(l);
    const t = target;
    sched.at(
      sched.now + lat(),
      whenAwake(s, () => {
        if (!l.open || s.gen !== l.gen || !s.rt) return;
        if (!targetAlive(t)) {
          closeLink(l);
          l.handlers.onDown('connection refused', 'socket');
        } else if (!reachable(s.idx, t)) {
          // SYN lost in the partition: the connect times out.
          sched.at(
            sched.now + 1000,
            whenAwake(s, () => {
              if (!l.open || s.gen !== l.gen || !s.rt || l.up) return;
              closeLink(l);
              l.handlers.onDown('connect timeout', 'connect-timeout');
            }),
          );
        } else {
          l.up = true;
          if (l.linkKind === 'pubsub' && t.kind === 'node') {
            let set = subscribers.get(t.port);
            if (!set) subscribers.set(t.port, (set = new Set()));
            set.add(l);
          }
          l.handlers.onUp(HOST, HOST);
        }
      }),
    );
    return { send: (cmd, tag) => send(s, l, cmd, tag), close: () => closeLink(l) };
  }

  function nodeInfo(n: Node): string {
    const lines = [`run_id:${n.runId}`, `role:${n.role}`];
    if (n.role === 'master') {
      let i = 0;
      for (const r of nodes) {
        if (r !== n && r.alive && r.role === 'slave' && r.masterPort === n.port && r.part === n.part) {
          lines.push(`slave${i++}:ip=${HOST},port=${r.port},state=online,offset=${r.offset},lag=0`);
        }
      }
    } else {
      const m = nodeByPort(n.masterPort);
      const up = m !== undefined && m.alive && m.role === 'master' && m.part === n.part;
      lines.push(`master_host:${HOST}`, `master_port:${n.masterPort}`, `master_link_status:${up ? 'up' : 'down'}`);
      if (!up) lines.push('master_link_down_since_seconds:1');
      lines.push(`slave_repl_offset:${n.offset}`, 'slave_priority:100', 'replica_announced:1');
    }
    return lines.join('\r\n') + '\r\n';
  }

  function nodeCommand(n: Node, cmd: string[]): Reply {
    const name = (cmd[0] ?? '').toUpperCase();
    switch (name) {
      case 'PING':
        return 'PONG';
      case 'INFO':
        return nodeInfo(n);
      case 'PUBLISH': {
        const subs = subscribers.get(n.port);
        if (!subs) return 0;
        const frame: Reply = ['message', cmd[1] ?? '', cmd[2] ?? ''];
        for (const sub of subs) {
          const owner = sentinels[sub.owner];
          if (!owner || !reachable(sub.owner, sub.target)) continue;
          if (rng.chance(lossRate)) continue;
          sched.at(
            sched.now + lat(),
            whenAwake(owner, () => {
              if (!sub.open || !owner.rt || owner.gen !== sub.gen) return;
              sub.handlers.onPush(frame);
            }),
          );
        }
        return subs.size;
      }
      case 'CONFIG': {
        // Fencing (src/core/fencing.ts) reads and sets min-replicas-to-write; nothing else is modelled.
        const sub = (cmd[1] ?? '').toUpperCase();
        if (sub === 'GET') return ['min-replicas-to-write', String(n.minReplicasToWrite), 'min-replicas-max-lag', '10'];
        if (sub === 'SET' && cmd[2] === 'min-replicas-to-write') n.minReplicasToWrite = Number(cmd[3]);
        return 'OK';
      }
      case 'SLAVEOF':
        markBroken();
        if ((cmd[1] ?? '').toUpperCase() === 'NO') {
          n.role = 'master';
        } else {
          n.role = 'slave';
          n.masterPort = Number(cmd[2]);
        }
        markBroken();
        return 'OK';
      default:
        return 'OK';
    }
  }

  const peerCtx: ClientContext = { id: 1, proto: 2, user: 'default', addr: `${HOST}:40000` };

  function send(s: Sentinel, l: SimLink, cmd: string[], tag: ReplyTag): void {
    if (!l.open) return;
    if (cmd[0] === 'SLAVEOF' && cmd[1] === 'NO') checkPromotion(s, releasing ? producedIn.get(releasing) : undefined);
    if (rng.chance(lossRate)) return; // lost: the reply never comes (like a stalled connection)
    const answer = (reply: Reply): void => {
      sched.at(
        sched.now + lat(),
        whenAwake(s, () => {
          if (!l.open || !s.rt || s.gen !== l.gen || !reachable(s.idx, l.target)) return;
          l.handlers.onReply(tag, reply);
        }),
      );
    };
    // A request to a peer sentinel waits while that sentinel is stalled.
    const receiver = l.target.kind === 'sentinel' ? (sentinels[l.target.idx] ?? null) : null;
    sched.at(
      sched.now + lat(),
      whenAwake(receiver, () => {
        if (!l.open || !reachable(s.idx, l.target) || !targetAlive(l.target)) return;
        if (l.target.kind === 'node') return answer(nodeCommand(nodeByPort(l.target.port)!, cmd));
        const peer = sentinels[l.target.idx]!;
        const prt = peer.rt!;
        const name = (cmd[0] ?? '').toUpperCase();
        if (name === 'SENTINEL') {
          // The peer's runtime replies once whatever the reply depends on is on its disk.
          const gen = peer.gen;
          prt.sentinelCommandThen(cmd.slice(1), peerCtx, (out) => {
            if (peer.gen !== gen) return;
            if (o.verbose)
              console.log(`${sched.now} S${s.idx}->S${peer.idx} ${cmd.join(' ')} => ${JSON.stringify(out)}`);
            const reply = outToReply(out);
            // A vote leaves the peer here (a repeated one, after a restart, has no +vote-for-leader event).
            if (
              Array.isArray(reply) &&
              typeof reply[1] === 'string' &&
              reply[1] !== '*' &&
              typeof reply[2] === 'number'
            )
              sawVote(peer, reply[1], reply[2], 'replied');
            answer(reply);
          });
        } else if (name === 'PUBLISH') {
          answer(outToReply(prt.publish(cmd[1] ?? '', cmd[2] ?? '', peerCtx)));
        } else if (name === 'PING') {
          answer('PONG');
        } else {
          answer('OK');
        }
      }),
    );
  }

  // (No named closures per message here: tsx's keepNames wraps each one in a defineProperty call, which
  // doubled the cost of a run.)
  /** Deliver to `s` now, or when it resumes if it is stalled (after its first timer tick). */
  function whenAwake(s: Sentinel | null, fn: () => void): () => void {
    if (!s) return fn;
    return () => deliverAwake(s, fn);
  }

  function deliverAwake(s: Sentinel, fn: () => void): void {
    if (sched.now < s.frozenUntil) sched.at(s.frozenUntil + 1, () => deliverAwake(s, fn));
    else fn();
  }

  function crashSentinel(s: Sentinel): void {
    if (!s.rt) return;
    // A config write in flight either landed (the rename happened, its acknowledgement did not) or did not.
    if (s.flushing) {
      if (addsSentinels(s, s.flushing) || rng.chance(0.5)) commit(s, s.flushing);
      s.flushing = null;
    }
    // I3: a vote this sentinel made visible must be on disk when it dies (it was replied to / announced).
    const voted = maxVotedEpoch.get(s.runId) ?? 0;
    const onDisk = s.persisted.masters[0]?.leaderEpoch ?? 0;
    if (onDisk < voted)
      violate(`I3 S${s.idx} crashed with leader-epoch ${onDisk} on disk after voting in epoch ${voted}`);
    s.rt.stop();
    s.rt = null;
    s.core = null;
    for (const l of [...links]) {
      if (l.owner === s.idx) closeLink(l);
      if (l.target.kind === 'sentinel' && l.target.idx === s.idx) dropLink(l);
    }
    s.gen++;
  }

  function startSentinel(s: Sentinel): void {
    s.gen++;
    s.frozenUntil = 0;
    s.flushing = null;
    const rt = makeRuntime(s);
    s.rt = rt;
    s.core = rt.core;
    // I3 across restarts: the new incarnation starts from what is on disk, never from less.
    const m = rt.core.masters.get('mymaster');
    const pm = s.persisted.masters[0];
    if (rt.core.currentEpoch < s.persisted.currentEpoch) violate(`I3 S${s.idx} restarted with a lower current-epoch`);
    if (m && pm && (m.configEpoch < pm.configEpoch || m.leaderEpoch < pm.leaderEpoch))
      violate(`I3 S${s.idx} restarted with lower master epochs`);
    s.seen = {
      currentEpoch: rt.core.currentEpoch,
      configEpoch: m?.configEpoch ?? 0,
      leaderEpoch: m?.leaderEpoch ?? 0,
      addrEpoch: -1,
      host: '',
      port: 0,
    };
    rt.startThen(() => undefined);
  }

  function dropLink(l: SimLink): void {
    const owner = sentinels[l.owner];
    closeLink(l);
    if (owner?.rt && owner.gen === l.gen) {
      const rt = owner.rt;
      sched.at(
        sched.now + lat(),
        whenAwake(owner, () => {
          if (owner.rt === rt) l.handlers.onDown('connection reset', 'socket');
        }),
      );
    }
  }

  function crashNode(n: Node): void {
    n.alive = false;
    for (const l of [...links]) if (l.target.kind === 'node' && l.target.port === n.port) dropLink(l);
  }

  function restartNode(n: Node): void {
    n.alive = true;
    n.role = 'master'; // no persistence: a restarted server comes back as an empty master
    n.offset = 0;
    n.runId = rid(rng);
  }

  /** I4 (liveness with a bound): sentinels that can talk agree on the master within CONVERGE_BOUND_MS. */
  const disagreeSince = new Map<string, number>();
  function checkConvergence(): void {
    const views = sentinels.map((s) => {
      const m = s.core?.masters.get('mymaster');
      if (!s.core || !m) return null;
      const a = s.core.currentMasterAddr(m);
      return `${a.host}:${a.port}`;
    });
    for (let i = 0; i < sentinels.length; i++) {
      for (let j = i + 1; j < sentinels.length; j++) {
        const si = sentinels[i]!;
        const sj = sentinels[j]!;
        const key = `${i}/${si.gen}/${j}/${sj.gen}`;
        const vi = views[i];
        const vj = views[j];
        if (vi == null || vj == null || si.part !== sj.part || vi === vj) {
          disagreeSince.delete(key);
          continue;
        }
        const since = disagreeSince.get(key);
        if (since === undefined) {
          disagreeSince.set(key, sched.now);
          continue;
        }
        const ms = sched.now - since;
        if (ms > maxDisagreeMs) maxDisagreeMs = ms;
        if (ms > CONVERGE_BOUND_MS) {
          violate(`I4 S${i} (${vi}) and S${j} (${vj}) can talk but have disagreed for ${ms} ms`);
          disagreeSince.set(key, sched.now);
        }
      }
    }
    sched.at(sched.now + 250, checkConvergence);
  }
  /** A partition change restarts every pair's clock (a pair that could not talk had no reason to agree). */
  const resetConvergence = (): void => disagreeSince.clear();

  // ---- build the world
  for (let i = 0; i < nSent; i++) {
    const runId = rid(rng);
    sentinels.push({
      idx: i,
      port: 26379 + i,
      runId,
      rt: null,
      core: null,
      gen: 0,
      flushing: null,
      persisted: {
        myid: runId,
        currentEpoch: 0,
        announcePort: 0,
        denyScriptsReconfig: true,
        resolveHostnames: false,
        announceHostnames: false,
        masters: [{ ...baseMaster }],
      },
      part: 0,
      clockOffsetMs: 0,
      frozenUntil: 0,
      seen: { currentEpoch: 0, configEpoch: 0, leaderEpoch: 0, addrEpoch: -1, host: '', port: 0 },
    });
  }
  for (const s of sentinels) startSentinel(s);

  // Replication offsets advance while a replica is attached.
  const repl = (): void => {
    for (const n of nodes) if (n.alive && n.role === 'master') n.offset += 10;
    for (const n of nodes) {
      if (!n.alive || n.role !== 'slave') continue;
      const m = nodeByPort(n.masterPort);
      if (m && m.alive && m.role === 'master' && m.part === n.part) n.offset = m.offset;
    }
    sched.at(sched.now + 100, repl);
  };
  repl();
  checkConvergence();

  // ---- chaos phase
  sched.runUntil(3000); // discovery
  let t = 3000;
  if (lockstep) {
    // L1 (liveness): the master and a minority of the sentinels are cut off for LOCKSTEP_CUT_MS; the majority sees
    // the master down for down-after and must have promoted a replica on its side within L1_BOUND_MS of the cut.
    // After two INFO periods (10 s), so a lost INFO does not leave a sentinel without the replicas.
    t = 21_000 + rng.int(3000);
    sched.runUntil(t);
    markBroken();
    const cut = new Set<number>();
    while (cut.size < Math.floor((nSent - 1) / 2)) cut.add(rng.int(nSent));
    for (const s of sentinels) s.part = cut.has(s.idx) ? 1 : 0;
    nodes[0]!.part = 1;
    resetConvergence();
    markBroken();
    if (o.verbose) console.log(`${sched.now} WORLD cut: master and ${[...cut].map((i) => `S${i}`).join(' ')}`);
    const bound = t + baseMaster.downAfterMs + L1_BOUND_MS;
    let promotedAt: number | null = null;
    while (sched.now < t + LOCKSTEP_CUT_MS) {
      sched.runUntil(sched.now + 50);
      if (promotedAt === null && nodes.some((n) => n.alive && n.part === 0 && n.role === 'master'))
        promotedAt = sched.now;
    }
    if (promotedAt === null || promotedAt > bound) {
      violate(
        `L1 the majority saw the master down from t=${t} but ${promotedAt === null ? 'never failed over' : `failed over only at t=${promotedAt}`} (bound ${bound})`,
      );
    }
    l1Ms = promotedAt === null ? null : promotedAt - t;
    t = chaosMs; // no random chaos in this class
  }
  while (t < chaosMs) {
    t += 500 + rng.int(4000);
    sched.runUntil(t);
    markBroken();
    if (o.verbose) {
      const where = (p: number): string => (p === 0 ? 'A' : 'B');
      console.log(
        `${sched.now} WORLD sentinels ${sentinels.map((x) => `S${x.idx}${x.core ? '' : '(down)'}:${where(x.part)}`).join(' ')} nodes ${nodes
          .map((n) => `${n.port}${n.alive ? '' : '(down)'}:${n.role}:${where(n.part)}`)
          .join(' ')}`,
      );
    }
    const r = rng.next();
    if (r < 0.27) {
      const alive = nodes.filter((n) => n.alive);
      const master = alive.find((n) => n.role === 'master');
      const victim = master && rng.chance(0.7) ? master : alive[rng.int(alive.length)];
      if (victim && alive.length > 1) crashNode(victim);
    } else if (r < 0.45) {
      const dead = nodes.filter((n) => !n.alive);
      const n = dead[rng.int(dead.length)];
      if (n) restartNode(n);
    } else if (r < 0.6) {
      const s = sentinels[rng.int(sentinels.length)]!;
      if (s.core) crashSentinel(s);
      else startSentinel(s);
    } else if (r < 0.8) {
      // Partition: every process gets side 0 or 1. Established connections stay "open" but traffic is dropped
      // (a real partition does not reset TCP).
      for (const s of sentinels) s.part = rng.int(2);
      for (const n of nodes) n.part = rng.int(2);
      resetConvergence();
    } else if (r < 0.88 && clockJumps) {
      const s = sentinels[rng.int(sentinels.length)]!;
      if (rng.chance(0.5)) {
        // The clock of one sentinel jumps: forwards past TILT-TRIGGER, or backwards (NTP step).
        s.clockOffsetMs += rng.chance(0.6) ? 2100 + rng.int(6000) : -(50 + rng.int(3000));
        if (o.verbose) console.log(`${sched.now} S${s.idx} clock offset now ${s.clockOffsetMs} ms`);
      } else {
        // The process stalls (SIGSTOP, VM pause, swap) for longer than TILT-TRIGGER.
        s.frozenUntil = sched.now + 2100 + rng.int(5000);
        if (o.verbose) console.log(`${sched.now} S${s.idx} stalled until ${s.frozenUntil}`);
      }
    } else {
      for (const s of sentinels) s.part = 0;
      for (const n of nodes) n.part = 0;
      resetConvergence();
    }
    markBroken();
  }

  // ---- heal: everything up and connected, then let the group converge
  markBroken();
  for (const s of sentinels) s.part = 0;
  for (const n of nodes) n.part = 0;
  for (const n of nodes) if (!n.alive) restartNode(n);
  for (const s of sentinels) if (!s.core) startSentinel(s);
  resetConvergence();
  markBroken();
  // Stalled connections from the partition period are reset now (as TCP keepalive/forced close would).
  for (const l of [...links]) dropLink(l);
  // Run until the group has been settled for SETTLED_MS (all agree, the agreed address is the only master, no
  // failover in progress, nobody in TILT), or the heal time is up; most seeds settle within seconds.
  const currentAddrs = (): string[] =>
    sentinels.map((s) => {
      const m = s.core!.masters.get('mymaster')!;
      const a = s.core!.currentMasterAddr(m);
      return `${a.host}:${a.port}`;
    });
  const settled = (): boolean => {
    const addrs = currentAddrs();
    if (addrs.some((a) => a !== addrs[0])) return false;
    const masters = nodes.filter((n) => n.alive && n.role === 'master');
    if (masters.length !== 1 || `${HOST}:${masters[0]!.port}` !== addrs[0]) return false;
    return sentinels.every((s) => !s.core!.tilt && !s.core!.masters.get('mymaster')!.failoverInProgress);
  };
  let settledSince: number | null = null;
  while (sched.now < chaosMs + healMs) {
    sched.runUntil(Math.min(sched.now + 500, chaosMs + healMs));
    if (!settled()) settledSince = null;
    else if (settledSince === null) settledSince = sched.now;
    else if (sched.now - settledSince >= SETTLED_MS) break;
  }

  const addrs = currentAddrs();
  const finalMaster = addrs[0] ?? '';
  if (new Set(addrs).size !== 1) violate(`I4 sentinels disagree after healing: ${addrs.join(' ')}`);
  const masters = nodes.filter((n) => n.alive && n.role === 'master').map((n) => `${HOST}:${n.port}`);
  if (masters.length !== 1 || masters[0] !== finalMaster) {
    violate(`I4 not converged: masters ${masters.join(',') || 'none'} vs sentinels ${finalMaster}`);
  }
  return {
    seed: o.seed,
    violations,
    failovers,
    promotions,
    tilts,
    fences,
    finalMaster,
    events: eventCount,
    maxDisagreeMs,
    simulatedMs: sched.now,
    l1Ms,
  };
}

function rid(rng: Rng): string {
  let s = '';
  for (let i = 0; i < 40; i++) s += '0123456789abcdef'[rng.int(16)];
  return s;
}

function outToReply(out: Out): Reply {
  switch (out.t) {
    case 'int':
      return Number(out.v);
    case 'bulk':
      return String(out.v);
    case 'simple':
      return out.v;
    case 'error':
      return new RespErrorReply(out.v);
    case 'array':
      return out.v.map(outToReply);
    case 'null':
    case 'nullarray':
      return null;
    default:
      return null;
  }
}
