// Table tests for the pure election counting in src/core/election.ts (no core, no clock): who wins an epoch from
// the peers' votes plus ours, and when a split vote is declared.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { electedLeader, splitVoteCandidates, tallyVotes } from '../../src/core/election.js';
import type { PeerVote, Vote } from '../../src/core/election.js';

const A = 'a'.repeat(40); // us
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);
const D = 'd'.repeat(40);

const v = (leader: string | null, leaderEpoch = 5): Vote => ({ leader, leaderEpoch });
const peer = (leader: string | null, leaderEpoch = 5, state: 'up' | 'disconnected' | 'sdown' = 'up'): PeerVote => ({
  leader,
  leaderEpoch,
  disconnected: state === 'disconnected',
  sdown: state === 'sdown',
});

void test('election table - tally and winner: majority of known sentinels and quorum, votes of other epochs ignored', () => {
  const cases: Array<{ name: string; peers: Vote[]; my: Vote; quorum: number; want: string | null; tally?: string }> = [
    { name: 'alone, quorum 1: our own vote wins', peers: [], my: v(A), quorum: 1, want: A },
    { name: 'alone, quorum 2: not enough votes', peers: [], my: v(A), quorum: 2, want: null },
    { name: '3 sentinels, 2 for us', peers: [v(A), v(null)], my: v(A), quorum: 2, want: A },
    { name: '3 sentinels, only our vote', peers: [v(null), v(null)], my: v(A), quorum: 1, want: null },
    { name: '3 sentinels, peers back B, we too', peers: [v(B), v(B)], my: v(B), quorum: 2, want: B, tally: B },
    { name: 'a vote from an older epoch does not count', peers: [v(A, 4), v(null)], my: v(A), quorum: 2, want: null },
    { name: 'a vote from a newer epoch does not count', peers: [v(A, 6), v(A, 6)], my: v(A), quorum: 1, want: null },
    { name: 'our vote in another epoch is not counted', peers: [v(B), v(B)], my: v(B, 4), quorum: 2, want: B },
    { name: '5 sentinels, 3 for B: majority', peers: [v(B), v(B), v(C), v(null)], my: v(B), quorum: 2, want: B },
    { name: '5 sentinels, 2-2 split', peers: [v(B), v(C), v(C), v(null)], my: v(B), quorum: 2, want: null },
    { name: 'majority but under quorum', peers: [v(B), v(B)], my: v(B), quorum: 4, want: null },
    {
      name: 'tie in the tally goes to the first seen',
      peers: [v(C), v(B)],
      my: v(null),
      quorum: 1,
      want: null,
      tally: C,
    },
    {
      name: 'our vote breaks a tie, still short of the majority',
      peers: [v(C), v(B), v(null), v(null)],
      my: v(B),
      quorum: 1,
      want: null,
    },
    { name: '4 sentinels, 3 for D', peers: [v(D), v(D), v(null)], my: v(D), quorum: 2, want: D, tally: D },
  ];
  for (const c of cases) {
    const tally = tallyVotes(c.peers, 5);
    if (c.tally !== undefined) assert.equal(tally.winner, c.tally, `${c.name}: tally winner`);
    assert.equal(electedLeader(tally, c.my, 5, c.peers.length + 1, c.quorum), c.want, c.name);
  }
});

void test('election table - split vote: declared only once nobody can reach the majority', () => {
  const cases: Array<{ name: string; own: Vote; peers: PeerVote[]; quorum: number; want: string[] | null }> = [
    { name: 'no rival votes: no split', own: v(A), peers: [peer(A), peer(null)], quorum: 2, want: null },
    { name: '3 sentinels, 1-1, third still open', own: v(A), peers: [peer(B), peer(null)], quorum: 2, want: null },
    {
      name: '3 sentinels, 1-1, third disconnected',
      own: v(A),
      peers: [peer(B), peer(null, 5, 'disconnected')],
      quorum: 2,
      want: [A, B],
    },
    {
      name: '3 sentinels, 1-1, third SDOWN',
      own: v(A),
      peers: [peer(B), peer(null, 5, 'sdown')],
      quorum: 2,
      want: [A, B],
    },
    { name: '3 sentinels, 1-1-1', own: v(A), peers: [peer(B), peer(C)], quorum: 2, want: [A, B, C] },
    {
      name: 'a peer that voted in another epoch is still open',
      own: v(A),
      peers: [peer(B), peer(C, 4)],
      quorum: 2,
      want: null,
    },
    { name: 'rival already has the majority: no split', own: v(B), peers: [peer(B), peer(C)], quorum: 2, want: null },
    {
      name: 'our own vote for a rival counts for the rival',
      own: v(B),
      peers: [peer(C), peer(null, 5, 'sdown')],
      quorum: 2,
      want: [A, B, C],
    },
    {
      name: 'our vote in another epoch is not counted',
      own: v(B, 4),
      peers: [peer(C), peer(null, 5, 'sdown')],
      quorum: 2,
      want: [A, C],
    },
    {
      name: '5 sentinels, 2-2, fifth open',
      own: v(A),
      peers: [peer(A), peer(B), peer(B), peer(null)],
      quorum: 2,
      want: null,
    },
    {
      name: '5 sentinels, 2-2, fifth down',
      own: v(A),
      peers: [peer(A), peer(B), peer(B), peer(null, 5, 'disconnected')],
      quorum: 2,
      want: [A, B],
    },
    {
      name: 'quorum above the majority raises the bar',
      own: v(A),
      peers: [peer(A), peer(B), peer(null)],
      quorum: 4,
      want: [A, B],
    },
    {
      name: 'run ids compared in lower case',
      own: v(A),
      peers: [peer(B.toUpperCase()), peer(null, 5, 'sdown')],
      quorum: 2,
      want: [A, B],
    },
  ];
  for (const c of cases) {
    assert.deepEqual(splitVoteCandidates(5, A.toUpperCase(), c.own, c.peers, c.quorum), c.want, c.name);
  }
});
