// Vigil's coordinated manual failover (SENTINEL FAILOVER of a reachable master): pause writes on the old
// master, wait for the chosen replica to reach its final offset, promote, then demote and unpause the old master.
// Redis 7.0 promotes at once and loses what the old master acknowledges meanwhile (see failoverCatchUp).
// Mechanism (all rooms): plain functions over the explicit core state (`core: CoreState`, state.ts), no classes;
// SentinelCore (sentinel.ts) is the facade that owns the public API and delegates here. Pure like all of src/core.
import { sendSlaveOf } from './failover.js';
import { Instance } from './instance.js';
import { cmdName, send } from './links.js';
import { sendInfo } from './monitor.js';
import type { CoreState } from './state.js';

/**
 * Coordinated manual failover (failoverCatchUp): the longest writes stay paused on the old master (a safety net:
 * the pause is lifted as soon as the old master is demoted, or when the failover aborts), and the longest we wait
 * for the chosen replica to reach the master's offset before promoting anyway, as Redis would have at once.
 */
const MF_PAUSE_MS = 5000;
const MF_CATCHUP_MS = 1000;

/**
 * Vigil: a manual failover whose master is still reachable loses no acknowledged write. Redis 7.0 sends SLAVEOF
 * NO ONE at once, and whatever the old master acknowledges before it is converted (seconds later) is gone.
 * Here: CLIENT PAUSE WRITE on the master, then INFO replication on the same connection for its final offset
 * (no write runs after the pause), then promotion once the chosen replica reports that offset — or after
 * MF_CATCHUP_MS, or at once if the offset is unknown, which is what Redis does. The old master is demoted and
 * unpaused as soon as the promotion shows (demotePausedMaster), or unpaused if the failover aborts. Returns true
 * when SLAVEOF NO ONE may be sent.
 */
export function failoverCatchUp(core: CoreState, m: Instance, p: Instance): boolean {
  const now = core.now();
  if (m.mfPausedAt === 0) {
    if (!m.forceFailover || m.sdown || m.disconnected || m.link.cmdLinkId === null) return true;
    if (!send(core, m, [cmdName(core, m, 'CLIENT'), 'PAUSE', String(MF_PAUSE_MS), 'WRITE'], 'ignore')) return true;
    send(core, m, [cmdName(core, m, 'INFO'), 'replication'], 'mf-offset');
    // Who to drop at the demotion: the transaction's CLIENT KILL TYPE normal/pubsub would also cut every
    // sentinel's links to this master (ours and the peers'), which then shows `disconnected` mid-failover.
    m.mfKillIds = [];
    m.mfClientListsAwaited = 0;
    for (const type of ['normal', 'pubsub']) {
      if (send(core, m, [cmdName(core, m, 'CLIENT'), 'LIST', 'TYPE', type], 'mf-clients')) m.mfClientListsAwaited++;
    }
    m.mfPausedAt = now;
    m.mfTargetOffset = undefined;
    core.log('notice', `Manual failover: writes paused on ${core.details(m)}, waiting for ${core.details(p)}`);
    return false;
  }
  const waited = now - m.mfPausedAt;
  if (waited > MF_CATCHUP_MS) {
    core.log(
      'warning',
      `Manual failover: ${core.details(p)} did not reach the master's offset in ${MF_CATCHUP_MS} ms; promoting anyway`,
    );
    return true;
  }
  if (m.mfTargetOffset === undefined) return false;
  if (m.mfTargetOffset === null) return true;
  if (p.slaveReplOffset >= m.mfTargetOffset) {
    core.log('notice', `Manual failover: ${core.details(p)} caught up (offset ${p.slaveReplOffset}) in ${waited} ms`);
    return true;
  }
  if (p.infoInFlight === 0) sendInfo(core, p);
  return false;
}

/** The promotion shows: make the paused old master a replica of the new one now, then lift the pause. */
export function demotePausedMaster(core: CoreState, m: Instance, p: Instance): void {
  // Redis converts a demoted master only when it has claimed master for 8 s as a replica entry; this master is
  // alive and paused by us, so do it now. The transaction's CLIENT KILL also drops its paused clients, whose
  // writes never run (they were never acknowledged).
  const kill = m.mfClientListsAwaited === 0 && m.mfKillIds !== null ? m.mfKillIds : undefined;
  if (sendSlaveOf(core, m, { host: p.host, port: p.port }, kill))
    core.log('notice', `Manual failover: ${core.details(m)} demoted to a replica of ${p.host}:${p.port}`);
  liftPause(core, m);
}

/** End the write pause failoverCatchUp set on this master. */
export function liftPause(core: CoreState, m: Instance): void {
  send(core, m, [cmdName(core, m, 'CLIENT'), 'UNPAUSE'], 'ignore');
  m.mfPausedAt = 0;
  m.mfTargetOffset = undefined;
  m.mfKillIds = [];
  m.mfClientListsAwaited = 0;
}
