// INFO refresh (sentinel.c: sentinelRefreshInstanceInfo): what a monitored instance's INFO reply changes in its
// record (run id and +reboot, replica offsets and priority, reported role), replica discovery from a master's
// INFO, and the acting on role changes: promotion seen during a failover, +convert-to-slave, +fix-slave-config,
// replica reconfiguration progress. Parsing the text is the pure parseInfo (info.ts).
// Mechanism (all rooms): plain functions over the explicit core state (`core: CoreState`, state.ts), no classes;
// SentinelCore (sentinel.ts) is the facade that owns the public API and delegates here. Pure like all of src/core.
import { callClientReconfScript, sendSlaveOf, setFailoverState } from './failover.js';
import { checkEmptyReboot } from './fencing-actions.js';
import { emptyRestart } from './fencing.js';
import { excerpt, isPort, isValidAddress, MAX_REPLICAS_PER_MASTER } from './hello.js';
import { parseInfo } from './info.js';
import { Instance, replicaName } from './instance.js';
import { demotePausedMaster } from './manual-failover.js';
import { forceHelloUpdate } from './monitor.js';
import type { CoreState } from './state.js';

export function refreshInfo(core: CoreState, ri: Instance, text: string): void {
  const now = core.now();
  const info = parseInfo(text);
  ri.info = text;
  ri.masterLinkDownMs = info.masterLinkDownMs;
  if (info.runId !== null) {
    if (ri.runId === null) ri.runId = info.runId;
    else if (ri.runId !== info.runId) {
      core.event('notice', '+reboot', ri, core.details(ri));
      if (ri.kind === 'master') checkEmptyReboot(core, ri, text, info.masterReplOffset);
      if (ri.kind === 'master' && ri.masterRebootDownAfterPeriodMs !== 0) {
        ri.masterReboot = true;
        ri.masterRebootSince = now;
      }
      ri.runId = info.runId;
    }
  }
  if (ri.kind === 'master' && ri.emptyReboot && emptyRestart(ri, text, info.masterReplOffset) === null)
    ri.emptyReboot = false;
  if (ri.kind === 'master') {
    for (const r of info.replicas) {
      if (!isValidAddress(r.host, core.resolveHostnames) || !isPort(r.port)) continue;
      if (ri.replicas.has(replicaName(r.host, r.port))) continue;
      if (ri.replicas.size >= MAX_REPLICAS_PER_MASTER) {
        core.warnDropped(
          core.replicaCapWarning,
          `Ignored replica ${excerpt(`${r.host}:${r.port}`)} of ${ri.name}: already ${MAX_REPLICAS_PER_MASTER} replicas known`,
        );
        continue;
      }
      const slave = addReplica(core, ri, r.host, r.port);
      if (slave) {
        core.event('notice', '+slave', slave, core.details(slave));
        core.flush();
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
    core.event(
      'verbose',
      configured === role ? '+role-change' : '-role-change',
      ri,
      `${core.details(ri)} new reported role is ${role}`,
    );
  }
  if (core.tilt || ri.kind !== 'replica' || role === null) return;
  const m = ri.owner;

  if (role === 'master') {
    if (ri.promoted && m.failoverInProgress && m.failoverState === 'wait_promotion') {
      m.configEpoch = m.failoverEpoch;
      setFailoverState(core, m, 'reconf_slaves');
      core.flush();
      core.event('warning', '+promoted-slave', ri, core.details(ri));
      if (core.simFailure.crashAfterPromotion) {
        core.log('warning', 'Simulated failure: crash after promotion');
        core.effects.push({ t: 'exit', code: 99 });
      }
      core.event('warning', '+failover-state-reconf-slaves', m, core.details(m));
      if (m.mfPausedAt !== 0) demotePausedMaster(core, m, ri);
      callClientReconfScript(
        core,
        m,
        'leader',
        'start',
        { host: m.host, port: m.port },
        { host: ri.host, port: ri.port },
      );
      forceHelloUpdate(core, m);
      core.urgent = true;
    } else {
      const waitMs = core.timings.publishPeriodMs * 4;
      // A deposed master (we switched away from it under a newer config epoch) is demoted at once: every write
      // it acknowledges from now on is lost (Redis watches it for 4 hello periods first).
      const deposed = ri.deposed && m.vigilFencing;
      if (
        !ri.promoted &&
        masterLooksSane(core, m) &&
        (deposed || (noDownFor(core, ri, waitMs) && now - ri.roleReportedAt > waitMs))
      ) {
        if (sendSlaveOf(core, ri, { host: m.host, port: m.port }, undefined, ri.fenceRestore ?? undefined))
          core.event('notice', '+convert-to-slave', ri, core.details(ri));
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
    if (masterLooksSane(core, m) && noDownFor(core, ri, waitMs) && now - ri.slaveConfChangeAt > waitMs) {
      if (sendSlaveOf(core, ri, { host: m.host, port: m.port }))
        core.event('notice', '+fix-slave-config', ri, core.details(ri));
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
      core.event('notice', '+slave-reconf-inprog', ri, core.details(ri));
      core.urgent = true;
    }
    if (ri.reconfInprog && ri.slaveMasterLinkUp) {
      ri.reconfInprog = false;
      ri.reconfDone = true;
      core.event('notice', '+slave-reconf-done', ri, core.details(ri));
      core.urgent = true;
    }
  }
}

export function masterLooksSane(core: CoreState, m: Instance): boolean {
  return (
    m.kind === 'master' &&
    m.roleReported === 'master' &&
    !m.sdown &&
    !m.odown &&
    core.now() - m.infoRefreshAt < core.timings.infoPeriodMs * 2
  );
}

export function noDownFor(core: CoreState, ri: Instance, ms: number): boolean {
  const mostRecent = Math.max(ri.sdownSince, ri.odownSince);
  return mostRecent === 0 || core.now() - mostRecent > ms;
}

export function addReplica(core: CoreState, m: Instance, host: string, port: number): Instance | null {
  if (port < 0 || port > 65535) return null;
  const name = replicaName(host, port);
  if (m.replicas.has(name)) return null;
  const r = new Instance('replica', name, host, port, m, core.now(), m.downAfterMs);
  m.replicas.set(name, r);
  return r;
}
