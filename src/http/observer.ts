// The observability shell of one sentinel: subscribes to the event stream the runtime already publishes, keeps
// a ring buffer of recent events and the last failovers with their per-phase timings, feeds the Prometheus
// counters and histograms from events (declared with the scrape-time gauges in metrics.ts), and serves the JSON
// views (views.ts) of the core's state. Nothing here feeds back into the core: it is a listener and a reader.
import { Registry } from 'prom-client';
import { explainAll, type MasterExplain } from '../core/explain.js';
import type { SentinelCore } from '../core/sentinel.js';
import type { SentinelEvent } from '../server/host.js';
import { SentinelMetrics } from './metrics.js';
import { addr, infoView, mastersView, replicasView, sentinelsView } from './views.js';

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

/** The master an event payload names: `master <name> ...` or `... @ <name> <ip> <port>`. */
function eventMaster(payload: string, type = ''): string | null {
  if (type === '+switch-master') return payload.split(' ')[0] ?? null;
  const at = payload.indexOf(' @ ');
  if (at >= 0) return payload.slice(at + 3).split(' ')[0] ?? null;
  if (payload.startsWith('master ')) return payload.split(' ')[1] ?? null;
  return null;
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

  private readonly metrics: SentinelMetrics;

  constructor(
    private readonly src: ObservedSentinel,
    opts: ObserverOptions = {},
  ) {
    this.eventCapacity = opts.eventCapacity ?? 1000;
    this.failoverCapacity = opts.failoverCapacity ?? 20;
    this.metrics = new SentinelMetrics(this.registry, src);
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
    this.metrics.cEvents.inc({ type: e.channel });
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
    this.metrics.hPhase.observe({ master_name: f.master, phase: name }, Math.max(0, now - p.start) / 1000);
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
      this.metrics.cTilt.inc({ cause: core.tiltCause === '' ? 'unknown' : core.tiltCause });
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
          this.metrics.hPhase.observe({ master_name: name, phase: 'detection' }, Math.max(0, now - t.lastOkAt) / 1000);
        }
        break;
      case '-sdown':
        if (isMasterEvent) t.sdownAt = 0;
        break;
      case '+odown':
        if (t.sdownAt !== 0) {
          t.odownAt = now;
          this.metrics.hPhase.observe({ master_name: name, phase: 'odown' }, Math.max(0, now - t.sdownAt) / 1000);
        }
        break;
      case '+try-failover': {
        this.metrics.cStarted.inc({ master_name: name });
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
          this.metrics.cSucceeded.inc({ master_name: name });
          this.metrics.hFailover.observe({ master_name: name }, Math.max(0, now - f.startedAt) / 1000);
          this.changed(f);
        }
        break;
      case '+switch-master':
        this.metrics.cSwitch.inc({ master_name: name });
        t.sdownAt = 0;
        t.odownAt = 0;
        break;
      case '+vote-for-leader': {
        const leader = ev.payload.split(' ')[0] ?? '';
        this.metrics.cVotes.inc({ master_name: name, candidate: leader === core.myid ? 'self' : 'peer' });
        break;
      }
      case '+vigil-fence':
        this.metrics.cFences.inc({ master_name: name });
        break;
      case '-vigil-fence':
        this.metrics.cFenceLifts.inc({ master_name: name });
        break;
      case '-vigil-fence-failed':
        this.metrics.cFenceFailures.inc({ master_name: name });
        break;
      case '+vigil-empty-master':
        this.metrics.cEmptyMaster.inc({ master_name: name });
        break;
      case '+convert-to-slave': {
        const rname = ev.payload.split(' ')[1] ?? '';
        if (m?.replicas.get(rname)?.deposed) this.metrics.cDeposed.inc({ master_name: name });
        break;
      }
      default:
        if (type.startsWith('-failover-abort-')) {
          const reason = type.slice('-failover-abort-'.length);
          this.metrics.cAborted.inc({ master_name: name, reason });
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
    return infoView(this.core);
  }

  masters(): Array<Record<string, unknown>> {
    return mastersView(this.core);
  }

  replicas(master?: string): Array<Record<string, unknown>> {
    return replicasView(this.core, master);
  }

  sentinels(master?: string): Array<Record<string, unknown>> {
    return sentinelsView(this.core, master);
  }
}
