// Votes and election (sentinel.c: sentinelVoteLeader, sentinelGetLeader) and Vigil's split-vote detection.
// Mechanism (all rooms): plain functions over the explicit core state (`core: CoreState`, state.ts), no classes;
// SentinelCore (sentinel.ts) is the facade that owns the public API and delegates here. Pure like all of src/core.
import { Instance } from './instance.js';
import type { CoreState } from './state.js';
import { MAX_DESYNC_MS } from './types.js';

/** Split-vote avoidance (see "Votes and election"): the candidacy delay after ODOWN, and the retry schedule. */
export const CANDIDACY_JITTER_MS = 150;
export const SPLIT_RETRY_MS = 100;
export const SPLIT_RETRY_STEP_MS = 300;
export const SPLIT_RETRY_JITTER_MS = 50;
/** Fast retries in a row before falling back to Redis's 2 x failover-timeout (bounds epoch growth). */
export const MAX_SPLIT_RETRIES = 5;

// Split votes (Vigil; docs/sentinel.md "Elections"). Vigil's sentinels tick and ask each other fast, so two of
// them can see the same master ODOWN within a millisecond and both become candidates in the same epoch, each
// voting for itself; Redis then waits for the election timeout and 2 x failover-timeout before trying again.
// Three changes keep the majority live without weakening the one-vote-per-epoch rule that makes it safe:
//  - a randomised candidacy delay (0..CANDIDACY_JITTER_MS from the injected rng) after ODOWN; a vote request
//    from another candidate in the meantime gets our vote and cancels our candidacy (Raft's randomised
//    election timeout);
//  - the election counts only votes cast in the epoch it is deciding;
//  - once the votes we know of show that nobody can win our epoch (counting as possible voters only peers that
//    are connected and not SDOWN), we abort at once and try again in a new epoch after SPLIT_RETRY_MS plus
//    SPLIT_RETRY_STEP_MS per candidate whose run id sorts before ours, so the two do not collide again.

/** sentinelVoteLeader: cast (or repeat) our vote for `reqRunId` in `reqEpoch`. */
export function voteLeader(
  core: CoreState,
  m: Instance,
  reqEpoch: number,
  reqRunId: string,
): { leader: string | null; leaderEpoch: number } {
  if (reqEpoch > core.currentEpoch) {
    core.currentEpoch = reqEpoch;
    core.flush();
    core.event('warning', '+new-epoch', m, String(core.currentEpoch));
  }
  if (m.leaderEpoch < reqEpoch && core.currentEpoch <= reqEpoch) {
    m.leader = reqRunId;
    m.leaderEpoch = core.currentEpoch;
    core.flush();
    core.event('warning', '+vote-for-leader', m, `${m.leader} ${m.leaderEpoch}`);
    if (m.leader.toLowerCase() !== core.myid.toLowerCase()) {
      m.failoverStartAt = core.now() + core.rng.int(MAX_DESYNC_MS);
      // We back another candidate: no candidacy of ours in the meantime, no split-vote retry either.
      m.candidacyAt = 0;
      m.splitRetryAt = 0;
    }
  }
  return { leader: m.leader, leaderEpoch: m.leaderEpoch };
}

/** sentinelGetLeader: who won `epoch`, counting peers' last replies; null if nobody has a majority. */
export function getLeader(core: CoreState, m: Instance, epoch: number): string | null {
  const voters = m.sentinels.size + 1;
  const counters = new Map<string, number>();
  for (const s of m.sentinels.values()) {
    // Only votes cast in the epoch being decided (Redis counts those of the current epoch, which may be later).
    if (s.leader !== null && s.leaderEpoch === epoch) counters.set(s.leader, (counters.get(s.leader) ?? 0) + 1);
  }
  let winner: string | null = null;
  let maxVotes = 0;
  for (const [id, votes] of counters) {
    if (votes > maxVotes) {
      maxVotes = votes;
      winner = id;
    }
  }
  const my = voteLeader(core, m, epoch, winner ?? core.myid);
  if (my.leader !== null && my.leaderEpoch === epoch) {
    const votes = (counters.get(my.leader) ?? 0) + 1;
    counters.set(my.leader, votes);
    if (votes > maxVotes) {
      maxVotes = votes;
      winner = my.leader;
    }
  }
  const votersQuorum = Math.floor(voters / 2) + 1;
  if (winner !== null && (maxVotes < votersQuorum || maxVotes < m.quorum)) winner = null;
  return winner;
}

/**
 * Whether the votes we know of for our failover epoch leave nobody able to win it. Peers that are connected and
 * not SDOWN and have not voted in it yet might still vote for anyone; the others count as not voting.
 */
export function splitVote(core: CoreState, m: Instance): string[] | null {
  const epoch = m.failoverEpoch;
  const me = core.myid.toLowerCase();
  const counters = new Map<string, number>();
  if (m.leader !== null && m.leaderEpoch === epoch) counters.set(m.leader.toLowerCase(), 1);
  let open = 0;
  for (const s of m.sentinels.values()) {
    if (s.leader !== null && s.leaderEpoch === epoch) {
      const id = s.leader.toLowerCase();
      counters.set(id, (counters.get(id) ?? 0) + 1);
    } else if (!s.disconnected && !s.sdown) {
      open++;
    }
  }
  const rivals = [...counters.keys()].filter((id) => id !== me);
  if (rivals.length === 0) return null;
  const voters = m.sentinels.size + 1;
  const needed = Math.max(Math.floor(voters / 2) + 1, m.quorum);
  for (const votes of counters.values()) if (votes + open >= needed) return null;
  return [me, ...rivals].sort();
}
