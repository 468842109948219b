// The proxy's control-plane core: decides where client bytes may go and when they must wait.
// Pure: no sockets, timers, Date or randomness. Driven by observations (sentinel events, poll reports, ROLE
// answers, link up/down, ticks) with an explicit `nowMs`; returns effects for the shell (src/proxy/control.ts).
//
// The switching rule (docs/proxy.md has the safety argument):
//   - The gate closes (hold new connections, freeze existing ones) on the first failover signal from ANY
//     sentinel about the master we route to. Closing never sends a byte anywhere, so one sentinel may do it.
//   - The route moves to address X only when ROLE on X answers `master` AND either
//       (quorum)    >= `need` sentinels (default: a majority of the configured ones) report X in
//                   `SENTINEL MASTER`, at a config epoch (the need-th highest they vouch for) strictly greater
//                   than the epoch we last confirmed; or
//       (fast path) a sentinel announced SLAVEOF NO ONE on X (`+failover-state-wait-promotion`) in a failover of
//                   the master we route to, and X is a replica of that master according to >= `need`
//                   sentinels. The route is then provisional until a quorum reports X.
//   - A stale report (older or equal epoch, different address) never moves the route back.
//   - A quorum reporting another address at a newer epoch closes the gate at once, before its ROLE check: the
//     routed node is no longer the master of the latest epoch (events missed, or a healed partition).
//   - Optionally (failClosedAfterMs), losing contact with a quorum of sentinels closes the gate too.

import { type Addr, addrKey, sameAddr, parseEventSubject, parseSwitchMaster, type MasterReport } from './events.js';

export type Observation =
  | { kind: 'sentinel-up'; sentinel: string }
  | { kind: 'sentinel-down'; sentinel: string }
  /** Result of polling one sentinel. `master` null = it does not know the name (or answered garbage). */
  | { kind: 'report'; sentinel: string; master: MasterReport | null; replicas: Addr[] | null }
  | { kind: 'event'; sentinel: string; channel: string; payload: string }
  | { kind: 'role'; token: number; addr: Addr; role: string };

export type Effect =
  /** open: forward bytes and accept connections; closed: hold new connections, freeze existing sessions. */
  | { kind: 'gate'; open: boolean; reason: string }
  /** Route changed: sessions bound to `from` must be closed; held connections may go to `to` if the gate is open. */
  | { kind: 'route'; from: Addr | null; to: Addr; epoch: number; provisional: boolean; reason: string }
  /** Run ROLE on addr after delayMs and report back an Observation{kind:'role', token}. */
  | { kind: 'check-role'; addr: Addr; token: number; delayMs: number }
  /** Poll every sentinel now (SENTINEL MASTER + REPLICAS). */
  | { kind: 'poll'; reason: string }
  | { kind: 'log'; level: 'info' | 'warn'; msg: string; fields: { [k: string]: unknown } };

export interface RouterOptions {
  masterName: string;
  /** Sentinel ids (host:port), in configuration order. */
  sentinels: readonly string[];
  /** Agreeing sentinels needed to accept an address; default floor(n/2)+1. */
  quorum?: number;
  /** A closed gate with no switch reopens after this long (ms), so a lying sentinel cannot stall us forever. */
  maxFailoverMs: number;
  /** Poll reports older than this (ms) do not count towards a quorum. */
  reportMaxAgeMs: number;
  /** Enable the ROLE fast path on `+failover-state-wait-promotion`. */
  fastPath: boolean;
  /** Delay (ms) between ROLE checks of a fast-path candidate that is not yet master. */
  fastRoleRetryMs: number;
  /** Delay (ms) between ROLE checks of a quorum candidate that did not answer master. */
  roleRetryMs: number;
  /**
   * A fast-path route that no quorum has confirmed after this long (ms) is treated as a promotion Sentinel did
   * not complete (e.g. the leader died right after SLAVEOF NO ONE): the quorum's address is followed again even
   * at the old epoch, unless a live sentinel still reports a failover in progress. Default 5000.
   */
  provisionalMaxMs?: number;
  /**
   * When fewer than `need` sentinels have given a fresh report for this long (ms), stop forwarding (hold new
   * clients, freeze sessions; they get the max-hold error) until a quorum is back. 0 or unset: keep routing to the
   * last confirmed master (available but possibly stale). Losing and regaining the quorum is logged either way.
   */
  failClosedAfterMs?: number;
}

interface SentinelView {
  id: string;
  up: boolean;
  report: MasterReport | null;
  reportAt: number;
  replicas: Addr[];
  /** Highest epoch this sentinel announced with +new-epoch (0 if none). */
  currentEpoch: number;
  /** Failover of our routed master announced by events (+try-failover, +failover-state-*, ...). */
  failoverEv: boolean;
  /** +odown on our routed master, not yet followed by -odown. */
  odownEv: boolean;
  /** Last poll said our routed master is o_down or failing over. Only polls set or clear this. */
  failoverPoll: boolean;
}

interface Route {
  addr: Addr;
  epoch: number;
  provisional: boolean;
}

interface Candidate {
  addr: Addr;
  epoch: number;
  via: 'quorum' | 'fast-path';
  reason: string;
  token: number;
}

export interface RouterSnapshot {
  masterName: string;
  route: { host: string; port: number; epoch: number; provisional: boolean } | null;
  confirmedEpoch: number;
  gateOpen: boolean;
  gateReason: string;
  gateClosedSinceMs: number | null;
  candidate: { host: string; port: number; via: string } | null;
  sentinelsUp: number;
  sentinelsTotal: number;
  need: number;
  switches: number;
  lastSwitchAt: number | null;
  lastSwitchReason: string | null;
}

const FAILOVER_START_EVENTS = new Set([
  '+try-failover',
  '+elected-leader',
  '+selected-slave',
  '+promoted-slave',
  '+failover-state-select-slave',
  '+failover-state-send-slaveof-noone',
  '+failover-state-wait-promotion',
  '+failover-state-reconf-slaves',
]);

const FAST_PATH_EVENTS = new Set(['+failover-state-wait-promotion', '+promoted-slave']);

export class Router {
  readonly need: number;
  private readonly views = new Map<string, SentinelView>();
  private route: Route | null = null;
  /** Epoch a quorum vouched for at the last confirmed route; -1 before the first. */
  private confirmedEpoch = -1;
  private candidate: Candidate | null = null;
  private nextToken = 1;
  private gateOpen = false;
  private gateReason = 'no confirmed master yet';
  /** When failover signals first became active (ms), null if none. */
  private signalSince: number | null = null;
  /** Set when maxFailoverMs expired: signals are ignored until they all clear. */
  private signalsSuppressed = false;
  private gateClosedSince: number | null;
  private switches = 0;
  private lastSwitchAt: number | null = null;
  private lastSwitchReason: string | null = null;
  private readonly loggedOnce = new Set<string>();
  /** Since when fewer than `need` sentinels have a fresh report (ms), null while a quorum is in contact. */
  private quorumLostSince: number | null = null;

  constructor(
    private readonly opts: RouterOptions,
    nowMs: number,
  ) {
    const n = opts.sentinels.length;
    if (n === 0) throw new Error('router needs at least one sentinel');
    this.need = opts.quorum ?? Math.floor(n / 2) + 1;
    if (this.need < 1 || this.need > n) throw new Error(`quorum ${this.need} outside 1..${n}`);
    for (const id of opts.sentinels) {
      this.views.set(id, {
        id,
        up: false,
        report: null,
        reportAt: 0,
        replicas: [],
        currentEpoch: 0,
        failoverEv: false,
        odownEv: false,
        failoverPoll: false,
      });
    }
    this.gateClosedSince = nowMs;
  }

  isGateOpen(): boolean {
    return this.gateOpen;
  }

  currentRoute(): Readonly<Route> | null {
    return this.route;
  }

  snapshot(): RouterSnapshot {
    let up = 0;
    for (const v of this.views.values()) if (v.up) up++;
    return {
      masterName: this.opts.masterName,
      route: this.route ? { ...this.route.addr, epoch: this.route.epoch, provisional: this.route.provisional } : null,
      confirmedEpoch: this.confirmedEpoch,
      gateOpen: this.gateOpen,
      gateReason: this.gateReason,
      gateClosedSinceMs: this.gateClosedSince,
      candidate: this.candidate ? { ...this.candidate.addr, via: this.candidate.via } : null,
      sentinelsUp: up,
      sentinelsTotal: this.views.size,
      need: this.need,
      switches: this.switches,
      lastSwitchAt: this.lastSwitchAt,
      lastSwitchReason: this.lastSwitchReason,
    };
  }

  observe(obs: Observation, nowMs: number): Effect[] {
    const out: Effect[] = [];
    switch (obs.kind) {
      case 'sentinel-up': {
        const v = this.views.get(obs.sentinel);
        if (v) v.up = true;
        break;
      }
      case 'sentinel-down': {
        const v = this.views.get(obs.sentinel);
        if (v) {
          v.up = false;
          v.report = null;
        }
        break;
      }
      case 'report':
        this.onReport(obs.sentinel, obs.master, obs.replicas, nowMs);
        break;
      case 'event':
        this.onEvent(obs.sentinel, obs.channel, obs.payload, nowMs, out);
        break;
      case 'role':
        this.onRole(obs.token, obs.addr, obs.role, nowMs, out);
        break;
    }
    this.evaluateQuorum(nowMs, out);
    this.updateGate(nowMs, out);
    return out;
  }

  /** Periodic housekeeping (call every ~100 ms): failover-hold expiry. */
  tick(nowMs: number): Effect[] {
    const out: Effect[] = [];
    this.evaluateQuorum(nowMs, out);
    this.updateGate(nowMs, out);
    return out;
  }

  // --- observations -------------------------------------------------------------------------------------------

  private onReport(id: string, master: MasterReport | null, replicas: Addr[] | null, nowMs: number): void {
    const v = this.views.get(id);
    if (!v) return;
    v.up = true;
    v.report = master;
    v.reportAt = nowMs;
    if (replicas) v.replicas = replicas;
    v.failoverPoll =
      master !== null &&
      this.route !== null &&
      sameAddr(master.addr, this.route.addr) &&
      (master.odown || master.failoverInProgress);
  }

  private onEvent(id: string, channel: string, payload: string, nowMs: number, out: Effect[]): void {
    const v = this.views.get(id);
    if (!v) return;
    if (channel === '+new-epoch') {
      const e = Number(payload.trim());
      if (Number.isSafeInteger(e) && e > v.currentEpoch) v.currentEpoch = e;
      return;
    }
    if (channel === '+switch-master') {
      const sm = parseSwitchMaster(payload);
      if (sm && sm.masterName === this.opts.masterName) {
        out.push({ kind: 'poll', reason: `+switch-master from ${id}` });
      }
      return;
    }
    const subj = parseEventSubject(payload);
    if (!subj || subj.masterName !== this.opts.masterName) return;
    if (channel === '+config-update-from') {
      out.push({ kind: 'poll', reason: `+config-update-from via ${id}` });
      return;
    }
    // Everything below concerns the master we route to; events about an older master are history.
    if (!this.route || !sameAddr(subj.master, this.route.addr)) return;
    if (channel === '+odown') {
      v.odownEv = true;
    } else if (channel === '-odown') {
      v.odownEv = false;
    } else if (channel.startsWith('-failover-abort')) {
      v.failoverEv = false;
      if (this.candidate?.via === 'fast-path') this.candidate = null;
      out.push(this.log('info', 'failover aborted', { sentinel: id, event: channel }));
    } else if (FAILOVER_START_EVENTS.has(channel) || channel.startsWith('+failover-state-')) {
      if (!v.failoverEv) out.push(this.log('info', 'failover signalled', { sentinel: id, event: channel }));
      v.failoverEv = true;
      if (FAST_PATH_EVENTS.has(channel) && subj.replica) this.considerFastPath(v, subj.replica, channel, nowMs, out);
    }
  }

  private considerFastPath(v: SentinelView, replica: Addr, channel: string, _nowMs: number, out: Effect[]): void {
    if (!this.opts.fastPath || !this.route || sameAddr(replica, this.route.addr)) return;
    if (this.candidate && sameAddr(this.candidate.addr, replica)) return;
    // A replica of the master we route to, according to a quorum: a lone sentinel cannot name a stranger.
    let vouch = 0;
    for (const w of this.views.values()) {
      if (w.replicas.some((r) => sameAddr(r, replica))) vouch++;
    }
    if (vouch < this.need) {
      out.push(
        this.log('warn', 'fast path refused: replica not known to a quorum of sentinels', {
          sentinel: v.id,
          replica: addrKey(replica),
          vouching: vouch,
          need: this.need,
        }),
      );
      return;
    }
    const epoch = v.currentEpoch > this.confirmedEpoch ? v.currentEpoch : this.confirmedEpoch + 1;
    out.push(
      this.log('info', 'fast path: polling ROLE on the promoted replica', {
        sentinel: v.id,
        replica: addrKey(replica),
        epoch,
      }),
    );
    this.setCandidate({ addr: replica, epoch, via: 'fast-path', reason: `${channel} from ${v.id}` }, 0, out);
  }

  private onRole(token: number, addr: Addr, role: string, nowMs: number, out: Effect[]): void {
    const c = this.candidate;
    if (!c || c.token !== token || !sameAddr(c.addr, addr)) return;
    if (role === 'master') {
      this.switchTo(c, nowMs, out);
      return;
    }
    const key = `role-not-master:${addrKey(addr)}:${role}`;
    if (!this.loggedOnce.has(key)) {
      this.loggedOnce.add(key);
      // Refused for credentials: retrying will not help, so it is a warning with the fix.
      const auth = /^error:(NOAUTH|WRONGPASS|NOPERM)/.test(role);
      out.push(
        auth
          ? this.log('warn', 'cannot check ROLE on the candidate: set --redis-username/--redis-password', {
              addr: addrKey(addr),
              role,
              via: c.via,
            })
          : this.log('info', 'candidate does not answer ROLE master yet', { addr: addrKey(addr), role, via: c.via }),
      );
    }
    c.token = this.nextToken++;
    const delayMs = c.via === 'fast-path' ? this.opts.fastRoleRetryMs : this.opts.roleRetryMs;
    out.push({ kind: 'check-role', addr: c.addr, token: c.token, delayMs });
  }

  // --- decisions ----------------------------------------------------------------------------------------------

  private evaluateQuorum(nowMs: number, out: Effect[]): void {
    const groups = new Map<string, { addr: Addr; epochs: number[] }>();
    for (const v of this.views.values()) {
      if (!this.fresh(v, nowMs)) continue;
      const k = addrKey(v.report.addr);
      let g = groups.get(k);
      if (!g) groups.set(k, (g = { addr: v.report.addr, epochs: [] }));
      g.epochs.push(v.report.configEpoch);
    }
    let best: { addr: Addr; epoch: number } | null = null;
    for (const g of groups.values()) {
      if (g.epochs.length < this.need) continue;
      g.epochs.sort((a, b) => b - a);
      // The need-th highest epoch: at least `need` sentinels vouch for an epoch this high, so a minority of liars
      // cannot inflate it.
      const epoch = g.epochs[this.need - 1] ?? 0;
      if (!best || epoch > best.epoch) best = { addr: g.addr, epoch };
    }
    if (!best) return;
    const route = this.route;
    if (route && sameAddr(best.addr, route.addr)) {
      if (route.provisional || best.epoch > this.confirmedEpoch) {
        if (route.provisional) {
          out.push(this.log('info', 'route confirmed by quorum', { addr: addrKey(route.addr), epoch: best.epoch }));
        }
        route.provisional = false;
        route.epoch = best.epoch;
        this.confirmedEpoch = Math.max(this.confirmedEpoch, best.epoch);
      }
      if (this.candidate?.via === 'quorum') this.candidate = null;
      return;
    }
    // A live sentinel still running a failover (the leader) means the promotion is in progress, not abandoned.
    let failoverRunning = false;
    for (const v of this.views.values()) if (v.up && v.report?.failoverInProgress) failoverRunning = true;
    const provisionalExpired =
      route !== null &&
      !failoverRunning &&
      route.provisional &&
      this.lastSwitchAt !== null &&
      nowMs - this.lastSwitchAt >= (this.opts.provisionalMaxMs ?? 5000) &&
      best.epoch >= this.confirmedEpoch;
    if (provisionalExpired && this.candidate?.via !== 'quorum') {
      out.push(
        this.log('warn', 'fast-path switch not confirmed by the sentinels; following their quorum again', {
          provisional: addrKey(route.addr),
          quorum: addrKey(best.addr),
          epoch: best.epoch,
        }),
      );
      this.setCandidate(
        {
          addr: best.addr,
          epoch: best.epoch,
          via: 'quorum',
          reason: 'unconfirmed fast-path switch reverted to the sentinel quorum',
        },
        0,
        out,
      );
      return;
    }
    if (best.epoch <= this.confirmedEpoch && !provisionalExpired) {
      const key = `stale:${addrKey(best.addr)}:${best.epoch}`;
      if (!this.loggedOnce.has(key) && route && !route.provisional) {
        this.loggedOnce.add(key);
        out.push(
          this.log('warn', 'ignoring quorum report at a stale epoch', {
            addr: addrKey(best.addr),
            epoch: best.epoch,
            confirmedEpoch: this.confirmedEpoch,
          }),
        );
      }
      return;
    }
    const c = this.candidate;
    if (c && sameAddr(c.addr, best.addr)) {
      if (c.via === 'quorum') c.epoch = Math.max(c.epoch, best.epoch);
      return;
    }
    this.setCandidate(
      {
        addr: best.addr,
        epoch: best.epoch,
        via: 'quorum',
        reason: route ? 'sentinel quorum' : 'initial sentinel quorum',
      },
      0,
      out,
    );
  }

  private setCandidate(c: Omit<Candidate, 'token'>, delayMs: number, out: Effect[]): void {
    const token = this.nextToken++;
    this.candidate = { ...c, token };
    out.push({ kind: 'check-role', addr: c.addr, token, delayMs });
  }

  private switchTo(c: Candidate, nowMs: number, out: Effect[]): void {
    const from = this.route?.addr ?? null;
    const provisional = c.via === 'fast-path';
    this.route = { addr: c.addr, epoch: c.epoch, provisional };
    if (!provisional) this.confirmedEpoch = Math.max(this.confirmedEpoch, c.epoch);
    this.candidate = null;
    // Failover signals referred to the previous master.
    for (const v of this.views.values()) {
      v.failoverEv = false;
      v.odownEv = false;
      v.failoverPoll = false;
    }
    this.signalSince = null;
    this.signalsSuppressed = false;
    this.switches++;
    this.lastSwitchAt = nowMs;
    const reason = `${c.reason}; ROLE master confirmed`;
    this.lastSwitchReason = reason;
    out.push({ kind: 'route', from, to: c.addr, epoch: c.epoch, provisional, reason });
    out.push(
      this.log('info', from ? 'switch' : 'initial route', {
        from: from ? addrKey(from) : null,
        to: addrKey(c.addr),
        epoch: c.epoch,
        provisional,
        reason,
      }),
    );
  }

  /** A sentinel whose link is up and whose last report, naming the master, is young enough to count. */
  private fresh(v: SentinelView, nowMs: number): v is SentinelView & { report: MasterReport } {
    return v.up && v.report !== null && nowMs - v.reportAt <= this.opts.reportMaxAgeMs;
  }

  /** Sentinels that could vouch for a route now. */
  private liveSentinels(nowMs: number): number {
    let live = 0;
    for (const v of this.views.values()) if (this.fresh(v, nowMs)) live++;
    return live;
  }

  private trackQuorumContact(nowMs: number, out: Effect[]): void {
    const live = this.liveSentinels(nowMs);
    if (live >= this.need) {
      if (this.quorumLostSince !== null) {
        out.push(
          this.log('info', 'sentinel quorum reachable again', {
            live,
            need: this.need,
            lostMs: nowMs - this.quorumLostSince,
          }),
        );
        this.quorumLostSince = null;
      }
    } else if (this.route && this.quorumLostSince === null) {
      this.quorumLostSince = nowMs;
      const hold = this.opts.failClosedAfterMs ?? 0;
      out.push(
        this.log('warn', 'lost contact with a quorum of sentinels', {
          live,
          need: this.need,
          route: addrKey(this.route.addr),
          policy: hold > 0 ? `stop forwarding after ${hold} ms` : 'keep routing to the last confirmed master',
        }),
      );
    }
  }

  private updateGate(nowMs: number, out: Effect[]): void {
    this.trackQuorumContact(nowMs, out);
    let signalled: string | null = null;
    for (const v of this.views.values()) {
      if (v.failoverEv || v.odownEv || v.failoverPoll) {
        signalled = `failover of ${this.route ? addrKey(this.route.addr) : '?'} signalled by ${v.id}`;
        break;
      }
    }
    if (signalled === null) {
      this.signalSince = null;
      this.signalsSuppressed = false;
    } else if (this.signalSince === null) {
      this.signalSince = nowMs;
    } else if (!this.signalsSuppressed && nowMs - this.signalSince >= this.opts.maxFailoverMs) {
      this.signalsSuppressed = true;
      out.push(
        this.log('warn', 'failover signals outlived max-failover; reopening to the confirmed master', {
          route: this.route ? addrKey(this.route.addr) : null,
          heldMs: nowMs - this.signalSince,
        }),
      );
    }
    let open: boolean;
    let reason: string;
    if (!this.route) {
      open = false;
      reason = 'no confirmed master yet';
    } else if (signalled !== null && !this.signalsSuppressed) {
      open = false;
      reason = signalled;
    } else if (this.candidate?.via === 'quorum' && !sameAddr(this.candidate.addr, this.route.addr)) {
      open = false;
      reason = `a sentinel quorum reports ${addrKey(this.candidate.addr)} at epoch ${this.candidate.epoch}; checking ROLE`;
    } else if (
      (this.opts.failClosedAfterMs ?? 0) > 0 &&
      this.quorumLostSince !== null &&
      nowMs - this.quorumLostSince >= this.opts.failClosedAfterMs!
    ) {
      open = false;
      reason = `fewer than ${this.need} sentinels reachable for ${this.opts.failClosedAfterMs} ms (fail-closed)`;
    } else {
      open = true;
      reason = `routing to ${addrKey(this.route.addr)} epoch ${this.route.epoch}`;
    }
    if (open !== this.gateOpen) {
      this.gateOpen = open;
      this.gateReason = reason;
      this.gateClosedSince = open ? null : nowMs;
      out.push({ kind: 'gate', open, reason });
    } else {
      this.gateReason = reason;
    }
  }

  private log(level: 'info' | 'warn', msg: string, fields: { [k: string]: unknown }): Effect {
    return { kind: 'log', level, msg, fields: { master: this.opts.masterName, ...fields } };
  }
}
