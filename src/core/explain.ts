// "Why no failover": for one monitored master, whether this sentinel could fail it over now and, if not, why;
// for each replica whether it could be promoted and, if not, why. The replica rules are selectSlave's
// (sentinelSelectSlave), the master rules startFailoverIfNeeded's and CKQUORUM's, read from the same state.
// Pure: reads the core, changes nothing.
import type { Instance } from './instance.js';
import type { SentinelCore } from './sentinel.js';

export interface ReplicaExplain {
  name: string;
  host: string;
  port: number;
  eligible: boolean;
  /** Why it cannot be promoted (empty when eligible), each a short sentence. */
  reasons: string[];
  priority: number;
  offset: number;
  /** Bytes behind the master's last reported offset (null when the master's offset is unknown). */
  lagBytes: number | null;
}

export interface MasterExplain {
  name: string;
  host: string;
  port: number;
  status: 'ok' | 'sdown' | 'odown';
  failoverState: string;
  /** Sentinels (us included) that agree the master is down, and the quorum they must reach. */
  downVotes: number;
  quorum: number;
  /** Sentinels (us included) not down: CKQUORUM's "usable". */
  usableSentinels: number;
  voters: number;
  quorumReachable: boolean;
  majorityReachable: boolean;
  /** Whether this sentinel would start (or is running) a failover right now. */
  failoverPossible: boolean;
  /** Why no failover happens now, in order of what blocks it first (empty when one runs or would start). */
  why: string[];
  /** The replica selectSlave would promote now, null when none qualifies. */
  best: string | null;
  replicas: ReplicaExplain[];
}

/** The master's own `master_repl_offset` from its last INFO, null when unknown. */
export function masterOffset(m: Instance): number | null {
  if (m.info === null) return null;
  const x = /(?:^|\n)master_repl_offset:(\d+)/.exec(m.info);
  return x?.[1] !== undefined ? Number(x[1]) : null;
}

export function explainReplica(core: SentinelCore, m: Instance, r: Instance, now: number): ReplicaExplain {
  const t = core.timings;
  const reasons: string[] = [];
  if (r.sdown || r.odown) reasons.push('it is down (SDOWN)');
  if (r.disconnected) reasons.push('this sentinel is not connected to it');
  const silentMs = now - r.link.lastAvailAt;
  if (silentMs > t.pingPeriodMs * 5) reasons.push(`no PING reply for ${silentMs} ms (limit ${t.pingPeriodMs * 5} ms)`);
  if (r.slavePriority === 0) reasons.push('replica-priority is 0 (never promoted)');
  const infoValidity = m.sdown ? t.pingPeriodMs * 5 : t.infoPeriodMs * 3;
  const infoAge = r.infoRefreshAt === 0 ? null : now - r.infoRefreshAt;
  if (infoAge === null) reasons.push('no INFO reply yet');
  else if (infoAge > infoValidity) reasons.push(`INFO is stale (${infoAge} ms old, limit ${infoValidity} ms)`);
  const maxMasterDownMs = (m.sdown ? now - m.sdownSince : 0) + m.downAfterMs * 10;
  if (r.masterLinkDownMs > maxMasterDownMs) {
    reasons.push(`link to the master down too long (${r.masterLinkDownMs} ms, limit ${maxMasterDownMs} ms): too old`);
  }
  const mo = masterOffset(m);
  return {
    name: r.name,
    host: r.host,
    port: r.port,
    eligible: reasons.length === 0,
    reasons,
    priority: r.slavePriority,
    offset: r.slaveReplOffset,
    lagBytes: mo === null ? null : Math.max(0, mo - r.slaveReplOffset),
  };
}

export function explainMaster(core: SentinelCore, m: Instance): MasterExplain {
  const now = core.clock.now();
  let usable = 1;
  for (const s of m.sentinels.values()) if (!s.sdown && !s.odown) usable++;
  const voters = m.sentinels.size + 1;
  const majority = Math.floor(voters / 2) + 1;
  let downVotes = 0;
  if (m.sdown) {
    downVotes = 1;
    for (const s of m.sentinels.values()) if (s.masterDown) downVotes++;
  }
  const replicas = [...m.replicas.values()].map((r) => explainReplica(core, m, r, now));
  const best = core.selectSlave(m);
  const why: string[] = [];
  const status = m.odown ? 'odown' : m.sdown ? 'sdown' : 'ok';
  if (m.failoverInProgress) {
    // A failover runs: nothing blocks it (its progress is in failoverState).
  } else {
    if (core.tilt) why.push('this sentinel is in TILT mode (it acts on nothing until TILT ends)');
    if (!m.sdown) why.push('the master answers (not SDOWN): nothing to fail over');
    else if (!m.odown) why.push(`only ${downVotes}/${m.quorum} sentinels agree the master is down (no ODOWN)`);
    if (usable < m.quorum) why.push(`only ${usable} usable sentinels, quorum is ${m.quorum}`);
    if (usable < majority)
      why.push(`only ${usable}/${voters} usable sentinels, a failover needs a majority of ${majority}`);
    const waitMs = m.failoverStartAt + m.failoverTimeoutMs * 2 - now;
    if (m.failoverStartAt !== 0 && waitMs > 0) {
      why.push(`a failover was tried recently: the next may start in ${waitMs} ms (2 × failover-timeout)`);
    }
    if (best === null) why.push('no replica can be promoted (see each replica)');
  }
  return {
    name: m.name,
    host: m.host,
    port: m.port,
    status,
    failoverState: m.failoverState,
    downVotes,
    quorum: m.quorum,
    usableSentinels: usable,
    voters,
    quorumReachable: usable >= m.quorum,
    majorityReachable: usable >= majority,
    failoverPossible: m.failoverInProgress || why.length === 0,
    why,
    best: best?.name ?? null,
    replicas,
  };
}

/** Every monitored master, in the order the core keeps them. */
export function explainAll(core: SentinelCore): MasterExplain[] {
  return [...core.masters.values()].map((m) => explainMaster(core, m));
}
