// Hello processing (sentinel.c: sentinelProcessHelloMessage): peer discovery, sentinel address switches, epoch
// and master-configuration updates heard on __sentinel__:hello. The payload's validation is the pure parseHello
// in hello.ts; everything a hello may change in the state is here.
// Mechanism (all rooms): plain functions over the explicit core state (`core: CoreState`, state.ts), no classes;
// SentinelCore (sentinel.ts) is the facade that owns the public API and delegates here. Pure like all of src/core.
import { resetMasterAndChangeAddress } from './admin.js';
import { callClientReconfScript } from './failover.js';
import { excerpt, MAX_SENTINELS_PER_MASTER, parseHello } from './hello.js';
import { Instance } from './instance.js';
import { closeAllLinks, releaseLink, tryConnectionSharing } from './links.js';
import { currentMasterAddr } from './monitor.js';
import type { CoreState } from './state.js';

export function processHello(core: CoreState, payload: string): void {
  const parsed = parseHello(payload, { currentEpoch: core.currentEpoch, resolveHostnames: core.resolveHostnames });
  if (!parsed.ok) {
    core.helloInvalid++;
    core.warnDropped(core.helloWarning, `Ignored invalid hello (${parsed.reason}): ${excerpt(payload)}`);
    return;
  }
  const { ip, port, runId: runid, currentEpoch: helloEpoch, masterName, masterIp, masterPort } = parsed.hello;
  const masterConfigEpoch = parsed.hello.configEpoch;
  const m = core.masters.get(masterName);
  if (!m) return;
  if (runid === core.myid) return;
  if (!m.sentinels.has(runid) && m.sentinels.size >= MAX_SENTINELS_PER_MASTER) {
    core.warnDropped(
      core.sentinelCapWarning,
      `Ignored hello from a new sentinel ${ip}:${port} for ${m.name}: already ${MAX_SENTINELS_PER_MASTER} sentinels known`,
    );
    return;
  }
  let si = findSentinel(m, ip, port, runid);
  if (!si) {
    const removed = removeSentinelByRunId(core, m, runid);
    if (removed > 0) {
      core.event('notice', '+sentinel-address-switch', m, `${core.details(m)} ip ${ip} port ${port} for ${runid}`);
    } else {
      const other = findSentinel(m, ip, port, undefined);
      if (other) {
        core.event('notice', '+sentinel-invalid-addr', other, core.details(other));
        const obsolete = other.runId;
        if (obsolete !== null) for (const mm of core.masters.values()) removeSentinelByRunId(core, mm, obsolete);
      }
    }
    si = new Instance('sentinel', runid, ip, port, m, core.now(), m.downAfterMs);
    si.runId = runid;
    m.sentinels.set(runid, si);
    if (removed === 0) core.event('notice', '+sentinel', si, core.details(si));
    if (removed > 0) {
      // Update the address of this sentinel in every other master too (sentinelUpdateSentinelAddressInAllMasters).
      let reconfigured = 0;
      for (const mm of core.masters.values()) {
        if (mm === m) continue;
        const match = mm.sentinels.get(runid);
        if (match && (match.host !== ip || match.port !== port)) {
          closeAllLinks(core, match);
          match.host = ip;
          match.port = port;
          reconfigured++;
        }
      }
      if (reconfigured > 0)
        core.event(
          'notice',
          '+sentinel-address-update',
          si,
          `${core.details(si)} ${reconfigured} additional matching instances`,
        );
    }
    tryConnectionSharing(core, si);
    core.flush();
  }
  if (helloEpoch > core.currentEpoch) {
    core.currentEpoch = helloEpoch;
    core.flush();
    core.event('warning', '+new-epoch', m, String(core.currentEpoch));
  }
  if (m.configEpoch < masterConfigEpoch) {
    m.configEpoch = masterConfigEpoch;
    // Compared with the address we announce (the promoted replica once our own failover is reconfiguring
    // replicas), and a failover of ours that a newer configuration has overtaken is abandoned. Redis compares
    // with the old master address only and lets its failover finish: a leader partitioned during RECONF_SLAVES
    // that hears of a newer failover back to its old master address keeps the newer epoch, then switches to its
    // own promoted replica, so two addresses carry one config epoch and the group never converges (found by
    // the simulation, invariant I4).
    const cur = currentMasterAddr(core, m);
    const moved = masterPort !== cur.port || masterIp.toLowerCase() !== cur.host.toLowerCase();
    if (moved) {
      core.event('warning', '+config-update-from', si, core.details(si));
      core.event(
        'warning',
        '+switch-master',
        m,
        `${m.name} ${core.announceAddr(cur.host)} ${cur.port} ${masterIp} ${masterPort}`,
      );
    }
    if (moved || m.failoverInProgress) {
      resetMasterAndChangeAddress(core, m, masterIp, masterPort);
      if (moved) callClientReconfScript(core, m, 'observer', 'start', cur, { host: m.host, port: m.port });
    }
  }
  si.lastHelloAt = core.now();
}

/** The first of m's sentinels (insertion order) at ip:port, with that run id unless it is undefined. */
function findSentinel(m: Instance, ip: string, port: number, runid: string | undefined): Instance | null {
  // A loop, not a copy of the map and find(): every hello (hundreds a second at 200 masters) looks up its sender.
  for (const s of m.sentinels.values()) {
    if (s.host === ip && s.port === port && (runid === undefined || s.runId === runid)) return s;
  }
  return null;
}

export function removeSentinelByRunId(core: CoreState, m: Instance, runid: string): number {
  let removed = 0;
  for (const [key, s] of m.sentinels) {
    if (s.runId === runid) {
      releaseLink(core, s);
      m.sentinels.delete(key);
      removed++;
    }
  }
  return removed;
}
