// SDOWN / ODOWN (sentinel.c: sentinelCheckSubjectivelyDown, sentinelCheckObjectivelyDown,
// sentinelAskMasterStateToOtherSentinels, sentinelReceiveIsMasterDownReply): silence measured from the last valid
// reply, stuck-link force-closing, and the is-master-down-by-addr questions and answers.
// Mechanism (all rooms): plain functions over the explicit core state (`core: CoreState`, state.ts), no classes;
// SentinelCore (sentinel.ts) is the facade that owns the public API and delegates here. Pure like all of src/core.
import type { Reply } from '../resp/types.js';
import { Instance } from './instance.js';
import { closeLink, cmdName, send } from './links.js';
import { FAST_PING_MS, pingPeriodFor } from './monitor.js';
import type { CoreState } from './state.js';

const FAST_ASK_MS = 100;

export function checkSdown(core: CoreState, ri: Instance, now = core.now()): void {
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
        ? Math.max(ri.link.lastAvailAt, ri.link.actPingAt - pingPeriodFor(core, ri))
        : ri.link.actPingAt;
    elapsed = now - since;
  } else if (ri.disconnected) elapsed = now - ri.link.lastAvailAt;

  // Force-close a cmd link that looks stuck (it may be a half-open connection).
  if (
    ri.link.cmdLinkId !== null &&
    now - ri.link.cmdConnectedAt > core.timings.minLinkReconnectPeriodMs &&
    ri.link.actPingAt !== 0 &&
    now - ri.link.actPingAt > ri.downAfterMs / 2 &&
    now - ri.link.lastPongAt > ri.downAfterMs / 2
  ) {
    closeLink(core, ri, 'cmd');
  }
  if (
    ri.link.pubsubLinkId !== null &&
    now - ri.link.pubsubConnectedAt > core.timings.minLinkReconnectPeriodMs &&
    now - ri.link.pubsubActivityAt > core.timings.publishPeriodMs * 3
  ) {
    closeLink(core, ri, 'pubsub');
  }

  const down =
    elapsed > ri.downAfterMs ||
    (ri.kind === 'master' &&
      ri.roleReported === 'slave' &&
      now - ri.roleReportedAt > ri.downAfterMs + core.timings.infoPeriodMs * 2) ||
    (ri.masterReboot && now - ri.masterRebootSince > ri.masterRebootDownAfterPeriodMs) ||
    (ri.kind === 'master' && ri.emptyReboot);
  if (down) {
    if (!ri.sdown) {
      core.event('warning', '+sdown', ri, core.details(ri));
      ri.sdownSince = now;
      ri.sdown = true;
    }
  } else if (ri.sdown) {
    core.event('warning', '-sdown', ri, core.details(ri));
    ri.sdown = false;
    ri.scriptKillSent = false;
  }
}

export function checkOdown(core: CoreState, m: Instance): void {
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
      core.event('warning', '+odown', m, `${core.details(m)} #quorum ${quorum}/${m.quorum}`);
      m.odown = true;
      m.odownSince = core.now();
    }
  } else if (m.odown) {
    core.event('warning', '-odown', m, core.details(m));
    m.odown = false;
  }
}

export function askOthers(core: CoreState, m: Instance, forced: boolean, now = core.now()): void {
  for (const s of m.sentinels.values()) {
    const elapsed = now - s.lastMasterDownReplyAt;
    if (elapsed > core.timings.askPeriodMs * 5) {
      s.masterDown = false;
      s.leader = null;
    }
    if (!m.sdown) continue;
    if (s.disconnected) continue;
    // Fast re-asking only in the first seconds of SDOWN (when peers are about to agree); then Redis's period.
    const fast = !m.odown && now - m.sdownSince < core.timings.askPeriodMs * 5;
    const period = fast ? Math.min(core.timings.askPeriodMs, FAST_ASK_MS) : core.timings.askPeriodMs;
    if (!forced && elapsed < period) continue;
    // Not re-sending while a question is outstanding keeps a slow peer from collecting duplicates.
    if (!forced && now - s.askSentAt < period) continue;
    s.askSentAt = now;
    send(
      core,
      s,
      [
        cmdName(core, s, 'SENTINEL'),
        'is-master-down-by-addr',
        core.announceAddr(m.host),
        String(m.port),
        String(core.currentEpoch),
        m.failoverState !== 'none' ? core.myid : '*',
      ],
      'is-master-down',
      `${m.host}:${m.port}`,
    );
  }
}

/** `asked`: the master address the question was about (replies to questions about an older address are dropped). */
export function receiveIsMasterDownReply(core: CoreState, s: Instance, r: Reply, asked: string | undefined): void {
  if (!Array.isArray(r) || r.length !== 3) return;
  const [down, leader, epoch] = r;
  const leaderStr = typeof leader === 'string' ? leader : Buffer.isBuffer(leader) ? leader.toString() : null;
  if (typeof down !== 'number' || leaderStr === null || typeof epoch !== 'number') return;
  // An answer about the address the master had before a switch says nothing about the new one (Redis counts
  // it, which can make a healthy new master ODOWN right after a failover; found by the simulation, I5).
  const m = s.owner;
  if (asked !== undefined && asked !== `${m.host}:${m.port}`) return;
  s.lastMasterDownReplyAt = core.now();
  s.masterDown = down === 1;
  if (leaderStr !== '*') {
    if (s.leaderEpoch !== epoch) core.log('warning', `${s.name} voted for ${leaderStr} ${epoch}`);
    s.leader = leaderStr;
    s.leaderEpoch = epoch;
  }
  core.urgent = true;
}
