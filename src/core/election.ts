// Votes and election (sentinel.c: sentinelVoteLeader, sentinelGetLeader) and Vigil's split-vote detection.
// The counting is pure (tallyVotes, electedLeader, splitVoteCandidates: no state, table-tested in
// test/unit/core-election-table.test.ts); voteLeader and the two wrappers apply it to the core state.
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

/** A sentinel's last known vote: whom it backs (`leader`, null if nobody) and in which epoch. */
export interface Vote {
  leader: string | null;
  leaderEpoch: number;
}

/** A peer as the split-vote check sees it: its vote, and whether it could still cast one. */
export interface PeerVote extends Vote {
  disconnected: boolean;
  sdown: boolean;
}

/** Peers' votes counted for one epoch: votes per candidate, and the first candidate with the most votes. */
export interface Tally {
  counters: Map<string, number>;
  winner: string | null;
  maxVotes: number;
}

/**
 * Pure: the peers' votes cast in `epoch` (Redis counts those of the current epoch, which may be later). Ties go
 * to the candidate first seen (insertion order), as Redis's dict walk does for its own order.
 */
export function tallyVotes(peers: Iterable<Vote>, epoch: number): Tally {
  const counters = new Map<string, number>();
  for (const s of peers) {
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
  return { counters, winner, maxVotes };
}

/**
 * Pure: the winner of `epoch` once our own vote `my` is added to the peers' tally, or null unless it has both a
 * majority of `voters` (the known sentinels, us included) and at least `quorum` votes.
 */
export function electedLeader(tally: Tally, my: Vote, epoch: number, voters: number, quorum: number): string | null {
  let { winner, maxVotes } = tally;
  if (my.leader !== null && my.leaderEpoch === epoch) {
    const votes = (tally.counters.get(my.leader) ?? 0) + 1;
    if (votes > maxVotes) {
      maxVotes = votes;
      winner = my.leader;
    }
  }
  const votersQuorum = Math.floor(voters / 2) + 1;
  if (winner !== null && (maxVotes < votersQuorum || maxVotes < quorum)) winner = null;
  return winner;
}

/** sentinelGetLeader: who won `epoch`, counting peers' last replies; null if nobody has a majority. */
export function getLeader(core: CoreState, m: Instance, epoch: number): string | null {
  const tally = tallyVotes(m.sentinels.values(), epoch);
  // Our vote goes to the peers' favourite (or to us); casting it may persist a new epoch and vote.
  const my = voteLeader(core, m, epoch, tally.winner ?? core.myid);
  return electedLeader(tally, my, epoch, m.sentinels.size + 1, m.quorum);
}

/**
 * Whether the votes we know of for our failover epoch leave nobody able to win it. Peers that are connected and
 * not SDOWN and have not voted in it yet might still vote for anyone; the others count as not voting.
 */
export function splitVote(core: CoreState, m: Instance): string[] | null {
  return splitVoteCandidates(m.failoverEpoch, core.myid, m, [...m.sentinels.values()], m.quorum);
}

/**
 * Pure: the candidates of a split vote in `epoch` (our id `myid` and every rival, lower case, sorted), or null
 * while someone can still win: when nobody but us has votes, or when some candidate's votes plus the peers still
 * able to vote reach the majority of `peers.length + 1` and `quorum`. `own` is our vote.
 */
export function splitVoteCandidates(
  epoch: number,
  myid: string,
  own: Vote,
  peers: readonly PeerVote[],
  quorum: number,
): string[] | null {
  const me = myid.toLowerCase();
  const counters = new Map<string, number>();
  if (own.leader !== null && own.leaderEpoch === epoch) counters.set(own.leader.toLowerCase(), 1);
  let open = 0;
  for (const s of peers) {
    if (s.leader !== null && s.leaderEpoch === epoch) {
      const id = s.leader.toLowerCase();
      counters.set(id, (counters.get(id) ?? 0) + 1);
    } else if (!s.disconnected && !s.sdown) {
      open++;
    }
  }
  const rivals = [...counters.keys()].filter((id) => id !== me);
  if (rivals.length === 0) return null;
  const voters = peers.length + 1;
  const needed = Math.max(Math.floor(voters / 2) + 1, quorum);
  for (const votes of counters.values()) if (votes + open >= needed) return null;
  return [me, ...rivals].sort();
}
