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
//
// Layout: SentinelCore is the facade (the public API the runtime, server, HTTP observer, simulation and tests
// use). Its state is CoreState (state.ts); the logic lives in one file per sentinel.c section, as plain functions
// taking that state: links.ts, monitor.ts, hello-handling.ts, down.ts, election.ts, failover.ts,
// manual-failover.ts, admin.ts. The facade's methods only delegate. docs/architecture.md has the map.
import type { MasterConfig, PersistedState, SentinelGlobals } from '../config/types.js';
import type { Reply } from '../resp/types.js';
import * as admin from './admin.js';
import * as election from './election.js';
import * as failover from './failover.js';
import * as links from './links.js';
import * as manualFailover from './manual-failover.js';
import * as monitoring from './monitor.js';
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
import { MAX_REPLICAS_PER_MASTER, excerpt, isPort, isValidAddress } from './hello.js';
import { parseInfo } from './info.js';
import { Instance, replicaName } from './instance.js';
import { CoreState } from './state.js';
import type { CoreOptions } from './state.js';
import type { Effect, ReplyTag } from './types.js';

export type { CoreOptions } from './state.js';
export {
  CANDIDACY_JITTER_MS,
  MAX_SPLIT_RETRIES,
  SPLIT_RETRY_JITTER_MS,
  SPLIT_RETRY_MS,
  SPLIT_RETRY_STEP_MS,
} from './election.js';
export { compareSlavesForPromotion } from './failover.js';
export { isIpAddress } from './links.js';

export class SentinelCore extends CoreState {
  constructor(globals: SentinelGlobals & { myid: string }, masters: MasterConfig[], opts: CoreOptions) {
    super(globals, opts);
    for (const mc of masters) admin.loadMaster(this, mc);
  }

  // ===================================================================================================
  // Public API (delegates to the rooms)
  // ===================================================================================================

  /** Observation: the TCP connection of a link is established. `localIp` is our end of it. */
  onLinkUp(linkId: number, localIp: string, remoteIp?: string): Effect[] {
    return links.onLinkUp(this, linkId, localIp, remoteIp);
  }

  /** Observation: a link failed to connect or was closed by the peer. */
  onLinkDown(linkId: number): Effect[] {
    return links.onLinkDown(this, linkId);
  }

  /** Observation: a reply to a command we sent on a cmd link. */
  onReply(linkId: number, tag: ReplyTag, reply: Reply): Effect[] {
    return links.onReply(this, linkId, tag, reply);
  }

  /** Observation: a frame on a pubsub link (subscribe confirmations, hello messages). */
  onPubsubFrame(linkId: number, frame: Reply): Effect[] {
    return links.onPubsubFrame(this, linkId, frame);
  }

  /** `PUBLISH __sentinel__:hello <payload>` sent to us by a client (peer sentinels do this). */
  onClientPublish(payload: string): Effect[] {
    return links.onClientPublish(this, payload);
  }

  /**
   * The process has finished starting (config flushed, server listening): time spent before this is not time the
   * instances failed to answer. Nothing has been contacted yet (links open on the first tick), so every
   * instance's link clock restarts now; otherwise a slow start-up (an fsync on a loaded disk) makes the first tick
   * see every master SDOWN, and with quorum 1 fail it over.
   */
  started(): void {
    monitoring.started(this);
  }

  tick(): Effect[] {
    return monitoring.tick(this);
  }

  /** The address clients should use: the promoted replica once the leader is reconfiguring replicas. */
  currentMasterAddr(m: Instance): { host: string; port: number } {
    return monitoring.currentMasterAddr(this, m);
  }

  /** sentinelVoteLeader: cast (or repeat) our vote for `reqRunId` in `reqEpoch`. */
  voteLeader(m: Instance, reqEpoch: number, reqRunId: string): { leader: string | null; leaderEpoch: number } {
    return election.voteLeader(this, m, reqEpoch, reqRunId);
  }

  /** sentinelGetLeader: who won `epoch`, counting peers' last replies; null if nobody has a majority. */
  getLeader(m: Instance, epoch: number): string | null {
    return election.getLeader(this, m, epoch);
  }

  startFailover(m: Instance): void {
    failover.startFailover(this, m);
  }

  /** Milliseconds until the core wants a tick sooner than its period (a candidacy delay or a retry ends). */
  wakeInMs(): number | null {
    return monitoring.wakeInMs(this);
  }

  /** sentinelSelectSlave: the best promotable replica, or null. */
  selectSlave(m: Instance): Instance | null {
    return failover.selectSlave(this, m);
  }

  resetMaster(m: Instance, opts: { sentinels: boolean; event: boolean }): void {
    admin.resetMaster(this, m, opts);
  }

  monitor(mc: MasterConfig): void {
    admin.monitor(this, mc);
  }

  removeMaster(m: Instance): void {
    admin.removeMaster(this, m);
  }

  /** SET auth-pass / auth-user: drop the links so they reconnect with the new credentials. */
  dropInstanceConnections(m: Instance): void {
    admin.dropInstanceConnections(this, m);
  }

  dropSentinelConnections(): void {
    admin.dropSentinelConnections(this);
  }

  setDownAfter(m: Instance, ms: number): void {
    admin.setDownAfter(this, m, ms);
  }

  /** SENTINEL FAILOVER: start a forced failover now. */
  forceFailover(m: Instance): void {
    admin.forceFailover(this, m);
  }

  /** The state to persist (sentinelFlushConfig's input). */
  snapshot(): PersistedState {
    return admin.snapshot(this);
  }

  /** Body of INFO's `# Sentinel` section (without the header), lines joined by CRLF. */
  infoSentinelSection(scripts: { running: number; queued: number }): string {
    return admin.infoSentinelSection(this, scripts);
  }

  // ===================================================================================================
  // INFO refresh, fencing and empty-master protection (to be moved to their rooms)
  // ===================================================================================================

  refreshInfo(ri: Instance, text: string): void {
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
        failover.setFailoverState(this, m, 'reconf_slaves');
        this.flush();
        this.event('warning', '+promoted-slave', ri, this.details(ri));
        if (this.simFailure.crashAfterPromotion) {
          this.log('warning', 'Simulated failure: crash after promotion');
          this.effects.push({ t: 'exit', code: 99 });
        }
        this.event('warning', '+failover-state-reconf-slaves', m, this.details(m));
        if (m.mfPausedAt !== 0) manualFailover.demotePausedMaster(this, m, ri);
        failover.callClientReconfScript(
          this,
          m,
          'leader',
          'start',
          { host: m.host, port: m.port },
          { host: ri.host, port: ri.port },
        );
        monitoring.forceHelloUpdate(this, m);
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
          if (failover.sendSlaveOf(this, ri, { host: m.host, port: m.port }, undefined, ri.fenceRestore ?? undefined))
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
        if (failover.sendSlaveOf(this, ri, { host: m.host, port: m.port }))
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

  /** Fence, renew or lift the fence of a master we monitor (called every tick for masters, not in TILT). */
  fenceStep(m: Instance): void {
    const now = this.now();
    if (this.fenceWanted(m, now)) {
      m.fenceContactBackAt = 0;
      if (!m.fenceActive) {
        // Seen over FENCE_DEBOUNCE_MS of our own ticks: after a stall of this process the replies already in
        // the socket buffers are read before the condition can hold that long.
        if (m.fenceWantedSince === 0) m.fenceWantedSince = now;
        if (now - m.fenceWantedSince < FENCE_DEBOUNCE_MS) return;
        if (now - m.fenceQueryAt < FENCE_RENEW_MS) return;
        if (links.send(this, m, this.minReplicasGet(m), 'fence-get')) m.fenceQueryAt = now;
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
      m.vigilFencing &&
      m.failoverState === 'none' &&
      !m.sdown &&
      othersCouldFailOver(m, now, monitoring.peerPingPeriod(this, m))
    );
  }

  minReplicasGet(ri: Instance): string[] {
    return [links.cmdName(this, ri, 'CONFIG'), 'GET', 'min-replicas-to-write', 'min-replicas-max-lag'];
  }

  minReplicasSet(ri: Instance, toWrite: number, maxLag: number): string[] {
    return [
      links.cmdName(this, ri, 'CONFIG'),
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
    if (!links.send(this, m, this.minReplicasSet(m, FENCE_BASE + orig.toWrite, lag), 'fence-set')) return;
    links.send(this, m, [links.cmdName(this, m, 'CLIENT'), 'LIST', 'TYPE', 'normal'], 'fence-clients');
    m.fenceRenewAt = this.now();
  }

  private fenceLift(m: Instance, why: string): void {
    const orig = m.fenceOrig;
    if (orig !== null && !links.send(this, m, this.minReplicasSet(m, orig.toWrite, orig.maxLag), 'ignore')) return;
    m.fenceActive = false;
    m.fenceOrig = null;
    m.fenceContactBackAt = 0;
    this.event('warning', '-vigil-fence', m, `${this.details(m)} ${why}`);
  }

  onFenceReply(ri: Instance, tag: ReplyTag, reply: Reply): void {
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
        const { out, windowMs } = peersOutOfContact(ri, now, monitoring.peerPingPeriod(this, ri));
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
        const text = links.infoText(reply);
        const ids = text === null ? null : clientIdsToKill(text);
        for (const id of (ids ?? []).slice(0, MAX_KILL_IDS)) {
          links.send(this, ri, [links.cmdName(this, ri, 'CLIENT'), 'KILL', 'ID', id], 'ignore');
        }
        return;
      }
      case 'fence-check': {
        const v = parseMinReplicas(reply);
        const prev = v === null ? null : unfencedValue(v.toWrite);
        if (v === null || prev === null) return;
        if (ri.kind === 'master' && ri.fenceActive) return;
        // A fence nobody holds any more (its sentinel died, or a peer demoted the fenced master and persisted it).
        links.send(this, ri, this.minReplicasSet(ri, prev, v.maxLag), 'ignore');
        if (ri.kind === 'replica') links.send(this, ri, [links.cmdName(this, ri, 'CONFIG'), 'REWRITE'], 'ignore');
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
    const target = failover.promotionCandidates(this, m).find(holdsData);
    if (target === undefined) return;
    // A replica that resynced from the master before this is empty now, under a small offset: fresh INFO keeps the
    // failover's selection from promoting it on the strength of its INFO from before the restart.
    for (const r of m.replicas.values()) monitoring.sendInfo(this, r);
    if (failover.sendSlaveOf(this, m, { host: target.host, port: target.port }))
      this.event(
        'warning',
        '+vigil-empty-master-demoted',
        m,
        `${this.details(m)} #replica of ${target.host}:${target.port} until the failover`,
      );
  }
}

export function atoi(s: string): number {
  const m = /^\s*([+-]?\d+)/.exec(s);
  return m?.[1] !== undefined ? Number(m[1]) : 0;
}
