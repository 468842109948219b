// The failover state machine (sentinel.c: sentinelStartFailover ... sentinelFailoverSwitchToPromotedSlave):
// candidacy, wait-start, replica selection, SLAVEOF NO ONE, waiting for the promotion, reconfiguring the other
// replicas, the end of the failover and the switch to the promoted replica; the reconfiguration transaction and
// the client-reconfig script. The coordinated manual-failover steps are in manual-failover.ts.
// Mechanism (all rooms): plain functions over the explicit core state (`core: CoreState`, state.ts), no classes;
// SentinelCore (sentinel.ts) is the facade that owns the public API and delegates here. Pure like all of src/core.
import { resetMasterAndChangeAddress } from './admin.js';
import {
  CANDIDACY_JITTER_MS,
  getLeader,
  MAX_SPLIT_RETRIES,
  SPLIT_RETRY_JITTER_MS,
  SPLIT_RETRY_MS,
  SPLIT_RETRY_STEP_MS,
  splitVote,
} from './election.js';
import { Instance } from './instance.js';
import type { FailoverState } from './instance.js';
import { cmdName, send } from './links.js';
import { failoverCatchUp, liftPause } from './manual-failover.js';
import { sendInfo } from './monitor.js';
import type { CoreState } from './state.js';
import { ctime } from './timefmt.js';
import { MAX_DESYNC_MS } from './types.js';
import { minReplicasSet } from './fencing-actions.js';

/** How long select_slave waits for an INFO already in flight before giving up (Redis: no wait). */
const SELECT_WAIT_INFO_MS = 1000;

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

export function setFailoverState(core: CoreState, m: Instance, st: FailoverState): void {
  m.failoverState = st;
  m.failoverStateChangeAt = core.now();
}

export function startFailover(core: CoreState, m: Instance): void {
  setFailoverState(core, m, 'wait_start');
  m.failoverInProgress = true;
  m.failoverEpoch = ++core.currentEpoch;
  core.event('warning', '+new-epoch', m, String(core.currentEpoch));
  core.event('warning', '+try-failover', m, core.details(m));
  m.failoverStartAt = core.now() + core.rng.int(MAX_DESYNC_MS);
  m.failoverStateChangeAt = core.now();
}

export function startFailoverIfNeeded(core: CoreState, m: Instance): boolean {
  if (!m.odown) {
    m.candidacyAt = 0;
    m.splitRetryAt = 0;
    m.splitRetries = 0;
    return false;
  }
  if (m.failoverInProgress) return false;
  const now = core.now();
  if (m.splitRetryAt !== 0) {
    // Our turn after a split vote (voting for another candidate meanwhile cancels it).
    if (now < m.splitRetryAt) return false;
  } else {
    if (now - m.failoverStartAt < m.failoverTimeoutMs * 2) {
      m.candidacyAt = 0;
      if (m.failoverDelayLogged !== m.failoverStartAt) {
        const at = m.failoverStartAt + m.failoverTimeoutMs * 2;
        core.log('warning', `Next failover delay: I will not start a failover before ${ctime(at)}`);
        m.failoverDelayLogged = m.failoverStartAt;
      }
      return false;
    }
    if (m.candidacyAt === 0) m.candidacyAt = now + core.rng.int(CANDIDACY_JITTER_MS + 1);
    if (now < m.candidacyAt) return false;
  }
  m.candidacyAt = 0;
  m.splitRetryAt = 0;
  startFailover(core, m);
  return true;
}

export function abortFailover(core: CoreState, m: Instance): void {
  if (m.mfPausedAt !== 0) {
    liftPause(core, m);
    core.log('notice', `Manual failover aborted: writes unpaused on ${core.details(m)}`);
  }
  m.failoverInProgress = false;
  m.forceFailover = false;
  setFailoverState(core, m, 'none');
  if (m.promotedReplica) {
    m.promotedReplica.promoted = false;
    m.promotedReplica = null;
  }
}

export function failoverStateMachine(core: CoreState, m: Instance): void {
  if (!m.failoverInProgress) return;
  // Consecutive states run in the same tick (Redis advances one state per tick).
  for (let i = 0; i < 8 && m.failoverInProgress; i++) {
    const before = m.failoverState;
    switch (m.failoverState) {
      case 'wait_start':
        failoverWaitStart(core, m);
        break;
      case 'select_slave':
        failoverSelectSlave(core, m);
        break;
      case 'send_slaveof_noone':
        failoverSendSlaveOfNoOne(core, m);
        break;
      case 'wait_promotion':
        failoverWaitPromotion(core, m);
        break;
      case 'reconf_slaves':
        failoverReconfNextSlave(core, m);
        break;
      case 'none':
      case 'update_config':
        break;
    }
    if (m.failoverState === before) break;
  }
}

export function failoverWaitStart(core: CoreState, m: Instance): void {
  const leader = getLeader(core, m, m.failoverEpoch);
  const isLeader = leader !== null && leader.toLowerCase() === core.myid.toLowerCase();
  if (!isLeader && !m.forceFailover) {
    const candidates = m.splitRetries < MAX_SPLIT_RETRIES ? splitVote(core, m) : null;
    if (candidates) {
      const rank = candidates.indexOf(core.myid.toLowerCase());
      const delay = SPLIT_RETRY_MS + rank * SPLIT_RETRY_STEP_MS + core.rng.int(SPLIT_RETRY_JITTER_MS);
      core.log(
        'warning',
        `Split vote in epoch ${m.failoverEpoch} (${candidates.length} candidates): trying again in ${delay} ms`,
      );
      core.event('warning', '-failover-abort-not-elected', m, core.details(m));
      abortFailover(core, m);
      m.splitRetries++;
      m.splitRetryAt = core.now() + delay;
      return;
    }
    const electionTimeout = Math.min(core.timings.electionTimeoutMs, m.failoverTimeoutMs);
    if (core.now() - m.failoverStartAt > electionTimeout) {
      core.event('warning', '-failover-abort-not-elected', m, core.details(m));
      abortFailover(core, m);
    }
    return;
  }
  core.event('warning', '+elected-leader', m, core.details(m));
  m.splitRetries = 0;
  if (core.simFailure.crashAfterElection) {
    core.log('warning', 'Simulated failure: crash after election');
    core.effects.push({ t: 'exit', code: 99 });
  }
  setFailoverState(core, m, 'select_slave');
  core.event('warning', '+failover-state-select-slave', m, core.details(m));
}

/** sentinelSelectSlave: the best promotable replica, or null. */
export function selectSlave(core: CoreState, m: Instance): Instance | null {
  return promotionCandidates(core, m)[0] ?? null;
}

/** The replicas sentinelSelectSlave accepts, best first. */
export function promotionCandidates(core: CoreState, m: Instance): Instance[] {
  const now = core.now();
  let maxMasterDownMs = 0;
  if (m.sdown) maxMasterDownMs += now - m.sdownSince;
  maxMasterDownMs += m.downAfterMs * 10;
  const candidates: Instance[] = [];
  for (const r of m.replicas.values()) {
    if (r.sdown || r.odown) continue;
    if (r.disconnected) continue;
    if (now - r.link.lastAvailAt > core.timings.pingPeriodMs * 5) continue;
    if (r.slavePriority === 0) continue;
    const infoValidity = m.sdown ? core.timings.pingPeriodMs * 5 : core.timings.infoPeriodMs * 3;
    if (now - r.infoRefreshAt > infoValidity) continue;
    if (r.masterLinkDownMs > maxMasterDownMs) continue;
    candidates.push(r);
  }
  candidates.sort(compareSlavesForPromotion);
  return candidates;
}

export function failoverSelectSlave(core: CoreState, m: Instance): void {
  const slave = selectSlave(core, m);
  if (!slave) {
    // We may have got here in the same tick the master went down: give replies to INFOs already sent a moment.
    const waiting =
      core.now() - m.failoverStateChangeAt < SELECT_WAIT_INFO_MS &&
      [...m.replicas.values()].some((r) => r.infoInFlight > 0 && !r.disconnected && !r.sdown);
    if (waiting) return;
    core.event('warning', '-failover-abort-no-good-slave', m, core.details(m));
    abortFailover(core, m);
    return;
  }
  core.event('warning', '+selected-slave', slave, core.details(slave));
  slave.promoted = true;
  m.promotedReplica = slave;
  setFailoverState(core, m, 'send_slaveof_noone');
  core.event('notice', '+failover-state-send-slaveof-noone', slave, core.details(slave));
}

export function failoverSendSlaveOfNoOne(core: CoreState, m: Instance): void {
  const p = m.promotedReplica;
  if (!p) return;
  if (p.disconnected) {
    if (core.now() - m.failoverStateChangeAt > m.failoverTimeoutMs) {
      core.event('warning', '-failover-abort-slave-timeout', m, core.details(m));
      abortFailover(core, m);
    }
    return;
  }
  if (!failoverCatchUp(core, m, p)) return;
  if (!sendSlaveOf(core, p, null)) return;
  // INFO right behind EXEC on the same connection shows the promotion without waiting for a poll.
  sendInfo(core, p);
  core.event('notice', '+failover-state-wait-promotion', p, core.details(p));
  setFailoverState(core, m, 'wait_promotion');
}

export function failoverWaitPromotion(core: CoreState, m: Instance): void {
  if (core.now() - m.failoverStateChangeAt > m.failoverTimeoutMs) {
    core.event('warning', '-failover-abort-slave-timeout', m, core.details(m));
    abortFailover(core, m);
  }
}

export function failoverReconfNextSlave(core: CoreState, m: Instance): void {
  const p = m.promotedReplica;
  if (!p) return;
  const now = core.now();
  let inProgress = 0;
  for (const r of m.replicas.values()) if (r.reconfSent || r.reconfInprog) inProgress++;
  for (const r of m.replicas.values()) {
    if (inProgress >= m.parallelSyncs) break;
    if (r.promoted || r.reconfDone) continue;
    if (r.reconfSent && now - r.slaveReconfSentAt > core.timings.slaveReconfTimeoutMs) {
      core.event('notice', '-slave-reconf-sent-timeout', r, core.details(r));
      r.reconfSent = false;
      r.reconfDone = true;
    }
    if (r.reconfSent || r.reconfInprog) continue;
    if (r.disconnected) continue;
    if (sendSlaveOf(core, r, { host: p.host, port: p.port })) {
      r.reconfSent = true;
      r.slaveReconfSentAt = now;
      sendInfo(core, r);
      core.event('notice', '+slave-reconf-sent', r, core.details(r));
      inProgress++;
    }
  }
  failoverDetectEnd(core, m);
}

export function failoverDetectEnd(core: CoreState, m: Instance): void {
  const p = m.promotedReplica;
  if (!p || p.sdown) return;
  let notReconfigured = 0;
  for (const r of m.replicas.values()) {
    if (r.promoted || r.reconfDone) continue;
    if (r.sdown) continue;
    notReconfigured++;
  }
  let timeout = false;
  if (core.now() - m.failoverStateChangeAt > m.failoverTimeoutMs) {
    notReconfigured = 0;
    timeout = true;
    core.event('warning', '+failover-end-for-timeout', m, core.details(m));
  }
  if (notReconfigured === 0) {
    core.event('warning', '+failover-end', m, core.details(m));
    setFailoverState(core, m, 'update_config');
  }
  if (timeout) {
    for (const r of m.replicas.values()) {
      if (r.promoted || r.reconfDone || r.reconfSent) continue;
      if (r.disconnected) continue;
      if (sendSlaveOf(core, r, { host: p.host, port: p.port })) {
        core.event('notice', '+slave-reconf-sent-be', r, core.details(r));
        r.reconfSent = true;
      }
    }
  }
}

export function switchToPromoted(core: CoreState, m: Instance): void {
  const ref = m.promotedReplica ?? m;
  core.event(
    'warning',
    '+switch-master',
    m,
    `${m.name} ${core.announceAddr(m.host)} ${m.port} ${core.announceAddr(ref.host)} ${ref.port}`,
  );
  resetMasterAndChangeAddress(core, m, ref.host, ref.port);
}

/**
 * The reconfiguration transaction (sentinelSendSlaveOf); `to` null = SLAVEOF NO ONE. `killIds`: drop exactly
 * these clients instead of every normal and pubsub client (the coordinated demotion keeps sentinels' links).
 */
export function sendSlaveOf(
  core: CoreState,
  ri: Instance,
  to: { host: string; port: number } | null,
  killIds?: string[],
  restore?: { toWrite: number; maxLag: number },
): boolean {
  if (ri.disconnected) return false;
  const host = to ? core.announceAddr(to.host) : 'NO';
  const port = to ? String(to.port) : 'ONE';
  send(core, ri, [cmdName(core, ri, 'MULTI')], 'ignore');
  send(core, ri, [cmdName(core, ri, 'SLAVEOF'), host, port], 'ignore');
  // A fenced old master gets its own min-replicas settings back before CONFIG REWRITE can persist the fence.
  if (restore) send(core, ri, minReplicasSet(core, ri, restore.toWrite, restore.maxLag), 'ignore');
  send(core, ri, [cmdName(core, ri, 'CONFIG'), 'REWRITE'], 'ignore');
  if (killIds === undefined) {
    send(core, ri, [cmdName(core, ri, 'CLIENT'), 'KILL', 'TYPE', 'normal'], 'ignore');
    send(core, ri, [cmdName(core, ri, 'CLIENT'), 'KILL', 'TYPE', 'pubsub'], 'ignore');
  } else {
    // One per client: CLIENT KILL's filters AND together, so ids cannot share one command.
    for (const id of killIds) send(core, ri, [cmdName(core, ri, 'CLIENT'), 'KILL', 'ID', id], 'ignore');
  }
  send(core, ri, [cmdName(core, ri, 'EXEC')], 'ignore');
  return true;
}

export function callClientReconfScript(
  core: CoreState,
  m: Instance,
  role: 'leader' | 'observer',
  state: string,
  from: { host: string; port: number },
  to: { host: string; port: number },
): void {
  if (m.clientReconfigScript === undefined) return;
  core.effects.push({
    t: 'script',
    argv: [m.clientReconfigScript, m.name, role, state, from.host, String(from.port), to.host, String(to.port)],
  });
}
