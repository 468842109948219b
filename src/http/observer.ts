// The observability shell of one sentinel: subscribes to the event stream the runtime already publishes, keeps
// a ring buffer of recent events and the last failovers with their per-phase timings, keeps the Prometheus
// counters and histograms, and reads the core's state (never changes it) for gauges and the JSON API. Nothing
// here feeds back into the core: it is a listener and a reader.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { explainAll, explainMaster, masterOffset, type MasterExplain } from '../core/explain.js';
import type { Instance } from '../core/instance.js';
import type { SentinelCore } from '../core/sentinel.js';
import type { SentinelEvent } from '../server/host.js';

/** What the observer needs from the running sentinel (SentinelRuntime implements it). */
export interface ObservedSentinel {
  readonly core: SentinelCore;
  onEvent(listener: (event: SentinelEvent) => void): () => void;
  readonly scripts: { readonly running: number; readonly queued: number };
  /** Link error counts kept by the runtime (invalid hellos are counted by the core, which drops them). */
  readonly stats: { linkDisconnects: { cmd: number; pubsub: number } };
}

export interface ObservedEvent {
  /** Sequence number (SSE id), 1, 2, ... */
  id: number;
  /** ms since the epoch */
  at: number;
  /** The sentinel that saw it (its myid). */
  sentinel: string;
  type: string;
  payload: string;
  /** The master it is about, when the payload names one. */
  master: string | null;
}

export type PhaseName = 'detection' | 'odown' | 'election' | 'promotion' | 'reconfiguration';
export const PHASES: readonly PhaseName[] = ['detection', 'odown', 'election', 'promotion', 'reconfiguration'];

export interface Phase {
  name: PhaseName;
  start: number;
  /** null while the phase runs */
  end: number | null;
}

export interface FailoverRecord {
  /** `<master>/<epoch>` — the same id on every sentinel of the group. */
  id: string;
  master: string;
  epoch: number;
  /** Which sentinel recorded it (its myid) and whether it led the failover. */
  sentinel: string;
  leader: boolean;
  startedAt: number;
  endedAt: number | null;
  result: 'running' | 'succeeded' | 'aborted';
  /** For an aborted failover: the event's reason (`not-elected`, `no-good-slave`, `slave-timeout`). */
  reason: string | null;
  from: string | null;
  to: string | null;
  phases: Phase[];
}

export interface ObserverOptions {
  /** How many events the ring buffer keeps (default 1000). */
  eventCapacity?: number;
  /** How many failovers are kept (default 20). */
  failoverCapacity?: number;
}

/** Buckets for failover phases: a phase lasts from a few ms (promotion) to minutes (failover-timeout). */
const PHASE_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 180];

/** The master an event payload names: `master <name> ...` or `... @ <name> <ip> <port>`. */
export function eventMaster(payload: string, type = ''): string | null {
  if (type === '+switch-master') return payload.split(' ')[0] ?? null;
  const at = payload.indexOf(' @ ');
  if (at >= 0) return payload.slice(at + 3).split(' ')[0] ?? null;
  if (payload.startsWith('master ')) return payload.split(' ')[1] ?? null;
  return null;
}

function addr(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

interface MasterTrack {
  lastOkAt: number;
  sdownAt: number;
  odownAt: number;
  current: FailoverRecord | null;
}

export class Observer {
  readonly registry = new Registry();
  private readonly events: ObservedEvent[] = [];
  private readonly failovers: FailoverRecord[] = [];
  private readonly tracks = new Map<string, MasterTrack>();
  private readonly eventListeners = new Set<(e: ObservedEvent) => void>();
  private readonly failoverListeners = new Set<(f: FailoverRecord) => void>();
  private seq = 0;
  private readonly eventCapacity: number;
  private readonly failoverCapacity: number;
  private readonly unsubscribe: () => void;

  private readonly cStarted: Counter<'master_name'>;
  private readonly cSucceeded: Counter<'master_name'>;
  private readonly cAborted: Counter<'master_name' | 'reason'>;
  private readonly cSwitch: Counter<'master_name'>;
  private readonly hPhase: Histogram<'master_name' | 'phase'>;
  private readonly hFailover: Histogram<'master_name'>;
  private readonly cVotes: Counter<'master_name' | 'candidate'>;
  private readonly cTilt: Counter<'cause'>;
  private readonly cEvents: Counter<'type'>;
  private readonly cFences: Counter<'master_name'>;
  private readonly cFenceLifts: Counter<'master_name'>;
  private readonly cFenceFailures: Counter<'master_name'>;
  private readonly cEmptyMaster: Counter<'master_name'>;
  private readonly cDeposed: Counter<'master_name'>;

  constructor(
    private readonly src: ObservedSentinel,
    opts: ObserverOptions = {},
  ) {
    this.eventCapacity = opts.eventCapacity ?? 1000;
    this.failoverCapacity = opts.failoverCapacity ?? 20;
    const reg = this.registry;
    const registers = [reg];
    this.cStarted = new Counter({
      name: 'vigil_failovers_started_total',
      help: 'Failovers this sentinel tried (+try-failover)',
      labelNames: ['master_name'],
      registers,
    });
    this.cSucceeded = new Counter({
      name: 'vigil_failovers_succeeded_total',
      help: 'Failovers this sentinel led to the end (+failover-end, +failover-end-for-timeout)',
      labelNames: ['master_name'],
      registers,
    });
    this.cAborted = new Counter({
      name: 'vigil_failovers_aborted_total',
      help: 'Failovers this sentinel aborted, by reason (-failover-abort-<reason>)',
      labelNames: ['master_name', 'reason'],
      registers,
    });
    this.cSwitch = new Counter({
      name: 'vigil_switch_master_total',
      help: 'Master address changes this sentinel applied (+switch-master), whoever led the failover',
      labelNames: ['master_name'],
      registers,
    });
    this.hPhase = new Histogram({
      name: 'vigil_failover_phase_duration_seconds',
      help: 'Duration of each failover phase: detection (last good reply to +sdown), odown (+sdown to +odown), election (+try-failover to +elected-leader), promotion (+elected-leader to +promoted-slave), reconfiguration (+promoted-slave to +failover-end)',
      labelNames: ['master_name', 'phase'],
      buckets: PHASE_BUCKETS,
      registers,
    });
    this.hFailover = new Histogram({
      name: 'vigil_failover_duration_seconds',
      help: 'Failovers this sentinel led: +try-failover to +failover-end',
      labelNames: ['master_name'],
      buckets: PHASE_BUCKETS,
      registers,
    });
    this.cVotes = new Counter({
      name: 'vigil_votes_total',
      help: 'Leader votes this sentinel cast (+vote-for-leader), for itself or for a peer',
      labelNames: ['master_name', 'candidate'],
      registers,
    });
    this.cTilt = new Counter({
      name: 'vigil_tilt_entries_total',
      help: 'Times TILT mode was entered, by cause (timer-stall, clock-backwards)',
      labelNames: ['cause'],
      registers,
    });
    this.cEvents = new Counter({
      name: 'vigil_events_total',
      help: 'Sentinel events published, by type',
      labelNames: ['type'],
      registers,
    });
    this.cFences = new Counter({
      name: 'vigil_fences_total',
      help: 'Times this sentinel fenced a master cut off from the majority (+vigil-fence)',
      labelNames: ['master_name'],
      registers,
    });
    this.cFenceLifts = new Counter({
      name: 'vigil_fence_lifts_total',
      help: 'Fences lifted (-vigil-fence)',
      labelNames: ['master_name'],
      registers,
    });
    this.cFenceFailures = new Counter({
      name: 'vigil_fence_failures_total',
      help: 'Fencing commands that failed (-vigil-fence-failed)',
      labelNames: ['master_name'],
      registers,
    });
    this.cEmptyMaster = new Counter({
      name: 'vigil_empty_master_total',
      help: 'Masters seen restarted empty while their replicas hold data (+vigil-empty-master)',
      labelNames: ['master_name'],
      registers,
    });
    this.cDeposed = new Counter({
      name: 'vigil_deposed_master_demotions_total',
      help: 'Deposed masters demoted at once after a switch (+convert-to-slave of a deposed master)',
      labelNames: ['master_name'],
      registers,
    });
    this.stateGauges();
    this.unsubscribe = src.onEvent((e) => this.onEvent(e));
  }

  close(): void {
    this.unsubscribe();
    this.eventListeners.clear();
    this.failoverListeners.clear();
  }

  private get core(): SentinelCore {
    return this.src.core;
  }

  // ---- gauges read from the core at scrape time (redis_exporter's names and labels, plus vigil_*)

  private stateGauges(): void {
    const registers = [this.registry];
    const core = (): SentinelCore => this.core;
    const masters = (): Instance[] => [...core().masters.values()];
    const ml = (m: Instance): { master_name: string; master_address: string } => ({
      master_name: m.name,
      master_address: addr(m.host, m.port),
    });
    const src = this.src;
    const simple = (name: string, help: string, value: () => number): void => {
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(value());
        },
      });
    };
    const perMaster = (name: string, help: string, value: (m: Instance) => number): void => {
      new Gauge({
        name,
        help,
        labelNames: ['master_name', 'master_address'],
        registers,
        collect() {
          this.reset();
          for (const m of masters()) this.set(ml(m), value(m));
        },
      });
    };
    simple('redis_sentinel_masters', 'The number of masters this sentinel is watching', () => core().masters.size);
    simple('redis_sentinel_tilt', 'Sentinel is in TILT mode', () => (core().tilt ? 1 : 0));
    simple('redis_sentinel_running_scripts', 'Number of scripts in execution right now', () => src.scripts.running);
    simple('redis_sentinel_scripts_queue_length', 'Queue of user scripts to execute', () => src.scripts.queued);
    simple('redis_sentinel_simulate_failure_flags', 'Failures simulations', () => {
      const f = core().simFailure;
      return (f.crashAfterElection ? 1 : 0) | (f.crashAfterPromotion ? 2 : 0);
    });
    new Gauge({
      name: 'redis_sentinel_master_status',
      help: 'Master status on Sentinel (1 = ok)',
      labelNames: ['master_name', 'master_address', 'master_status'],
      registers,
      collect() {
        this.reset();
        for (const m of masters()) {
          const status = m.odown ? 'odown' : m.sdown ? 'sdown' : 'ok';
          this.set({ ...ml(m), master_status: status }, status === 'ok' ? 1 : 0);
        }
      },
    });
    perMaster('redis_sentinel_master_slaves', 'The number of slaves of the master', (m) => m.replicas.size);
    perMaster(
      'redis_sentinel_master_ok_slaves',
      'The number of okay slaves of the master',
      (m) => [...m.replicas.values()].filter((r) => !r.sdown && !r.odown).length,
    );
    perMaster(
      'redis_sentinel_master_sentinels',
      'The number of sentinels monitoring this master',
      (m) => m.sentinels.size + 1,
    );
    perMaster(
      'redis_sentinel_master_ok_sentinels',
      'The number of okay sentinels monitoring this master',
      (m) => 1 + [...m.sentinels.values()].filter((s) => !s.sdown && !s.odown).length,
    );
    new Gauge({
      name: 'redis_sentinel_master_ckquorum_status',
      help: 'Master ckquorum status',
      labelNames: ['master_name', 'message'],
      registers,
      collect() {
        this.reset();
        for (const m of masters()) {
          const x = explainMaster(core(), m);
          const problems: string[] = [];
          if (!x.quorumReachable)
            problems.push('Not enough available Sentinels to reach the specified quorum for this master');
          if (!x.majorityReachable)
            problems.push('Not enough available Sentinels to reach the majority and authorize a failover');
          const message =
            problems.length > 0
              ? `NOQUORUM ${x.usableSentinels} usable Sentinels. ${problems.join('. ')}`
              : `OK ${x.usableSentinels} usable Sentinels. Quorum and failover authorization can be reached`;
          this.set({ master_name: m.name, message }, problems.length > 0 ? 0 : 1);
        }
      },
    });
    perMaster('redis_sentinel_master_config_epoch', 'Config epoch of the master', (m) => m.configEpoch);
    perMaster(
      'redis_sentinel_master_last_ok_ping_reply_seconds',
      'Seconds since the last valid PING reply from the master',
      (m) => (core().clock.now() - m.link.lastAvailAt) / 1000,
    );
    perMaster('redis_sentinel_master_setting_ckquorum', 'The quorum configured for each master', (m) => m.quorum);
    perMaster(
      'redis_sentinel_master_setting_failover_timeout',
      'The failover-timeout configured for each master',
      (m) => m.failoverTimeoutMs,
    );
    perMaster(
      'redis_sentinel_master_setting_parallel_syncs',
      'The parallel-syncs configured for each master',
      (m) => m.parallelSyncs,
    );
    perMaster(
      'redis_sentinel_master_setting_down_after_milliseconds',
      'The down-after-milliseconds configured for each master',
      (m) => m.downAfterMs,
    );
    perMaster('vigil_fence_active', 'Whether this sentinel is fencing the master (1) or not (0)', (m) =>
      m.fenceActive ? 1 : 0,
    );
    perMaster('vigil_failover_in_progress', 'Whether a failover of this master runs here', (m) =>
      m.failoverInProgress ? 1 : 0,
    );
    perMaster(
      'vigil_master_eligible_replicas',
      'Replicas this sentinel could promote now',
      (m) => explainMaster(core(), m).replicas.filter((r) => r.eligible).length,
    );
    new Gauge({
      name: 'vigil_replica_lag_bytes',
      help: "Bytes a replica is behind its master's last reported replication offset",
      labelNames: ['master_name', 'replica_address'],
      registers,
      collect() {
        this.reset();
        for (const m of masters()) {
          const mo = masterOffset(m);
          if (mo === null) continue;
          for (const r of m.replicas.values()) {
            this.set({ master_name: m.name, replica_address: r.name }, Math.max(0, mo - r.slaveReplOffset));
          }
        }
      },
    });
    new Gauge({
      name: 'vigil_current_epoch',
      help: 'The current epoch of this sentinel',
      registers,
      collect() {
        this.set(core().currentEpoch);
      },
    });
    new Counter({
      name: 'vigil_link_disconnects_total',
      help: 'Outbound links (to masters, replicas and peers) that closed or failed to connect, by link kind',
      labelNames: ['link'],
      registers,
      collect() {
        this.reset();
        this.inc({ link: 'cmd' }, src.stats.linkDisconnects.cmd);
        this.inc({ link: 'pubsub' }, src.stats.linkDisconnects.pubsub);
      },
    });
    new Counter({
      name: 'vigil_hello_invalid_total',
      help: 'Hello messages dropped as invalid (address, port, 40-hex run id, epochs: src/core/hello.ts)',
      registers,
      collect() {
        this.reset();
        this.inc(src.core.helloInvalid);
      },
    });
  }

  // ---- the event stream

  onEventRecorded(listener: (e: ObservedEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  onFailoverChanged(listener: (f: FailoverRecord) => void): () => void {
    this.failoverListeners.add(listener);
    return () => this.failoverListeners.delete(listener);
  }

  recentEvents(limit = this.eventCapacity, afterId = 0): ObservedEvent[] {
    const out = this.events.filter((e) => e.id > afterId);
    return out.slice(Math.max(0, out.length - limit));
  }

  recentFailovers(limit = this.failoverCapacity): FailoverRecord[] {
    return this.failovers.slice(Math.max(0, this.failovers.length - limit));
  }

  private track(master: string): MasterTrack {
    let t = this.tracks.get(master);
    if (!t) {
      t = { lastOkAt: 0, sdownAt: 0, odownAt: 0, current: null };
      this.tracks.set(master, t);
    }
    return t;
  }

  private onEvent(e: SentinelEvent): void {
    const core = this.core;
    const now = core.clock.now();
    let master = eventMaster(e.payload, e.channel);
    if (e.channel === '+vote-for-leader') {
      // `<leader-runid> <epoch>`: the master is the one whose vote this is.
      const [leader, epoch] = e.payload.split(' ');
      for (const m of core.masters.values()) {
        if (m.leader === leader && String(m.leaderEpoch) === epoch) master = m.name;
      }
    }
    const ev: ObservedEvent = {
      id: ++this.seq,
      at: now,
      sentinel: core.myid,
      type: e.channel,
      payload: e.payload,
      master,
    };
    this.events.push(ev);
    if (this.events.length > this.eventCapacity) this.events.splice(0, this.events.length - this.eventCapacity);
    this.cEvents.inc({ type: e.channel });
    this.account(ev);
    for (const l of this.eventListeners) {
      try {
        l(ev);
      } catch {
        // A broken subscriber must not break the sentinel.
      }
    }
  }

  private changed(f: FailoverRecord): void {
    for (const l of this.failoverListeners) {
      try {
        l(f);
      } catch {
        // ignore
      }
    }
  }

  private endPhase(f: FailoverRecord, name: PhaseName, now: number): void {
    const p = f.phases.find((x) => x.name === name && x.end === null);
    if (!p) return;
    p.end = now;
    this.hPhase.observe({ master_name: f.master, phase: name }, Math.max(0, now - p.start) / 1000);
  }

  private startPhase(f: FailoverRecord, name: PhaseName, now: number): void {
    f.phases.push({ name, start: now, end: null });
  }

  private finish(f: FailoverRecord, result: 'succeeded' | 'aborted', reason: string | null, now: number): void {
    for (const p of f.phases) if (p.end === null) p.end = now;
    f.result = result;
    f.reason = reason;
    f.endedAt = now;
    const t = this.tracks.get(f.master);
    if (t && t.current === f) t.current = null;
  }

  /** Counters, histograms and failover records from one event. */
  private account(ev: ObservedEvent): void {
    const core = this.core;
    const now = ev.at;
    const type = ev.type;
    if (type === '+tilt') {
      this.cTilt.inc({ cause: core.tiltCause === '' ? 'unknown' : core.tiltCause });
      return;
    }
    if (ev.master === null) return;
    const name = ev.master;
    const m = core.masters.get(name);
    const isMasterEvent = ev.payload.startsWith('master ');
    const t = this.track(name);
    const f = t.current;
    switch (type) {
      case '+sdown':
        if (isMasterEvent && m) {
          t.sdownAt = now;
          t.lastOkAt = m.link.lastAvailAt;
          this.hPhase.observe({ master_name: name, phase: 'detection' }, Math.max(0, now - t.lastOkAt) / 1000);
        }
        break;
      case '-sdown':
        if (isMasterEvent) t.sdownAt = 0;
        break;
      case '+odown':
        if (t.sdownAt !== 0) {
          t.odownAt = now;
          this.hPhase.observe({ master_name: name, phase: 'odown' }, Math.max(0, now - t.sdownAt) / 1000);
        }
        break;
      case '+try-failover': {
        this.cStarted.inc({ master_name: name });
        const epoch = m?.failoverEpoch ?? core.currentEpoch;
        const rec: FailoverRecord = {
          id: `${name}/${epoch}`,
          master: name,
          epoch,
          sentinel: core.myid,
          leader: false,
          startedAt: now,
          endedAt: null,
          result: 'running',
          reason: null,
          from: m ? addr(m.host, m.port) : null,
          to: null,
          phases: [],
        };
        // An automatic failover carries the outage that led to it (forced ones start at +try-failover).
        if (t.sdownAt !== 0 && m && !m.forceFailover) {
          rec.phases.push({ name: 'detection', start: t.lastOkAt, end: t.sdownAt });
          if (t.odownAt >= t.sdownAt) rec.phases.push({ name: 'odown', start: t.sdownAt, end: t.odownAt });
        }
        this.startPhase(rec, 'election', now);
        if (t.current) this.finish(t.current, 'aborted', 'superseded', now);
        t.current = rec;
        this.failovers.push(rec);
        if (this.failovers.length > this.failoverCapacity) this.failovers.shift();
        this.changed(rec);
        break;
      }
      case '+elected-leader':
        if (f) {
          f.leader = true;
          this.endPhase(f, 'election', now);
          this.startPhase(f, 'promotion', now);
          this.changed(f);
        }
        break;
      case '+selected-slave':
        if (f) {
          f.to = ev.payload.split(' ')[1] ?? null;
          this.changed(f);
        }
        break;
      case '+promoted-slave':
        if (f) {
          this.endPhase(f, 'promotion', now);
          this.startPhase(f, 'reconfiguration', now);
          this.changed(f);
        }
        break;
      case '+failover-end':
      case '+failover-end-for-timeout':
        if (f) {
          this.endPhase(f, 'reconfiguration', now);
          this.finish(f, 'succeeded', type === '+failover-end' ? null : 'timeout', now);
          this.cSucceeded.inc({ master_name: name });
          this.hFailover.observe({ master_name: name }, Math.max(0, now - f.startedAt) / 1000);
          this.changed(f);
        }
        break;
      case '+switch-master':
        this.cSwitch.inc({ master_name: name });
        t.sdownAt = 0;
        t.odownAt = 0;
        break;
      case '+vote-for-leader': {
        const leader = ev.payload.split(' ')[0] ?? '';
        this.cVotes.inc({ master_name: name, candidate: leader === core.myid ? 'self' : 'peer' });
        break;
      }
      case '+vigil-fence':
        this.cFences.inc({ master_name: name });
        break;
      case '-vigil-fence':
        this.cFenceLifts.inc({ master_name: name });
        break;
      case '-vigil-fence-failed':
        this.cFenceFailures.inc({ master_name: name });
        break;
      case '+vigil-empty-master':
        this.cEmptyMaster.inc({ master_name: name });
        break;
      case '+convert-to-slave': {
        const rname = ev.payload.split(' ')[1] ?? '';
        if (m?.replicas.get(rname)?.deposed) this.cDeposed.inc({ master_name: name });
        break;
      }
      default:
        if (type.startsWith('-failover-abort-')) {
          const reason = type.slice('-failover-abort-'.length);
          this.cAborted.inc({ master_name: name, reason });
          if (f) {
            this.finish(f, 'aborted', reason, now);
            this.changed(f);
          }
        }
    }
  }

  // ---- JSON views

  explain(): MasterExplain[] {
    return explainAll(this.core);
  }

  info(): Record<string, unknown> {
    const core = this.core;
    return {
      myid: core.myid,
      currentEpoch: core.currentEpoch,
      tilt: core.tilt,
      tiltCause: core.tiltCause || null,
      tiltSince: core.tilt ? core.tiltStartAt : null,
      masters: core.masters.size,
      now: core.clock.now(),
    };
  }

  masters(): Array<Record<string, unknown>> {
    const core = this.core;
    const now = core.clock.now();
    return [...core.masters.values()].map((m) => {
      const x = explainMaster(core, m);
      return {
        name: m.name,
        address: addr(m.host, m.port),
        host: m.host,
        port: m.port,
        status: x.status,
        flags: m.flagsString(),
        configEpoch: m.configEpoch,
        quorum: m.quorum,
        failoverState: m.failoverState,
        fenced: m.fenceActive,
        lastOkPingMs: now - m.link.lastAvailAt,
        offset: masterOffset(m),
        replicas: this.replicaRows(m, x),
        sentinels: this.sentinelRows(m),
        explain: x,
      };
    });
  }

  private replicaRows(m: Instance, x: MasterExplain): Array<Record<string, unknown>> {
    const now = this.core.clock.now();
    return [...m.replicas.values()].map((r) => {
      const e = x.replicas.find((y) => y.name === r.name);
      return {
        master: m.name,
        name: r.name,
        address: addr(r.host, r.port),
        flags: r.flagsString(),
        role: r.roleReported,
        linkStatus: r.slaveMasterLinkUp ? 'ok' : 'err',
        priority: r.slavePriority,
        offset: r.slaveReplOffset,
        lagBytes: e?.lagBytes ?? null,
        lastOkPingMs: now - r.link.lastAvailAt,
        eligible: e?.eligible ?? false,
        reasons: e?.reasons ?? [],
      };
    });
  }

  private sentinelRows(m: Instance): Array<Record<string, unknown>> {
    const core = this.core;
    const now = core.clock.now();
    const self = {
      master: m.name,
      runId: core.myid,
      address: null as string | null,
      self: true,
      flags: 'sentinel',
      masterDown: m.sdown,
      votedLeader: m.leader,
      votedLeaderEpoch: m.leaderEpoch,
      lastHelloMs: 0,
    };
    return [
      self,
      ...[...m.sentinels.values()].map((s) => ({
        master: m.name,
        runId: s.runId,
        address: addr(s.host, s.port),
        self: false,
        flags: s.flagsString(),
        masterDown: s.masterDown,
        votedLeader: s.leader,
        votedLeaderEpoch: s.leaderEpoch,
        lastHelloMs: now - s.lastHelloAt,
      })),
    ];
  }

  replicas(master?: string): Array<Record<string, unknown>> {
    return this.masters()
      .filter((m) => master === undefined || m.name === master)
      .flatMap((m) => m.replicas as Array<Record<string, unknown>>);
  }

  sentinels(master?: string): Array<Record<string, unknown>> {
    return this.masters()
      .filter((m) => master === undefined || m.name === master)
      .flatMap((m) => m.sentinels as Array<Record<string, unknown>>);
  }
}
