// Split-brain fencing (Vigil; Redis Sentinel has none). Pure decisions over a master's record;
// fencing-actions.ts sends the commands. Contract:
//
// - A sentinel fences a master it still reaches when the sentinels it has lost contact with could, together,
//   elect a leader and agree the master is down (they are a majority of the voters and at least the quorum) —
//   i.e. a failover may be happening on the other side of a partition. Writes then stop being acknowledged:
//   `CONFIG SET min-replicas-to-write <FENCE_BASE + previous value>` makes the master answer every write with
//   -NOREPLICAS, at once, without blocking PUBLISH, PING or INFO (CLIENT PAUSE WRITE would block the hellos and
//   so the PINGs of every other sentinel on the same link, and could itself cause a failover).
// - The value written encodes the previous one, so any Vigil sentinel that later finds a value >= FENCE_BASE on
//   an instance it is not fencing restores it (a fencer that died, or an old master demoted by a peer that ran
//   CONFIG REWRITE while it was fenced).
// - The fence is lifted once contact with the majority has been back for FENCE_LIFT_AFTER_PUBLISH_PERIODS hello
//   periods and the master is still the master of our newest configuration; if a newer configuration arrives
//   instead (a failover happened), the old master is demoted at once and its value restored in the same
//   transaction.
// - It never fences while the majority is reachable, never during our own failover, never in TILT, never with
//   fewer than 3 known sentinels, and never makes anything SDOWN or ODOWN.
import type { Instance } from './instance.js';

/** Added to min-replicas-to-write by a fence (the previous value is the remainder). */
export const FENCE_BASE = 1_000_000_000;
/** While fenced, the master's setting is re-asserted (and its write clients dropped) this often. */
export const FENCE_RENEW_MS = 1000;
/** The fence condition must hold this long, over our own ticks, before the master is fenced. */
export const FENCE_DEBOUNCE_MS = 200;
/** Contact must be back for this many hello periods before a fence is lifted (a newer config would be heard). */
export const FENCE_LIFT_AFTER_PUBLISH_PERIODS = 2;

export interface FenceOptions {
  enabled: boolean;
  /** 0 = half of down-after-milliseconds. */
  delayMs: number;
}

/** The fence delay in effect for this master. */
export function fenceDelayMs(m: Instance): number {
  const d = m.vigilFenceDelayMs;
  return d > 0 ? d : Math.max(1, Math.floor(m.downAfterMs / 2));
}

/** Whether we have heard a valid reply from this peer sentinel within `withinMs`. */
export function inContact(s: Instance, now: number, withinMs: number): boolean {
  return now - s.link.lastAvailAt <= withinMs;
}

/**
 * Whether the sentinels we are out of contact with could fail this master over without us: at least 3 sentinels
 * known (us included), and those we have not heard from within the fence delay (at least 3 × `pingPeriodMs`, the
 * period we PING peers at) are both a majority of the voters and at least the quorum.
 */
export function othersCouldFailOver(m: Instance, now: number, pingPeriodMs = 0): boolean {
  const voters = m.sentinels.size + 1;
  if (voters < 3) return false;
  const out = countOutOfContact(m, now, contactWindowMs(m, pingPeriodMs));
  const majority = Math.floor(voters / 2) + 1;
  return out >= majority && out >= m.quorum;
}

/**
 * How many peer sentinels we have not heard from within the window in effect: the fence delay, never shorter
 * than three peer PING periods (one late PONG is not a lost peer).
 */
export function peersOutOfContact(m: Instance, now: number, pingPeriodMs: number): { out: number; windowMs: number } {
  const windowMs = contactWindowMs(m, pingPeriodMs);
  return { out: countOutOfContact(m, now, windowMs), windowMs };
}

function contactWindowMs(m: Instance, pingPeriodMs: number): number {
  return Math.max(fenceDelayMs(m), 3 * pingPeriodMs);
}

// Allocation-free: othersCouldFailOver runs for every master on every tick.
function countOutOfContact(m: Instance, now: number, windowMs: number): number {
  let out = 0;
  for (const s of m.sentinels.values()) if (!inContact(s, now, windowMs)) out++;
  return out;
}

/** How many of this master's replicas last reported keys in their INFO. */
export function replicasWithData(m: Instance): number {
  let n = 0;
  for (const r of m.replicas.values()) if (reportedKeys(r)) n++;
  return n;
}

/** The replica's last INFO showed keys. */
export function reportedKeys(r: Instance): boolean {
  return r.info !== null && keyspaceKeys(r.info) > 0;
}

/** The replica's last INFO showed a replication offset beyond `masterOffset`. */
export function reportedAhead(r: Instance, masterOffset: number): boolean {
  return r.info !== null && r.slaveReplOffset > masterOffset;
}

/**
 * How many of this master's replicas last reported a replication offset beyond `masterOffset` (the master's
 * `master_repl_offset` after a restart). A restarted master behind its replicas would make them resync from it and
 * drop what only they hold, even when clients have already written a few keys to it before our first INFO.
 */
export function replicasAhead(m: Instance, masterOffset: number): number {
  let n = 0;
  for (const r of m.replicas.values()) if (reportedAhead(r, masterOffset)) n++;
  return n;
}

/**
 * Why a restarted master would wipe its replicas when they resync: a replica's last INFO showed keys while the
 * master's INFO shows none (`empty`), or its `master_repl_offset` is behind offsets replicas reported (`ahead`,
 * which the few keys clients write before our first INFO cannot hide). Null when it is no danger.
 */
export function emptyRestart(
  m: Instance,
  info: string,
  offset: number | null,
): { withData: number; empty: boolean; ahead: number } | null {
  const withData = replicasWithData(m);
  if (withData === 0) return null;
  const ahead = offset !== null ? replicasAhead(m, offset) : 0;
  const empty = keyspaceKeys(info) === 0;
  return empty || ahead > 0 ? { withData, empty, ahead } : null;
}

/** The value to restore from a fenced `min-replicas-to-write`, or null when the value is not a fence. */
export function unfencedValue(v: number): number | null {
  return Number.isSafeInteger(v) && v >= FENCE_BASE ? v - FENCE_BASE : null;
}

/**
 * Parse a `CONFIG GET min-replicas-to-write min-replicas-max-lag` reply (RESP2 flat array or RESP3 map decoded
 * as a flat array). Returns null for anything unexpected (an error, a renamed or refused CONFIG, bad numbers).
 */
export function parseMinReplicas(reply: unknown): { toWrite: number; maxLag: number } | null {
  if (!Array.isArray(reply) || reply.length % 2 !== 0 || reply.length > 8) return null;
  let toWrite: number | null = null;
  let maxLag: number | null = null;
  for (let i = 0; i < reply.length; i += 2) {
    const k = text(reply[i]);
    const v = text(reply[i + 1]);
    if (k === null || v === null || !/^[0-9]{1,12}$/.test(v)) return null;
    const n = Number(v);
    if (k.toLowerCase() === 'min-replicas-to-write') toWrite = n;
    else if (k.toLowerCase() === 'min-replicas-max-lag') maxLag = n;
  }
  return toWrite === null || maxLag === null ? null : { toWrite, maxLag };
}

function text(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('latin1');
  return null;
}

/** Keyspace size from an INFO text's `# Keyspace` section (`dbN:keys=K,...`); 0 when no db line. */
export function keyspaceKeys(info: string): number {
  let total = 0;
  const re = /^db[0-9]+:keys=([0-9]+)/gm;
  for (let mt = re.exec(info); mt !== null; mt = re.exec(info)) total += Number(mt[1]);
  return total;
}

/** `loading:1` in INFO persistence. */
export function isLoading(info: string): boolean {
  return /^loading:1\r?$/m.test(info);
}
