// Split-brain fencing and empty-master protection (Vigil; Redis Sentinel has neither): fencing a master we can
// no longer confirm is the group's (min-replicas-to-write raised, clients dropped), lifting and renewing the
// fence, removing stale fences, and treating a master restarted empty (or behind its replicas) as SDOWN while
// demoting it at once. The decisions are the pure helpers in fencing.ts (its header has the contract); this file
// sends the commands and emits the events.
// Mechanism (all rooms): plain functions over the explicit core state (`core: CoreState`, state.ts), no classes;
// SentinelCore (sentinel.ts) is the facade that owns the public API and delegates here. Pure like all of src/core.
import type { Reply } from '../resp/types.js';
import { clientIdsToKill, MAX_KILL_IDS } from './client-list.js';
import { promotionCandidates, sendSlaveOf } from './failover.js';
import {
  FENCE_BASE,
  FENCE_DEBOUNCE_MS,
  FENCE_LIFT_AFTER_PUBLISH_PERIODS,
  FENCE_RENEW_MS,
  emptyRestart,
  isLoading,
  othersCouldFailOver,
  parseMinReplicas,
  peersOutOfContact,
  reportedAhead,
  reportedKeys,
  unfencedValue,
} from './fencing.js';
import { Instance } from './instance.js';
import { cmdName, infoText, send } from './links.js';
import { peerPingPeriod, sendInfo } from './monitor.js';
import type { CoreState } from './state.js';
import type { ReplyTag } from './types.js';

/** Fence, renew or lift the fence of a master we monitor (called every tick for masters, not in TILT). */
export function fenceStep(core: CoreState, m: Instance, now = core.now()): void {
  if (fenceWanted(core, m, now)) {
    m.fenceContactBackAt = 0;
    if (!m.fenceActive) {
      // Seen over FENCE_DEBOUNCE_MS of our own ticks: after a stall of this process the replies already in
      // the socket buffers are read before the condition can hold that long.
      if (m.fenceWantedSince === 0) m.fenceWantedSince = now;
      if (now - m.fenceWantedSince < FENCE_DEBOUNCE_MS) return;
      if (now - m.fenceQueryAt < FENCE_RENEW_MS) return;
      if (send(core, m, minReplicasGet(core, m), 'fence-get')) m.fenceQueryAt = now;
    } else if (now - m.fenceRenewAt >= FENCE_RENEW_MS) fenceApply(core, m);
    return;
  }
  m.fenceWantedSince = 0;
  if (!m.fenceActive) return;
  if (m.fenceContactBackAt === 0) m.fenceContactBackAt = now;
  if (
    !m.vigilFencing ||
    now - m.fenceContactBackAt >= core.timings.publishPeriodMs * FENCE_LIFT_AFTER_PUBLISH_PERIODS
  ) {
    fenceLift(core, m, m.vigilFencing ? '#contact with the majority is back' : '#fencing disabled');
  }
}

export function fenceWanted(core: CoreState, m: Instance, now: number): boolean {
  return (
    m.vigilFencing && m.failoverState === 'none' && !m.sdown && othersCouldFailOver(m, now, peerPingPeriod(core, m))
  );
}

export function minReplicasGet(core: CoreState, ri: Instance): string[] {
  return [cmdName(core, ri, 'CONFIG'), 'GET', 'min-replicas-to-write', 'min-replicas-max-lag'];
}

export function minReplicasSet(core: CoreState, ri: Instance, toWrite: number, maxLag: number): string[] {
  return [
    cmdName(core, ri, 'CONFIG'),
    'SET',
    'min-replicas-to-write',
    String(toWrite),
    'min-replicas-max-lag',
    String(maxLag),
  ];
}

/** (Re)assert the fence and drop the master's normal clients, so Sentinel-aware clients ask again. */
export function fenceApply(core: CoreState, m: Instance): void {
  const orig = m.fenceOrig;
  if (orig === null) return;
  // min-replicas-max-lag 0 disables min-replicas-to-write: a fence needs a lag bound (10 s is Redis's default).
  const lag = orig.maxLag === 0 ? 10 : orig.maxLag;
  if (!send(core, m, minReplicasSet(core, m, FENCE_BASE + orig.toWrite, lag), 'fence-set')) return;
  send(core, m, [cmdName(core, m, 'CLIENT'), 'LIST', 'TYPE', 'normal'], 'fence-clients');
  m.fenceRenewAt = core.now();
}

export function fenceLift(core: CoreState, m: Instance, why: string): void {
  const orig = m.fenceOrig;
  if (orig !== null && !send(core, m, minReplicasSet(core, m, orig.toWrite, orig.maxLag), 'ignore')) return;
  m.fenceActive = false;
  m.fenceOrig = null;
  m.fenceContactBackAt = 0;
  core.event('warning', '-vigil-fence', m, `${core.details(m)} ${why}`);
}

export function onFenceReply(core: CoreState, ri: Instance, tag: ReplyTag, reply: Reply): void {
  const now = core.now();
  switch (tag) {
    case 'fence-get': {
      if (ri.kind !== 'master' || ri.fenceActive) return;
      const v = parseMinReplicas(reply);
      if (v === null) return fenceFailure(core, ri, 'CONFIG GET min-replicas-to-write refused');
      if (!fenceWanted(core, ri, now)) return;
      ri.fenceOrig = { toWrite: unfencedValue(v.toWrite) ?? v.toWrite, maxLag: v.maxLag };
      ri.fenceActive = true;
      ri.fenceContactBackAt = 0;
      fenceApply(core, ri);
      const { out, windowMs } = peersOutOfContact(ri, now, peerPingPeriod(core, ri));
      core.event(
        'warning',
        '+vigil-fence',
        ri,
        `${core.details(ri)} #no contact with ${out} of ${ri.sentinels.size + 1} sentinels for ${windowMs} ms`,
      );
      return;
    }
    case 'fence-set':
      if (reply instanceof Error) fenceFailure(core, ri, reply.message);
      else ri.fenceFailed = false;
      return;
    case 'fence-clients': {
      if (ri.kind !== 'master' || !ri.fenceActive) return;
      const text = infoText(reply);
      const ids = text === null ? null : clientIdsToKill(text);
      for (const id of (ids ?? []).slice(0, MAX_KILL_IDS)) {
        send(core, ri, [cmdName(core, ri, 'CLIENT'), 'KILL', 'ID', id], 'ignore');
      }
      return;
    }
    case 'fence-check': {
      const v = parseMinReplicas(reply);
      const prev = v === null ? null : unfencedValue(v.toWrite);
      if (v === null || prev === null) return;
      if (ri.kind === 'master' && ri.fenceActive) return;
      // A fence nobody holds any more (its sentinel died, or a peer demoted the fenced master and persisted it).
      send(core, ri, minReplicasSet(core, ri, prev, v.maxLag), 'ignore');
      if (ri.kind === 'replica') send(core, ri, [cmdName(core, ri, 'CONFIG'), 'REWRITE'], 'ignore');
      core.event('warning', '-vigil-fence', ri, `${core.details(ri)} #stale fence removed`);
      return;
    }
    default:
      return;
  }
}

export function fenceFailure(core: CoreState, m: Instance, why: string): void {
  if (m.fenceFailed) return;
  m.fenceFailed = true;
  core.event('warning', '-vigil-fence-failed', m, `${core.details(m)} #${why.replace(/[\r\n]/g, ' ')}`);
}

/**
 * Empty-master protection: a master that restarted (new run id) and would wipe its replicas when they resync
 * (emptyRestart) is treated as SDOWN, so the group fails over to a replica, and is demoted at once meanwhile.
 * `offset` is the master's `master_repl_offset` from the same INFO.
 */
export function checkEmptyReboot(core: CoreState, m: Instance, info: string, offset: number | null): void {
  if (!m.vigilEmptyMasterFailover || isLoading(info)) return;
  const danger = emptyRestart(m, info, offset);
  if (danger === null) return;
  m.emptyReboot = true;
  core.event(
    'warning',
    '+vigil-empty-master',
    m,
    danger.empty
      ? `${core.details(m)} #restarted with an empty dataset while ${danger.withData} replica(s) hold data`
      : `${core.details(m)} #restarted at replication offset ${offset} behind ${danger.ahead} replica(s)`,
  );
  demoteEmptyMaster(core, m, offset);
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
export function demoteEmptyMaster(core: CoreState, m: Instance, offset: number | null): void {
  const holdsData = (r: Instance): boolean => reportedKeys(r) || (offset !== null && reportedAhead(r, offset));
  const target = promotionCandidates(core, m).find(holdsData);
  if (target === undefined) return;
  // A replica that resynced from the master before this is empty now, under a small offset: fresh INFO keeps the
  // failover's selection from promoting it on the strength of its INFO from before the restart.
  for (const r of m.replicas.values()) sendInfo(core, r);
  if (sendSlaveOf(core, m, { host: target.host, port: target.port }))
    core.event(
      'warning',
      '+vigil-empty-master-demoted',
      m,
      `${core.details(m)} #replica of ${target.host}:${target.port} until the failover`,
    );
}
