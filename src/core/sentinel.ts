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
// taking that state: links.ts, monitor.ts, info-refresh.ts, hello-handling.ts, down.ts, election.ts,
// failover.ts, manual-failover.ts, fencing-actions.ts, admin.ts. The facade's methods only delegate;
// docs/architecture.md has the map.
import type { MasterConfig, PersistedState, SentinelGlobals } from '../config/types.js';
import type { Reply } from '../resp/types.js';
import * as admin from './admin.js';
import * as election from './election.js';
import * as failover from './failover.js';
import * as infoRefresh from './info-refresh.js';
import type { Instance } from './instance.js';
import * as links from './links.js';
import * as monitoring from './monitor.js';
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

  addReplica(m: Instance, host: string, port: number): Instance | null {
    return infoRefresh.addReplica(this, m, host, port);
  }
}

export function atoi(s: string): number {
  const m = /^\s*([+-]?\d+)/.exec(s);
  return m?.[1] !== undefined ? Number(m[1]) : 0;
}
