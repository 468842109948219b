// The deterministic sentinel: monitoring bookkeeping, hello discovery, SDOWN/ODOWN, epochs, votes, leader
// election and the failover state machine, modelled on Redis 7.0.15's sentinel.c but driven from outside:
// tick(), link observations, replies and admin calls go in; Effects come out. Pure: no sockets, no fs, no
// timers, no Date, no Math.random — the clock, the random source and the timing constants are injected.
//
// Where we act sooner than Redis (without changing what a timeout means): is-master-down-by-addr replies,
// promotion INFO and reconfiguration progress set `urgent`, and the runtime then ticks again immediately;
// the failover state machine runs consecutive states in one tick; INFO is sent right after SLAVEOF NO ONE on
// the same connection and polled every 50 ms until the promotion shows; peers are re-asked every 100 ms while
// we are SDOWN but not yet ODOWN.
import type {
  MasterConfig,
  PersistedMaster,
  PersistedState,
  SentinelGlobals,
  VigilMasterOptions,
} from '../config/types.js';
import type { Reply } from '../resp/types.js';
import { MAX_KILL_IDS, clientIdsToKill } from './client-list.js';
import {
  FENCE_BASE,
  FENCE_DEBOUNCE_MS,
  FENCE_LIFT_AFTER_PUBLISH_PERIODS,
  FENCE_RENEW_MS,
  isLoading,
  keyspaceKeys,
  othersCouldFailOver,
  parseMinReplicas,
  peersOutOfContact,
  replicasAhead,
  replicasWithData,
  unfencedValue,
} from './fencing.js';
import {
  MAX_REPLICAS_PER_MASTER,
  MAX_SENTINELS_PER_MASTER,
  RateLimitedWarning,
  excerpt,
  isPort,
  isValidAddress,
  parseHello,
} from './hello.js';
import { parseInfo } from './info.js';
import { Instance, InstanceLink, failoverStateOrder, replicaName } from './instance.js';
import type { FailoverState, InflightCommand } from './instance.js';
import { ctime } from './timefmt.js';
import { HELLO_CHANNEL, MAX_DESYNC_MS, MAX_PENDING_COMMANDS, defaultTimings } from './types.js';

/** Split-vote avoidance (see "Votes and election"): the candidacy delay after ODOWN, and the retry schedule. */
export const CANDIDACY_JITTER_MS = 150;
export const SPLIT_RETRY_MS = 100;
export const SPLIT_RETRY_STEP_MS = 300;
export const SPLIT_RETRY_JITTER_MS = 50;
/** Fast retries in a row before falling back to Redis's 2 x failover-timeout (bounds epoch growth). */
export const MAX_SPLIT_RETRIES = 5;
import type { Clock, Effect, LinkKind, LogLevel, ReplyTag, Rng, Timings } from './types.js';

export interface CoreOptions {
  clock: Clock;
  rng: Rng;
  timings?: Partial<Timings>;
  /** The sentinel's own listening port (announced in hellos unless announce-port is set). */
  port: number;
  /** `requirepass`: reused as the outbound password to peers when sentinel-pass is unset. */
  requirepass?: string;
  /** Whether a script path is executable (SENTINEL SET checks it); default: accept any path. */
  isExecutable?: (path: string) => boolean;
}

interface LinkRef {
  inst: Instance;
  kind: LinkKind;
  /** When the connection was established (ms), 0 while connecting. */
  upAt: number;
  /** The (possibly shared) connection state this socket belongs to. */
  link: InstanceLink;
}

/** An INFO reply as text (bulk string or Buffer), null for an error or anything else. */
function infoText(reply: Reply): string | null {
  if (typeof reply === 'string') return reply;
  return Buffer.isBuffer(reply) ? reply.toString('utf8') : null;
}

const FAST_PROMOTION_POLL_MS = 50;
/**
 * Coordinated manual failover (failoverCatchUp): the longest writes stay paused on the old master (a safety net:
 * the pause is lifted as soon as the old master is demoted, or when the failover aborts), and the longest we wait
 * for the chosen replica to reach the master's offset before promoting anyway, as Redis would have at once.
 */
const MF_PAUSE_MS = 5000;
const MF_CATCHUP_MS = 1000;
const FAST_RECONF_POLL_MS = 200;
const FAST_ASK_MS = 100;
const FAST_PING_MS = 100;
const FAST_RECONNECT_MS = 100;
/** How long select_slave waits for an INFO already in flight before giving up (Redis: no wait). */
const SELECT_WAIT_INFO_MS = 1000;

export class SentinelCore {
  readonly clock: Clock;
  readonly rng: Rng;
  readonly timings: Timings;
  readonly port: number;
  readonly requirepass: string | undefined;
  readonly isExecutable: (path: string) => boolean;

  myid: string;
  currentEpoch: number;
  announceIp: string | undefined;
  announcePort: number;
  denyScriptsReconfig: boolean;
  sentinelUser: string | undefined;
  sentinelPass: string | undefined;
  resolveHostnames: boolean;
  announceHostnames: boolean;

  readonly masters = new Map<string, Instance>();
  tilt = false;
  tiltStartAt = 0;
  /** Why TILT was last entered: `timer-stall` (a tick came too late) or `clock-backwards`; '' = never. */
  tiltCause: '' | 'timer-stall' | 'clock-backwards' = '';
  previousTickAt: number;
  simFailure = { crashAfterElection: false, crashAfterPromotion: false };

  /** Set when an observation means the state machine could progress now; the runtime ticks again at once. */
  urgent = false;

  private effects: Effect[] = [];
  private nextLinkId = 1;
  private readonly links = new Map<number, LinkRef>();

  constructor(globals: SentinelGlobals & { myid: string }, masters: MasterConfig[], opts: CoreOptions) {
    this.clock = opts.clock;
    this.rng = opts.rng;
    this.timings = { ...defaultTimings, ...opts.timings };
    this.port = opts.port;
    this.requirepass = opts.requirepass;
    this.isExecutable = opts.isExecutable ?? (() => true);
    this.myid = globals.myid;
    this.currentEpoch = globals.currentEpoch;
    this.announceIp = globals.announceIp;
    this.announcePort = globals.announcePort;
    this.denyScriptsReconfig = globals.denyScriptsReconfig;
    this.sentinelUser = globals.sentinelUser;
    this.sentinelPass = globals.sentinelPass;
    this.resolveHostnames = globals.resolveHostnames;
    this.announceHostnames = globals.announceHostnames;
    this.previousTickAt = this.clock.now();
    for (const mc of masters) this.loadMaster(mc);
  }

  private loadMaster(mc: MasterConfig): void {
    const now = this.clock.now();
    const m = new Instance('master', mc.name, mc.host, mc.port, null, now, mc.downAfterMs);
    m.quorum = mc.quorum;
    m.failoverTimeoutMs = mc.failoverTimeoutMs;
    m.parallelSyncs = mc.parallelSyncs;
    m.notificationScript = mc.notificationScript;
    m.clientReconfigScript = mc.clientReconfigScript;
    m.authPass = mc.authPass;
    m.authUser = mc.authUser;
    m.masterRebootDownAfterPeriodMs = mc.masterRebootDownAfterPeriodMs;
    if (mc.vigil?.fencing !== undefined) m.vigilFencing = mc.vigil.fencing;
    if (mc.vigil?.fenceDelayMs !== undefined) m.vigilFenceDelayMs = mc.vigil.fenceDelayMs;
    if (mc.vigil?.emptyMasterFailover !== undefined) m.vigilEmptyMasterFailover = mc.vigil.emptyMasterFailover;
    for (const r of mc.renamedCommands) m.renames.set(r.command.toLowerCase(), { ...r });
    m.configEpoch = mc.configEpoch;
    m.leaderEpoch = mc.leaderEpoch;
    if (mc.leader !== undefined) m.leader = mc.leader;
    if (m.configEpoch > this.currentEpoch) this.currentEpoch = m.configEpoch;
    this.masters.set(m.name, m);
    for (const r of mc.knownReplicas) this.addReplica(m, r.host, r.port);
    for (const s of mc.knownSentinels) {
      if (s.runId === this.myid) continue;
      const si = new Instance('sentinel', s.runId, s.host, s.port, m, now, m.downAfterMs);
      si.runId = s.runId;
      m.sentinels.set(s.runId, si);
      this.tryConnectionSharing(si);
    }
    this.event('warning', '+monitor', m, `${this.details(m)} quorum ${m.quorum}`);
  }

  // ===================================================================================================
  // Effects plumbing
  // ===================================================================================================

  /** Returns and clears the effects accumulated since the last drain. */
  drain(): Effect[] {
    const e = this.effects;
    this.effects = [];
    return e;
  }

  private now(): number {
    return this.clock.now();
  }

  event(level: LogLevel, type: string, inst: Instance | null, payload: string): void {
    const ev: Effect = { t: 'event', level, type, payload };
    if (level === 'warning' && inst !== null && inst.owner.notificationScript !== undefined) {
      ev.notificationScript = inst.owner.notificationScript;
    }
    this.effects.push(ev);
  }

  log(level: LogLevel, text: string): void {
    this.effects.push({ t: 'log', level, text });
  }

  // Dropped hostile input (hellos, over-cap discoveries): one warning per 10 s and kind, with a suppressed count.
  private readonly helloWarning = new RateLimitedWarning(10_000);
  /** Hellos dropped by parseHello since start (the vigil_hello_invalid_total metric). */
  helloInvalid = 0;
  private readonly sentinelCapWarning = new RateLimitedWarning(10_000);
  private readonly replicaCapWarning = new RateLimitedWarning(10_000);

  private warnDropped(w: RateLimitedWarning, text: string): void {
    const line = w.next(this.now(), text);
    if (line !== null) this.log('warning', line);
  }

  flush(): void {
    this.effects.push({ t: 'flush' });
  }

  /** `%@`: instance details as Redis formats them for events. */
  details(ri: Instance): string {
    if (ri.kind === 'master') return `master ${ri.name} ${this.announceAddr(ri.host)} ${ri.port}`;
    const m = ri.owner;
    const type = ri.kind === 'replica' ? 'slave' : 'sentinel';
    return `${type} ${ri.name} ${this.announceAddr(ri.host)} ${ri.port} @ ${m.name} ${this.announceAddr(m.host)} ${m.port}`;
  }

  /**
   * Hostname/IP as announced (announceSentinelAddr): with `announce-hostnames no` a configured hostname is shown
   * as the address it resolved to on the last connection (learnt from the link layer, which does the DNS
   * lookups); until a first connection, and with `announce-hostnames yes`, the name itself. The config file keeps
   * the name (Redis writes the IP there, which loses the name a pod is reached by).
   */
  announceAddr(host: string): string {
    if (this.announceHostnames) return host;
    return this.resolvedHosts.get(host.toLowerCase()) ?? host;
  }

  /** Hostname (lower case) → the IP its last connection went to. */
  private readonly resolvedHosts = new Map<string, string>();

  // ===================================================================================================
  // Links
  // ===================================================================================================

  private cmdName(ri: Instance, cmd: string): string {
    const r = ri.owner.renames.get(cmd.toLowerCase());
    return r !== undefined ? r.renamed : cmd;
  }

  private authCommand(ri: Instance): string[] | null {
    let pass: string | undefined;
    let user: string | undefined;
    if (ri.kind === 'sentinel') {
      if (this.sentinelPass !== undefined) {
        pass = this.sentinelPass;
        user = this.sentinelUser;
      } else {
        pass = this.requirepass;
      }
    } else {
      pass = ri.owner.authPass;
      user = ri.owner.authUser;
    }
    if (pass === undefined) return null;
    const auth = this.cmdName(ri, 'AUTH');
    return user !== undefined ? [auth, user, pass] : [auth, pass];
  }

  private openLink(ri: Instance, kind: LinkKind): void {
    const linkId = this.nextLinkId++;
    this.links.set(linkId, { inst: ri, kind, upAt: 0, link: ri.link });
    const handshake: string[][] = [];
    const auth = this.authCommand(ri);
    if (auth) handshake.push(auth);
    handshake.push([this.cmdName(ri, 'CLIENT'), 'SETNAME', `sentinel-${this.myid.slice(0, 8)}-${kind}`]);
    if (kind === 'pubsub') handshake.push([this.cmdName(ri, 'SUBSCRIBE'), HELLO_CHANNEL]);
    const now = this.now();
    if (kind === 'cmd') {
      ri.link.cmdLinkId = linkId;
      ri.link.cmdConnectedAt = now;
      ri.link.pendingCommands = 0;
      ri.link.inflight.clear();
      ri.link.localIp = null;
      ri.infoInFlight = 0;
    } else {
      ri.link.pubsubLinkId = linkId;
      ri.link.pubsubConnectedAt = now;
      ri.link.pubsubActivityAt = now;
    }
    this.effects.push({ t: 'connect', linkId, kind, host: ri.host, port: ri.port, handshake });
  }

  private closeLink(ri: Instance, kind: LinkKind): void {
    const id = kind === 'cmd' ? ri.link.cmdLinkId : ri.link.pubsubLinkId;
    if (id === null) return;
    this.links.delete(id);
    if (kind === 'cmd') {
      ri.link.cmdLinkId = null;
      ri.link.pendingCommands = 0;
      ri.infoInFlight = 0;
      ri.link.inflight.clear();
    } else {
      ri.link.pubsubLinkId = null;
    }
    this.effects.push({ t: 'close', linkId: id });
  }

  private closeAllLinks(ri: Instance): void {
    this.closeLink(ri, 'cmd');
    this.closeLink(ri, 'pubsub');
  }

  /**
   * sentinelTryConnectionSharing: a peer sentinel known for several masters (same run id) uses one connection.
   * Called when a sentinel record is created; its own (new, unused) link is dropped for the existing one.
   */
  private tryConnectionSharing(ri: Instance): void {
    if (ri.kind !== 'sentinel' || ri.runId === null || ri.link.refcount > 1) return;
    for (const mm of this.masters.values()) {
      if (mm === ri.master) continue;
      const match = mm.sentinels.get(ri.runId);
      if (!match || match.link === ri.link) continue;
      this.closeAllLinks(ri);
      ri.link = match.link;
      ri.link.refcount++;
      return;
    }
  }

  /** releaseInstanceLink: a record going away closes its connection only if no other master shares it. */
  private releaseLink(ri: Instance): void {
    if (ri.link.refcount > 1) {
      ri.link.refcount--;
      // Replies still in flight for this record are consumed (order!) but not applied to a record that is gone.
      for (const q of ri.link.inflight.values()) for (const c of q) if (c.inst === ri) c.dropped = true;
      ri.link = new InstanceLink(this.now());
      return;
    }
    this.closeAllLinks(ri);
  }

  private send(ri: Instance, cmd: string[], tag: ReplyTag, askAddr?: string): boolean {
    if (ri.link.cmdLinkId === null) return false;
    ri.link.pendingCommands++;
    const entry: InflightCommand = { inst: ri };
    if (askAddr !== undefined) entry.askAddr = askAddr;
    let q = ri.link.inflight.get(tag);
    if (!q) ri.link.inflight.set(tag, (q = []));
    q.push(entry);
    // Bounded: a link that stopped answering is force-closed long before this matters.
    if (q.length > MAX_PENDING_COMMANDS * 4 * ri.link.refcount) q.shift();
    this.effects.push({ t: 'send', linkId: ri.link.cmdLinkId, cmd, tag });
    return true;
  }

  /** Observation: the TCP connection of a link is established. `localIp` is our end of it. */
  onLinkUp(linkId: number, localIp: string, remoteIp?: string): Effect[] {
    const ref = this.links.get(linkId);
    if (ref && remoteIp !== undefined && remoteIp !== '' && !isIpAddress(ref.inst.host)) {
      this.resolvedHosts.set(ref.inst.host.toLowerCase(), remoteIp.replace(/^::ffff:(?=\d+\.)/i, ''));
    }
    if (ref) ref.upAt = this.now();
    if (ref && ref.kind === 'cmd') ref.link.localIp = localIp;
    return this.drain();
  }

  /** Observation: a link failed to connect or was closed by the peer. */
  onLinkDown(linkId: number): Effect[] {
    const ref = this.links.get(linkId);
    if (!ref) return this.drain();
    this.links.delete(linkId);
    const ri = ref.inst;
    const lk = ref.link;
    if (ref.kind === 'cmd' && lk.cmdLinkId === linkId) {
      lk.cmdLinkId = null;
      lk.pendingCommands = 0;
      lk.inflight.clear();
      ri.infoInFlight = 0;
    } else if (ref.kind === 'pubsub' && lk.pubsubLinkId === linkId) {
      lk.pubsubLinkId = null;
    }
    // A connection that had been up for a while and was then lost (CLIENT KILL, a reset) is re-opened on the next
    // tick; Redis waits out PING-PERIOD since the last attempt, and with a PING outstanding that gap alone can
    // reach down-after: a spurious SDOWN of a reachable instance (found by the simulation, I5). Refused or failed
    // connects keep the once-per-PING-PERIOD rate.
    if (ref.upAt !== 0 && this.now() - ref.upAt >= this.timings.pingPeriodMs) lk.lastReconnectAt = 0;
    this.log('debug', `${ref.kind === 'cmd' ? '-cmd' : '-pubsub'}-link-reconnection ${this.details(ri)}`);
    return this.drain();
  }

  /** Observation: a reply to a command we sent on a cmd link. */
  onReply(linkId: number, tag: ReplyTag, reply: Reply): Effect[] {
    const ref = this.links.get(linkId);
    if (!ref || ref.kind !== 'cmd') return this.drain();
    const lk = ref.link;
    if (lk.pendingCommands > 0) lk.pendingCommands--;
    // Replies come in send order: the oldest unanswered command tells which instance (which master's record of
    // a shared peer) this reply belongs to.
    const sent = lk.inflight.get(tag)?.shift();
    if (sent?.dropped === true) return this.drain();
    const ri = sent?.inst ?? ref.inst;
    const now = this.now();
    switch (tag) {
      case 'ping': {
        let text: string | null = null;
        if (typeof reply === 'string') text = reply;
        else if (reply instanceof Error) text = reply.message;
        if (text !== null) {
          if (text.startsWith('PONG') || text.startsWith('LOADING') || text.startsWith('MASTERDOWN')) {
            ri.link.lastAvailAt = now;
            ri.link.actPingAt = 0;
            if (ri.masterReboot && text.startsWith('PONG')) ri.masterReboot = false;
          } else if (text.startsWith('BUSY') && ri.sdown && !ri.scriptKillSent) {
            if (this.send(ri, [this.cmdName(ri, 'SCRIPT'), 'KILL'], 'ignore')) ri.scriptKillSent = true;
          }
        }
        ri.link.lastPongAt = now;
        break;
      }
      case 'info': {
        if (ri.infoInFlight > 0) ri.infoInFlight--;
        const text = infoText(reply);
        if (text !== null) this.refreshInfo(ri, text);
        if (ri.kind === 'replica' && ri.owner.failoverState === 'select_slave') this.urgent = true;
        if (ri.kind === 'replica' && ri.promoted && ri.owner.failoverState === 'send_slaveof_noone') this.urgent = true;
        break;
      }
      case 'mf-offset':
        if (ri.kind === 'master' && ri.mfPausedAt !== 0) {
          const text = infoText(reply);
          ri.mfTargetOffset = text === null ? null : parseInfo(text).masterReplOffset;
          this.urgent = true;
        }
        break;
      case 'mf-clients':
        if (ri.kind === 'master' && ri.mfPausedAt !== 0 && ri.mfClientListsAwaited > 0) {
          ri.mfClientListsAwaited--;
          const text = typeof reply === 'string' ? reply : Buffer.isBuffer(reply) ? reply.toString() : null;
          const ids = text === null ? null : clientIdsToKill(text);
          ri.mfKillIds = ids === null || ri.mfKillIds === null ? null : [...ri.mfKillIds, ...ids];
        }
        break;
      case 'publish':
        if (!(reply instanceof Error)) ri.lastPubAt = now;
        break;
      case 'fence-get':
      case 'fence-set':
      case 'fence-clients':
      case 'fence-check':
        this.onFenceReply(ri, tag, reply);
        break;
      case 'is-master-down':
        this.receiveIsMasterDownReply(ri, reply, sent?.askAddr);
        break;
      case 'ignore':
        break;
    }
    return this.drain();
  }

  /** Observation: a frame on a pubsub link (subscribe confirmations, hello messages). */
  onPubsubFrame(linkId: number, frame: Reply): Effect[] {
    const ref = this.links.get(linkId);
    if (!ref || ref.kind !== 'pubsub') return this.drain();
    ref.inst.link.pubsubActivityAt = this.now();
    if (Array.isArray(frame) && frame.length === 3) {
      const [kind, , payload] = frame;
      const k = typeof kind === 'string' ? kind : Buffer.isBuffer(kind) ? kind.toString() : '';
      const p = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString() : null;
      if (k === 'message' && p !== null && !p.includes(this.myid)) this.processHello(p);
    }
    return this.drain();
  }

  /** `PUBLISH __sentinel__:hello <payload>` sent to us by a client (peer sentinels do this). */
  onClientPublish(payload: string): Effect[] {
    this.processHello(payload);
    return this.drain();
  }

  // ===================================================================================================
  // Timer
  // ===================================================================================================

  /**
   * The process has finished starting (config flushed, server listening): time spent before this is not time the
   * instances failed to answer. Nothing has been contacted yet (links open on the first tick), so every
   * instance's link clock restarts now; otherwise a slow start-up (an fsync on a loaded disk) makes the first tick
   * see every master SDOWN, and with quorum 1 fail it over.
   */
  started(): void {
    const now = this.now();
    this.previousTickAt = now;
    for (const m of this.masters.values()) {
      for (const ri of [m, ...m.replicas.values(), ...m.sentinels.values()]) {
        if (ri.link.cmdLinkId !== null) continue;
        ri.link.actPingAt = now;
        ri.link.lastAvailAt = now;
        ri.link.lastPongAt = now;
      }
    }
  }

  tick(): Effect[] {
    const now = this.now();
    this.urgent = false;
    this.checkTilt(now);
    let switchTo: Instance | null = null;
    for (const m of [...this.masters.values()]) {
      if (!this.masters.has(m.name)) continue;
      this.handleInstance(m);
      for (const r of [...m.replicas.values()]) this.handleInstance(r);
      for (const s of [...m.sentinels.values()]) this.handleInstance(s);
      if (m.failoverState === 'update_config') switchTo = m;
    }
    if (switchTo) this.switchToPromoted(switchTo);
    return this.drain();
  }

  private checkTilt(now: number): void {
    const delta = now - this.previousTickAt;
    if (delta < 0 || delta > this.timings.tiltTriggerMs) {
      this.tilt = true;
      this.tiltStartAt = now;
      // Why (Vigil): the event keeps Redis's text; the log line and tiltCause say what the clock did.
      this.tiltCause = delta < 0 ? 'clock-backwards' : 'timer-stall';
      this.event('warning', '+tilt', null, '#tilt mode entered');
      this.log(
        'warning',
        delta < 0
          ? `TILT mode entered: the clock went backwards by ${-delta} ms between two timer ticks`
          : `TILT mode entered: ${delta} ms between two timer ticks (limit ${this.timings.tiltTriggerMs} ms): the process was stalled or the clock jumped forward`,
      );
    }
    this.previousTickAt = now;
  }

  private handleInstance(ri: Instance): void {
    this.reconnect(ri);
    this.sendPeriodic(ri);
    const now = this.now();
    if (this.tilt) {
      if (now - this.tiltStartAt < this.timings.tiltPeriodMs) return;
      this.tilt = false;
      this.event('warning', '-tilt', null, '#tilt mode exited');
    }
    this.checkSdown(ri);
    if (ri.kind === 'master') {
      this.fenceStep(ri);
      this.checkOdown(ri);
      if (this.startFailoverIfNeeded(ri)) this.askOthers(ri, true);
      this.failoverStateMachine(ri);
      this.askOthers(ri, false);
    }
  }

  private reconnect(ri: Instance): void {
    if (ri.port === 0) return;
    if (!ri.disconnected) return;
    const now = this.now();
    // Redis retries once per PING-PERIOD. Within 2 s of the instance's last valid reply Vigil retries every
    // 100 ms: a master killed and restarted at once is back in milliseconds, and seeing its new run id before its
    // replicas resync from it (their replication cron runs once a second) is what lets the empty-master
    // protection act. Instances gone for longer keep Redis's rate.
    const period = now - ri.link.lastAvailAt < 2000 ? FAST_RECONNECT_MS : this.timings.pingPeriodMs;
    if (now - ri.link.lastReconnectAt < period) return;
    ri.link.lastReconnectAt = now;
    if (ri.link.cmdLinkId === null) {
      this.openLink(ri, 'cmd');
      this.sendPing(ri);
      if (ri.kind !== 'sentinel') {
        // A new connection may mean a restarted server: learn its run id and role now, not an INFO period later
        // (an empty restarted master must be noticed before its replicas resync), and remove a stale fence.
        this.sendInfo(ri);
        this.send(ri, this.minReplicasGet(ri), 'fence-check');
      }
      // Redis: INFO follows on the same tick through the periodic commands.
    }
    if (ri.kind !== 'sentinel' && ri.link.pubsubLinkId === null) this.openLink(ri, 'pubsub');
  }

  private sendPing(ri: Instance): boolean {
    if (!this.send(ri, [this.cmdName(ri, 'PING')], 'ping')) return false;
    const now = this.now();
    ri.link.lastPingAt = now;
    if (ri.link.actPingAt === 0) ri.link.actPingAt = now;
    return true;
  }

  private sendInfo(ri: Instance): boolean {
    if (!this.send(ri, [this.cmdName(ri, 'INFO')], 'info')) return false;
    ri.infoSentAt = this.now();
    ri.infoInFlight++;
    return true;
  }

  private infoPeriodFor(ri: Instance): number {
    if (ri.kind !== 'replica') return this.timings.infoPeriodMs;
    const m = ri.owner;
    if (ri.promoted && m.failoverState === 'wait_promotion') return FAST_PROMOTION_POLL_MS;
    if (ri.reconfSent || ri.reconfInprog) return FAST_RECONF_POLL_MS;
    // Redis switches to 1 s at ODOWN; we already do at SDOWN so replica data is fresh when a failover starts.
    if (m.sdown || m.odown || m.failoverInProgress || ri.masterLinkDownMs !== 0) return 1000;
    return this.timings.infoPeriodMs;
  }

  /**
   * How often this instance is PINGed. Peer sentinels: every 100 ms (one shared link per peer, whatever the number
   * of masters, and fencing needs fresh contact). Masters and replicas: Redis's PING-PERIOD, or a third of
   * down-after when that is shorter (never under 100 ms), because silence is measured from the last valid reply
   * (see checkSdown): two PINGs and a late tick fit inside down-after before it can expire.
   */
  private pingPeriodFor(ri: Instance): number {
    if (ri.kind === 'sentinel') return Math.min(ri.downAfterMs, this.timings.pingPeriodMs, FAST_PING_MS);
    return Math.min(this.timings.pingPeriodMs, Math.max(FAST_PING_MS, Math.floor(ri.downAfterMs / 3)));
  }

  /** The period peer sentinels are PINGed at (what the fencing contact window is measured in). */
  private peerPingPeriod(m: Instance): number {
    return Math.min(m.downAfterMs, this.timings.pingPeriodMs, FAST_PING_MS);
  }

  private sendPeriodic(ri: Instance): void {
    if (ri.disconnected) return;
    if (ri.link.pendingCommands >= MAX_PENDING_COMMANDS * ri.link.refcount) return;
    const now = this.now();
    const infoPeriod = this.infoPeriodFor(ri);
    const pingPeriod = this.pingPeriodFor(ri);
    if (ri.kind !== 'sentinel' && (ri.infoRefreshAt === 0 || now - ri.infoRefreshAt > infoPeriod)) {
      // One INFO in flight at a time unless it is old: a stopped server must not collect a pile of them.
      if (ri.infoInFlight === 0 || now - ri.infoSentAt > Math.max(infoPeriod, 1000)) this.sendInfo(ri);
    }
    // Once a PING is late, probe every 100 ms until something answers: silence costs nothing in steady state,
    // and a lost or slow reply gets several retries inside down-after.
    const retryAfter = ri.link.actPingAt !== 0 ? Math.min(FAST_PING_MS, pingPeriod / 2) : pingPeriod / 2;
    if (now - ri.link.lastPongAt > pingPeriod && now - ri.link.lastPingAt > retryAfter) this.sendPing(ri);
    if (now - ri.lastPubAt > this.timings.publishPeriodMs) this.sendHello(ri);
  }

  /** The address clients should use: the promoted replica once the leader is reconfiguring replicas. */
  currentMasterAddr(m: Instance): { host: string; port: number } {
    const p = m.promotedReplica;
    if (m.failoverInProgress && p && failoverStateOrder[m.failoverState] >= failoverStateOrder.reconf_slaves) {
      return { host: p.host, port: p.port };
    }
    return { host: m.host, port: m.port };
  }

  private sendHello(ri: Instance): boolean {
    if (ri.disconnected) return false;
    // PUBLISH waits out a CLIENT PAUSE WRITE and would hold up every later command on this link.
    if (ri.kind === 'master' && ri.mfPausedAt !== 0) return false;
    const ip = this.announceIp ?? ri.link.localIp;
    if (ip === null) return false;
    const port = this.announcePort !== 0 ? this.announcePort : this.port;
    const m = ri.owner;
    const addr = this.currentMasterAddr(m);
    const payload = [
      ip,
      port,
      this.myid,
      this.currentEpoch,
      m.name,
      this.announceAddr(addr.host),
      addr.port,
      m.configEpoch,
    ].join(',');
    return this.send(ri, [this.cmdName(ri, 'PUBLISH'), HELLO_CHANNEL, payload], 'publish');
  }

  /** Make hellos go out on the next tick (sentinelForceHelloUpdateForMaster). */
  private forceHelloUpdate(m: Instance): void {
    const back = this.timings.publishPeriodMs + 1;
    m.lastPubAt -= back;
    for (const r of m.replicas.values()) r.lastPubAt -= back;
    for (const s of m.sentinels.values()) s.lastPubAt -= back;
  }

  // ===================================================================================================
  // INFO
  // ===================================================================================================

  private refreshInfo(ri: Instance, text: string): void {
    const now = this.now();
    const info = parseInfo(text);
    ri.info = text;
    ri.masterLinkDownMs = info.masterLinkDownMs;
    if (info.runId !== null) {
      if (ri.runId === null) ri.runId = info.runId;
      else if (ri.runId !== info.runId) {
        this.event('notice', '+reboot', ri, this.details(ri));
        if (ri.kind === 'master') this.checkEmptyReboot(ri, text);
        if (ri.kind === 'master' && ri.masterRebootDownAfterPeriodMs !== 0) {
          ri.masterReboot = true;
          ri.masterRebootSince = now;
        }
        ri.runId = info.runId;
      }
    }
    if (ri.kind === 'master' && ri.emptyReboot) {
      const ahead = info.masterReplOffset !== null ? replicasAhead(ri, info.masterReplOffset) : 0;
      if (replicasWithData(ri) === 0 || (keyspaceKeys(text) > 0 && ahead === 0)) ri.emptyReboot = false;
    }
    if (ri.kind === 'master') {
      for (const r of info.replicas) {
        if (!isValidAddress(r.host, this.resolveHostnames) || !isPort(r.port)) continue;
        if (ri.replicas.has(replicaName(r.host, r.port))) continue;
        if (ri.replicas.size >= MAX_REPLICAS_PER_MASTER) {
          this.warnDropped(
            this.replicaCapWarning,
            `Ignored replica ${excerpt(`${r.host}:${r.port}`)} of ${ri.name}: already ${MAX_REPLICAS_PER_MASTER} replicas known`,
          );
          continue;
        }
        const slave = this.addReplica(ri, r.host, r.port);
        if (slave) {
          this.event('notice', '+slave', slave, this.details(slave));
          this.flush();
        }
      }
    }
    const role = info.role;
    if (role === 'slave') {
      if (
        info.masterHost !== null &&
        (ri.slaveMasterHost === null || info.masterHost.toLowerCase() !== ri.slaveMasterHost.toLowerCase())
      ) {
        ri.slaveMasterHost = info.masterHost;
        ri.slaveConfChangeAt = now;
      }
      if (info.masterPort !== null && info.masterPort !== ri.slaveMasterPort) {
        ri.slaveMasterPort = info.masterPort;
        ri.slaveConfChangeAt = now;
      }
      if (info.masterLinkUp !== null) ri.slaveMasterLinkUp = info.masterLinkUp;
      if (info.slavePriority !== null) ri.slavePriority = info.slavePriority;
      if (info.slaveReplOffset !== null) ri.slaveReplOffset = info.slaveReplOffset;
      if (info.replicaAnnounced !== null) ri.replicaAnnounced = info.replicaAnnounced;
    }
    ri.infoRefreshAt = now;

    if (role !== null && role !== ri.roleReported) {
      ri.roleReportedAt = now;
      ri.roleReported = role;
      if (role === 'slave') ri.slaveConfChangeAt = now;
      const configured = ri.kind === 'master' ? 'master' : ri.kind === 'replica' ? 'slave' : null;
      this.event(
        'verbose',
        configured === role ? '+role-change' : '-role-change',
        ri,
        `${this.details(ri)} new reported role is ${role}`,
      );
    }
    if (this.tilt || ri.kind !== 'replica' || role === null) return;
    const m = ri.owner;

    if (role === 'master') {
      if (ri.promoted && m.failoverInProgress && m.failoverState === 'wait_promotion') {
        m.configEpoch = m.failoverEpoch;
        this.setFailoverState(m, 'reconf_slaves');
        this.flush();
        this.event('warning', '+promoted-slave', ri, this.details(ri));
        if (this.simFailure.crashAfterPromotion) {
          this.log('warning', 'Simulated failure: crash after promotion');
          this.effects.push({ t: 'exit', code: 99 });
        }
        this.event('warning', '+failover-state-reconf-slaves', m, this.details(m));
        if (m.mfPausedAt !== 0) this.demotePausedMaster(m, ri);
        this.callClientReconfScript(
          m,
          'leader',
          'start',
          { host: m.host, port: m.port },
          { host: ri.host, port: ri.port },
        );
        this.forceHelloUpdate(m);
        this.urgent = true;
      } else {
        const waitMs = this.timings.publishPeriodMs * 4;
        // A deposed master (we switched away from it under a newer config epoch) is demoted at once: every write
        // it acknowledges from now on is lost (Redis watches it for 4 hello periods first).
        const deposed = ri.deposed && m.vigilFencing;
        if (
          !ri.promoted &&
          this.masterLooksSane(m) &&
          (deposed || (this.noDownFor(ri, waitMs) && now - ri.roleReportedAt > waitMs))
        ) {
          if (this.sendSlaveOf(ri, { host: m.host, port: m.port }, undefined, ri.fenceRestore ?? undefined))
            this.event('notice', '+convert-to-slave', ri, this.details(ri));
        }
      }
    }

    if (role === 'slave' && ri.deposed) {
      ri.deposed = false;
      ri.fenceRestore = null;
    }
    if (
      role === 'slave' &&
      (ri.slaveMasterPort !== m.port ||
        ri.slaveMasterHost === null ||
        ri.slaveMasterHost.toLowerCase() !== m.host.toLowerCase())
    ) {
      const waitMs = m.failoverTimeoutMs;
      if (this.masterLooksSane(m) && this.noDownFor(ri, waitMs) && now - ri.slaveConfChangeAt > waitMs) {
        if (this.sendSlaveOf(ri, { host: m.host, port: m.port }))
          this.event('notice', '+fix-slave-config', ri, this.details(ri));
      }
    }

    if (role === 'slave' && (ri.reconfSent || ri.reconfInprog) && m.promotedReplica) {
      const p = m.promotedReplica;
      if (
        ri.reconfSent &&
        ri.slaveMasterHost !== null &&
        ri.slaveMasterHost.toLowerCase() === p.host.toLowerCase() &&
        ri.slaveMasterPort === p.port
      ) {
        ri.reconfSent = false;
        ri.reconfInprog = true;
        this.event('notice', '+slave-reconf-inprog', ri, this.details(ri));
        this.urgent = true;
      }
      if (ri.reconfInprog && ri.slaveMasterLinkUp) {
        ri.reconfInprog = false;
        ri.reconfDone = true;
        this.event('notice', '+slave-reconf-done', ri, this.details(ri));
        this.urgent = true;
      }
    }
  }

  private masterLooksSane(m: Instance): boolean {
    return (
      m.kind === 'master' &&
      m.roleReported === 'master' &&
      !m.sdown &&
      !m.odown &&
      this.now() - m.infoRefreshAt < this.timings.infoPeriodMs * 2
    );
  }

  private noDownFor(ri: Instance, ms: number): boolean {
    const mostRecent = Math.max(ri.sdownSince, ri.odownSince);
    return mostRecent === 0 || this.now() - mostRecent > ms;
  }

  addReplica(m: Instance, host: string, port: number): Instance | null {
    if (port < 0 || port > 65535) return null;
    const name = replicaName(host, port);
    if (m.replicas.has(name)) return null;
    const r = new Instance('replica', name, host, port, m, this.now(), m.downAfterMs);
    m.replicas.set(name, r);
    return r;
  }

  // ===================================================================================================
  // Hello
  // ===================================================================================================

  private processHello(payload: string): void {
    const parsed = parseHello(payload, { currentEpoch: this.currentEpoch, resolveHostnames: this.resolveHostnames });
    if (!parsed.ok) {
      this.helloInvalid++;
      this.warnDropped(this.helloWarning, `Ignored invalid hello (${parsed.reason}): ${excerpt(payload)}`);
      return;
    }
    const { ip, port, runId: runid, currentEpoch: helloEpoch, masterName, masterIp, masterPort } = parsed.hello;
    const masterConfigEpoch = parsed.hello.configEpoch;
    const m = this.masters.get(masterName);
    if (!m) return;
    if (runid === this.myid) return;
    if (!m.sentinels.has(runid) && m.sentinels.size >= MAX_SENTINELS_PER_MASTER) {
      this.warnDropped(
        this.sentinelCapWarning,
        `Ignored hello from a new sentinel ${ip}:${port} for ${m.name}: already ${MAX_SENTINELS_PER_MASTER} sentinels known`,
      );
      return;
    }
    let si = [...m.sentinels.values()].find((s) => s.host === ip && s.port === port && s.runId === runid) ?? null;
    if (!si) {
      const removed = this.removeSentinelByRunId(m, runid);
      if (removed > 0) {
        this.event('notice', '+sentinel-address-switch', m, `${this.details(m)} ip ${ip} port ${port} for ${runid}`);
      } else {
        const other = [...m.sentinels.values()].find((s) => s.host === ip && s.port === port);
        if (other) {
          this.event('notice', '+sentinel-invalid-addr', other, this.details(other));
          const obsolete = other.runId;
          if (obsolete !== null) for (const mm of this.masters.values()) this.removeSentinelByRunId(mm, obsolete);
        }
      }
      si = new Instance('sentinel', runid, ip, port, m, this.now(), m.downAfterMs);
      si.runId = runid;
      m.sentinels.set(runid, si);
      if (removed === 0) this.event('notice', '+sentinel', si, this.details(si));
      if (removed > 0) {
        // Update the address of this sentinel in every other master too (sentinelUpdateSentinelAddressInAllMasters).
        let reconfigured = 0;
        for (const mm of this.masters.values()) {
          if (mm === m) continue;
          const match = mm.sentinels.get(runid);
          if (match && (match.host !== ip || match.port !== port)) {
            this.closeAllLinks(match);
            match.host = ip;
            match.port = port;
            reconfigured++;
          }
        }
        if (reconfigured > 0)
          this.event(
            'notice',
            '+sentinel-address-update',
            si,
            `${this.details(si)} ${reconfigured} additional matching instances`,
          );
      }
      this.tryConnectionSharing(si);
      this.flush();
    }
    if (helloEpoch > this.currentEpoch) {
      this.currentEpoch = helloEpoch;
      this.flush();
      this.event('warning', '+new-epoch', m, String(this.currentEpoch));
    }
    if (m.configEpoch < masterConfigEpoch) {
      m.configEpoch = masterConfigEpoch;
      // Compared with the address we announce (the promoted replica once our own failover is reconfiguring
      // replicas), and a failover of ours that a newer configuration has overtaken is abandoned. Redis compares
      // with the old master address only and lets its failover finish: a leader partitioned during RECONF_SLAVES
      // that hears of a newer failover back to its old master address keeps the newer epoch, then switches to its
      // own promoted replica, so two addresses carry one config epoch and the group never converges (found by
      // the simulation, invariant I4).
      const cur = this.currentMasterAddr(m);
      const moved = masterPort !== cur.port || masterIp.toLowerCase() !== cur.host.toLowerCase();
      if (moved) {
        this.event('warning', '+config-update-from', si, this.details(si));
        this.event(
          'warning',
          '+switch-master',
          m,
          `${m.name} ${this.announceAddr(cur.host)} ${cur.port} ${masterIp} ${masterPort}`,
        );
      }
      if (moved || m.failoverInProgress) {
        this.resetMasterAndChangeAddress(m, masterIp, masterPort);
        if (moved) this.callClientReconfScript(m, 'observer', 'start', cur, { host: m.host, port: m.port });
      }
    }
    si.lastHelloAt = this.now();
  }

  private removeSentinelByRunId(m: Instance, runid: string): number {
    let removed = 0;
    for (const [key, s] of m.sentinels) {
      if (s.runId === runid) {
        this.releaseLink(s);
        m.sentinels.delete(key);
        removed++;
      }
    }
    return removed;
  }

  // ===================================================================================================
  // SDOWN / ODOWN
  // ===================================================================================================

  private checkSdown(ri: Instance): void {
    const now = this.now();
    // down-after is silence: the time since the last valid reply (PONG, LOADING, MASTERDOWN) while a PING is
    // unanswered. Redis counts from its oldest unanswered PING instead, which adds up to one PING period; counting
    // from the reply lets masters be PINGed at Redis's rate and still be declared down down-after after they last
    // answered. The silence counted never starts more than one PING period before that unanswered PING: when we
    // were not asking (this process stalled, the clock jumped, the link just came back), the quiet was ours.
    // With a down-after under 3 tick-sized PING periods, count from the unanswered PING as Redis does.
    let elapsed = 0;
    if (ri.link.actPingAt !== 0) {
      const since =
        ri.downAfterMs >= 3 * FAST_PING_MS
          ? Math.max(ri.link.lastAvailAt, ri.link.actPingAt - this.pingPeriodFor(ri))
          : ri.link.actPingAt;
      elapsed = now - since;
    } else if (ri.disconnected) elapsed = now - ri.link.lastAvailAt;

    // Force-close a cmd link that looks stuck (it may be a half-open connection).
    if (
      ri.link.cmdLinkId !== null &&
      now - ri.link.cmdConnectedAt > this.timings.minLinkReconnectPeriodMs &&
      ri.link.actPingAt !== 0 &&
      now - ri.link.actPingAt > ri.downAfterMs / 2 &&
      now - ri.link.lastPongAt > ri.downAfterMs / 2
    ) {
      this.closeLink(ri, 'cmd');
    }
    if (
      ri.link.pubsubLinkId !== null &&
      now - ri.link.pubsubConnectedAt > this.timings.minLinkReconnectPeriodMs &&
      now - ri.link.pubsubActivityAt > this.timings.publishPeriodMs * 3
    ) {
      this.closeLink(ri, 'pubsub');
    }

    const down =
      elapsed > ri.downAfterMs ||
      (ri.kind === 'master' &&
        ri.roleReported === 'slave' &&
        now - ri.roleReportedAt > ri.downAfterMs + this.timings.infoPeriodMs * 2) ||
      (ri.masterReboot && now - ri.masterRebootSince > ri.masterRebootDownAfterPeriodMs) ||
      (ri.kind === 'master' && ri.emptyReboot);
    if (down) {
      if (!ri.sdown) {
        this.event('warning', '+sdown', ri, this.details(ri));
        ri.sdownSince = now;
        ri.sdown = true;
      }
    } else if (ri.sdown) {
      this.event('warning', '-sdown', ri, this.details(ri));
      ri.sdown = false;
      ri.scriptKillSent = false;
    }
  }

  private checkOdown(m: Instance): void {
    let quorum = 0;
    let odown = false;
    if (m.sdown) {
      quorum = 1;
      // A peer's "down" counts only as an answer given during this SDOWN: one kept from before it began (asked
      // about the old address just before a switch, or in an earlier SDOWN) is not a view of the master now.
      for (const s of m.sentinels.values()) if (s.masterDown && s.lastMasterDownReplyAt >= m.sdownSince) quorum++;
      if (quorum >= m.quorum) odown = true;
    }
    if (odown) {
      if (!m.odown) {
        this.event('warning', '+odown', m, `${this.details(m)} #quorum ${quorum}/${m.quorum}`);
        m.odown = true;
        m.odownSince = this.now();
      }
    } else if (m.odown) {
      this.event('warning', '-odown', m, this.details(m));
      m.odown = false;
    }
  }

  private askOthers(m: Instance, forced: boolean): void {
    const now = this.now();
    for (const s of m.sentinels.values()) {
      const elapsed = now - s.lastMasterDownReplyAt;
      if (elapsed > this.timings.askPeriodMs * 5) {
        s.masterDown = false;
        s.leader = null;
      }
      if (!m.sdown) continue;
      if (s.disconnected) continue;
      // Fast re-asking only in the first seconds of SDOWN (when peers are about to agree); then Redis's period.
      const fast = !m.odown && now - m.sdownSince < this.timings.askPeriodMs * 5;
      const period = fast ? Math.min(this.timings.askPeriodMs, FAST_ASK_MS) : this.timings.askPeriodMs;
      if (!forced && elapsed < period) continue;
      // Not re-sending while a question is outstanding keeps a slow peer from collecting duplicates.
      if (!forced && now - s.askSentAt < period) continue;
      s.askSentAt = now;
      this.send(
        s,
        [
          this.cmdName(s, 'SENTINEL'),
          'is-master-down-by-addr',
          this.announceAddr(m.host),
          String(m.port),
          String(this.currentEpoch),
          m.failoverState !== 'none' ? this.myid : '*',
        ],
        'is-master-down',
        `${m.host}:${m.port}`,
      );
    }
  }

  /** `asked`: the master address the question was about (replies to questions about an older address are dropped). */
  private receiveIsMasterDownReply(s: Instance, r: Reply, asked: string | undefined): void {
    if (!Array.isArray(r) || r.length !== 3) return;
    const [down, leader, epoch] = r;
    const leaderStr = typeof leader === 'string' ? leader : Buffer.isBuffer(leader) ? leader.toString() : null;
    if (typeof down !== 'number' || leaderStr === null || typeof epoch !== 'number') return;
    // An answer about the address the master had before a switch says nothing about the new one (Redis counts
    // it, which can make a healthy new master ODOWN right after a failover; found by the simulation, I5).
    const m = s.owner;
    if (asked !== undefined && asked !== `${m.host}:${m.port}`) return;
    s.lastMasterDownReplyAt = this.now();
    s.masterDown = down === 1;
    if (leaderStr !== '*') {
      if (s.leaderEpoch !== epoch) this.log('warning', `${s.name} voted for ${leaderStr} ${epoch}`);
      s.leader = leaderStr;
      s.leaderEpoch = epoch;
    }
    this.urgent = true;
  }

  // ===================================================================================================
  // Votes and election
  // ===================================================================================================
  //
  // Split votes (Vigil; docs/sentinel.md "Elections"). Vigil's sentinels tick and ask each other fast, so two of
  // them can see the same master ODOWN within a millisecond and both become candidates in the same epoch, each
  // voting for itself; Redis then waits for the election timeout and 2 x failover-timeout before trying again.
  // Three changes keep the majority live without weakening the one-vote-per-epoch rule that makes it safe:
  //  - a randomised candidacy delay (0..CANDIDACY_JITTER_MS from the injected rng) after ODOWN; a vote request
  //    from another candidate in the meantime gets our vote and cancels our candidacy (Raft's randomised
  //    election timeout);
  //  - the election counts only votes cast in the epoch it is deciding;
  //  - once the votes we know of show that nobody can win our epoch (counting as possible voters only peers that
  //    are connected and not SDOWN), we abort at once and try again in a new epoch after SPLIT_RETRY_MS plus
  //    SPLIT_RETRY_STEP_MS per candidate whose run id sorts before ours, so the two do not collide again.

  /** sentinelVoteLeader: cast (or repeat) our vote for `reqRunId` in `reqEpoch`. */
  voteLeader(m: Instance, reqEpoch: number, reqRunId: string): { leader: string | null; leaderEpoch: number } {
    if (reqEpoch > this.currentEpoch) {
      this.currentEpoch = reqEpoch;
      this.flush();
      this.event('warning', '+new-epoch', m, String(this.currentEpoch));
    }
    if (m.leaderEpoch < reqEpoch && this.currentEpoch <= reqEpoch) {
      m.leader = reqRunId;
      m.leaderEpoch = this.currentEpoch;
      this.flush();
      this.event('warning', '+vote-for-leader', m, `${m.leader} ${m.leaderEpoch}`);
      if (m.leader.toLowerCase() !== this.myid.toLowerCase()) {
        m.failoverStartAt = this.now() + this.rng.int(MAX_DESYNC_MS);
        // We back another candidate: no candidacy of ours in the meantime, no split-vote retry either.
        m.candidacyAt = 0;
        m.splitRetryAt = 0;
      }
    }
    return { leader: m.leader, leaderEpoch: m.leaderEpoch };
  }

  /** sentinelGetLeader: who won `epoch`, counting peers' last replies; null if nobody has a majority. */
  getLeader(m: Instance, epoch: number): string | null {
    const voters = m.sentinels.size + 1;
    const counters = new Map<string, number>();
    for (const s of m.sentinels.values()) {
      // Only votes cast in the epoch being decided (Redis counts those of the current epoch, which may be later).
      if (s.leader !== null && s.leaderEpoch === epoch) counters.set(s.leader, (counters.get(s.leader) ?? 0) + 1);
    }
    let winner: string | null = null;
    let maxVotes = 0;
    for (const [id, votes] of counters) {
      if (votes > maxVotes) {
        maxVotes = votes;
        winner = id;
      }
    }
    const my = this.voteLeader(m, epoch, winner ?? this.myid);
    if (my.leader !== null && my.leaderEpoch === epoch) {
      const votes = (counters.get(my.leader) ?? 0) + 1;
      counters.set(my.leader, votes);
      if (votes > maxVotes) {
        maxVotes = votes;
        winner = my.leader;
      }
    }
    const votersQuorum = Math.floor(voters / 2) + 1;
    if (winner !== null && (maxVotes < votersQuorum || maxVotes < m.quorum)) winner = null;
    return winner;
  }

  // ===================================================================================================
  // Failover
  // ===================================================================================================

  private setFailoverState(m: Instance, st: FailoverState): void {
    m.failoverState = st;
    m.failoverStateChangeAt = this.now();
  }

  startFailover(m: Instance): void {
    this.setFailoverState(m, 'wait_start');
    m.failoverInProgress = true;
    m.failoverEpoch = ++this.currentEpoch;
    this.event('warning', '+new-epoch', m, String(this.currentEpoch));
    this.event('warning', '+try-failover', m, this.details(m));
    m.failoverStartAt = this.now() + this.rng.int(MAX_DESYNC_MS);
    m.failoverStateChangeAt = this.now();
  }

  private startFailoverIfNeeded(m: Instance): boolean {
    if (!m.odown) {
      m.candidacyAt = 0;
      m.splitRetryAt = 0;
      m.splitRetries = 0;
      return false;
    }
    if (m.failoverInProgress) return false;
    const now = this.now();
    if (m.splitRetryAt !== 0) {
      // Our turn after a split vote (voting for another candidate meanwhile cancels it).
      if (now < m.splitRetryAt) return false;
    } else {
      if (now - m.failoverStartAt < m.failoverTimeoutMs * 2) {
        m.candidacyAt = 0;
        if (m.failoverDelayLogged !== m.failoverStartAt) {
          const at = m.failoverStartAt + m.failoverTimeoutMs * 2;
          this.log('warning', `Next failover delay: I will not start a failover before ${ctime(at)}`);
          m.failoverDelayLogged = m.failoverStartAt;
        }
        return false;
      }
      if (m.candidacyAt === 0) m.candidacyAt = now + this.rng.int(CANDIDACY_JITTER_MS + 1);
      if (now < m.candidacyAt) return false;
    }
    m.candidacyAt = 0;
    m.splitRetryAt = 0;
    this.startFailover(m);
    return true;
  }

  /** Milliseconds until the core wants a tick sooner than its period (a candidacy delay or a retry ends). */
  wakeInMs(): number | null {
    const now = this.now();
    let at = Infinity;
    // Only deadlines still ahead: one that passed while something else held the failover back (TILT) waits for
    // the next ordinary tick instead of spinning.
    for (const m of this.masters.values()) {
      if (m.candidacyAt > now) at = Math.min(at, m.candidacyAt);
      if (m.splitRetryAt > now) at = Math.min(at, m.splitRetryAt);
    }
    return at === Infinity ? null : at - now;
  }

  /**
   * Whether the votes we know of for our failover epoch leave nobody able to win it. Peers that are connected and
   * not SDOWN and have not voted in it yet might still vote for anyone; the others count as not voting.
   */
  private splitVote(m: Instance): string[] | null {
    const epoch = m.failoverEpoch;
    const me = this.myid.toLowerCase();
    const counters = new Map<string, number>();
    if (m.leader !== null && m.leaderEpoch === epoch) counters.set(m.leader.toLowerCase(), 1);
    let open = 0;
    for (const s of m.sentinels.values()) {
      if (s.leader !== null && s.leaderEpoch === epoch) {
        const id = s.leader.toLowerCase();
        counters.set(id, (counters.get(id) ?? 0) + 1);
      } else if (!s.disconnected && !s.sdown) {
        open++;
      }
    }
    const rivals = [...counters.keys()].filter((id) => id !== me);
    if (rivals.length === 0) return null;
    const voters = m.sentinels.size + 1;
    const needed = Math.max(Math.floor(voters / 2) + 1, m.quorum);
    for (const votes of counters.values()) if (votes + open >= needed) return null;
    return [me, ...rivals].sort();
  }

  private abortFailover(m: Instance): void {
    if (m.mfPausedAt !== 0) {
      this.liftPause(m);
      this.log('notice', `Manual failover aborted: writes unpaused on ${this.details(m)}`);
    }
    m.failoverInProgress = false;
    m.forceFailover = false;
    this.setFailoverState(m, 'none');
    if (m.promotedReplica) {
      m.promotedReplica.promoted = false;
      m.promotedReplica = null;
    }
  }

  private failoverStateMachine(m: Instance): void {
    if (!m.failoverInProgress) return;
    // Consecutive states run in the same tick (Redis advances one state per tick).
    for (let i = 0; i < 8 && m.failoverInProgress; i++) {
      const before = m.failoverState;
      switch (m.failoverState) {
        case 'wait_start':
          this.failoverWaitStart(m);
          break;
        case 'select_slave':
          this.failoverSelectSlave(m);
          break;
        case 'send_slaveof_noone':
          this.failoverSendSlaveOfNoOne(m);
          break;
        case 'wait_promotion':
          this.failoverWaitPromotion(m);
          break;
        case 'reconf_slaves':
          this.failoverReconfNextSlave(m);
          break;
        case 'none':
        case 'update_config':
          break;
      }
      if (m.failoverState === before) break;
    }
  }

  private failoverWaitStart(m: Instance): void {
    const leader = this.getLeader(m, m.failoverEpoch);
    const isLeader = leader !== null && leader.toLowerCase() === this.myid.toLowerCase();
    if (!isLeader && !m.forceFailover) {
      const candidates = m.splitRetries < MAX_SPLIT_RETRIES ? this.splitVote(m) : null;
      if (candidates) {
        const rank = candidates.indexOf(this.myid.toLowerCase());
        const delay = SPLIT_RETRY_MS + rank * SPLIT_RETRY_STEP_MS + this.rng.int(SPLIT_RETRY_JITTER_MS);
        this.log(
          'warning',
          `Split vote in epoch ${m.failoverEpoch} (${candidates.length} candidates): trying again in ${delay} ms`,
        );
        this.event('warning', '-failover-abort-not-elected', m, this.details(m));
        this.abortFailover(m);
        m.splitRetries++;
        m.splitRetryAt = this.now() + delay;
        return;
      }
      const electionTimeout = Math.min(this.timings.electionTimeoutMs, m.failoverTimeoutMs);
      if (this.now() - m.failoverStartAt > electionTimeout) {
        this.event('warning', '-failover-abort-not-elected', m, this.details(m));
        this.abortFailover(m);
      }
      return;
    }
    this.event('warning', '+elected-leader', m, this.details(m));
    m.splitRetries = 0;
    if (this.simFailure.crashAfterElection) {
      this.log('warning', 'Simulated failure: crash after election');
      this.effects.push({ t: 'exit', code: 99 });
    }
    this.setFailoverState(m, 'select_slave');
    this.event('warning', '+failover-state-select-slave', m, this.details(m));
  }

  /** sentinelSelectSlave: the best promotable replica, or null. */
  selectSlave(m: Instance): Instance | null {
    return this.promotionCandidates(m)[0] ?? null;
  }

  /** The replicas sentinelSelectSlave accepts, best first. */
  private promotionCandidates(m: Instance): Instance[] {
    const now = this.now();
    let maxMasterDownMs = 0;
    if (m.sdown) maxMasterDownMs += now - m.sdownSince;
    maxMasterDownMs += m.downAfterMs * 10;
    const candidates: Instance[] = [];
    for (const r of m.replicas.values()) {
      if (r.sdown || r.odown) continue;
      if (r.disconnected) continue;
      if (now - r.link.lastAvailAt > this.timings.pingPeriodMs * 5) continue;
      if (r.slavePriority === 0) continue;
      const infoValidity = m.sdown ? this.timings.pingPeriodMs * 5 : this.timings.infoPeriodMs * 3;
      if (now - r.infoRefreshAt > infoValidity) continue;
      if (r.masterLinkDownMs > maxMasterDownMs) continue;
      candidates.push(r);
    }
    candidates.sort(compareSlavesForPromotion);
    return candidates;
  }

  private failoverSelectSlave(m: Instance): void {
    const slave = this.selectSlave(m);
    if (!slave) {
      // We may have got here in the same tick the master went down: give replies to INFOs already sent a moment.
      const waiting =
        this.now() - m.failoverStateChangeAt < SELECT_WAIT_INFO_MS &&
        [...m.replicas.values()].some((r) => r.infoInFlight > 0 && !r.disconnected && !r.sdown);
      if (waiting) return;
      this.event('warning', '-failover-abort-no-good-slave', m, this.details(m));
      this.abortFailover(m);
      return;
    }
    this.event('warning', '+selected-slave', slave, this.details(slave));
    slave.promoted = true;
    m.promotedReplica = slave;
    this.setFailoverState(m, 'send_slaveof_noone');
    this.event('notice', '+failover-state-send-slaveof-noone', slave, this.details(slave));
  }

  private failoverSendSlaveOfNoOne(m: Instance): void {
    const p = m.promotedReplica;
    if (!p) return;
    if (p.disconnected) {
      if (this.now() - m.failoverStateChangeAt > m.failoverTimeoutMs) {
        this.event('warning', '-failover-abort-slave-timeout', m, this.details(m));
        this.abortFailover(m);
      }
      return;
    }
    if (!this.failoverCatchUp(m, p)) return;
    if (!this.sendSlaveOf(p, null)) return;
    // INFO right behind EXEC on the same connection shows the promotion without waiting for a poll.
    this.sendInfo(p);
    this.event('notice', '+failover-state-wait-promotion', p, this.details(p));
    this.setFailoverState(m, 'wait_promotion');
  }

  /**
   * Vigil: a manual failover whose master is still reachable loses no acknowledged write. Redis 7.0 sends SLAVEOF
   * NO ONE at once, and whatever the old master acknowledges before it is converted (seconds later) is gone.
   * Here: CLIENT PAUSE WRITE on the master, then INFO replication on the same connection for its final offset
   * (no write runs after the pause), then promotion once the chosen replica reports that offset — or after
   * MF_CATCHUP_MS, or at once if the offset is unknown, which is what Redis does. The old master is demoted and
   * unpaused as soon as the promotion shows (demotePausedMaster), or unpaused if the failover aborts. Returns true
   * when SLAVEOF NO ONE may be sent.
   */
  private failoverCatchUp(m: Instance, p: Instance): boolean {
    const now = this.now();
    if (m.mfPausedAt === 0) {
      if (!m.forceFailover || m.sdown || m.disconnected || m.link.cmdLinkId === null) return true;
      if (!this.send(m, [this.cmdName(m, 'CLIENT'), 'PAUSE', String(MF_PAUSE_MS), 'WRITE'], 'ignore')) return true;
      this.send(m, [this.cmdName(m, 'INFO'), 'replication'], 'mf-offset');
      // Who to drop at the demotion: the transaction's CLIENT KILL TYPE normal/pubsub would also cut every
      // sentinel's links to this master (ours and the peers'), which then shows `disconnected` mid-failover.
      m.mfKillIds = [];
      m.mfClientListsAwaited = 0;
      for (const type of ['normal', 'pubsub']) {
        if (this.send(m, [this.cmdName(m, 'CLIENT'), 'LIST', 'TYPE', type], 'mf-clients')) m.mfClientListsAwaited++;
      }
      m.mfPausedAt = now;
      m.mfTargetOffset = undefined;
      this.log('notice', `Manual failover: writes paused on ${this.details(m)}, waiting for ${this.details(p)}`);
      return false;
    }
    const waited = now - m.mfPausedAt;
    if (waited > MF_CATCHUP_MS) {
      this.log(
        'warning',
        `Manual failover: ${this.details(p)} did not reach the master's offset in ${MF_CATCHUP_MS} ms; promoting anyway`,
      );
      return true;
    }
    if (m.mfTargetOffset === undefined) return false;
    if (m.mfTargetOffset === null) return true;
    if (p.slaveReplOffset >= m.mfTargetOffset) {
      this.log('notice', `Manual failover: ${this.details(p)} caught up (offset ${p.slaveReplOffset}) in ${waited} ms`);
      return true;
    }
    if (p.infoInFlight === 0) this.sendInfo(p);
    return false;
  }

  /** The promotion shows: make the paused old master a replica of the new one now, then lift the pause. */
  private demotePausedMaster(m: Instance, p: Instance): void {
    // Redis converts a demoted master only when it has claimed master for 8 s as a replica entry; this master is
    // alive and paused by us, so do it now. The transaction's CLIENT KILL also drops its paused clients, whose
    // writes never run (they were never acknowledged).
    const kill = m.mfClientListsAwaited === 0 && m.mfKillIds !== null ? m.mfKillIds : undefined;
    if (this.sendSlaveOf(m, { host: p.host, port: p.port }, kill))
      this.log('notice', `Manual failover: ${this.details(m)} demoted to a replica of ${p.host}:${p.port}`);
    this.liftPause(m);
  }

  /** End the write pause failoverCatchUp set on this master. */
  private liftPause(m: Instance): void {
    this.send(m, [this.cmdName(m, 'CLIENT'), 'UNPAUSE'], 'ignore');
    m.mfPausedAt = 0;
    m.mfTargetOffset = undefined;
    m.mfKillIds = [];
    m.mfClientListsAwaited = 0;
  }

  private failoverWaitPromotion(m: Instance): void {
    if (this.now() - m.failoverStateChangeAt > m.failoverTimeoutMs) {
      this.event('warning', '-failover-abort-slave-timeout', m, this.details(m));
      this.abortFailover(m);
    }
  }

  private failoverReconfNextSlave(m: Instance): void {
    const p = m.promotedReplica;
    if (!p) return;
    const now = this.now();
    let inProgress = 0;
    for (const r of m.replicas.values()) if (r.reconfSent || r.reconfInprog) inProgress++;
    for (const r of m.replicas.values()) {
      if (inProgress >= m.parallelSyncs) break;
      if (r.promoted || r.reconfDone) continue;
      if (r.reconfSent && now - r.slaveReconfSentAt > this.timings.slaveReconfTimeoutMs) {
        this.event('notice', '-slave-reconf-sent-timeout', r, this.details(r));
        r.reconfSent = false;
        r.reconfDone = true;
      }
      if (r.reconfSent || r.reconfInprog) continue;
      if (r.disconnected) continue;
      if (this.sendSlaveOf(r, { host: p.host, port: p.port })) {
        r.reconfSent = true;
        r.slaveReconfSentAt = now;
        this.sendInfo(r);
        this.event('notice', '+slave-reconf-sent', r, this.details(r));
        inProgress++;
      }
    }
    this.failoverDetectEnd(m);
  }

  private failoverDetectEnd(m: Instance): void {
    const p = m.promotedReplica;
    if (!p || p.sdown) return;
    let notReconfigured = 0;
    for (const r of m.replicas.values()) {
      if (r.promoted || r.reconfDone) continue;
      if (r.sdown) continue;
      notReconfigured++;
    }
    let timeout = false;
    if (this.now() - m.failoverStateChangeAt > m.failoverTimeoutMs) {
      notReconfigured = 0;
      timeout = true;
      this.event('warning', '+failover-end-for-timeout', m, this.details(m));
    }
    if (notReconfigured === 0) {
      this.event('warning', '+failover-end', m, this.details(m));
      this.setFailoverState(m, 'update_config');
    }
    if (timeout) {
      for (const r of m.replicas.values()) {
        if (r.promoted || r.reconfDone || r.reconfSent) continue;
        if (r.disconnected) continue;
        if (this.sendSlaveOf(r, { host: p.host, port: p.port })) {
          this.event('notice', '+slave-reconf-sent-be', r, this.details(r));
          r.reconfSent = true;
        }
      }
    }
  }

  private switchToPromoted(m: Instance): void {
    const ref = m.promotedReplica ?? m;
    this.event(
      'warning',
      '+switch-master',
      m,
      `${m.name} ${this.announceAddr(m.host)} ${m.port} ${this.announceAddr(ref.host)} ${ref.port}`,
    );
    this.resetMasterAndChangeAddress(m, ref.host, ref.port);
  }

  /**
   * The reconfiguration transaction (sentinelSendSlaveOf); `to` null = SLAVEOF NO ONE. `killIds`: drop exactly
   * these clients instead of every normal and pubsub client (the coordinated demotion keeps sentinels' links).
   */
  private sendSlaveOf(
    ri: Instance,
    to: { host: string; port: number } | null,
    killIds?: string[],
    restore?: { toWrite: number; maxLag: number },
  ): boolean {
    if (ri.disconnected) return false;
    const host = to ? this.announceAddr(to.host) : 'NO';
    const port = to ? String(to.port) : 'ONE';
    this.send(ri, [this.cmdName(ri, 'MULTI')], 'ignore');
    this.send(ri, [this.cmdName(ri, 'SLAVEOF'), host, port], 'ignore');
    // A fenced old master gets its own min-replicas settings back before CONFIG REWRITE can persist the fence.
    if (restore) this.send(ri, this.minReplicasSet(ri, restore.toWrite, restore.maxLag), 'ignore');
    this.send(ri, [this.cmdName(ri, 'CONFIG'), 'REWRITE'], 'ignore');
    if (killIds === undefined) {
      this.send(ri, [this.cmdName(ri, 'CLIENT'), 'KILL', 'TYPE', 'normal'], 'ignore');
      this.send(ri, [this.cmdName(ri, 'CLIENT'), 'KILL', 'TYPE', 'pubsub'], 'ignore');
    } else {
      // One per client: CLIENT KILL's filters AND together, so ids cannot share one command.
      for (const id of killIds) this.send(ri, [this.cmdName(ri, 'CLIENT'), 'KILL', 'ID', id], 'ignore');
    }
    this.send(ri, [this.cmdName(ri, 'EXEC')], 'ignore');
    return true;
  }

  private callClientReconfScript(
    m: Instance,
    role: 'leader' | 'observer',
    state: string,
    from: { host: string; port: number },
    to: { host: string; port: number },
  ): void {
    if (m.clientReconfigScript === undefined) return;
    this.effects.push({
      t: 'script',
      argv: [m.clientReconfigScript, m.name, role, state, from.host, String(from.port), to.host, String(to.port)],
    });
  }

  // ===================================================================================================
  // Reset / address change
  // ===================================================================================================

  resetMaster(m: Instance, opts: { sentinels: boolean; event: boolean }): void {
    for (const r of m.replicas.values()) this.closeAllLinks(r);
    m.replicas.clear();
    if (opts.sentinels) {
      for (const s of m.sentinels.values()) this.releaseLink(s);
      m.sentinels.clear();
    }
    this.closeAllLinks(m);
    const now = this.now();
    m.sdown = false;
    m.odown = false;
    m.masterDown = false;
    m.scriptKillSent = false;
    m.promoted = false;
    m.reconfSent = m.reconfInprog = m.reconfDone = false;
    m.masterReboot = false;
    m.failoverInProgress = false;
    m.forceFailover = false;
    m.leader = null;
    m.failoverState = 'none';
    m.failoverStateChangeAt = 0;
    m.failoverStartAt = 0;
    m.promotedReplica = null;
    // A pause we set (links are closed by now) ends by its own timeout.
    m.mfPausedAt = 0;
    m.mfTargetOffset = undefined;
    m.mfKillIds = [];
    m.mfClientListsAwaited = 0;
    m.fenceActive = false;
    m.fenceOrig = null;
    m.fenceContactBackAt = 0;
    m.fenceQueryAt = 0;
    m.fenceWantedSince = 0;
    m.fenceFailed = false;
    m.emptyReboot = false;
    m.runId = null;
    m.slaveMasterHost = null;
    m.link.actPingAt = now;
    m.link.lastPongAt = now;
    m.link.lastAvailAt = now;
    m.infoRefreshAt = 0;
    m.info = null;
    m.roleReported = 'master';
    m.roleReportedAt = now;
    if (opts.event) this.event('warning', '+reset-master', m, this.details(m));
  }

  private resetMasterAndChangeAddress(m: Instance, host: string, port: number): void {
    const keep: Array<{ host: string; port: number }> = [];
    for (const r of m.replicas.values()) {
      if (r.host === host && r.port === port) continue;
      keep.push({ host: r.host, port: r.port });
    }
    const old = { host: m.host, port: m.port };
    const moved = !(m.host === host && m.port === port);
    if (moved) keep.push(old);
    const restore = m.fenceActive ? m.fenceOrig : null;
    this.resetMaster(m, { sentinels: false, event: false });
    m.host = host;
    m.port = port;
    m.odownSince = 0;
    m.sdownSince = 0;
    // A new address means new connections: open them on the next tick rather than waiting out the reconnect
    // period of the old (dead) address, which could let down-after expire before the first PONG arrives.
    m.link.lastReconnectAt = 0;
    // Peers' is-master-down answers were about the old address; they must not make the new master ODOWN.
    for (const s of m.sentinels.values()) {
      s.masterDown = false;
      s.lastMasterDownReplyAt = 0;
      s.askSentAt = 0;
    }
    for (const a of keep) {
      const r = this.addReplica(m, a.host, a.port);
      if (r) this.event('notice', '+slave', r, this.details(r));
    }
    const deposed = moved ? m.replicas.get(replicaName(old.host, old.port)) : undefined;
    if (deposed) {
      deposed.deposed = true;
      deposed.fenceRestore = restore;
    }
    this.flush();
  }

  // ===================================================================================================
  // Fencing and empty-master protection (Vigil; contract in fencing.ts)
  // ===================================================================================================

  /** Fence, renew or lift the fence of a master we monitor (called every tick for masters, not in TILT). */
  private fenceStep(m: Instance): void {
    const now = this.now();
    if (this.fenceWanted(m, now)) {
      m.fenceContactBackAt = 0;
      if (!m.fenceActive) {
        // Seen over FENCE_DEBOUNCE_MS of our own ticks: after a stall of this process the replies already in
        // the socket buffers are read before the condition can hold that long.
        if (m.fenceWantedSince === 0) m.fenceWantedSince = now;
        if (now - m.fenceWantedSince < FENCE_DEBOUNCE_MS) return;
        if (now - m.fenceQueryAt < FENCE_RENEW_MS) return;
        if (this.send(m, this.minReplicasGet(m), 'fence-get')) m.fenceQueryAt = now;
      } else if (now - m.fenceRenewAt >= FENCE_RENEW_MS) this.fenceApply(m);
      return;
    }
    m.fenceWantedSince = 0;
    if (!m.fenceActive) return;
    if (m.fenceContactBackAt === 0) m.fenceContactBackAt = now;
    if (
      !m.vigilFencing ||
      now - m.fenceContactBackAt >= this.timings.publishPeriodMs * FENCE_LIFT_AFTER_PUBLISH_PERIODS
    ) {
      this.fenceLift(m, m.vigilFencing ? '#contact with the majority is back' : '#fencing disabled');
    }
  }

  private fenceWanted(m: Instance, now: number): boolean {
    return (
      m.vigilFencing && m.failoverState === 'none' && !m.sdown && othersCouldFailOver(m, now, this.peerPingPeriod(m))
    );
  }

  private minReplicasGet(ri: Instance): string[] {
    return [this.cmdName(ri, 'CONFIG'), 'GET', 'min-replicas-to-write', 'min-replicas-max-lag'];
  }

  private minReplicasSet(ri: Instance, toWrite: number, maxLag: number): string[] {
    return [
      this.cmdName(ri, 'CONFIG'),
      'SET',
      'min-replicas-to-write',
      String(toWrite),
      'min-replicas-max-lag',
      String(maxLag),
    ];
  }

  /** (Re)assert the fence and drop the master's normal clients, so Sentinel-aware clients ask again. */
  private fenceApply(m: Instance): void {
    const orig = m.fenceOrig;
    if (orig === null) return;
    // min-replicas-max-lag 0 disables min-replicas-to-write: a fence needs a lag bound (10 s is Redis's default).
    const lag = orig.maxLag === 0 ? 10 : orig.maxLag;
    if (!this.send(m, this.minReplicasSet(m, FENCE_BASE + orig.toWrite, lag), 'fence-set')) return;
    this.send(m, [this.cmdName(m, 'CLIENT'), 'LIST', 'TYPE', 'normal'], 'fence-clients');
    m.fenceRenewAt = this.now();
  }

  private fenceLift(m: Instance, why: string): void {
    const orig = m.fenceOrig;
    if (orig !== null && !this.send(m, this.minReplicasSet(m, orig.toWrite, orig.maxLag), 'ignore')) return;
    m.fenceActive = false;
    m.fenceOrig = null;
    m.fenceContactBackAt = 0;
    this.event('warning', '-vigil-fence', m, `${this.details(m)} ${why}`);
  }

  private onFenceReply(ri: Instance, tag: ReplyTag, reply: Reply): void {
    const now = this.now();
    switch (tag) {
      case 'fence-get': {
        if (ri.kind !== 'master' || ri.fenceActive) return;
        const v = parseMinReplicas(reply);
        if (v === null) return this.fenceFailure(ri, 'CONFIG GET min-replicas-to-write refused');
        if (!this.fenceWanted(ri, now)) return;
        ri.fenceOrig = { toWrite: unfencedValue(v.toWrite) ?? v.toWrite, maxLag: v.maxLag };
        ri.fenceActive = true;
        ri.fenceContactBackAt = 0;
        this.fenceApply(ri);
        const { out, windowMs } = peersOutOfContact(ri, now, this.peerPingPeriod(ri));
        this.event(
          'warning',
          '+vigil-fence',
          ri,
          `${this.details(ri)} #no contact with ${out} of ${ri.sentinels.size + 1} sentinels for ${windowMs} ms`,
        );
        return;
      }
      case 'fence-set':
        if (reply instanceof Error) this.fenceFailure(ri, reply.message);
        else ri.fenceFailed = false;
        return;
      case 'fence-clients': {
        if (ri.kind !== 'master' || !ri.fenceActive) return;
        const text = infoText(reply);
        const ids = text === null ? null : clientIdsToKill(text);
        for (const id of (ids ?? []).slice(0, MAX_KILL_IDS)) {
          this.send(ri, [this.cmdName(ri, 'CLIENT'), 'KILL', 'ID', id], 'ignore');
        }
        return;
      }
      case 'fence-check': {
        const v = parseMinReplicas(reply);
        const prev = v === null ? null : unfencedValue(v.toWrite);
        if (v === null || prev === null) return;
        if (ri.kind === 'master' && ri.fenceActive) return;
        // A fence nobody holds any more (its sentinel died, or a peer demoted the fenced master and persisted it).
        this.send(ri, this.minReplicasSet(ri, prev, v.maxLag), 'ignore');
        if (ri.kind === 'replica') this.send(ri, [this.cmdName(ri, 'CONFIG'), 'REWRITE'], 'ignore');
        this.event('warning', '-vigil-fence', ri, `${this.details(ri)} #stale fence removed`);
        return;
      }
      default:
        return;
    }
  }

  private fenceFailure(m: Instance, why: string): void {
    if (m.fenceFailed) return;
    m.fenceFailed = true;
    this.event('warning', '-vigil-fence-failed', m, `${this.details(m)} #${why.replace(/[\r\n]/g, ' ')}`);
  }

  /**
   * Empty-master protection: a master that restarted (new run id) with no keys while a replica's last INFO showed
   * data would wipe that replica when it resyncs. It is treated as SDOWN, so the group fails over to the replica.
   */
  private checkEmptyReboot(m: Instance, info: string): void {
    if (!m.vigilEmptyMasterFailover || isLoading(info)) return;
    const withData = replicasWithData(m);
    if (withData === 0) return;
    // Empty, or behind its replicas: clients often write a few keys to the restarted master before our first
    // INFO of it, so "no keys" alone misses it (the chaos suite's empty-master case: caught 1 run in 3).
    const offset = parseInfo(info).masterReplOffset;
    const ahead = offset !== null ? replicasAhead(m, offset) : 0;
    const empty = keyspaceKeys(info) === 0;
    if (!empty && ahead === 0) return;
    m.emptyReboot = true;
    this.event(
      'warning',
      '+vigil-empty-master',
      m,
      empty
        ? `${this.details(m)} #restarted with an empty dataset while ${withData} replica(s) hold data`
        : `${this.details(m)} #restarted at replication offset ${offset} behind ${ahead} replica(s)`,
    );
    this.demoteEmptyMaster(m, offset);
  }

  /**
   * The failover takes an ODOWN, an election and a promotion; a replica's replication cron reconnects within a
   * second and a full sync of an empty dataset takes milliseconds, so the failover alone loses that race under
   * load (CI: ~590 WAIT-confirmed writes lost in 2 of 3 runs). So the sentinel that sees the empty restart demotes
   * the master at once, on its own, to a replica of the best promotable replica that holds data (the commands a
   * failover's reconfiguration sends). Redis then drops its replicas' links, answers their PSYNC with
   * -NOMASTERLINK until it is itself in sync, and refuses writes: nothing can load its empty dataset while the
   * group fails over as before (the master stays SDOWN). Safe alone: it only makes a master that would wipe its
   * replicas a replica of one that holds the data; a peer doing the same with another target is harmless.
   */
  private demoteEmptyMaster(m: Instance, offset: number | null): void {
    const holdsData = (r: Instance): boolean =>
      r.info !== null && (keyspaceKeys(r.info) > 0 || (offset !== null && r.slaveReplOffset > offset));
    const target = this.promotionCandidates(m).find(holdsData);
    if (target === undefined) return;
    // A replica that resynced from the master before this is empty now, under a small offset: fresh INFO keeps the
    // failover's selection from promoting it on the strength of its INFO from before the restart.
    for (const r of m.replicas.values()) this.sendInfo(r);
    if (this.sendSlaveOf(m, { host: target.host, port: target.port }))
      this.event(
        'warning',
        '+vigil-empty-master-demoted',
        m,
        `${this.details(m)} #replica of ${target.host}:${target.port} until the failover`,
      );
  }

  // ===================================================================================================
  // Admin operations used by the command layer
  // ===================================================================================================

  monitor(mc: MasterConfig): void {
    this.loadMaster(mc);
    this.flush();
  }

  removeMaster(m: Instance): void {
    this.event('warning', '-monitor', m, this.details(m));
    for (const r of m.replicas.values()) this.closeAllLinks(r);
    for (const s of m.sentinels.values()) this.releaseLink(s);
    this.closeAllLinks(m);
    this.masters.delete(m.name);
    this.flush();
  }

  /** SET auth-pass / auth-user: drop the links so they reconnect with the new credentials. */
  dropInstanceConnections(m: Instance): void {
    this.closeAllLinks(m);
    for (const r of m.replicas.values()) this.closeAllLinks(r);
  }

  dropSentinelConnections(): void {
    for (const m of this.masters.values()) for (const s of m.sentinels.values()) this.closeLink(s, 'cmd');
  }

  setDownAfter(m: Instance, ms: number): void {
    m.downAfterMs = ms;
    for (const r of m.replicas.values()) r.downAfterMs = ms;
    for (const s of m.sentinels.values()) s.downAfterMs = ms;
  }

  /** SENTINEL FAILOVER: start a forced failover now. */
  forceFailover(m: Instance): void {
    this.log('warning', `Executing user requested FAILOVER of '${m.name}'`);
    this.startFailover(m);
    m.forceFailover = true;
    this.urgent = true;
  }

  /** The state to persist (sentinelFlushConfig's input). */
  snapshot(): PersistedState {
    const masters: PersistedMaster[] = [];
    for (const m of this.masters.values()) {
      const pm: PersistedMaster = {
        name: m.name,
        host: m.host,
        port: m.port,
        quorum: m.quorum,
        downAfterMs: m.downAfterMs,
        failoverTimeoutMs: m.failoverTimeoutMs,
        parallelSyncs: m.parallelSyncs,
        masterRebootDownAfterPeriodMs: m.masterRebootDownAfterPeriodMs,
        renamedCommands: [...m.renames.values()].map((r) => ({ ...r })),
        configEpoch: m.configEpoch,
        leaderEpoch: m.leaderEpoch,
        knownReplicas: [...m.replicas.values()].map((r) => ({ host: r.host, port: r.port })),
        knownSentinels: [...m.sentinels.values()]
          .filter((s) => s.runId !== null)
          .map((s) => ({ host: s.host, port: s.port, runId: s.runId ?? '' })),
      };
      if (m.notificationScript !== undefined) pm.notificationScript = m.notificationScript;
      if (m.clientReconfigScript !== undefined) pm.clientReconfigScript = m.clientReconfigScript;
      if (m.authPass !== undefined) pm.authPass = m.authPass;
      if (m.authUser !== undefined) pm.authUser = m.authUser;
      if (m.leader !== null) pm.leader = m.leader;
      const vigil: VigilMasterOptions = {};
      if (!m.vigilFencing) vigil.fencing = false;
      if (m.vigilFenceDelayMs !== 0) vigil.fenceDelayMs = m.vigilFenceDelayMs;
      if (!m.vigilEmptyMasterFailover) vigil.emptyMasterFailover = false;
      if (Object.keys(vigil).length > 0) pm.vigil = vigil;
      const cur = this.currentMasterAddr(m);
      if (cur.host !== m.host || cur.port !== m.port) pm.promotedReplica = cur;
      masters.push(pm);
    }
    const st: PersistedState = {
      myid: this.myid,
      currentEpoch: this.currentEpoch,
      announcePort: this.announcePort,
      denyScriptsReconfig: this.denyScriptsReconfig,
      resolveHostnames: this.resolveHostnames,
      announceHostnames: this.announceHostnames,
      masters,
    };
    if (this.announceIp !== undefined) st.announceIp = this.announceIp;
    if (this.sentinelUser !== undefined) st.sentinelUser = this.sentinelUser;
    if (this.sentinelPass !== undefined) st.sentinelPass = this.sentinelPass;
    return st;
  }

  /** Body of INFO's `# Sentinel` section (without the header), lines joined by CRLF. */
  infoSentinelSection(scripts: { running: number; queued: number }): string {
    const now = this.now();
    const lines = [
      `sentinel_masters:${this.masters.size}`,
      `sentinel_tilt:${this.tilt ? 1 : 0}`,
      `sentinel_tilt_since_seconds:${this.tilt ? Math.floor((now - this.tiltStartAt) / 1000) : -1}`,
      `sentinel_running_scripts:${scripts.running}`,
      `sentinel_scripts_queue_length:${scripts.queued}`,
      `sentinel_simulate_failure_flags:${(this.simFailure.crashAfterElection ? 1 : 0) | (this.simFailure.crashAfterPromotion ? 2 : 0)}`,
    ];
    let i = 0;
    for (const m of this.masters.values()) {
      const status = m.odown ? 'odown' : m.sdown ? 'sdown' : 'ok';
      lines.push(
        `master${i}:name=${m.name},status=${status},address=${m.host}:${m.port},slaves=${m.replicas.size},sentinels=${m.sentinels.size + 1}`,
      );
      i++;
    }
    return lines.join('\r\n');
  }
}

/** compareSlavesForPromotion: lower priority, then higher offset, then smaller runid (missing runid last). */
export function compareSlavesForPromotion(a: Instance, b: Instance): number {
  if (a.slavePriority !== b.slavePriority) return a.slavePriority - b.slavePriority;
  if (a.slaveReplOffset > b.slaveReplOffset) return -1;
  if (a.slaveReplOffset < b.slaveReplOffset) return 1;
  if (a.runId === null && b.runId === null) return 0;
  if (a.runId === null) return 1;
  if (b.runId === null) return -1;
  const x = a.runId.toLowerCase();
  const y = b.runId.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

export function atoi(s: string): number {
  const m = /^\s*([+-]?\d+)/.exec(s);
  return m?.[1] !== undefined ? Number(m[1]) : 0;
}

export function isIpAddress(s: string): boolean {
  if (/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(s)) return s.split('.').every((p) => Number(p) <= 255);
  return s.includes(':') && /^[0-9a-fA-F:.]+$/.test(s);
}
