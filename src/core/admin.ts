// Admin operations used by the command layer (commands.ts: SENTINEL MONITOR / REMOVE / SET / RESET / FAILOVER,
// INFO) and the reset / address change of a master (sentinelResetMaster, sentinelResetMasterAndChangeAddress),
// loading a configured master, and the snapshot that sentinel.conf is rewritten from (sentinelFlushConfig's input).
// Mechanism (all rooms): plain functions over the explicit core state (`core: CoreState`, state.ts), no classes;
// SentinelCore (sentinel.ts) is the facade that owns the public API and delegates here. Pure like all of src/core.
import type { MasterConfig, PersistedMaster, PersistedState, VigilMasterOptions } from '../config/types.js';
import { startFailover } from './failover.js';
import { Instance, replicaName } from './instance.js';
import { closeAllLinks, closeLink, releaseLink, tryConnectionSharing } from './links.js';
import { currentMasterAddr } from './monitor.js';
import type { CoreState } from './state.js';
import { addReplica } from './info-refresh.js';

export function loadMaster(core: CoreState, mc: MasterConfig): void {
  const now = core.clock.now();
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
  if (m.configEpoch > core.currentEpoch) core.currentEpoch = m.configEpoch;
  core.masters.set(m.name, m);
  for (const r of mc.knownReplicas) addReplica(core, m, r.host, r.port);
  for (const s of mc.knownSentinels) {
    if (s.runId === core.myid) continue;
    const si = new Instance('sentinel', s.runId, s.host, s.port, m, now, m.downAfterMs);
    si.runId = s.runId;
    m.sentinels.set(s.runId, si);
    tryConnectionSharing(core, si);
  }
  core.event('warning', '+monitor', m, `${core.details(m)} quorum ${m.quorum}`);
}

export function resetMaster(core: CoreState, m: Instance, opts: { sentinels: boolean; event: boolean }): void {
  for (const r of m.replicas.values()) closeAllLinks(core, r);
  m.replicas.clear();
  if (opts.sentinels) {
    for (const s of m.sentinels.values()) releaseLink(core, s);
    m.sentinels.clear();
  }
  closeAllLinks(core, m);
  const now = core.now();
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
  if (opts.event) core.event('warning', '+reset-master', m, core.details(m));
}

export function resetMasterAndChangeAddress(core: CoreState, m: Instance, host: string, port: number): void {
  const keep: Array<{ host: string; port: number }> = [];
  for (const r of m.replicas.values()) {
    if (r.host === host && r.port === port) continue;
    keep.push({ host: r.host, port: r.port });
  }
  const old = { host: m.host, port: m.port };
  const moved = !(m.host === host && m.port === port);
  if (moved) keep.push(old);
  const restore = m.fenceActive ? m.fenceOrig : null;
  resetMaster(core, m, { sentinels: false, event: false });
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
    const r = addReplica(core, m, a.host, a.port);
    if (r) core.event('notice', '+slave', r, core.details(r));
  }
  const deposed = moved ? m.replicas.get(replicaName(old.host, old.port)) : undefined;
  if (deposed) {
    deposed.deposed = true;
    deposed.fenceRestore = restore;
  }
  core.flush();
}

export function monitor(core: CoreState, mc: MasterConfig): void {
  loadMaster(core, mc);
  core.flush();
}

export function removeMaster(core: CoreState, m: Instance): void {
  core.event('warning', '-monitor', m, core.details(m));
  for (const r of m.replicas.values()) closeAllLinks(core, r);
  for (const s of m.sentinels.values()) releaseLink(core, s);
  closeAllLinks(core, m);
  core.masters.delete(m.name);
  core.flush();
}

/** SET auth-pass / auth-user: drop the links so they reconnect with the new credentials. */
export function dropInstanceConnections(core: CoreState, m: Instance): void {
  closeAllLinks(core, m);
  for (const r of m.replicas.values()) closeAllLinks(core, r);
}

export function dropSentinelConnections(core: CoreState): void {
  for (const m of core.masters.values()) for (const s of m.sentinels.values()) closeLink(core, s, 'cmd');
}

export function setDownAfter(core: CoreState, m: Instance, ms: number): void {
  m.downAfterMs = ms;
  for (const r of m.replicas.values()) r.downAfterMs = ms;
  for (const s of m.sentinels.values()) s.downAfterMs = ms;
}

/** SENTINEL FAILOVER: start a forced failover now. */
export function forceFailover(core: CoreState, m: Instance): void {
  core.log('warning', `Executing user requested FAILOVER of '${m.name}'`);
  startFailover(core, m);
  m.forceFailover = true;
  core.urgent = true;
}

/** The state to persist (sentinelFlushConfig's input). */
export function snapshot(core: CoreState): PersistedState {
  const masters: PersistedMaster[] = [];
  for (const m of core.masters.values()) {
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
    const cur = currentMasterAddr(core, m);
    if (cur.host !== m.host || cur.port !== m.port) pm.promotedReplica = cur;
    masters.push(pm);
  }
  const st: PersistedState = {
    myid: core.myid,
    currentEpoch: core.currentEpoch,
    announcePort: core.announcePort,
    denyScriptsReconfig: core.denyScriptsReconfig,
    resolveHostnames: core.resolveHostnames,
    announceHostnames: core.announceHostnames,
    masters,
  };
  if (core.announceIp !== undefined) st.announceIp = core.announceIp;
  if (core.sentinelUser !== undefined) st.sentinelUser = core.sentinelUser;
  if (core.sentinelPass !== undefined) st.sentinelPass = core.sentinelPass;
  return st;
}

/** Body of INFO's `# Sentinel` section (without the header), lines joined by CRLF. */
export function infoSentinelSection(core: CoreState, scripts: { running: number; queued: number }): string {
  const now = core.now();
  const lines = [
    `sentinel_masters:${core.masters.size}`,
    `sentinel_tilt:${core.tilt ? 1 : 0}`,
    `sentinel_tilt_since_seconds:${core.tilt ? Math.floor((now - core.tiltStartAt) / 1000) : -1}`,
    `sentinel_running_scripts:${scripts.running}`,
    `sentinel_scripts_queue_length:${scripts.queued}`,
    `sentinel_simulate_failure_flags:${(core.simFailure.crashAfterElection ? 1 : 0) | (core.simFailure.crashAfterPromotion ? 2 : 0)}`,
  ];
  let i = 0;
  for (const m of core.masters.values()) {
    const status = m.odown ? 'odown' : m.sdown ? 'sdown' : 'ok';
    lines.push(
      `master${i}:name=${m.name},status=${status},address=${m.host}:${m.port},slaves=${m.replicas.size},sentinels=${m.sentinels.size + 1}`,
    );
    i++;
  }
  return lines.join('\r\n');
}
