// Monitoring (sentinel.c: sentinelTimer, sentinelHandleInstance, sentinelSendPeriodicCommands, TILT): the
// tick, and the periodic PING, INFO and hello traffic with the periods Vigil uses (faster than Redis where a
// quicker answer changes no user-visible timeout; each case says why).
// Mechanism (all rooms): plain functions over the explicit core state (`core: CoreState`, state.ts), no classes;
// SentinelCore (sentinel.ts) is the facade that owns the public API and delegates here. Pure like all of src/core.
import { askOthers, checkOdown, checkSdown } from './down.js';
import { failoverStateMachine, startFailoverIfNeeded, switchToPromoted } from './failover.js';
import { failoverStateOrder, Instance } from './instance.js';
import { cmdName, reconnect, send } from './links.js';
import type { CoreState } from './state.js';
import { HELLO_CHANNEL, MAX_PENDING_COMMANDS } from './types.js';
import type { Effect } from './types.js';
import { fenceStep } from './fencing-actions.js';

const FAST_PROMOTION_POLL_MS = 50;
const FAST_RECONF_POLL_MS = 200;
export const FAST_PING_MS = 100;

/**
 * The process has finished starting (config flushed, server listening): time spent before this is not time the
 * instances failed to answer. Nothing has been contacted yet (links open on the first tick), so every
 * instance's link clock restarts now; otherwise a slow start-up (an fsync on a loaded disk) makes the first tick
 * see every master SDOWN, and with quorum 1 fail it over.
 */
export function started(core: CoreState): void {
  const now = core.now();
  core.previousTickAt = now;
  for (const m of core.masters.values()) {
    for (const ri of [m, ...m.replicas.values(), ...m.sentinels.values()]) {
      if (ri.link.cmdLinkId !== null) continue;
      ri.link.actPingAt = now;
      ri.link.lastAvailAt = now;
      ri.link.lastPongAt = now;
    }
  }
}

// Reused snapshots of the instance maps for the tick (it handles the records present when each loop began, as a
// copy would, without allocating three arrays per master per tick); emptied after use so they keep no record alive.
const tickMasters: Instance[] = [];
const tickReplicas: Instance[] = [];
const tickSentinels: Instance[] = [];

function snapshot(into: Instance[], from: Map<string, Instance>): number {
  if (from.size === 0) {
    // No iterator for a master without replicas.
    into.length = 0;
    return 0;
  }
  let n = 0;
  for (const v of from.values()) into[n++] = v;
  into.length = n;
  return n;
}

export function tick(core: CoreState): Effect[] {
  const now = core.now();
  core.urgent = false;
  checkTilt(core, now);
  let switchTo: Instance | null = null;
  try {
    const nm = snapshot(tickMasters, core.masters);
    for (let i = 0; i < nm; i++) {
      const m = tickMasters[i] as Instance;
      if (!core.masters.has(m.name)) continue;
      handleInstance(core, m);
      const nr = snapshot(tickReplicas, m.replicas);
      for (let j = 0; j < nr; j++) handleInstance(core, tickReplicas[j] as Instance);
      const ns = snapshot(tickSentinels, m.sentinels);
      for (let j = 0; j < ns; j++) handleInstance(core, tickSentinels[j] as Instance);
      if (m.failoverState === 'update_config') switchTo = m;
    }
  } finally {
    tickMasters.length = 0;
    tickReplicas.length = 0;
    tickSentinels.length = 0;
  }
  if (switchTo) switchToPromoted(core, switchTo);
  return core.drain();
}

export function checkTilt(core: CoreState, now: number): void {
  const delta = now - core.previousTickAt;
  if (delta < 0 || delta > core.timings.tiltTriggerMs) {
    core.tilt = true;
    core.tiltStartAt = now;
    // Why (Vigil): the event keeps Redis's text; the log line and tiltCause say what the clock did.
    core.tiltCause = delta < 0 ? 'clock-backwards' : 'timer-stall';
    core.event('warning', '+tilt', null, '#tilt mode entered');
    core.log(
      'warning',
      delta < 0
        ? `TILT mode entered: the clock went backwards by ${-delta} ms between two timer ticks`
        : `TILT mode entered: ${delta} ms between two timer ticks (limit ${core.timings.tiltTriggerMs} ms): the process was stalled or the clock jumped forward`,
    );
  }
  core.previousTickAt = now;
}

/**
 * One instance's share of the tick. The clock is read once: every check below is about the same moment (the work
 * between them takes microseconds; reading it per check was ~2 % of the CPU at 200 masters, bench/scale).
 */
export function handleInstance(core: CoreState, ri: Instance): void {
  const now = core.now();
  reconnect(core, ri, now);
  sendPeriodic(core, ri, now);
  if (core.tilt) {
    if (now - core.tiltStartAt < core.timings.tiltPeriodMs) return;
    core.tilt = false;
    core.event('warning', '-tilt', null, '#tilt mode exited');
  }
  checkSdown(core, ri, now);
  if (ri.kind === 'master') {
    fenceStep(core, ri, now);
    checkOdown(core, ri);
    if (startFailoverIfNeeded(core, ri)) askOthers(core, ri, true);
    failoverStateMachine(core, ri);
    // After a failover step the clock is read again (the state machine may have taken a while).
    askOthers(core, ri, false, ri.failoverInProgress ? core.now() : now);
  }
}

export function sendPing(core: CoreState, ri: Instance, now?: number): boolean {
  if (!send(core, ri, [cmdName(core, ri, 'PING')], 'ping')) return false;
  now ??= core.now();
  ri.link.lastPingAt = now;
  if (ri.link.actPingAt === 0) ri.link.actPingAt = now;
  return true;
}

export function sendInfo(core: CoreState, ri: Instance, now?: number): boolean {
  if (!send(core, ri, [cmdName(core, ri, 'INFO')], 'info')) return false;
  ri.infoSentAt = now ?? core.now();
  ri.infoInFlight++;
  return true;
}

export function infoPeriodFor(core: CoreState, ri: Instance): number {
  if (ri.kind !== 'replica') return core.timings.infoPeriodMs;
  const m = ri.owner;
  if (ri.promoted && m.failoverState === 'wait_promotion') return FAST_PROMOTION_POLL_MS;
  if (ri.reconfSent || ri.reconfInprog) return FAST_RECONF_POLL_MS;
  // Redis switches to 1 s at ODOWN; we already do at SDOWN so replica data is fresh when a failover starts.
  if (m.sdown || m.odown || m.failoverInProgress || ri.masterLinkDownMs !== 0) return 1000;
  return core.timings.infoPeriodMs;
}

/**
 * How often this instance is PINGed. Peer sentinels: every 100 ms (one shared link per peer, whatever the number
 * of masters, and fencing needs fresh contact). Masters and replicas: Redis's PING-PERIOD, or a third of
 * down-after when that is shorter (never under 100 ms), because silence is measured from the last valid reply
 * (see checkSdown): two PINGs and a late tick fit inside down-after before it can expire.
 */
export function pingPeriodFor(core: CoreState, ri: Instance): number {
  if (ri.kind === 'sentinel') return Math.min(ri.downAfterMs, core.timings.pingPeriodMs, FAST_PING_MS);
  return Math.min(core.timings.pingPeriodMs, Math.max(FAST_PING_MS, Math.floor(ri.downAfterMs / 3)));
}

/** The period peer sentinels are PINGed at (what the fencing contact window is measured in). */
export function peerPingPeriod(core: CoreState, m: Instance): number {
  return Math.min(m.downAfterMs, core.timings.pingPeriodMs, FAST_PING_MS);
}

export function sendPeriodic(core: CoreState, ri: Instance, now = core.now()): void {
  if (ri.disconnected) return;
  if (ri.link.pendingCommands >= MAX_PENDING_COMMANDS * ri.link.refcount) return;
  const infoPeriod = infoPeriodFor(core, ri);
  const pingPeriod = pingPeriodFor(core, ri);
  if (ri.kind !== 'sentinel' && (ri.infoRefreshAt === 0 || now - ri.infoRefreshAt > infoPeriod)) {
    // One INFO in flight at a time unless it is old: a stopped server must not collect a pile of them.
    if (ri.infoInFlight === 0 || now - ri.infoSentAt > Math.max(infoPeriod, 1000)) sendInfo(core, ri, now);
  }
  // Once a PING is late, probe every 100 ms until something answers: silence costs nothing in steady state,
  // and a lost or slow reply gets several retries inside down-after.
  const retryAfter = ri.link.actPingAt !== 0 ? Math.min(FAST_PING_MS, pingPeriod / 2) : pingPeriod / 2;
  if (now - ri.link.lastPongAt > pingPeriod && now - ri.link.lastPingAt > retryAfter) sendPing(core, ri, now);
  if (now - ri.lastPubAt > core.timings.publishPeriodMs) sendHello(core, ri);
}

/** The address clients should use: the promoted replica once the leader is reconfiguring replicas. */
export function currentMasterAddr(core: CoreState, m: Instance): { host: string; port: number } {
  const p = m.promotedReplica;
  if (m.failoverInProgress && p && failoverStateOrder[m.failoverState] >= failoverStateOrder.reconf_slaves) {
    return { host: p.host, port: p.port };
  }
  return { host: m.host, port: m.port };
}

export function sendHello(core: CoreState, ri: Instance): boolean {
  if (ri.disconnected) return false;
  // PUBLISH waits out a CLIENT PAUSE WRITE and would hold up every later command on this link.
  if (ri.kind === 'master' && ri.mfPausedAt !== 0) return false;
  const ip = core.announceIp ?? ri.link.localIp;
  if (ip === null) return false;
  const port = core.announcePort !== 0 ? core.announcePort : core.port;
  const m = ri.owner;
  const addr = currentMasterAddr(core, m);
  const payload = `${ip},${port},${core.myid},${core.currentEpoch},${m.name},${core.announceAddr(addr.host)},${addr.port},${m.configEpoch}`;
  return send(core, ri, [cmdName(core, ri, 'PUBLISH'), HELLO_CHANNEL, payload], 'publish');
}

/** Make hellos go out on the next tick (sentinelForceHelloUpdateForMaster). */
export function forceHelloUpdate(core: CoreState, m: Instance): void {
  const back = core.timings.publishPeriodMs + 1;
  m.lastPubAt -= back;
  for (const r of m.replicas.values()) r.lastPubAt -= back;
  for (const s of m.sentinels.values()) s.lastPubAt -= back;
}

/** Milliseconds until the core wants a tick sooner than its period (a candidacy delay or a retry ends). */
export function wakeInMs(core: CoreState): number | null {
  const now = core.now();
  let at = Infinity;
  // Only deadlines still ahead: one that passed while something else held the failover back (TILT) waits for
  // the next ordinary tick instead of spinning.
  for (const m of core.masters.values()) {
    if (m.candidacyAt > now) at = Math.min(at, m.candidacyAt);
    if (m.splitRetryAt > now) at = Math.min(at, m.splitRetryAt);
  }
  return at === Infinity ? null : at - now;
}
